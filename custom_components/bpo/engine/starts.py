"""Starting instances: schedules with fan-out, event starts, manual starts, limits, idempotency.

Idempotency: every start may carry a dedupe key. Schedule starts use ``"<key>@<tick>"`` (tick in UTC),
so a tick re-fired after a crash returns the instances it already created; that id is derived from the
instance key and the shared tick id (``Instance.dedupe_key``), never stored per instance. Manual and event
starts use the instance key: while an instance with that key is running, starting it again returns it.

Catch-up after downtime (``process.catch_up``): each schedule remembers its last fired tick (meta
cursor). ``fire`` fires only the MOST RECENT missed tick, once and late; older missed ticks are not
replayed. ``skip`` fires nothing that is more than ``GRACE`` late and moves the cursor on. A schedule
seen for the first time starts counting from now (no back-fill).

Limits: more than ``limits.max_starts`` starts within ``limits.window`` seconds suspends the process
(no more starts of any kind, ``blueprint_suspended`` emitted once, recorded in meta); running instances
carry on. ``Engine.resume(process)`` lifts it.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from .compiled import Compiled
from .cron import CronSchedule
from .field_values import MAX_NAME, check_values
from .flow import Flow
from .model import EventStart, ManualStart, ScheduleStart
from .outbox import mask
from .rights import RIGHTS, render_rights
from .runtime_errors import BlueprintSuspended, InvalidForm, StartFailed, failure_text
from .state import COMPLETED, NO_FIELDS, Instance
from .templates import TemplateFailed, is_template
from .timers import Timer

GRACE = timedelta(minutes=5)  # a tick handled within this of its time is on time, not "missed"
FAN_OUT_BATCH = 100  # instances per commit of a schedule fan-out
SCHEDULE_PREFIX = "s|"


class Starts:
    """Start handling over the shared state; see the module docstring."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.ctx = flow.ctx
        self.state = flow.state
        self.outbox = flow.outbox
        self._crons: dict[str, CronSchedule] = {}

    def cron(self, expr: str) -> CronSchedule:
        sched = self._crons.get(expr)
        if sched is None:
            sched = self._crons[expr] = CronSchedule.parse(expr, self.ctx.tz)
        return sched

    # -- schedules ------------------------------------------------------------------------------------
    def schedule_keys(self) -> dict[str, tuple[Compiled, ScheduleStart]]:
        out: dict[str, tuple[Compiled, ScheduleStart]] = {}
        for proc, cp in self.state.current.items():
            for i, start in enumerate(cp.process.starts):
                if isinstance(start, ScheduleStart):
                    out[f"{SCHEDULE_PREFIX}{proc}|{i}|{start.cron}"] = (cp, start)
        return out

    def arm_schedules(self, now: datetime) -> None:
        """(Re)arm one timer per schedule start at its next tick after the cursor."""
        wanted = self.schedule_keys()
        for key in [k for k in self.state.armed if k not in wanted]:
            self.state.timers.cancel(key)
        for key, (_cp, start) in wanted.items():
            cursor = self.state.meta.cursors.get(key)
            if cursor is None:
                cursor = self.state.meta.cursors[key] = now.isoformat()
                self.state.meta_dirty = True
            when = self.cron(start.cron).next_after(datetime.fromisoformat(cursor))
            self.state.timers.schedule(Timer(key, when, "cron"))
        self.state.armed = set(wanted)

    async def fire_schedule(self, key: str, now: datetime) -> None:
        found = self.schedule_keys().get(key)
        if found is None:
            return
        cp, start = found
        sched = self.cron(start.cron)
        latest = sched.last_at_or_before(now)
        cursor = datetime.fromisoformat(self.state.meta.cursors.get(key, now.isoformat()))
        self.state.timers.schedule(Timer(key, sched.next_after(now), "cron"))
        if latest is None or latest <= cursor:
            return
        if now - latest <= GRACE or cp.process.catch_up != "skip":
            await self.fan_out(cp, start, latest, now)
        # Only now: a fan-out committed in batches and cut short by a crash fires again on restart, and
        # the per-tick index answers the items it already started (no duplicates, none missing).
        self.state.meta.cursors[key] = latest.isoformat()
        self.state.meta_dirty = True

    async def fan_out(self, cp: Compiled, start: ScheduleStart, tick: datetime, now: datetime) -> None:
        base: dict[str, Any] = {"now": lambda: now.astimezone(self.ctx.tz), "inputs": cp.inputs, "item": None}
        items = self.ctx.templates.render_native(start.for_each, base)
        if items is None:
            items = [None]
        elif isinstance(items, str | bytes) or not isinstance(items, list | tuple):
            items = [items]
        tick_id = tick.strftime("%Y%m%dT%H%MZ")
        render = self.ctx.templates.render_str
        for done, item in enumerate(items):
            if done and done % FAN_OUT_BATCH == 0:
                # Commit what is started and let the event loop run: 10k starts are 100 short steps,
                # never one long stall of Home Assistant.
                await self.outbox.commit()
                await asyncio.sleep(0)
            ctx = {**base, "item": item} if start.key or start.fields else base
            key = render(start.key, ctx) if start.key else (tick_id if item is None else str(item))
            fields = self.ctx.templates.render_value(start.fields, ctx) if start.fields else None
            inst = await self.start(
                cp,
                key=key,
                item=item,
                fields=fields,
                source="schedule",
                user=None,
                dedupe=None,
                now=now,
                strict=False,
                tick=tick_id,
            )
            if inst is None and cp.process.key in self.state.meta.suspended:
                break  # suspended by the limit: stop this fan-out

    # -- starting -------------------------------------------------------------------------------------
    def _admit(self, cp: Compiled, now: datetime) -> bool:
        proc = cp.process.key
        if proc in self.state.meta.suspended:
            return False
        lim = cp.process.limits
        if lim.max_starts is None:
            return True
        window = self.state.meta.windows.setdefault(proc, [])
        stamp = now.timestamp()
        drop = bisect_right(window, stamp - lim.window)
        if drop:
            del window[:drop]
        self.state.meta_dirty = True
        if len(window) >= lim.max_starts:
            self.state.meta.suspended[proc] = now.isoformat()
            self.outbox.emit(
                "blueprint_suspended",
                None,
                process=proc,
                max_starts=lim.max_starts,
                window=lim.window,
                at=now.isoformat(),
            )
            return False
        window.append(stamp)
        return True

    async def start(
        self,
        cp: Compiled,
        *,
        key: str | None,
        item: Any,
        fields: Mapping[str, Any] | None,
        source: str,
        user: str | None,
        dedupe: str | None,
        now: datetime,
        strict: bool,
        tick: str | None = None,
        parent: str | None = None,
    ) -> Instance | None:
        """``parent``: the calling instance of a ``call`` step (steps/call.py)."""
        proc = cp.process.key
        found: str | None = None
        if tick is not None:
            found = self.state.ticks.get((proc, tick), {}).get(key)
        elif dedupe is not None:
            found = self.state.dedupe.get(proc, {}).get(dedupe)
        if found is not None:
            existing = self.state.instances.get(found)
            if existing is not None and (existing.is_running or existing.source == "schedule"):
                return existing
        if not self._admit(cp, now):
            if strict:
                raise BlueprintSuspended(
                    f"process {proc!r} is suspended (start limit reached); resume it first"
                )
            return None
        self.state.meta.counter += 1
        self.state.meta_dirty = True
        data: dict[str, Any] = {}  # replaced by the shared NO_FIELDS below when it stays empty
        for start in cp.process.starts:
            if isinstance(start, ManualStart) and source not in ("schedule", "event"):
                data.update(start.fields)
        for name, fdef in cp.process.fields.items():
            if fdef.default is not None:
                data.setdefault(name, fdef.default)
        if fields:
            data.update(fields)
        inst = Instance(
            f"i{self.state.meta.counter}",
            proc,
            cp.process.version,
            key,
            now,
            item=item,
            fields=data or NO_FIELDS,
            source=source,
            user=user,
            dedupe=dedupe,
            tick=tick,
            parent=parent,
        )
        self._register(inst)
        self.outbox.log(inst, now, "instance_started", who=user, source=source)
        self._render_rights(inst, cp, now)
        # an event start's item is the event's whole data, and a called for_each item comes from the
        # caller's data: either may carry personal data no field marks, so the bus event names only a
        # schedule fan-out's plain item (a person); the data stays with the instance
        shown = None if isinstance(item, Mapping) or source == "call" else item
        self.outbox.emit("instance_started", inst, source=source, by=user, item=shown, fields=mask(cp, data))
        try:
            if cp.first is None:
                self.flow.close(inst, cp, COMPLETED, now)
            else:
                await self.flow.enter(inst, cp, cp.first, None, now)
        except Exception as err:  # a start that fails part-way leaves nothing behind
            self._forget(inst)
            reason = failure_text(err)
            if strict:
                raise StartFailed(f"process {proc!r} could not start: {reason}") from err
            self.outbox.emit("start_failed", None, process=proc, key=key, source=source, error=reason)
            return None
        return inst

    def _refused(self, process: str, reason: str) -> None:
        """An event start dropped for its data: the event (and so a Repairs issue) names field, not value."""
        self.outbox.emit("start_failed", None, process=process, key=None, source="event", error=reason)

    def _render_rights(self, inst: Instance, cp: Compiled, now: datetime) -> None:
        """Templated ``viewers``/``pii_cleared`` entries, rendered once and kept (rights.py). A failed
        entry grants nothing and is reported by its list and index (its value may be personal data)."""
        if not any(is_template(e) for key in RIGHTS for e in getattr(cp.process, key)):
            return
        ctx = self.ctx.template_ctx(inst, cp, now)
        inst.rights, failed = render_rights(cp.process, lambda src: self.ctx.templates.render_str(src, ctx))
        for key, index in failed:
            entry = f"{key}[{index}]"
            self.outbox.log(inst, now, "rights_invalid", details={"entry": entry})
            self.outbox.emit("rights_invalid", inst, key=None, step=None, error=f"{entry} rendered no name")

    def _forget(self, inst: Instance) -> None:
        """Undo :meth:`_start` of ``inst``: no record, index entry, timer, open task or event of it stays."""
        # a call step of this start already started its called instance (and that one maybe another): undo
        # them too, or they would run on for a caller that never existed. Its wait names the child (set as
        # soon as the child's start returns), so no scan of every instance per failed start.
        for wait in list(inst.waits or ()):
            child = self.state.instances.get(wait.child) if wait.child is not None else None
            if child is not None:
                self._forget(child)
        self.state.instances.pop(inst.id, None)
        self.state.dirty.discard(inst.id)
        for tok in inst.tokens():
            self.state.timers.discard(tok.id)
            self.state.open.pop(tok.id, None)
        for waiting in self.state.waiting.values():
            waiting.discard(inst.id)
        if any(wait.key is not None for wait in inst.waits or ()):  # correlated waits (steps/wait.py)
            for by_template in self.state.correlated.values():
                for by_key in by_template.values():
                    for ids in by_key.values():
                        ids.discard(inst.id)
        if inst.tick is not None:
            self.state.ticks.get((inst.process, inst.tick), {}).pop(inst.key, None)
        elif inst.dedupe is not None and self.state.dedupe.get(inst.process, {}).get(inst.dedupe) == inst.id:
            del self.state.dedupe[inst.process][inst.dedupe]
        self.outbox.drop_events_of(inst.id)

    def _register(self, inst: Instance) -> None:
        self.state.instances[inst.id] = inst
        self.state.index(inst)
        self.state.dirty.add(inst.id)

    # -- events ---------------------------------------------------------------------------------------
    async def event_starts(
        self, event_type: str, data: Mapping[str, Any], now: datetime, *, strict: bool = False
    ) -> list[Instance]:
        """Start every process an event of ``event_type`` starts.

        Each start's key and fields are rendered and checked (``field_values``: declared types, sizes)
        before any instance is made. A start whose data do not fit is dropped with a ``start_failed``
        event naming the field and what it expects, never the value; ``strict`` (the signed webhook, whose
        sender can correct and resend) refuses the whole event instead, so nothing of it is stored."""
        planned: list[tuple[Compiled, str | None, dict[str, Any] | None]] = []
        refused: list[str] = []
        for cp in list(self.state.current.values()):
            for start in cp.process.starts:
                if not isinstance(start, EventStart) or start.event != event_type:
                    continue
                ctx: dict[str, Any] = {
                    "event": data,
                    "now": lambda: now.astimezone(self.ctx.tz),
                    "inputs": cp.inputs,
                    "item": dict(data),
                }
                # a template of this start that fails drops this start only: the event still reaches the
                # other processes' starts and the instances waiting for it
                try:
                    if not self.ctx.matches(start.match, data, ctx):
                        continue
                    key = (
                        self.ctx.templates.render_str(start.key, ctx)
                        if start.key
                        else (str(data["id"]) if data.get("id") is not None else None)
                    )
                    fields = self.ctx.templates.render_value(start.fields, ctx) if start.fields else None
                    planned.append((cp, key, _checked(cp, key, fields)))
                except (ValueError, TemplateFailed) as err:
                    reason = f"process {cp.process.key!r}: {err}"
                    refused.append(reason)
                    if not strict:
                        self._refused(cp.process.key, reason)
        if refused and strict:
            raise InvalidForm("; ".join(refused))
        out: list[Instance] = []
        for cp, key, fields in planned:
            inst = await self.start(
                cp,
                key=key,
                item=dict(data),
                fields=fields,
                source="event",
                user=None,
                dedupe=key,
                now=now,
                strict=False,
            )
            if inst is not None:
                out.append(inst)
        return out


def _checked(cp: Compiled, key: str | None, fields: Any) -> dict[str, Any] | None:
    """An event start's key and rendered fields as ``field_values`` checks them; ValueError otherwise."""
    if key is not None and len(key) > MAX_NAME:
        raise ValueError(f"key: expected at most {MAX_NAME} characters")
    if not fields:
        return None
    return check_values(fields, cp.process.fields, "fields")
