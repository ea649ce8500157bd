"""``steps`` as a parallel branch: the branch runs its steps in order, then reports to the parallel join.

The branch is a holder token (a ``Join`` record) like a repeat round; each inner step, once done, enters
the one after it (``Compiled.follows``), and past the last the branch itself is done. Cancelling the branch
(the join completed without it, a timeout, the instance ended) cancels its open step.
"""

from __future__ import annotations

from datetime import datetime

from ..compiled import Compiled
from ..model import Step
from ..state import Instance, Join, Token
from .base import BaseKind


class SequenceKind(BaseKind):
    async def enter(
        self, inst: Instance, cp: Compiled, step: Step, parent: str | None, now: datetime
    ) -> None:
        holder = self.flow.add_join(inst, cp, step, parent, now)
        await self.flow.enter(inst, cp, step.sequence[0].id, holder.id, now)

    async def child_done(self, inst: Instance, cp: Compiled, token: Join, child: Step, now: datetime) -> None:
        following = cp.follows.get(child.id)
        if following is not None:
            await self.flow.enter(inst, cp, following, token.id, now)
            return
        self.flow.drop_token(inst, token)
        await self.flow.step_done(inst, cp, cp.steps[token.step], token.parent, now)

    def cancel(self, inst: Instance, cp: Compiled, token: Token, now: datetime, reason: str) -> None:
        self.flow.cancel_children(inst, cp, token.id, now, reason)

    def expire(self, inst: Instance, cp: Compiled, token: Token, now: datetime) -> None:
        self.flow.cancel_children(inst, cp, token.id, now, "timeout")
