"""``end: completed | failed | cancelled``: closes the instance with that status."""

from __future__ import annotations

from datetime import datetime

from ..compiled import Compiled
from ..model import Step
from ..state import Instance
from .base import BaseKind


class EndKind(BaseKind):
    async def enter(
        self, inst: Instance, cp: Compiled, step: Step, parent: str | None, now: datetime
    ) -> None:
        assert step.end is not None
        self.flow.close(inst, cp, step.end, now, details={"step": step.id})
