"""Date helpers for templates: ``add_duration``, ``start_of_day``, ``next_business_day``, ``format_time``.

They sit next to ``now()`` and take what templates have: a datetime (``now()``, ``instance.started``,
``steps.x.completed_at``), a date, or ISO text (a field); text without a zone is local time. Results are
aware datetimes in the engine's (Home Assistant's) zone, like ``now()``; ``format_time`` shows one in
another zone. The process's business calendar is found through the ``instance`` the template renders for,
so the helpers are shared by every process. Errors never quote the value (it may be a personal field).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from jinja2 import pass_context
from jinja2.exceptions import TemplateRuntimeError
from jinja2.runtime import Context as JinjaContext

from .business_time import WorkingCalendar
from .cron import CronError, localize, wall_time
from .cron import zone as time_zone
from .durations import DurationError, parse_duration

DEFAULT_FORMAT = "%Y-%m-%d %H:%M"
# what templatecheck.py treats as known names; the functions themselves are built per engine (its zone)
NAMES = frozenset({"add_duration", "start_of_day", "next_business_day", "format_time"})
# helpers that count the process's business calendar (always, or with business=true)
NEEDS_CALENDAR = frozenset({"next_business_day"})

CalendarLookup = Callable[[object], WorkingCalendar | None]  # the template's ``instance`` -> calendar


def date_helpers(local: tzinfo, calendar_of: CalendarLookup) -> dict[str, Callable[..., Any]]:
    """The four helpers, for an engine whose local zone is ``local``."""

    def moment(context: JinjaContext, value: object, helper: str) -> datetime:
        if value is None:
            now = context.get("now")
            if callable(now):
                value = now()
        if isinstance(value, datetime):
            when = value
        elif isinstance(value, date):
            when = datetime(value.year, value.month, value.day)
        elif isinstance(value, str):
            try:
                when = datetime.fromisoformat(value.strip())
            except ValueError:
                raise TemplateRuntimeError(
                    f"{helper}: the date-time is not ISO text like 2026-03-02T09:00"
                ) from None
        else:
            raise TemplateRuntimeError(f"{helper}: expected a date-time, a date or ISO text")
        if when.tzinfo is None:
            aware = localize(when, local)
            assert aware is not None  # "shift": a missing wall time becomes the jump instant
            return aware
        return when

    def calendar(context: JinjaContext, helper: str) -> WorkingCalendar:
        found = calendar_of(context.get("instance"))
        if found is None:
            raise TemplateRuntimeError(f"{helper} needs the process's business calendar (process.calendar)")
        return found

    @pass_context
    def add_duration(
        context: JinjaContext, when: object, duration: object, business: bool = False
    ) -> datetime:
        start = moment(context, when, "add_duration")
        try:
            seconds = parse_duration(duration)
        except DurationError:
            raise TemplateRuntimeError(
                "add_duration: the second argument is not a duration like 2h or 3d"
            ) from None
        if business:
            return calendar(context, "add_duration(..., business=true)").add(start, seconds).astimezone(local)
        # elapsed time, as every duration in bpo: 1d is 24 hours, also across a DST change
        return (start.astimezone(UTC) + timedelta(seconds=seconds)).astimezone(local)

    @pass_context
    def start_of_day(context: JinjaContext, when: object = None, zone: object = None) -> datetime:
        where = _zone(zone, local, "start_of_day")
        day = wall_time(moment(context, when, "start_of_day"), where).date()
        midnight = localize(datetime(day.year, day.month, day.day), where)
        assert midnight is not None
        return midnight.astimezone(local)

    @pass_context
    def next_business_day(context: JinjaContext, when: object = None) -> datetime:
        cal = calendar(context, "next_business_day")
        return cal.next_business_day(moment(context, when, "next_business_day")).astimezone(local)

    @pass_context
    def format_time(
        context: JinjaContext, when: object = None, format: object = DEFAULT_FORMAT, zone: object = None
    ) -> str:
        shown = moment(context, when, "format_time").astimezone(_zone(zone, local, "format_time"))
        if not isinstance(format, str):
            raise TemplateRuntimeError("format_time: the format must be text like '%Y-%m-%d %H:%M'")
        return shown.strftime(format)

    return {
        "add_duration": add_duration,
        "start_of_day": start_of_day,
        "next_business_day": next_business_day,
        "format_time": format_time,
    }


def _zone(name: object, default: tzinfo, helper: str) -> tzinfo:
    if name is None:
        return default
    try:
        return time_zone(str(name))
    except CronError:
        raise TemplateRuntimeError(f"{helper}: unknown time zone (use names like Asia/Tokyo)") from None
