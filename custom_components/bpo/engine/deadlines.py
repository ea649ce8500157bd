"""What happens when a token's timer is due: the kind's own deadlines, then the step timeout.

Each token has ONE timer at its earliest pending deadline (``Flow.arm``). When it fires, everything due
for that token up to ``now`` is handled once (each handled deadline is recorded on the token before any
event leaves), then the token is re-armed at its next pending deadline. After downtime this means:

- several missed reminders collapse into one ``task_reminded`` (``count`` says how many were due);
- each missed escalation level fires once, in order;
- the overdue mark and the step timeout fire once, late (payload ``late: true``).

Isolation: anything raised while one token's or one schedule's deadline is handled fails that instance
(``instance_error``) or is reported for that schedule (``schedule_failed``); ``Engine.tick`` goes on with the
other deadlines and always returns the next one, so one broken blueprint never stops the timer.

Timeout actions (``on_timeout``): ``complete`` closes the token (tasks get status ``timed_out``) and
the flow continues as if it finished — for a join it counts as done; ``fail`` fails the instance;
``escalate`` emits ``escalated`` and leaves the token open; ``goto`` cancels the open tokens and jumps;
``requeue`` (tasks) hands the same task back to its group or candidates, unassigned; its timeout counts
from when someone holds it (``Flow.timeout_from``), so it fires again each time a holder stays idle.
"""

from __future__ import annotations

from datetime import datetime

from .compiled import Compiled
from .flow import LATE, Flow, timeout_from
from .model import Step
from .runtime_errors import StepError, failure_text
from .state import FAILED, Instance, Task, Token
from .steps.task_deadlines import TaskDeadlines


class Deadlines:
    """Token timer handling; see the module docstring."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.ctx = flow.ctx
        self.state = flow.state
        self.outbox = flow.outbox

    async def fire(self, key: str, now: datetime) -> None:
        inst = self.state.instances.get(key.split(".", 1)[0])
        if inst is None or not inst.is_running:
            return
        tok = inst.token(key)
        cp = self.ctx.compiled(inst)
        if tok is None or cp is None:
            return
        step = cp.steps.get(tok.step)
        if step is None:
            return
        kind = self.flow.kind_of(cp, step.id, tok)
        if not await kind.on_timer(inst, cp, step, tok, now):
            return
        tmo = step.timeout
        start = timeout_from(step, tok)
        if tmo is not None and not tok.timed_out and inst.is_running and start is not None:
            at = self.ctx.after(cp, start, tmo.after, kind.business_time(step))
            if at <= now:
                await self._timeout(inst, cp, tok, step, now, late=now - at > LATE)
                return
        if inst.is_running and inst.token(key) is tok:
            self.flow.arm(cp, tok)

    def failed(self, key: str, now: datetime, err: Exception, schedule_prefix: str) -> None:
        """``key``'s handler raised: fail its instance, or report its schedule; never re-raise."""
        reason = failure_text(err)
        if key.startswith(schedule_prefix):
            process = key[len(schedule_prefix) :].split("|", 1)[0]
            self.outbox.emit("schedule_failed", None, process=process, error=reason)
            return
        inst = self.state.instances.get(key.split(".", 1)[0])
        if inst is None:
            return
        tok = inst.token(key)
        step = err.step if isinstance(err, StepError) else tok.step if tok is not None else None
        self.flow.fail_instance(inst, now, f"deadline failed: {reason}", step)

    async def _timeout(
        self, inst: Instance, cp: Compiled, tok: Token, step: Step, now: datetime, *, late: bool
    ) -> None:
        tmo = step.timeout
        assert tmo is not None
        task = tok if isinstance(tok, Task) else None
        emit = self.outbox.emit
        self.outbox.log(inst, now, "timeout", step=step.id, details={"action": tmo.action, "token": tok.id})
        emit("timeout", inst, task=task, step=step.id, action=tmo.action, late=late)
        if tmo.action == "requeue" and task is not None:  # the same task, back in its queue; may time out
            self.flow.kind("task", TaskDeadlines).requeue(inst, cp, task, now, "timeout")  # again once held
            return
        tok.timed_out = True
        if tmo.action == "escalate":
            emit(
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
            self.flow.arm(cp, tok)
            return
        self.flow.kind_of(cp, step.id, tok).expire(inst, cp, tok, now)
        self.flow.drop_token(inst, tok)
        if tmo.action == "fail":
            self.flow.close(inst, cp, FAILED, now, error=f"step {step.id} timed out")
        elif tmo.action == "goto" and tmo.goto:
            await self.flow.goto(inst, cp, tmo.goto, tok.parent, now)
        else:
            await self.flow.step_done(inst, cp, step, tok.parent, now)
