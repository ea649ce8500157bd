"""One "Schedule" calendar: upcoming scheduled starts, task deadlines and on-site visits.

Calendar events need a duration, while starts and deadlines are points in time. A scheduled start is shown
as the ``EVENT_LENGTH`` after it; a deadline as the ``EVENT_LENGTH`` ending at it, so "calendar event
started" automations fire shortly before a task is due. A visit (a task's ``visit:`` appointment) has its
own length (``visit_duration``) and shows as the task's title at the task's location while the task is
open. Paused (suspended) blueprints show no starts.
"""

from __future__ import annotations

import heapq
from dataclasses import replace
from datetime import datetime, timedelta

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.loader import async_get_integration
from homeassistant.util import dt as dt_util

from . import BpoConfigEntry
from .const import DOMAIN, SIGNAL_CALENDAR
from .engine.model import Blueprint
from .engine.pii_taint import MASK, public_title, shown_description, task_taint
from .engine.runtime import Upcoming
from .engine.state import Task
from .entity import BpoEntity, hub_device_info
from .manager import BpoManager

PARALLEL_UPDATES = 0
EVENT_LENGTH = timedelta(minutes=30)
# Starts listed per schedule in one request: an every-minute schedule would otherwise be 44,640 events a
# month, built on the event loop. The entity state is not affected (it reads the next start directly).
MAX_STARTS = 500


async def async_setup_entry(
    hass: HomeAssistant,
    entry: BpoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    version = (await async_get_integration(hass, DOMAIN)).version
    async_add_entities([BpoScheduleCalendar(entry.runtime_data.manager, str(version) if version else None)])


def _who(entry: Upcoming, manager: BpoManager) -> list[str]:
    if entry.assignee:
        return [f"Assignee: {entry.assignee}"]
    if entry.task_id and (task := manager.engine.task(entry.task_id)) is not None and task.group:
        return [f"Queue: {task.group}"]
    return []


def _version(manager: BpoManager, task: Task | None) -> Blueprint | None:
    """The blueprint version ``task``'s instance runs on: the one whose templates rendered its title,
    location and description (a reload may have changed them since)."""
    instance = manager.engine.instance(task.instance_id) if task is not None else None
    return manager.engine.version_of(instance) if instance is not None else None


def _visit(entry: Upcoming, manager: BpoManager, process_name: str) -> CalendarEvent:
    lines = [f"Visit: {entry.title}", f"Process: {process_name}", *_who(entry, manager)]
    task = manager.engine.task(entry.task_id) if entry.task_id else None
    blueprint = _version(manager, task)
    if task is not None and blueprint is not None:
        try:
            spec = blueprint.process.step(task.step).task
        except KeyError:
            spec = None
        # everyone may read the calendar: a description that reads personal data is masked
        if spec is not None and (text := shown_description(blueprint.process, spec, task.description, False)):
            lines.append(text)
    return CalendarEvent(
        start=dt_util.as_local(entry.at),
        end=dt_util.as_local(entry.end or entry.at + EVENT_LENGTH),
        summary=entry.title,
        description="\n".join(lines),
        location=entry.location,
        uid=f"visit_{entry.task_id}",
    )


def _public(entry: Upcoming, manager: BpoManager) -> Upcoming:
    """The entry as anyone may see it: the calendar is one entity for every user (and its state attributes
    reach the recorder), so a title or location rendered from a PII field is masked for all."""
    task = manager.engine.task(entry.task_id) if entry.task_id else None
    if task is None:
        return entry
    blueprint = _version(manager, task)
    process = blueprint.process if blueprint is not None else None
    location = entry.location
    if location and task_taint(process, task.step).visit_location:
        location = MASK
    return replace(entry, title=public_title(process, task.step, entry.title), location=location)


def _event(entry: Upcoming, manager: BpoManager) -> CalendarEvent:
    entry = _public(entry, manager)
    blueprint = manager.engine.blueprint(entry.process)
    process_name = blueprint.name if blueprint is not None and blueprint.name else entry.process
    if entry.kind == "visit":
        return _visit(entry, manager, process_name)
    if entry.kind == "due":
        start, end = entry.at - EVENT_LENGTH, entry.at
        lines = [f"Due: {entry.title}", f"Process: {process_name}", *_who(entry, manager)]
        summary = f"Due: {entry.title}"
        uid = f"due_{entry.task_id}"
    else:
        start, end = entry.at, entry.at + EVENT_LENGTH
        lines = [f"Scheduled start of {process_name}", f"Process: {entry.process}"]
        summary = f"Start: {process_name}"
        uid = f"start_{entry.process}_{entry.at.isoformat()}"
    return CalendarEvent(
        start=dt_util.as_local(start),
        end=dt_util.as_local(end),
        summary=summary,
        description="\n".join(lines),
        uid=uid,
    )


class BpoScheduleCalendar(BpoEntity, CalendarEntity):
    """Scheduled starts of every blueprint, due dates and visits of open tasks.

    The state (the current or next event) comes from an index, not from listing a window: the next start
    of each schedule, plus a heap of the due and visit events of open tasks, fed by the tasks each commit
    touched and cleaned lazily (an entry whose task closed or moved is dropped when it reaches the top).
    ``async_get_events`` builds the events of the asked range only, listing at most ``MAX_STARTS`` starts
    per schedule.
    """

    _attr_translation_key = "schedule"
    _attr_unique_id = "schedule"

    def __init__(self, manager: BpoManager, version: str | None) -> None:
        super().__init__(manager)
        self._attr_device_info = hub_device_info(version)
        self._next: CalendarEvent | None = None
        self._winner: tuple[object, ...] | None = None  # what _next was built from
        self._heap: list[tuple[datetime, datetime, str, str]] = []  # (start, end, task id, kind)
        # The next start of every schedule, kept until the earliest of them has ended (or schedules change).
        self._starts: list[Upcoming] | None = None
        self._starts_until: datetime | None = None

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(async_dispatcher_connect(self.hass, SIGNAL_CALENDAR, self._on_changes))

    @property
    def event(self) -> CalendarEvent | None:
        """The current or next event; once it has ended, the one after it.

        HA's calendar base class re-writes the state when the event starts and ends (and reads this
        property to do so), so looking again here keeps the state moving without overriding the
        state write, which HA made final.
        """
        if self._next is not None and dt_util.now() >= self._next.end_datetime_local:
            self._next = self._compute_next()
        return self._next

    def _push(self, task_id: str) -> None:
        for entry in self.manager.engine.task_entries(task_id):
            start, end = _span(entry)
            heapq.heappush(self._heap, (start, end, task_id, entry.kind))

    def _valid(self, top: tuple[datetime, datetime, str, str], now: datetime) -> bool:
        start, end, task_id, kind = top
        if end <= now:
            return False
        return any(
            e.kind == kind and _span(e) == (start, end) for e in self.manager.engine.task_entries(task_id)
        )

    def _next_starts(self, now: datetime) -> list[Upcoming]:
        if self._starts is None or (self._starts_until is not None and now >= self._starts_until):
            self._starts = self.manager.engine.next_starts(now - EVENT_LENGTH)
            self._starts_until = min((e.at + EVENT_LENGTH for e in self._starts), default=None)
        return self._starts

    def _compute_next(self, changed: frozenset[str] = frozenset()) -> CalendarEvent | None:
        """The current or next event; rebuilt only when another entry wins or the winner's task changed."""
        now = dt_util.utcnow()
        while self._heap and not self._valid(self._heap[0], now):
            heapq.heappop(self._heap)
        best: Upcoming | None = None
        best_start: datetime | None = None
        for entry in self._next_starts(now):
            start = _span(entry)[0]
            if best_start is None or start < best_start:
                best, best_start = entry, start
        winner: tuple[object, ...] | None = ("start", best.at, best.process) if best is not None else None
        if self._heap and (best_start is None or self._heap[0][0] < best_start):
            winner = self._heap[0]
        if winner == self._winner and not (winner and winner[2] in changed):
            return self._next
        self._winner = winner
        if winner is not None and winner[0] != "start":
            _, _, task_id, kind = winner  # type: ignore[misc]
            best = next(e for e in self.manager.engine.task_entries(str(task_id)) if e.kind == kind)
        return _event(best, self.manager) if best is not None else None

    @callback
    def _refresh(self) -> None:
        """Everything anew (set-up and blueprint reloads only)."""
        self._heap = []
        self._starts, self._winner = None, None
        for task in self.manager.engine.open_tasks():
            self._push(task.id)
        self._next = self._compute_next()

    @callback
    def _on_changes(self, task_ids: frozenset[str], schedule_changed: bool) -> None:
        for task_id in task_ids:
            self._push(task_id)
        if schedule_changed:
            self._starts, self._winner = None, None
        new = self._compute_next(task_ids)
        if schedule_changed or _key(new) != _key(self._next):
            self._next = new
            self.async_write_ha_state()

    def _events(self, start: datetime, end: datetime) -> list[CalendarEvent]:
        """Events overlapping [start, end): starts and deadlines lie within EVENT_LENGTH of their point in
        time, and the engine returns every visit overlapping the (padded) range."""
        found = self.manager.engine.upcoming(
            dt_util.as_utc(start) - EVENT_LENGTH, dt_util.as_utc(end) + EVENT_LENGTH, per_schedule=MAX_STARTS
        )
        events = [_event(entry, self.manager) for entry in found]
        events = [ev for ev in events if ev.end > start and ev.start < end]
        events.sort(key=lambda ev: (ev.start, ev.uid or ""))
        return events

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        return self._events(start_date, end_date)


def _span(entry: Upcoming) -> tuple[datetime, datetime]:
    """Where an entry lies as a calendar event (see the module docstring)."""
    if entry.kind == "due":
        return entry.at - EVENT_LENGTH, entry.at
    if entry.kind == "visit":
        return entry.at, entry.end or entry.at + EVENT_LENGTH
    return entry.at, entry.at + EVENT_LENGTH


def _key(event: CalendarEvent | None) -> tuple[object, ...] | None:
    """What the entity state shows of an event."""
    if event is None:
        return None
    return (event.start, event.end, event.summary, event.description, event.location)
