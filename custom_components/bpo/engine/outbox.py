"""History lines, queued events and the commit that saves before it announces.

Persist-before-announce: mutations mark instances dirty and queue events in the state's outbox;
:meth:`Outbox.commit` saves the dirty records and the meta record first and only then emits the events.
A crash between the two therefore re-fires nothing: the record already says the deadline fired.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .compiled import BULK, Compiled, paused_gc
from .enginestate import EngineState
from .history import HistoryEntry
from .model import Process
from .pii_guard import KEYS as PII_KEYS
from .pii_guard import guard_event, mask_values
from .ports import EngineEvent, EventSink, StateStore
from .state import Instance, Task

MASK = "***"
EMIT_SLICE = 25  # events announced per turn of the host's loop (each slice is one view update)


def mask(cp: Compiled | None, data: Mapping[str, Any] | None) -> dict[str, Any]:
    """``data`` with the process's PII fields replaced by ``***`` (events never carry PII).

    Without the blueprint version (its file and kept source are both gone) nobody can tell which fields
    are personal data, so every value is masked."""
    if not data:
        return {}
    if cp is None:
        return {k: (MASK if v is not None else v) for k, v in data.items()}
    pii = cp.pii
    return {k: (MASK if k in pii and v is not None else v) for k, v in data.items()}


class Outbox:
    """Writes history, queues events, commits; see the module docstring."""

    def __init__(self, state: EngineState, store: StateStore, events: EventSink) -> None:
        self.state = state
        self.store = store
        self.events = events
        # A store may declare ``persistent = False`` (NullStore): then records are not even serialised.
        self._persist = bool(getattr(store, "persistent", True))
        self._lines: dict[tuple[Any, ...], HistoryEntry] = {}  # shared history lines (see log)

    def log(
        self,
        inst: Instance,
        now: datetime,
        what: str,
        *,
        who: str | None = None,
        source: str = "engine",
        step: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        if details is None:
            # Frozen entries are shared: a fan-out logs the same line for every instance it starts.
            key = (now, what, who, source, step)
            entry = self._lines.get(key)
            if entry is None:
                if len(self._lines) > 256:
                    self._lines.clear()
                entry = self._lines[key] = HistoryEntry(now, what, who, source, step)
        else:
            entry = HistoryEntry(now, what, who, source, step, details)
        inst.history.append(entry)
        self.state.dirty.add(inst.id)

    def emit(
        self,
        kind: str,
        inst: Instance | None,
        *,
        process: str | None = None,
        task: Task | None = None,
        step: str | None = None,
        **extra: Any,
    ) -> None:
        """Queue an event; payload keys are stable (documented in runtime.py)."""
        data: dict[str, Any] = {
            "process": inst.process if inst is not None else process,
            "instance_id": inst.id if inst is not None else None,
            "key": inst.key if inst is not None else None,
            "task_id": task.id if task is not None else None,
            "step": task.step if task is not None else step,
            "assignee": task.assignee if task is not None else None,
            "group": task.group if task is not None else None,
            "outcome": task.outcome if task is not None else None,
        }
        data.update(extra)
        if not PII_KEYS.isdisjoint(extra):  # one PII rule for every event (see pii_guard)
            guard_event(kind, data, self._process_of(inst, data["process"]))
        if inst is not None and isinstance(error := extra.get("error"), str) and error:
            data["error"] = mask_values(error, inst.fields, self._process_of(inst, data["process"]))
        self.state.outbox.append(EngineEvent(kind, data))

    def _process_of(self, inst: Instance | None, key: str | None) -> Process | None:
        """The blueprint version an event is about: the instance's own, else the current one."""
        cp = self.state.versions.get((inst.process, inst.version)) if inst is not None else None
        if cp is None:
            cp = self.state.current.get(key or "")
        return cp.process if cp is not None else None

    def drop_events_of(self, instance_id: str) -> None:
        """Unsend the queued events of an instance whose start is being undone."""
        state = self.state
        state.outbox = [event for event in state.outbox if event.data.get("instance_id") != instance_id]

    async def commit(self) -> None:
        state = self.state
        dirty, state.dirty = state.dirty, set()
        for iid in dirty:
            state.stats.update(iid, state.instances.get(iid))
        meta_dirty, state.meta_dirty = state.meta_dirty, False
        if self._persist and (dirty or meta_dirty):
            await self.save(sorted(dirty), state.meta.to_dict() if meta_dirty else None)
        outbox, state.outbox = state.outbox, []
        flush = getattr(self.events, "flush", None)
        for first in range(0, len(outbox), EMIT_SLICE):
            if first:
                # a big commit (a fan-out batch) is announced in slices with the host's loop running
                # between them: the records are durable already, only the telling is spread out
                await asyncio.sleep(0)
            for event in outbox[first : first + EMIT_SLICE]:
                self.events.emit(event)
            if flush is not None:
                flush()  # one slice of changes: the HA layer updates what it concerns, once

    async def save_all(self) -> None:
        """Write every instance record and the meta record through the store (full snapshot)."""
        await self.save(list(self.state.instances), self.state.meta.to_dict())
        self.state.meta_dirty = False

    async def save(self, ids: list[str], meta: dict[str, Any] | None) -> None:
        """Serialise ``ids`` and save them with ``meta`` (when given).

        A store with ``commit`` gets records and meta in one call, durable together: an instance and
        the id counter that allocated it can never be split by a crash (see StateStore.commit).
        """
        instances = self.state.instances
        with paused_gc(len(ids) > BULK):
            records = {iid: inst.to_dict() for iid in ids if (inst := instances.get(iid)) is not None}
        commit = getattr(self.store, "commit", None)
        if commit is not None:
            await commit(records, meta)
            return
        save_many = getattr(self.store, "save_many", None)
        if save_many is not None:
            await save_many(records)
        else:
            for iid, record in records.items():
                await self.store.save_instance(iid, record)
        if meta is not None:
            await self.store.save_meta(meta)
