"""Defaults of the step-kind interface (:class:`flow.StepKind`) for kinds that leave no token behind."""

from __future__ import annotations

from datetime import datetime

from ..compiled import Compiled
from ..flow import Flow
from ..model import Step
from ..state import Instance, Join, Token


class BaseKind:
    """A kind that finishes on entry (choose, end, …): it has no deadlines, timers or children."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.ctx = flow.ctx
        self.state = flow.state
        self.outbox = flow.outbox

    async def enter(
        self, inst: Instance, cp: Compiled, step: Step, parent: str | None, now: datetime
    ) -> None:
        await self.flow.step_done(inst, cp, step, parent, now)

    def deadlines(self, cp: Compiled, step: Step, token: Token) -> list[datetime]:
        return []

    def business_time(self, step: Step) -> bool:
        return False

    async def on_timer(self, inst: Instance, cp: Compiled, step: Step, token: Token, now: datetime) -> bool:
        return True

    def expire(self, inst: Instance, cp: Compiled, token: Token, now: datetime) -> None:
        return None

    def cancel(self, inst: Instance, cp: Compiled, token: Token, now: datetime, reason: str) -> None:
        return None

    def restored(self, inst: Instance, cp: Compiled, step: Step, token: Token) -> None:
        return None

    async def child_done(self, inst: Instance, cp: Compiled, token: Join, child: Step, now: datetime) -> None:
        raise AssertionError(f"step {token.step} holds no steps")  # only holder kinds get children
