"""Ports: the only ways the engine touches the outside world.

The HA layer, the CLI simulator and the tests each supply their own
implementations; the engine never imports Home Assistant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol


class Clock(Protocol):
    """Aware 'now' in UTC. Timers are armed by the runtime, not the clock."""

    def now(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class EngineEvent:
    """Something that happened; the HA layer fires it as ``bpo_<type>``."""

    type: str  # instance_started, task_created, task_completed, task_reminded, escalated,
    # timeout, instance_completed, blueprint_suspended, task_reassigned, instance_cancelled
    data: dict[str, Any] = field(default_factory=dict)


class EventSink(Protocol):
    """Receives the events of each commit, after the commit is durable.

    A sink may also offer ``flush()``: called once after each commit's events, so a view can apply a
    whole batch (a fan-out, a tick) at once instead of once per event.
    """

    def emit(self, event: EngineEvent) -> None: ...


class ActionPort(Protocol):
    """Performs a step's outbound call; returns a JSON-able result."""

    async def call(
        self, service: str | None, connector: str | None, op: str | None, data: Mapping[str, Any]
    ) -> Any: ...


class Directory(Protocol):
    """People and groups, so templates can say ``supervisor_of(item)``."""

    def supervisor_of(self, who: str) -> str | None: ...

    def members(self, group: str) -> list[str]: ...

    def groups_of(self, who: str) -> list[str]: ...


class BusinessCalendar(Protocol):
    """Working time: adds working seconds to an instant."""

    def add(self, start: datetime, seconds: float) -> datetime: ...


# -- host calendars (wt-time) ----------------------------------------------------------------------
class ClosedDays(Protocol):
    """Days a host source says are closed (a Home Assistant Workday sensor): a process calendar's
    ``closed_from``. None: the source does not know that day (not fetched yet, outside its window)."""

    def closed(self, source: str, day: date) -> bool | None: ...


# -- end host calendars --------------------------------------------------------------------------------


class StateStore(Protocol):
    """Durable engine state, one record per instance plus one meta record.

    Writes must be durable when the awaitable returns (acknowledged work). A store may also offer
    ``async commit(records, meta)`` (records: id -> record, or None to delete; meta: the meta record
    or None when unchanged): the engine then writes each operation's changes in that one call, and
    the store must make them durable together, so that no crash can keep an instance but lose the id
    counter that allocated it (or the reverse).
    """

    async def save_instance(self, instance_id: str, data: Mapping[str, Any]) -> None: ...

    async def delete_instance(self, instance_id: str) -> None: ...

    async def save_meta(self, data: Mapping[str, Any]) -> None: ...

    async def load(self) -> tuple[Mapping[str, Any] | None, Iterable[Mapping[str, Any]]]: ...
