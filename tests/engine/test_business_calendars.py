"""Business calendars written in the blueprint (process.calendar): hours, holidays, national holidays.

The documented example (docs/blueprint-language.md, "Business calendars") is validated and run here; the
DST and holiday edges and a restart use a Bavarian office calendar.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.bpo.engine.business_time import CalendarError, calendar_from_config
from custom_components.bpo.engine.errors import BlueprintError
from custom_components.bpo.engine.memory_store import MemoryStore
from custom_components.bpo.engine.schema import parse_blueprint

from .test_docs_examples import BLOCKS
from .test_runtime import make, run_until

TOKYO = ZoneInfo("Asia/Tokyo")
BERLIN = ZoneInfo("Europe/Berlin")


def _doc(name: str) -> str:
    [block] = [b for b in BLOCKS if b.markers.get("example") == name]
    return block.text


async def test_doc_example_counts_japanese_hours_and_skips_coming_of_age_day() -> None:
    bp = parse_blueprint(_doc("business_calendar"), "docs/blueprint-language.md")
    cal = bp.process.business_calendar
    assert cal is not None and cal.national is not None and cal.national.country == "JP"
    friday_4pm = datetime(2026, 1, 9, 16, tzinfo=TOKYO)
    engine, clock, sink, _ = make(bp, start=friday_4pm.astimezone(UTC))
    await engine.restore()
    inst = await engine.start("tokyo_help_desk")
    [task] = inst.tasks
    # 2 h on Friday, weekend closed, Monday 12 January is a national holiday, 6 h on Tuesday (lunch skipped)
    assert task.due == datetime(2026, 1, 13, 16, tzinfo=TOKYO)
    # the 4 h reminder: Friday 2 h, then Tuesday 09:00-11:00
    assert engine.next_deadline() == datetime(2026, 1, 13, 11, tzinfo=TOKYO)
    await run_until(engine, clock, datetime(2026, 1, 13, 10, 59, tzinfo=TOKYO))
    assert sink.of("task_reminded") == []
    await run_until(engine, clock, datetime(2026, 1, 13, 16, tzinfo=TOKYO))
    assert len(sink.of("task_reminded")) == 1
    assert [e["task_id"] for e in sink.of("task_overdue")] == [task.id]


def test_doc_example_new_year_dates_are_closed_every_year() -> None:
    cal = parse_blueprint(_doc("business_calendar"), "x.yaml").process.business_calendar
    assert cal is not None
    assert cal.is_holiday(date(2030, 12, 30)) and cal.is_holiday(date(2031, 1, 2))
    assert cal.is_holiday(date(2031, 1, 1))  # New Year's Day: from the national table, not the list
    assert not cal.is_holiday(date(2031, 1, 6))


BAVARIA = """
blueprint: {name: Munich office, domain: bpo}
process:
  key: munich_office
  start: [{manual: {}}]
  calendar:
    time_zone: Europe/Berlin
    hours: {mon-fri: "09:00-17:00"}
    country: DE
    subdivision: BY
  steps:
    - id: answer
      task: {group: desk, due: 2h, business_time: true}
"""


async def _due_after_start(at: datetime) -> datetime:
    engine, _, _, _ = make(parse_blueprint(BAVARIA, "munich.yaml"), start=at.astimezone(UTC))
    await engine.restore()
    inst = await engine.start("munich_office")
    due = inst.tasks[0].due
    assert due is not None
    return due


async def test_deadline_across_the_spring_dst_change_keeps_wall_clock_hours() -> None:
    # Friday 27 March 2026 16:00 CET; clocks go forward on Sunday 29 March
    due = await _due_after_start(datetime(2026, 3, 27, 16, tzinfo=BERLIN))
    assert due == datetime(2026, 3, 30, 10, tzinfo=BERLIN)
    assert due == datetime(2026, 3, 30, 8, tzinfo=UTC)  # 10:00 summer time, not 09:00 UTC


async def test_deadline_skips_good_friday_easter_monday_and_a_regional_holiday() -> None:
    # Thursday 2 April 2026 16:00: Good Friday (3rd) and Easter Monday (6th) are closed
    assert await _due_after_start(datetime(2026, 4, 2, 16, tzinfo=BERLIN)) == datetime(
        2026, 4, 7, 10, tzinfo=BERLIN
    )
    # Epiphany (6 January) is a holiday in Bavaria only: Monday 5 January 2026 16:00 -> Wednesday 10:00
    assert await _due_after_start(datetime(2026, 1, 5, 16, tzinfo=BERLIN)) == datetime(
        2026, 1, 7, 10, tzinfo=BERLIN
    )


async def test_without_the_subdivision_epiphany_is_a_working_day() -> None:
    text = BAVARIA.replace("    subdivision: BY\n", "")
    engine, _, _, _ = make(
        parse_blueprint(text, "x.yaml"), start=datetime(2026, 1, 5, 16, tzinfo=BERLIN).astimezone(UTC)
    )
    await engine.restore()
    inst = await engine.start("munich_office")
    assert inst.tasks[0].due == datetime(2026, 1, 6, 10, tzinfo=BERLIN)


async def test_restart_keeps_counting_with_the_blueprint_calendar() -> None:
    bp = parse_blueprint(BAVARIA.replace("due: 2h", "due: 2h, remind: [90m]"), "munich.yaml")
    store = MemoryStore()
    engine, clock, sink, _ = make(
        bp, start=datetime(2026, 4, 2, 16, tzinfo=BERLIN).astimezone(UTC), store=store
    )
    await engine.restore()
    await engine.start("munich_office")
    await run_until(engine, clock, datetime(2026, 4, 2, 18, tzinfo=BERLIN))
    assert sink.of("task_reminded") == []  # only one working hour of 1.5 has passed (16-17)

    # a new engine on the same store, as after a Home Assistant restart over the Easter weekend
    again, clock2, sink2, _ = make(
        bp, start=datetime(2026, 4, 6, 12, tzinfo=BERLIN).astimezone(UTC), store=store
    )
    await again.restore()
    assert again.next_deadline() == datetime(2026, 4, 7, 9, 30, tzinfo=BERLIN)  # 30 min of work left
    await run_until(again, clock2, datetime(2026, 4, 7, 9, 59, tzinfo=BERLIN))
    assert len(sink2.of("task_reminded")) == 1 and sink2.of("task_overdue") == []
    await run_until(again, clock2, datetime(2026, 4, 7, 10, tzinfo=BERLIN))
    assert len(sink2.of("task_overdue")) == 1


def test_a_calendar_without_working_hours_is_refused() -> None:
    with pytest.raises(CalendarError, match="no working hours"):
        calendar_from_config({"time_zone": "UTC", "hours": {"mon": []}})


def test_subdivision_without_country_is_refused() -> None:
    with pytest.raises(CalendarError, match="subdivision: needs country"):
        calendar_from_config({"time_zone": "UTC", "hours": {"mon": "09:00-17:00"}, "subdivision": "BY"})


def test_next_business_day_skips_weekend_and_holidays() -> None:
    cal = parse_blueprint(BAVARIA, "x.yaml").process.business_calendar
    assert cal is not None
    thursday = datetime(2026, 4, 2, 8, tzinfo=BERLIN)  # before opening: still the next day, not today
    assert cal.next_business_day(thursday) == datetime(2026, 4, 7, 9, tzinfo=BERLIN)
    assert cal.next_business_day(datetime(2026, 3, 27, 12, tzinfo=BERLIN)) == datetime(
        2026, 3, 30, 9, tzinfo=BERLIN
    )
    assert cal.next_business_day(datetime(2026, 3, 27, 12, tzinfo=BERLIN)) + timedelta(0) == datetime(
        2026, 3, 30, 7, tzinfo=UTC
    )


async def test_an_instance_keeps_its_version_calendar_after_the_file_changed_and_a_restart() -> None:
    v1 = BAVARIA.replace("due: 2h", "due: 2h, remind: [90m]")
    v2 = v1.replace('mon-fri: "09:00-17:00"', 'mon-sun: "00:00-24:00"').replace(
        "    country: DE\n    subdivision: BY\n", ""
    )
    store = MemoryStore()
    thursday = datetime(2026, 4, 2, 16, tzinfo=BERLIN).astimezone(UTC)
    engine, _, _, _ = make(parse_blueprint(v1, "munich.yaml"), start=thursday, store=store)
    await engine.restore()
    old = await engine.start("munich_office", key="old")

    # Home Assistant restarts on Saturday after the admin opened the office around the clock
    saturday = datetime(2026, 4, 4, 12, tzinfo=BERLIN).astimezone(UTC)
    again, clock, sink, _ = make(parse_blueprint(v2, "munich.yaml"), start=saturday, store=store)
    await again.restore()
    new = await again.start("munich_office", key="new")
    assert new.tasks[0].due == saturday + timedelta(hours=2)  # v2: every hour counts
    assert again.instance(old.id).version != new.version
    # the old instance still counts with v1's calendar: 30 working minutes left on Tuesday after Easter
    await run_until(again, clock, datetime(2026, 4, 7, 9, 29, tzinfo=BERLIN))
    assert [e["instance_id"] for e in sink.of("task_reminded")] == [new.id]
    await run_until(again, clock, datetime(2026, 4, 7, 9, 30, tzinfo=BERLIN))
    assert [e["instance_id"] for e in sink.of("task_reminded")] == [new.id, old.id]


def test_a_named_calendar_is_valid_with_a_warning_that_nobody_supplies_it_yet() -> None:
    text = BAVARIA.replace(
        '  calendar:\n    time_zone: Europe/Berlin\n    hours: {mon-fri: "09:00-17:00"}\n    country: DE\n'
        "    subdivision: BY\n",
        "  calendar: office\n",
    )
    bp = parse_blueprint(text, "munich.yaml")
    assert bp.process.calendar == "office" and bp.process.business_calendar is None
    [warning] = bp.warnings
    assert warning.startswith(
        "munich.yaml:6: process.calendar: warning: calendar 'office' must be supplied by"
    )


class OfficeSensor:
    """A host's ClosedDays port: what a Workday sensor answered, for a known window of days."""

    def __init__(self, closed: set[date], first: date, last: date) -> None:
        self.days, self.first, self.last = closed, first, last
        self.asked: set[str] = set()

    def closed(self, source: str, day: date) -> bool | None:
        self.asked.add(source)
        if source != "binary_sensor.workday_sensor" or not self.first <= day <= self.last:
            return None
        return day in self.days


async def test_closed_from_asks_the_host_port_and_only_inside_its_window() -> None:
    [block] = [b for b in BLOCKS if b.markers.get("example") == "closed_from"]
    bp = parse_blueprint(block.text, "docs/blueprint-language.md")
    friday = datetime(2026, 1, 9, 16, tzinfo=TOKYO).astimezone(UTC)
    engine, _, _, _ = make(bp, start=friday)
    await engine.restore()
    # no port (validate, simulate): the blueprint's hours only; Monday 12 January counts
    first = await engine.start("tokyo_workday_desk", key="no_port")
    assert first.tasks[0].due == datetime(2026, 1, 12, 16, tzinfo=TOKYO)

    sensor = OfficeSensor({date(2026, 1, 12), date(2026, 1, 13)}, date(2026, 1, 1), date(2026, 12, 31))
    engine.closed_days = sensor
    second = await engine.start("tokyo_workday_desk", key="sensor")
    assert second.tasks[0].due == datetime(2026, 1, 14, 16, tzinfo=TOKYO)
    assert sensor.asked == {"binary_sensor.workday_sensor"}

    # outside the window the sensor does not know: open as the hours say
    sensor.last = date(2026, 1, 11)
    third = await engine.start("tokyo_workday_desk", key="late")
    assert third.tasks[0].due == datetime(2026, 1, 12, 16, tzinfo=TOKYO)


def test_closed_from_names_workday_sensors_only() -> None:
    with pytest.raises(CalendarError, match="closed_from: expected a Workday sensor"):
        calendar_from_config({"time_zone": "UTC", "hours": {"mon": "09:00-17:00"}, "closed_from": "sensor.x"})
    cal = calendar_from_config(
        {"time_zone": "UTC", "hours": {"mon": "09:00-17:00"}, "closed_from": "binary_sensor.office"}
    )
    assert cal.closed_from == ("binary_sensor.office",)


SEVERAL = """blueprint: {name: Calendar mistakes, domain: bpo}
process:
  key: calendar_mistakes
  start: [{manual: {}}]
  calendar:
%s
  steps:
    - id: answer
      task: {group: desk, due: 2d, business_time: true}
"""


def test_every_calendar_mistake_is_reported_in_one_run_with_its_own_line_and_field() -> None:
    """Each key is read on after a mistake: an admin with five mistakes needs one validate run, not five. Each
    problem names its field (down to the list item) on its own line, and says that field once."""
    calendar = (
        "    time_zone: Europe/Berln\n"
        "    hours:\n"
        "      mon-fri: '09:00-17:60'\n"
        "      funday: '10:00-12:00'\n"
        "    holidays:\n"
        "      - '12-25'\n"
        "      - soon\n"
        "    country: XX\n"
        "    closed_from: [binary_sensor.workday_sensor, calendar.office]\n"
    )
    with pytest.raises(BlueprintError) as caught:
        parse_blueprint(SEVERAL % calendar, "cal.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "cal.yaml:6: process.calendar.time_zone: unknown time zone 'Europe/Berln'; "
        "expected an IANA name like Europe/Berlin",
        "cal.yaml:8: process.calendar.hours.mon-fri: '09:00-17:60' is not a valid time range",
        "cal.yaml:9: process.calendar.hours.funday: 'funday' is not a day; use mon..sun, ranges like "
        "mon-fri, or lists",
        "cal.yaml:12: process.calendar.holidays[1]: 'soon' is not a date like 2025-12-25 or 12-25",
        "cal.yaml:13: process.calendar.country: 'XX' is not a country the holidays package knows "
        "(ISO codes like JP, DE, US)",
        "cal.yaml:14: process.calendar.closed_from[1]: expected a Workday sensor of Home Assistant like "
        "binary_sensor.workday_sensor, got 'calendar.office'",
    ]


def test_a_missing_calendar_key_does_not_hide_the_other_mistakes() -> None:
    """Without time_zone (or with an unknown key) the rest of the calendar is still read and its mistakes
    shown; a missing hours is reported once, as missing."""
    calendar = "    timezone: UTC\n    holidays: ['02-30']\n"
    with pytest.raises(BlueprintError) as caught:
        parse_blueprint(SEVERAL % calendar, "cal.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "cal.yaml:5: process.calendar: missing required key 'hours'",
        "cal.yaml:5: process.calendar: missing required key 'time_zone'",
        "cal.yaml:6: process.calendar.timezone: unknown key 'timezone'; did you mean 'time_zone'?",
        "cal.yaml:7: process.calendar.holidays[0]: '02-30' is not a date like 2025-12-25 or 12-25",
    ]


def test_calendar_errors_list_each_mistake_where_it_is() -> None:
    """The same for calendars the HA layer builds (calendar_from_config): every problem, with its place."""
    with pytest.raises(CalendarError) as caught:
        calendar_from_config(
            {
                "hours": {"mon": ["09:00-12:00", "x"], "sun": "1-2", "fri-mon": "09:00-10:00"},
                "holidays": 5,
                "subdivision": 9,
            }
        )
    assert caught.value.problems == (
        (("hours", "mon", 1), "expected a time range like '09:00-17:00', got 'x'"),
        (("hours", "sun"), "expected a time range like '09:00-17:00', got '1-2'"),
        (("hours", "fri-mon"), "day range 'fri-mon' runs backwards"),
        (("holidays",), "expected a list of dates like 2025-12-25 or 12-25"),
        (("subdivision",), "needs country: too (for example country: JP, subdivision: '13')"),
    )
    assert str(caught.value) == (
        "hours.mon[1]: expected a time range like '09:00-17:00', got 'x'; "
        "hours.sun: expected a time range like '09:00-17:00', got '1-2'; "
        "hours.fri-mon: day range 'fri-mon' runs backwards; "
        "holidays: expected a list of dates like 2025-12-25 or 12-25; "
        "subdivision: needs country: too (for example country: JP, subdivision: '13')"
    )


def test_hours_with_no_working_time_are_refused_at_hours_alone() -> None:
    """A week without any working hours is a mistake of hours, with its path; a mistake in hours already
    reported (here an unknown day) is not followed by this second one about the same key."""
    with pytest.raises(CalendarError) as caught:
        calendar_from_config({"hours": {"mon": []}})
    assert caught.value.problems == ((("hours",), "the calendar has no working hours on any day"),)
    with pytest.raises(CalendarError) as caught:
        calendar_from_config({"hours": {"funday": "09:00-10:00"}})
    assert [where for where, _ in caught.value.problems] == [("hours", "funday")]
