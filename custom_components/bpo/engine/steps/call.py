"""``call``: run another process as a sub-process and wait for it to end.

The caller's token is a ``Wait`` record whose ``child`` names the called instance; the called instance
records its caller in ``Instance.parent``. Both are saved, so a restart finds either side from the other.

When the called instance closes (``Flow.close``), its id is queued in ``EngineState.returns``; the engine
hands the queue to :meth:`CallKind.settle` before each commit, so the caller moves on in the same
operation without the called instance's flow calling into the caller's. A restart that finds a call token
whose instance has already ended resumes it too (:meth:`CallKind.restored` queues it).

The step's result (``steps.<id>``) is ``{outcome, status, data}``: ``outcome`` is the id of the ``end``
step the called instance reached (its status when it ran past its last step or was cancelled), ``status``
its final status, ``data`` its fields except ``pii`` ones. A called instance that failed fails the step
(and so the caller); ``completed`` and ``cancelled`` continue. Cancelling or timing out the call step
cancels the called instance (and whatever it called in turn).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from ..compiled import Compiled
from ..model import Step
from ..runtime_errors import failure_text
from ..state import CANCELLED, FAILED, Instance, Token, Wait
from .base import BaseKind

if TYPE_CHECKING:
    from ..starts import Starts
    from .for_each import ForEachKind

CALL_DEPTH_MAX = 5  # nested calls at most (a process calling one calling one …); documented


class CallKind(BaseKind):
    starts: Starts | None = None  # set by the Engine: starting the called instance is the starts' job

    async def enter(
        self, inst: Instance, cp: Compiled, step: Step, parent: str | None, now: datetime
    ) -> None:
        await self.open(inst, cp, step, parent, now, key=inst.key)

    async def open(
        self,
        inst: Instance,
        cp: Compiled,
        step: Step,
        parent: str | None,
        now: datetime,
        *,
        key: str | None,
        item: Any = None,
        dedupe: str | None = None,
    ) -> Wait | None:
        """Start the called instance and return the caller's token (None: the caller failed instead).

        ``item``, ``key`` and ``dedupe`` are a ``for_each`` item's (steps/for_each.py): the element becomes
        the called instance's ``item``, and a start repeated for the same caller, step and index returns the
        instance already running for it.
        """
        spec = step.call
        assert spec is not None and self.starts is not None
        flow = self.flow
        target = self.state.current.get(spec.process)
        problem: str | None = None
        if target is None:
            problem = f"process {spec.process!r} is not loaded"
        elif self._depth(inst) >= CALL_DEPTH_MAX:
            problem = f"calls nest deeper than {CALL_DEPTH_MAX}"
        if problem is not None or target is None:
            flow.close(inst, cp, FAILED, now, error=f"step {step.id}: {problem}")
            return None
        fields = self.ctx.templates.render_value(spec.fields, self.ctx.template_ctx(inst, cp, now))
        unknown = sorted(set(fields) - set(target.process.fields))
        if unknown:
            flow.close(
                inst,
                cp,
                FAILED,
                now,
                error=f"step {step.id}: {spec.process} has no field(s) {', '.join(unknown)}",
            )
            return None
        token = Wait(inst.next_id(), step.id, now, parent)
        if inst.waits is None:
            inst.waits = []
        inst.waits.append(token)
        flow.arm(cp, token)
        try:
            child = await self.starts.start(
                target,
                key=key,
                item=item,
                fields=fields,
                source="call",
                user=None,
                dedupe=dedupe,
                now=now,
                strict=True,
                parent=inst.id,
            )
        except Exception as err:  # noqa: BLE001 - suspended or failed to start: this step fails
            if inst.is_running and inst.token(token.id) is not None:
                flow.drop_token(inst, token)
                flow.close(inst, cp, FAILED, now, error=f"step {step.id}: {failure_text(err)}")
            return None
        assert child is not None  # strict=True raises instead
        token.child = child.id
        if not inst.is_running or inst.token(token.id) is not token:
            # the step ended (a timeout, a cancel) while its called instance was starting: cancel that too
            self._stop_child(token, self.ctx.clock.now(), "while it was starting")
            return None
        self.outbox.log(inst, now, "call_started", step=step.id, details={"instance": child.id})
        return token

    def _depth(self, inst: Instance) -> int:
        depth, current = 0, inst
        while current.parent is not None and depth <= CALL_DEPTH_MAX:
            found = self.state.instances.get(current.parent)
            if found is None:
                break
            depth, current = depth + 1, found
        return depth

    # -- the called instance ended ------------------------------------------------------------------
    async def settle(self, now: datetime) -> None:
        """Give every ended called instance's result to its caller (see the module docstring)."""
        returns = self.state.returns
        while returns:
            child_id = returns.pop(0)
            child = self.state.instances.get(child_id)
            if child is None or child.is_running or child.parent is None:
                continue
            caller = self.state.instances.get(child.parent)
            if caller is None or not caller.is_running:
                continue
            token = next((w for w in caller.waits or () if w.child == child_id), None)
            cp = self.ctx.compiled(caller)
            if token is None or cp is None:
                continue
            try:
                await self._returned(caller, cp, token, child, now)
            except Exception as err:  # noqa: BLE001 - one caller's failure never stops the others
                self.flow.fail_instance(caller, now, f"after call: {failure_text(err)}", token.step)

    async def _returned(
        self, inst: Instance, cp: Compiled, token: Wait, child: Instance, now: datetime
    ) -> None:
        step = cp.steps.get(token.step)
        self.flow.drop_token(inst, token)
        if step is None:  # a lost version's call step, the current version lacks it
            self.flow.unknown_step(inst, cp, token.step, now)
            return
        result = self._result(child)
        self.outbox.log(
            inst, now, "call_done", step=step.id, details={"instance": child.id, "status": child.status}
        )
        if step.for_each is not None:  # one item of many: the for_each kind records it and goes on
            items = cast("ForEachKind", self.flow.kinds["for_each"])
            await items.item_returned(inst, cp, token, result["outcome"], now)
            return
        if inst.results is None:
            inst.results = {}
        inst.results[step.id] = result
        if child.status == FAILED:
            self.flow.close(inst, cp, FAILED, now, error=f"step {step.id}: the called process failed")
            return
        await self.flow.step_done(inst, cp, step, token.parent, now)

    def _result(self, child: Instance) -> dict[str, Any]:
        outcome = child.status
        for entry in reversed(child.history):
            if entry.what == f"instance_{child.status}":
                if entry.details and isinstance(entry.details.get("step"), str):
                    outcome = entry.details["step"]  # closed by an end step: its id
                break
        ccp = self.ctx.compiled(child)
        pii = ccp.pii if ccp is not None else frozenset()
        data = {name: value for name, value in child.fields.items() if name not in pii}
        return {"outcome": outcome, "status": child.status, "data": data}

    # -- token life -----------------------------------------------------------------------------------
    def deadlines(self, cp: Compiled, step: Step, token: Token) -> list[datetime]:
        return []

    def restored(self, inst: Instance, cp: Compiled, step: Step, token: Token) -> None:
        # the called instance may have ended just before the restart: settle() checks and resumes
        if isinstance(token, Wait) and token.child is not None:
            self.state.returns.append(token.child)

    def cancel(self, inst: Instance, cp: Compiled, token: Token, now: datetime, reason: str) -> None:
        self._stop_child(token, now, reason)

    def expire(self, inst: Instance, cp: Compiled, token: Token, now: datetime) -> None:
        self._stop_child(token, now, "timeout")
        if inst.results is None:
            inst.results = {}
        inst.results[token.step] = {"outcome": "timeout", "status": None, "data": None}

    def _stop_child(self, token: Token, now: datetime, reason: str) -> None:
        """Cancellation flows down: the called instance (and what it called) is cancelled."""
        child_id = token.child if isinstance(token, Wait) else None
        child = self.state.instances.get(child_id) if child_id is not None else None
        if child is not None and child.is_running:
            self.flow.close(
                child,
                self.ctx.compiled(child),
                CANCELLED,
                now,
                error=f"the calling step {token.step} ended ({reason})",
                details={"reason": reason},
            )
