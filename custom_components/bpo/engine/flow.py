"""Moving through steps: enter a step, finish it, join parallel branches, close the instance.

Human task steps (open, finish) are in :mod:`.tasks`, the base class of ``Flow``.

Flow rules (documented for blueprint authors in docs/blueprint-language.md):

- after a top-level step finishes, ``next`` wins, else the following step in the list; past the last
  step the instance completes;
- a ``parallel`` step starts every branch (each branch is one step); the join completes when all / any /
  ``join_n`` branches are done, and the still-open branches are then cancelled;
- a ``goto`` (from ``choose`` or ``on_timeout: goto``) inside a parallel branch leaves the whole
  parallel step: every open token of the instance is cancelled first;
- ``when`` false skips the step as if it had finished.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from .core import Compiled
from .model import Step
from .runtime_errors import ActionFailed, StepError
from .state import CANCELLED, COMPLETED, FAILED, OPEN, Instance, Join, Task, Token, Wait
from .tasks import TaskSteps, humanise
from .templates import TemplateFailed


class Flow(TaskSteps):
    """Step execution; see the module docstring (task steps: :mod:`.tasks`)."""

    async def _enter(
        self, inst: Instance, cp: Compiled, step_id: str, parent: str | None, now: datetime
    ) -> None:
        if not inst.is_running:
            return
        step = cp.steps.get(step_id)
        if step is None:
            self._close(inst, cp, FAILED, now, error=f"unknown step {step_id!r}")
            return
        try:
            if step.when is not None and not self._templates.truthy(step.when, self._ctx(inst, cp, now)):
                self._log(inst, now, "step_skipped", step=step.id)
                await self._step_done(inst, cp, step, parent, now)
                return
            if step.task is not None:
                self._create_task(inst, cp, step, parent, now)
            elif step.parallel:
                await self._enter_parallel(inst, cp, step, parent, now)
            elif step.choose:
                await self._choose(inst, cp, step, parent, now)
            elif step.wait is not None:
                self._enter_wait(inst, cp, step, parent, now)
            elif step.action is not None:
                await self._run_action(inst, cp, step, parent, now)
            elif step.end is not None:
                self._close(inst, cp, step.end, now, details={"step": step.id})
            else:
                await self._step_done(inst, cp, step, parent, now)
        except TemplateFailed as err:
            self._close(inst, cp, FAILED, now, error=f"step {step.id}: {err}")
        except StepError:
            raise
        except Exception as err:
            raise StepError(step.id, err) from err  # the caller fails this instance (see deadlines.py)

    # -- parallel ----------------------------------------------------------------------------------
    async def _enter_parallel(
        self, inst: Instance, cp: Compiled, step: Step, parent: str | None, now: datetime
    ) -> None:
        join = Join(inst.next_id(), step.id, now, parent)
        if inst.joins is None:
            inst.joins = []
        inst.joins.append(join)
        self._arm(cp, join)
        self._log(inst, now, "parallel_started", step=step.id)
        for branch in step.parallel:
            if not inst.is_running or self._join(inst, join.id) is None:
                break  # the join already completed (join: any) or the instance ended
            await self._enter(inst, cp, branch.id, join.id, now)

    def _needed(self, step: Step) -> int:
        if step.join == "any":
            return 1
        if step.join == "n_of_m" and step.join_n > 0:
            return min(step.join_n, len(step.parallel))
        return len(step.parallel)

    async def _branch_done(
        self, inst: Instance, cp: Compiled, join_id: str, branch: str, now: datetime
    ) -> None:
        join = self._join(inst, join_id)
        if join is None:
            return
        if branch not in join.done:
            join.done.append(branch)
        self._touch(inst)
        pstep = cp.steps[join.step]
        if len(join.done) >= self._needed(pstep):
            await self._close_join(inst, cp, join, now)

    async def _close_join(self, inst: Instance, cp: Compiled, join: Join, now: datetime) -> None:
        self._cancel_children(inst, cp, join.id, now, "join")
        self._drop_token(inst, join)
        self._log(inst, now, "joined", step=join.step, details={"done": list(join.done)})
        await self._step_done(inst, cp, cp.steps[join.step], join.parent, now)

    def _cancel_children(
        self, inst: Instance, cp: Compiled, join_id: str, now: datetime, reason: str
    ) -> None:
        for tok in inst.tokens():
            if tok.parent == join_id:
                self._cancel_token(inst, cp, tok, now, reason)

    def _cancel_token(self, inst: Instance, cp: Compiled, tok: Token, now: datetime, reason: str) -> None:
        if isinstance(tok, Join):
            self._cancel_children(inst, cp, tok.id, now, reason)
        elif isinstance(tok, Task):
            tok.status = CANCELLED
            tok.completed_at = now
            self._log(inst, now, "task_cancelled", step=tok.step, details={"task": tok.id, "reason": reason})
            self._emit("task_cancelled", inst, task=tok, reason=reason)
        self._drop_token(inst, tok)

    # -- choose / goto ---------------------------------------------------------------------------------------
    async def _choose(
        self, inst: Instance, cp: Compiled, step: Step, parent: str | None, now: datetime
    ) -> None:
        ctx = self._ctx(inst, cp, now)
        target = step.default
        for option in step.choose:
            if self._templates.truthy(option.when, ctx):
                target = option.goto
                break
        if target is None:
            self._log(inst, now, "chose", step=step.id, details={"goto": None})
            await self._step_done(inst, cp, step, parent, now)
            return
        self._log(inst, now, "chose", step=step.id, details={"goto": target})
        await self._goto(inst, cp, target, parent, now)

    async def _goto(
        self, inst: Instance, cp: Compiled, target: str, parent: str | None, now: datetime
    ) -> None:
        if parent is not None:
            for tok in inst.tokens():
                self._cancel_token(inst, cp, tok, now, "goto")
        await self._enter(inst, cp, target, None, now)

    # -- waits -------------------------------------------------------------------------------------
    def _enter_wait(
        self, inst: Instance, cp: Compiled, step: Step, parent: str | None, now: datetime
    ) -> None:
        spec = step.wait
        assert spec is not None
        until: datetime | None = None
        if spec.until:
            until = self._as_datetime(self._templates.render_native(spec.until, self._ctx(inst, cp, now)))
        elif spec.delay is not None:
            until = now + timedelta(seconds=spec.delay)
        wait = Wait(inst.next_id(), step.id, now, parent, until)
        if inst.waits is None:
            inst.waits = []
        inst.waits.append(wait)
        if spec.event:
            self._waiting.setdefault(spec.event, set()).add(inst.id)
        self._arm(cp, wait)
        self._log(
            inst,
            now,
            "waiting",
            step=step.id,
            details={"event": spec.event, "until": until.isoformat() if until else None},
        )

    def _as_datetime(self, value: object) -> datetime:
        if isinstance(value, datetime):
            when = value
        else:
            try:
                when = datetime.fromisoformat(str(value).strip())
            except ValueError as err:
                raise TemplateFailed(f"wait until: {value!r} is not an ISO date/time") from err
        if when.tzinfo is None:
            when = when.replace(tzinfo=self.tz)
        return when.astimezone(UTC)

    async def _wait_done(
        self,
        inst: Instance,
        cp: Compiled,
        wait: Wait,
        now: datetime,
        outcome: str,
        data: dict[str, Any] | None = None,
    ) -> None:
        self._drop_token(inst, wait)
        if inst.results is None:
            inst.results = {}
        inst.results[wait.step] = {"outcome": outcome, "data": data}
        self._log(inst, now, "wait_done", step=wait.step, details={"outcome": outcome})
        await self._step_done(inst, cp, cp.steps[wait.step], wait.parent, now)

    # -- actions -----------------------------------------------------------------------------------
    async def _run_action(
        self, inst: Instance, cp: Compiled, step: Step, parent: str | None, now: datetime
    ) -> None:
        spec = step.action
        assert spec is not None
        if self.actions is None:
            self._close(inst, cp, FAILED, now, error=f"step {step.id}: no action port configured")
            return
        data = self._templates.render_value(spec.data, self._ctx(inst, cp, now))
        self._log(
            inst,
            now,
            "action_called",
            step=step.id,
            details={"service": spec.service, "connector": spec.connector, "call": spec.call},
        )
        seq = inst.seq  # detects that someone else moved this instance while we awaited
        call = self.actions.call(spec.service, spec.connector, spec.call, data)
        try:
            if step.timeout is not None:
                result = await asyncio.wait_for(call, step.timeout.after)
            else:
                result = await call
        except TimeoutError:
            await self._action_timeout(inst, cp, step, parent, seq)
            return
        except (ActionFailed, OSError) as err:
            if inst.is_running and inst.seq == seq:
                self._close(inst, cp, FAILED, self.clock.now(), error=f"step {step.id}: {err}")
            return
        if not inst.is_running or inst.seq != seq:
            return
        now = self.clock.now()
        if spec.result:
            inst.update_fields({spec.result: result})
        self._log(inst, now, "action_done", step=step.id)
        await self._step_done(inst, cp, step, parent, now)

    async def _action_timeout(
        self, inst: Instance, cp: Compiled, step: Step, parent: str | None, seq: int
    ) -> None:
        """Action steps: complete/escalate continue, fail fails, goto jumps."""
        if not inst.is_running or inst.seq != seq or step.timeout is None:
            return
        now = self.clock.now()
        tmo = step.timeout
        self._log(inst, now, "timeout", step=step.id, details={"action": tmo.action})
        self._emit("timeout", inst, step=step.id, action=tmo.action)
        if tmo.action == "fail":
            self._close(inst, cp, FAILED, now, error=f"step {step.id} timed out")
        elif tmo.action == "goto" and tmo.goto:
            await self._goto(inst, cp, tmo.goto, parent, now)
        else:
            if tmo.action == "escalate":
                self._emit("escalated", inst, step=step.id, reason="timeout", notify=[], reassign=None)
            await self._step_done(inst, cp, step, parent, now)

    # -- leaving steps -----------------------------------------------------------------------------
    async def _step_done(
        self, inst: Instance, cp: Compiled, step: Step, parent: str | None, now: datetime
    ) -> None:
        if not inst.is_running:
            return
        if parent is not None:
            await self._branch_done(inst, cp, parent, step.id, now)
            return
        target = step.next if step.next is not None else cp.follows.get(step.id)
        if target is None:
            self._close(inst, cp, COMPLETED, now)
            return
        await self._enter(inst, cp, target, None, now)

    def _close(
        self,
        inst: Instance,
        cp: Compiled | None,
        status: str,
        now: datetime,
        *,
        error: str | None = None,
        who: str | None = None,
        source: str = "engine",
        details: dict[str, Any] | None = None,
    ) -> None:
        if not inst.is_running:
            return
        for tok in inst.tokens():
            if cp is not None:
                self._cancel_token(inst, cp, tok, now, status)
            else:
                self._drop_token(inst, tok)
        inst.status = status
        inst.ended = now
        inst.error = error
        info = dict(details or {})
        if error:
            info["error"] = error
        self._log(inst, now, f"instance_{status}", who=who, source=source, details=info or None)
        kind = "instance_cancelled" if status == CANCELLED else "instance_completed"
        self._emit(kind, inst, status=status, error=error, by=who, fields=self._mask(cp, inst.fields))


__all__ = ["OPEN", "Flow", "humanise"]
