"""``action``: one call through the action port (an HA service or a connector operation).

The step's ``timeout`` bounds the call itself (asyncio), so an action times out in-process: complete and
escalate continue, fail fails the instance, goto jumps. While the call is awaited someone else may move
the instance (a cancel, a deadline, a goto): then the late answer is dropped. At the top level the
instance's token counter (``seq``) tells; inside a holder (a parallel branch, a repeat) the other branches
move on meanwhile, so there the answer counts while the holder's join is still there.
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
        seq = inst.seq  # with ``parent``, detects that someone else moved this instance while we awaited
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
            if self._awaited(inst, parent, seq):
                flow.close(inst, cp, FAILED, self.ctx.clock.now(), error=f"step {step.id}: {err}")
            return
        if not self._awaited(inst, parent, seq):
            return
        now = self.ctx.clock.now()
        if spec.result:
            inst.update_fields({spec.result: result})
        self.outbox.log(inst, now, "action_done", step=step.id)
        await flow.step_done(inst, cp, step, parent, now)

    def _awaited(self, inst: Instance, parent: str | None, seq: int) -> bool:
        """Whether the flow still waits for this action's answer."""
        if not inst.is_running:
            return False
        if parent is None:
            return inst.seq == seq  # nothing else runs beside a top-level step: any new token moved it
        return self.flow.join(inst, parent) is not None  # its holder was not cancelled or finished

    async def _timeout(self, inst: Instance, cp: Compiled, step: Step, parent: str | None, seq: int) -> None:
        if not self._awaited(inst, parent, seq) or step.timeout is None:
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
