"""``repeat``: a bounded loop — run ``steps`` in order, again, until ``until`` holds or ``max`` rounds ran.

The loop is a holder token (a ``Join`` record, whose ``done`` lists the finished rounds), so it is saved,
restored, timed out and cancelled like a parallel step. ``until`` is rendered after each round (the body's
results are in ``steps.<id>``); the step's own result is ``{outcome: until | max, data: {rounds: <n>}}``,
shaped like a wait's.

Rounds that finish at once (actions, skipped steps) are run one after another by :meth:`RepeatKind._rounds`
instead of each round starting the next from inside the last, so ``max`` rounds never nest ``max`` deep.
"""

from __future__ import annotations

from datetime import datetime

from ..compiled import Compiled
from ..flow import Flow
from ..model import Step
from ..state import Instance, Join, Token
from .base import BaseKind


class RepeatKind(BaseKind):
    def __init__(self, flow: Flow) -> None:
        super().__init__(flow)
        self._driving: set[str] = set()  # loops whose round is being run by _rounds right now

    async def enter(
        self, inst: Instance, cp: Compiled, step: Step, parent: str | None, now: datetime
    ) -> None:
        loop = self.flow.add_join(inst, cp, step, parent, now)
        self.outbox.log(inst, now, "repeat_started", step=step.id)
        await self._rounds(inst, cp, step, loop, now)

    async def _rounds(self, inst: Instance, cp: Compiled, step: Step, loop: Join, now: datetime) -> None:
        """Start rounds while each one finishes at once; return when one waits, or the loop ends."""
        assert step.repeat is not None
        first = step.repeat.steps[0].id
        while True:
            before = len(loop.done)
            self._driving.add(loop.id)
            try:
                await self.flow.enter(inst, cp, first, loop.id, now)
            finally:
                self._driving.discard(loop.id)
            if not inst.is_running or self.flow.join(inst, loop.id) is None or len(loop.done) == before:
                return  # the instance or the loop ended, or this round waits on a task, a wait, …
            if await self._finished(inst, cp, step, loop, now):
                return

    async def child_done(self, inst: Instance, cp: Compiled, token: Join, child: Step, now: datetime) -> None:
        following = cp.follows.get(child.id)
        if following is not None:
            await self.flow.enter(inst, cp, following, token.id, now)
            return
        token.done.append(str(len(token.done) + 1))  # the round ended
        self.state.touch(inst)
        if token.id in self._driving:
            return  # _rounds, further up this call, decides what comes next
        step = cp.steps[token.step]
        if not await self._finished(inst, cp, step, token, now):
            await self._rounds(inst, cp, step, token, now)

    async def _finished(self, inst: Instance, cp: Compiled, step: Step, loop: Join, now: datetime) -> bool:
        """After a round: close the loop and move on when ``until`` holds or ``max`` rounds ran."""
        spec = step.repeat
        assert spec is not None
        rounds = len(loop.done)
        ctx = self.ctx
        if spec.until is not None and ctx.templates.truthy(spec.until, ctx.template_ctx(inst, cp, now)):
            outcome = "until"
        elif rounds >= spec.max:
            outcome = "max"
        else:
            return False
        self.flow.drop_token(inst, loop)
        if inst.results is None:
            inst.results = {}
        inst.results[step.id] = {"outcome": outcome, "data": {"rounds": rounds}}
        self.outbox.log(
            inst, now, "repeat_done", step=step.id, details={"outcome": outcome, "rounds": rounds}
        )
        await self.flow.step_done(inst, cp, step, loop.parent, now)
        return True

    def cancel(self, inst: Instance, cp: Compiled, token: Token, now: datetime, reason: str) -> None:
        self.flow.cancel_children(inst, cp, token.id, now, reason)

    def expire(self, inst: Instance, cp: Compiled, token: Token, now: datetime) -> None:
        self.flow.cancel_children(inst, cp, token.id, now, "timeout")
