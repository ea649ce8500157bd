"""``action``: one call through the action port (an HA service or a connector operation).

The step's ``timeout`` bounds the call itself (asyncio), so an action times out in-process: complete and
escalate continue, fail fails the instance, goto jumps. While the call is awaited someone else may move
the instance (a cancel, a deadline): the instance's token counter (``seq``) detects it and the late
answer is dropped.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from ..compiled import Compiled
from ..model import Step
from ..runtime_errors import ActionFailed
from ..state import FAILED, Instance
from .base import BaseKind


class ActionKind(BaseKind):
    async def enter(
        self, inst: Instance, cp: Compiled, step: Step, parent: str | None, now: datetime
    ) -> None:
        spec = step.action
        assert spec is not None
        flow = self.flow
        actions = self.ctx.actions
        if actions is None:
            flow.close(inst, cp, FAILED, now, error=f"step {step.id}: no action port configured")
            return
        data = self.ctx.templates.render_value(spec.data, self.ctx.template_ctx(inst, cp, now))
        self.outbox.log(
            inst,
            now,
            "action_called",
            step=step.id,
            details={"service": spec.service, "connector": spec.connector, "call": spec.call},
        )
        seq = inst.seq  # detects that someone else moved this instance while we awaited
        call = actions.call(spec.service, spec.connector, spec.call, data)
        try:
            if step.timeout is not None:
                result = await asyncio.wait_for(call, step.timeout.after)
            else:
                result = await call
        except TimeoutError:
            await self._timeout(inst, cp, step, parent, seq)
            return
        except (ActionFailed, OSError) as err:
            if inst.is_running and inst.seq == seq:
                flow.close(inst, cp, FAILED, self.ctx.clock.now(), error=f"step {step.id}: {err}")
            return
        if not inst.is_running or inst.seq != seq:
            return
        now = self.ctx.clock.now()
        if spec.result:
            inst.update_fields({spec.result: result})
        self.outbox.log(inst, now, "action_done", step=step.id)
        await flow.step_done(inst, cp, step, parent, now)

    async def _timeout(self, inst: Instance, cp: Compiled, step: Step, parent: str | None, seq: int) -> None:
        if not inst.is_running or inst.seq != seq or step.timeout is None:
            return
        now = self.ctx.clock.now()
        tmo = step.timeout
        self.outbox.log(inst, now, "timeout", step=step.id, details={"action": tmo.action})
        self.outbox.emit("timeout", inst, step=step.id, action=tmo.action)
        if tmo.action == "fail":
            self.flow.close(inst, cp, FAILED, now, error=f"step {step.id} timed out")
        elif tmo.action == "goto" and tmo.goto:
            await self.flow.goto(inst, cp, tmo.goto, parent, now)
        else:
            if tmo.action == "escalate":
                self.outbox.emit("escalated", inst, step=step.id, reason="timeout", notify=[], reassign=None)
            await self.flow.step_done(inst, cp, step, parent, now)
