"""``parallel``: start every branch; the join completes when all / any / ``join_n`` branches are done.

The still-open branches are then cancelled. A timed-out parallel step cancels its branches too.
"""

from __future__ import annotations

from datetime import datetime

from ..compiled import Compiled
from ..model import Step
from ..state import Instance, Join, Token
from .base import BaseKind


def needed(step: Step) -> int:
    """How many branches must finish before the join completes."""
    if step.join == "any":
        return 1
    if step.join == "n_of_m" and step.join_n > 0:
        return min(step.join_n, len(step.parallel))
    return len(step.parallel)


class ParallelKind(BaseKind):
    async def enter(
        self, inst: Instance, cp: Compiled, step: Step, parent: str | None, now: datetime
    ) -> None:
        join = self.flow.add_join(inst, cp, step, parent, now)
        self.outbox.log(inst, now, "parallel_started", step=step.id)
        for branch in step.parallel:
            if not inst.is_running or self.flow.join(inst, join.id) is None:
                break  # the join already completed (join: any) or the instance ended
            await self.flow.enter(inst, cp, branch.id, join.id, now)

    async def child_done(self, inst: Instance, cp: Compiled, token: Join, child: Step, now: datetime) -> None:
        if child.id not in token.done:
            token.done.append(child.id)
        self.state.touch(inst)
        pstep = cp.steps[token.step]
        if len(token.done) >= needed(pstep):
            self.flow.cancel_children(inst, cp, token.id, now, "join")
            self.flow.drop_token(inst, token)
            self.outbox.log(inst, now, "joined", step=token.step, details={"done": list(token.done)})
            await self.flow.step_done(inst, cp, pstep, token.parent, now)

    def cancel(self, inst: Instance, cp: Compiled, token: Token, now: datetime, reason: str) -> None:
        self.flow.cancel_children(inst, cp, token.id, now, reason)

    def expire(self, inst: Instance, cp: Compiled, token: Token, now: datetime) -> None:
        self.flow.cancel_children(inst, cp, token.id, now, "timeout")
