"""Calendar configuration limits that mutation testing found unchecked (issue 16): every bound of a time
range, overnight and whole-day spans, yearly holidays, and the always-open calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from custom_components.bpo.engine.business_time import (
    CalendarError,
    WorkingCalendar,
    always_open,
    calendar_from_config,
)


def _monday(value: object) -> tuple[tuple[int, int], ...]:
    return calendar_from_config({"hours": {"mon": value}}).week[0]


def test_time_range_bounds() -> None:
    assert _monday("23:59-24:00") == ((1439, 1440),)
    assert _monday("00:00-24:00") == ((0, 1440),)  # a whole day is not "the same time"
    assert _monday("22:00-06:00") == ((1320, 1800),)  # overnight: belongs to the day it starts
    assert _monday(" 9:05 - 17:30 ") == ((545, 1050),)
    assert _monday(("08:00-12:00", "13:00-17:00")) == ((480, 720), (780, 1020))
    assert calendar_from_config({"hours": {"mon": None, "tue": "09:00-10:00"}}).week[:2] == (
        (),
        ((540, 600),),
    )


@pytest.mark.parametrize("bad", ["24:00-24:00", "09:60-10:00", "09:00-10:60", "09:00-25:00", "09:00-24:01"])
def test_time_range_out_of_bounds(bad: str) -> None:
    with pytest.raises(CalendarError) as err:
        _monday(bad)
    assert str(err.value) == f"hours.mon: {bad!r} is not a valid time range"


def test_non_text_range_is_named_in_the_error() -> None:
    with pytest.raises(CalendarError) as err:
        _monday(900)
    assert str(err.value) == "hours.mon: expected a time range like '09:00-17:00', got 900"
    with pytest.raises(CalendarError) as err:
        _monday(["09:00-10:00", 5])
    assert str(err.value) == "hours.mon: expected a time range like '09:00-17:00', got 5"
    with pytest.raises(CalendarError) as err:
        _monday("13:00-13:00")
    assert str(err.value) == "hours.mon: '13:00-13:00' starts and ends at the same time"


def test_holidays_exact_yearly_and_leap_day() -> None:
    cal = calendar_from_config(
        {"hours": {"mon": "09:00-17:00"}, "holidays": [" 2025-12-24 ", "12-25", "02-29", date(2026, 1, 2)]}
    )
    assert cal.holidays == frozenset({date(2025, 12, 24), date(2026, 1, 2)})
    assert cal.yearly == frozenset({(12, 25), (2, 29)})
    assert calendar_from_config({"hours": {"mon": "09:00-17:00"}, "holidays": None}).holidays == frozenset()


@pytest.mark.parametrize("bad", ["13-01", "02-30", "2025-13-01", "soon"])
def test_bad_holiday_is_named(bad: str) -> None:
    with pytest.raises(CalendarError) as err:
        calendar_from_config({"hours": {"mon": "09:00-17:00"}, "holidays": ["12-25", bad]})
    assert str(err.value) == f"holidays: {bad!r} is not a date like 2025-12-25 or 12-25"


def test_holidays_must_be_a_list() -> None:
    for bad in ("2025-12-25", b"2025-12-25", 20251225):
        with pytest.raises(CalendarError) as err:
            calendar_from_config({"hours": {"mon": "09:00-17:00"}, "holidays": bad})
        assert str(err.value) == "holidays: expected a list of dates like 2025-12-25 or 12-25"


def test_always_open_counts_every_minute_in_utc_by_default() -> None:
    cal = always_open()
    assert str(cal.tz) == "UTC"
    assert cal.week == ((((0, 1440),),) * 7)
    assert cal.holidays == frozenset() and cal.yearly == frozenset()


def test_a_working_week_is_checked_when_built() -> None:
    utc = always_open().tz
    open_day = ((540, 1020),)
    with pytest.raises(CalendarError, match=r"^a working week needs 7 days of hours, got 6$"):
        WorkingCalendar(utc, (open_day,) * 6)
    with pytest.raises(CalendarError, match=r"^the calendar has no working hours on any day$"):
        WorkingCalendar(utc, ((),) * 7)
    for span in ((1440, 1500), (600, 600), (600, 500), (600, 600 + 1441), (-1, 60)):
        with pytest.raises(CalendarError) as err:
            WorkingCalendar(utc, (open_day,) * 6 + ((span,),))
        assert str(err.value) == f"bad working span {span[0]}-{span[1]} (minutes after midnight)"
    assert WorkingCalendar(utc, (open_day,) * 6 + (((1439, 1439 + 1440),),)).week[6] == ((1439, 2879),)


def test_edges_of_working_time() -> None:
    cal = calendar_from_config(
        {"time_zone": "UTC", "hours": {"mon-fri": "09:00-17:59"}, "holidays": [date(2025, 1, 1), "12-25"]}
    )
    monday_9 = datetime(2025, 1, 6, 9, tzinfo=UTC)
    assert cal.is_working(monday_9) and not cal.is_working(monday_9 - timedelta(microseconds=1))
    assert cal.week[0] == ((540, 1079),)
    assert cal.yearly == frozenset({(12, 25)})  # items after a date are read too
    assert cal.working_seconds(monday_9, monday_9) == 0.0
    assert cal.working_seconds(monday_9 + timedelta(hours=1), monday_9) == 0.0


def test_time_zone_forms_and_hours_must_be_a_mapping() -> None:
    fixed = timezone(timedelta(hours=9))
    assert calendar_from_config({"time_zone": fixed, "hours": {"mon": "09:00-17:00"}}).tz is fixed
    with pytest.raises(CalendarError) as err:
        calendar_from_config({"time_zone": 9, "hours": {"mon": "09:00-17:00"}})
    assert str(err.value) == "time_zone: unknown time zone '9'; expected an IANA name like Europe/Berlin"
    with pytest.raises(CalendarError) as err:
        calendar_from_config({"hours": ["09:00-17:00"]})
    assert str(err.value) == "hours: expected a mapping like {mon-fri: '09:00-17:00'}"
