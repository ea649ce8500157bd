"""``wait``: for an event (optionally matching data), until a date-time, or for a delay.

The step's result (``steps.<id>``) is ``{outcome: event | time | timeout, data: <event data>}``.

Correlation: a wait with ``correlate`` (a template over the event) is reached only by events whose rendered
key equals the wait's key (``key``, rendered on entry; default the instance key). Such waits are indexed
by event type, then correlate template, then key (``EngineState.correlated``), so an event renders each
distinct correlate template once and finds its instances by key — no scan of the instances waiting.
Waits without ``correlate`` are found through ``EngineState.waiting`` and their ``match`` is checked
per instance, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from ..compiled import Compiled
from ..model import Step
from ..runtime_errors import StepError, failure_text
from ..state import Instance, Token, Wait
from ..templates import TemplateFailed
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
        elif spec.delay_template is not None:  # rendered once, on entering; the instant is kept
            seconds = self.ctx.rendered_seconds(spec.delay_template, self.ctx.template_ctx(inst, cp, now))
            until = now + timedelta(seconds=seconds)
        key: str | None = None
        if spec.event and spec.correlate is not None:
            key = self._key(inst, cp, step, now)
        wait = Wait(inst.next_id(), step.id, now, parent, until, key=key)
        if inst.waits is None:
            inst.waits = []
        inst.waits.append(wait)
        if key is not None:
            self._index(inst, step, key)
        elif spec.event:
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
        self._unindex(inst, cp, token)
        if inst.results is None:
            inst.results = {}
        inst.results[token.step] = {"outcome": "timeout", "data": None}

    def cancel(self, inst: Instance, cp: Compiled, token: Token, now: datetime, reason: str) -> None:
        self._unindex(inst, cp, token)

    def restored(self, inst: Instance, cp: Compiled, step: Step, token: Token) -> None:
        if isinstance(token, Wait) and token.key is not None:
            self._index(inst, step, token.key)
        elif step.wait is not None and step.wait.event:
            self.state.waiting.setdefault(step.wait.event, set()).add(inst.id)

    # -- correlation (see the module docstring) -----------------------------------------------------
    def _key(self, inst: Instance, cp: Compiled, step: Step, now: datetime) -> str:
        spec = step.wait
        assert spec is not None
        if spec.key is None:
            raw: Any = inst.key
        else:
            raw = self.ctx.templates.render_native(spec.key, self.ctx.template_ctx(inst, cp, now))
        if raw is None or str(raw) == "":
            raise TemplateFailed("wait: the correlation key is empty (the instance has no key; set wait.key)")
        return str(raw)

    def _index(self, inst: Instance, step: Step, key: str) -> None:
        spec = step.wait
        assert spec is not None and spec.event is not None and spec.correlate is not None
        by_template = self.state.correlated.setdefault(spec.event, {})
        by_template.setdefault(spec.correlate, {}).setdefault(key, set()).add(inst.id)

    def _unindex(self, inst: Instance, cp: Compiled, token: Token) -> None:
        if not isinstance(token, Wait) or token.key is None:
            return
        step = cp.steps.get(token.step)
        spec = step.wait if step is not None else None
        if spec is None or spec.event is None or spec.correlate is None:
            return
        by_template = self.state.correlated.get(spec.event, {})
        by_key = by_template.get(spec.correlate, {})
        ids = by_key.get(token.key)
        if ids is None:
            return
        # the entry is the instance's while another of its waits (any step) shares event, template and key
        if not any(
            w is not token and w.key == token.key and self._entry(cp, w.step) == (spec.event, spec.correlate)
            for w in inst.waits or ()
        ):
            ids.discard(inst.id)
        if not ids:
            del by_key[token.key]
            if not by_key:
                del by_template[spec.correlate]
                if not by_template:
                    del self.state.correlated[spec.event]

    @staticmethod
    def _entry(cp: Compiled, step_id: str) -> tuple[str | None, str | None]:
        """(event, correlate template) of a wait step: where its waits sit in the index."""
        step = cp.steps.get(step_id)
        spec = step.wait if step is not None else None
        return (spec.event, spec.correlate) if spec is not None else (None, None)

    def _correlated(self, event_type: str, data: Mapping[str, Any], now: datetime) -> list[tuple[str, str]]:
        """(correlate template, rendered key) for every correlate template waiting on ``event_type``."""
        out: list[tuple[str, str]] = []
        ctx: dict[str, Any] = {"event": data, "now": lambda: now.astimezone(self.ctx.tz)}
        for template in self.state.correlated.get(event_type, {}):
            try:
                raw = self.ctx.templates.render_native(template, ctx)
            except TemplateFailed:
                continue  # this event does not carry the key these waits use
            if raw is not None and str(raw) != "":
                out.append((template, str(raw)))
        return out

    async def done(
        self,
        inst: Instance,
        cp: Compiled,
        wait: Wait,
        now: datetime,
        outcome: str,
        data: dict[str, Any] | None = None,
    ) -> None:
        self._unindex(inst, cp, wait)
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
            hit, still = await self._resume_one(iid, event_type, data, now, None)
            if not still and waiting is not None:
                waiting.discard(iid)
            if hit is not None:
                out.append(hit)
        for template, key in self._correlated(event_type, data, now):
            ids = self.state.correlated.get(event_type, {}).get(template, {}).get(key)
            for iid in sorted(ids or ()):
                hit, _ = await self._resume_one(iid, event_type, data, now, (template, key))
                if hit is not None and hit not in out:
                    out.append(hit)
        return out

    async def _resume_one(
        self,
        iid: str,
        event_type: str,
        data: Mapping[str, Any],
        now: datetime,
        correlated: tuple[str, str] | None,
    ) -> tuple[Instance | None, bool]:
        """Finish the waits of one instance this event matches: (the instance if moved, still waiting).

        ``correlated``: (template, key) — only correlated waits with that key; None: only the others.
        """
        inst = self.state.instances.get(iid)
        cp = self.ctx.compiled(inst) if inst is not None else None
        if inst is None or cp is None or not inst.is_running:
            return None, False
        hit = False
        still = False
        for wait in list(inst.waits or ()):
            at = cp.steps.get(wait.step)  # None: a lost version's wait; this event cannot name it
            spec = at.wait if at is not None else None
            if spec is None or spec.event != event_type:
                continue
            if correlated is None:
                if spec.correlate is not None:
                    continue
            elif (spec.correlate, wait.key) != correlated:
                continue
            try:
                matched = self.ctx.matches(spec.match, data, self.ctx.template_ctx(inst, cp, now, event=data))
                if matched:
                    await self.done(inst, cp, wait, now, "event", dict(data))
            except Exception as err:  # noqa: BLE001 - one instance's failure never stops the others
                step = err.step if isinstance(err, StepError) else wait.step
                self.flow.fail_instance(inst, now, f"event {event_type}: {failure_text(err)}", step)
                return inst, False
            if matched:
                hit = True
            else:
                still = True
        return (inst if hit else None), still
