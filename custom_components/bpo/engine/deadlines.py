"""What happens when a token's timer is due: reminders, escalations, overdue marks, waits, timeouts.

Each token has ONE timer at its earliest pending deadline. When it fires, everything due for that token
up to ``now`` is handled once (each handled deadline is recorded on the token before any event leaves),
then the token is re-armed at its next pending deadline. After downtime this means:

- several missed reminders collapse into one ``task_reminded`` (``count`` says how many were due);
- each missed escalation level fires once, in order;
- the overdue mark and the step timeout fire once, late (payload ``late: true``).

Isolation: anything raised while one token's or one schedule's deadline is handled fails that instance
(``instance_error``) or is reported for that schedule (``schedule_failed``); ``Engine.tick`` goes on with the
other deadlines and always returns the next one, so one broken blueprint never stops the timer.

Timeout actions (``on_timeout``): ``complete`` closes the token (tasks get status ``timed_out``) and
the flow continues as if it finished — for a join it counts as done; ``fail`` fails the instance;
``escalate`` emits ``escalated`` and leaves the token open; ``goto`` cancels the open tokens and jumps.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .core import Compiled
from .flow import Flow
from .model import Escalation, Step
from .runtime_errors import StepError, failure_text
from .state import CANCELLED, FAILED, TIMED_OUT, Instance, Join, Task, Token, Wait

LATE = timedelta(minutes=5)  # a deadline handled later than this is reported as ``late``


class Deadlines(Flow):
    """Timer handling; see the module docstring."""

    async def _fire_token(self, key: str, now: datetime) -> None:
        inst = self._instances.get(key.split(".", 1)[0])
        if inst is None or not inst.is_running:
            return
        tok = inst.token(key)
        cp = self._compiled(inst)
        if tok is None or cp is None:
            return
        step = cp.steps.get(tok.step)
        if step is None:
            return
        business = False
        since = tok.since if not isinstance(tok, Task) else tok.created
        if isinstance(tok, Task) and step.task is not None:
            business = step.task.business_time
            await self._task_deadlines(inst, cp, tok, step, now)
            if not tok.is_open:
                return
        if isinstance(tok, Wait) and tok.until is not None and tok.until <= now:
            await self._wait_done(inst, cp, tok, now, "time")
            return
        tmo = step.timeout
        if tmo is not None and not tok.timed_out and inst.is_running:
            at = self._after(cp, since, tmo.after, business)
            if at <= now:
                await self._apply_timeout(inst, cp, tok, step, now, late=now - at > LATE)
                return
        if inst.is_running and inst.token(key) is tok:
            self._arm(cp, tok)

    def _deadline_failed(self, key: str, now: datetime, err: Exception, schedule_prefix: str) -> None:
        """``key``'s handler raised: fail its instance, or report its schedule; never re-raise."""
        reason = failure_text(err)
        if key.startswith(schedule_prefix):
            process = key[len(schedule_prefix) :].split("|", 1)[0]
            self._emit("schedule_failed", None, process=process, error=reason)
            return
        inst = self._instances.get(key.split(".", 1)[0])
        if inst is None:
            return
        tok = inst.token(key)
        step = err.step if isinstance(err, StepError) else tok.step if tok is not None else None
        self._fail_instance(inst, now, f"deadline failed: {reason}", step)

    def _fail_instance(self, inst: Instance, now: datetime, reason: str, step: str | None) -> None:
        """Fail ``inst`` after an unexpected error, even when closing it normally fails too."""
        if inst.is_running:
            try:
                self._close(inst, self._compiled(inst), FAILED, now, error=reason)
            except Exception:  # noqa: BLE001 - the state may be what broke; close it by hand
                for tok in inst.tokens():
                    self._timers.discard(tok.id)
                    if isinstance(tok, Task):
                        self._open.pop(tok.id, None)
                        tok.status = CANCELLED
                        tok.completed_at = now
                inst.waits = inst.joins = None
                inst.status, inst.ended, inst.error = FAILED, now, reason
                self._touch(inst)
        else:
            self._touch(inst)
        self._emit("instance_error", inst, step=step, error=reason)

    async def _task_deadlines(
        self, inst: Instance, cp: Compiled, task: Task, step: Step, now: datetime
    ) -> None:
        spec = step.task
        assert spec is not None
        biz = spec.business_time
        fired = 0
        last_at = now
        while task.reminders < len(spec.remind):
            at = self._after(cp, task.created, spec.remind[task.reminders], biz)
            if at > now:
                break
            task.reminders += 1
            fired += 1
            last_at = at
        if fired:
            self._log(inst, now, "task_reminded", step=task.step, details={"task": task.id, "count": fired})
            self._emit(
                "task_reminded",
                inst,
                task=task,
                title=task.title,
                count=fired,
                late=now - last_at > LATE,
                due=task.due.isoformat() if task.due else None,
            )
        while task.is_open and task.escalations < len(spec.escalate):
            esc = spec.escalate[task.escalations]
            at = self._after(cp, task.created, esc.after, biz)
            if at > now:
                break
            task.escalations += 1
            self._escalate(inst, cp, task, esc, now, late=now - at > LATE)
        if task.due is not None and not task.overdue and task.due <= now:
            task.overdue = True
            self._log(inst, now, "task_overdue", step=task.step, details={"task": task.id})
            self._emit(
                "task_overdue",
                inst,
                task=task,
                title=task.title,
                due=task.due.isoformat(),
                late=now - task.due > LATE,
            )
        self._touch(inst)

    def _escalate(
        self, inst: Instance, cp: Compiled, task: Task, esc: Escalation, now: datetime, *, late: bool
    ) -> None:
        ctx = self._ctx(inst, cp, now, task={"assignee": task.assignee, "group": task.group, "id": task.id})
        render = self._templates.render_str
        notify = [n for n in (render(x, ctx) for x in esc.notify) if n and n != "None"]
        target = render(esc.reassign, ctx) if esc.reassign else None
        target = None if not target or target == "None" else target
        level = task.escalations
        self._log(
            inst,
            now,
            "escalated",
            step=task.step,
            details={"task": task.id, "level": level, "notify": notify, "reassign": target},
        )
        self._emit(
            "escalated",
            inst,
            task=task,
            title=task.title,
            level=level,
            reason="escalation",
            notify=notify,
            reassign=target,
            late=late,
        )
        if target is not None and target != task.assignee:
            self._reassign_task(inst, task, target, now, who=None, source="escalation")

    def _reassign_task(
        self, inst: Instance, task: Task, assignee: str, now: datetime, *, who: str | None, source: str
    ) -> None:
        previous = task.assignee
        task.assignee = assignee
        self._log(
            inst,
            now,
            "task_reassigned",
            who=who,
            source=source,
            step=task.step,
            details={"task": task.id, "from": previous, "to": assignee},
        )
        self._emit("task_reassigned", inst, task=task, title=task.title, previous=previous, by=who)

    async def _apply_timeout(
        self, inst: Instance, cp: Compiled, tok: Token, step: Step, now: datetime, *, late: bool
    ) -> None:
        tmo = step.timeout
        assert tmo is not None
        tok.timed_out = True
        task = tok if isinstance(tok, Task) else None
        self._log(inst, now, "timeout", step=step.id, details={"action": tmo.action, "token": tok.id})
        if tmo.action == "escalate":
            self._emit("timeout", inst, task=task, step=step.id, action=tmo.action, late=late)
            self._emit(
                "escalated",
                inst,
                task=task,
                step=step.id,
                reason="timeout",
                level=0,
                notify=[],
                reassign=None,
                late=late,
            )
            self._arm(cp, tok)
            return
        if task is not None:
            task.status = TIMED_OUT
            task.completed_at = now
        self._emit("timeout", inst, task=task, step=step.id, action=tmo.action, late=late)
        if isinstance(tok, Join):
            self._cancel_children(inst, cp, tok.id, now, "timeout")
        self._drop_token(inst, tok)
        if isinstance(tok, Wait):
            if inst.results is None:
                inst.results = {}
            inst.results[tok.step] = {"outcome": "timeout", "data": None}
        if tmo.action == "fail":
            self._close(inst, cp, FAILED, now, error=f"step {step.id} timed out")
        elif tmo.action == "goto" and tmo.goto:
            await self._goto(inst, cp, tmo.goto, tok.parent, now)
        else:
            await self._step_done(inst, cp, step, tok.parent, now)
