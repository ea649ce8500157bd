"""One "Schedule" calendar: upcoming scheduled starts, task deadlines and on-site visits.

Calendar events need a duration, while starts and deadlines are points in time. A scheduled start is shown
as the ``EVENT_LENGTH`` after it; a deadline as the ``EVENT_LENGTH`` ending at it, so "calendar event
started" automations fire shortly before a task is due. A visit (a task's ``visit:`` appointment) has its
own length (``visit_duration``) and shows as the task's title at the task's location while the task is
open. Paused (suspended) blueprints show no starts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from . import BpoConfigEntry
from .engine.runtime import Upcoming
from .entity import BpoEntity, hub_device_info
from .manager import BpoManager

PARALLEL_UPDATES = 0
EVENT_LENGTH = timedelta(minutes=30)
# How far ahead the entity state looks for the next event (the event list of the UI asks for its own range).
LOOKAHEAD = timedelta(days=62)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: BpoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    async_add_entities([BpoScheduleCalendar(entry.runtime_data.manager)])


def _who(entry: Upcoming, manager: BpoManager) -> list[str]:
    if entry.assignee:
        return [f"Assignee: {entry.assignee}"]
    if entry.task_id and (task := manager.engine.task(entry.task_id)) is not None and task.group:
        return [f"Queue: {task.group}"]
    return []


def _visit(entry: Upcoming, manager: BpoManager, process_name: str) -> CalendarEvent:
    lines = [f"Visit: {entry.title}", f"Process: {process_name}", *_who(entry, manager)]
    task = manager.engine.task(entry.task_id) if entry.task_id else None
    blueprint = manager.engine.blueprint(entry.process)
    if task is not None and blueprint is not None:
        try:
            spec = blueprint.process.step(task.step).task
        except KeyError:
            spec = None
        if spec is not None and spec.description and "{" not in spec.description:
            lines.append(spec.description)  # static text only, as on the to-do item
    return CalendarEvent(
        start=dt_util.as_local(entry.at),
        end=dt_util.as_local(entry.end or entry.at + EVENT_LENGTH),
        summary=entry.title,
        description="\n".join(lines),
        location=entry.location,
        uid=f"visit_{entry.task_id}",
    )


def _event(entry: Upcoming, manager: BpoManager) -> CalendarEvent:
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
    """Scheduled starts of every blueprint, due dates and visits of open tasks."""

    _attr_translation_key = "schedule"
    _attr_unique_id = "schedule"
    _attr_device_info = hub_device_info()

    def __init__(self, manager: BpoManager) -> None:
        super().__init__(manager)
        self._next: CalendarEvent | None = None

    @property
    def event(self) -> CalendarEvent | None:
        """The current or next event; once it has ended, the one after it.

        HA's calendar base class re-writes the state when the event starts and ends (and reads this
        property to do so), so looking again here keeps the state moving without overriding the
        state write, which HA made final.
        """
        if self._next is not None and dt_util.now() >= self._next.end_datetime_local:
            self._refresh()
        return self._next

    def _events(self, start: datetime, end: datetime) -> list[CalendarEvent]:
        """Events overlapping [start, end): starts and deadlines lie within EVENT_LENGTH of their point in
        time, and the engine returns every visit overlapping the (padded) range."""
        found = self.manager.engine.upcoming(
            dt_util.as_utc(start) - EVENT_LENGTH, dt_util.as_utc(end) + EVENT_LENGTH
        )
        events = [_event(entry, self.manager) for entry in found]
        events = [ev for ev in events if ev.end > start and ev.start < end]
        events.sort(key=lambda ev: (ev.start, ev.uid or ""))
        return events

    @callback
    def _refresh(self) -> None:
        now = dt_util.now()
        upcoming = self._events(now, now + LOOKAHEAD)
        self._next = upcoming[0] if upcoming else None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        return self._events(start_date, end_date)
