"""``choose``: the first option whose ``when`` is true jumps (goto); else ``default``, else the next step."""

from __future__ import annotations

from datetime import datetime

from ..compiled import Compiled
from ..model import Step
from ..state import Instance
from .base import BaseKind


class ChooseKind(BaseKind):
    async def enter(
        self, inst: Instance, cp: Compiled, step: Step, parent: str | None, now: datetime
    ) -> None:
        ctx = self.ctx.template_ctx(inst, cp, now)
        target = step.default
        for option in step.choose:
            if self.ctx.templates.truthy(option.when, ctx):
                target = option.goto
                break
        self.outbox.log(inst, now, "chose", step=step.id, details={"goto": target})
        if target is None:
            await self.flow.step_done(inst, cp, step, parent, now)
            return
        await self.flow.goto(inst, cp, target, parent, now)
