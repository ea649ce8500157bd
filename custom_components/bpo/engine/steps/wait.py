"""``wait``: for an event (optionally matching data), until a date-time, or for a delay.

The step's result (``steps.<id>``) is ``{outcome: event | time | timeout, data: <event data>}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from ..compiled import Compiled
from ..model import Step
from ..runtime_errors import StepError, failure_text
from ..state import Instance, Token, Wait
from .base import BaseKind


class WaitKind(BaseKind):
    async def enter(
        self, inst: Instance, cp: Compiled, step: Step, parent: str | None, now: datetime
    ) -> None:
        spec = step.wait
        assert spec is not None
        until: datetime | None = None
        if spec.until:
            rendered = self.ctx.templates.render_native(spec.until, self.ctx.template_ctx(inst, cp, now))
            until = self.ctx.as_datetime(rendered)
        elif spec.delay is not None:
            until = now + timedelta(seconds=spec.delay)
        wait = Wait(inst.next_id(), step.id, now, parent, until)
        if inst.waits is None:
            inst.waits = []
        inst.waits.append(wait)
        if spec.event:
            self.state.waiting.setdefault(spec.event, set()).add(inst.id)
        self.flow.arm(cp, wait)
        self.outbox.log(
            inst,
            now,
            "waiting",
            step=step.id,
            details={"event": spec.event, "until": until.isoformat() if until else None},
        )

    def deadlines(self, cp: Compiled, step: Step, token: Token) -> list[datetime]:
        assert isinstance(token, Wait)
        return [token.until] if token.until is not None else []

    async def on_timer(self, inst: Instance, cp: Compiled, step: Step, token: Token, now: datetime) -> bool:
        assert isinstance(token, Wait)
        if token.until is not None and token.until <= now:
            await self.done(inst, cp, token, now, "time")
            return False
        return True

    def expire(self, inst: Instance, cp: Compiled, token: Token, now: datetime) -> None:
        if inst.results is None:
            inst.results = {}
        inst.results[token.step] = {"outcome": "timeout", "data": None}

    def restored(self, inst: Instance, cp: Compiled, step: Step, token: Token) -> None:
        if step.wait is not None and step.wait.event:
            self.state.waiting.setdefault(step.wait.event, set()).add(inst.id)

    async def done(
        self,
        inst: Instance,
        cp: Compiled,
        wait: Wait,
        now: datetime,
        outcome: str,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.flow.drop_token(inst, wait)
        if inst.results is None:
            inst.results = {}
        inst.results[wait.step] = {"outcome": outcome, "data": data}
        self.outbox.log(inst, now, "wait_done", step=wait.step, details={"outcome": outcome})
        await self.flow.step_done(inst, cp, cp.steps[wait.step], wait.parent, now)

    async def resume(self, event_type: str, data: Mapping[str, Any], now: datetime) -> list[Instance]:
        """Finish the waits this event matches; returns the instances it moved."""
        out: list[Instance] = []
        waiting = self.state.waiting.get(event_type)
        for iid in sorted(waiting or ()):
            inst = self.state.instances.get(iid)
            cp = self.ctx.compiled(inst) if inst is not None else None
            if inst is None or cp is None or not inst.is_running:
                if waiting is not None:
                    waiting.discard(iid)
                continue
            hit = False
            still = False
            for wait in list(inst.waits or ()):
                spec = cp.steps[wait.step].wait
                if spec is None or spec.event != event_type:
                    continue
                try:
                    matched = self.ctx.matches(
                        spec.match, data, self.ctx.template_ctx(inst, cp, now, event=data)
                    )
                    if matched:
                        await self.done(inst, cp, wait, now, "event", dict(data))
                except Exception as err:  # noqa: BLE001 - one instance's failure never stops the others
                    step = err.step if isinstance(err, StepError) else wait.step
                    self.flow.fail_instance(inst, now, f"event {event_type}: {failure_text(err)}", step)
                    hit = True
                    break
                if matched:
                    hit = True
                else:
                    still = True
            if not still and waiting is not None:
                waiting.discard(iid)
            if hit:
                out.append(inst)
        return out
