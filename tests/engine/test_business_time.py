"""Working-time calendars: hours, holidays, DST, night shifts, and plain-words config errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.bpo.engine.business_time import (
    CalendarError,
    WorkingCalendar,
    always_open,
    calendar_from_config,
)

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600.0
OFFICE = calendar_from_config(
    {
        "time_zone": "Europe/Berlin",
        "hours": {"mon-fri": "09:00-17:00"},
        "holidays": ["2025-12-24", "12-25", "12-26"],
    }
)


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=BERLIN)


def test_counts_only_working_hours_and_skips_weekend() -> None:
    friday_4pm = berlin(2025, 3, 7, 16, 0)
    assert OFFICE.add(friday_4pm, 2 * HOUR) == berlin(2025, 3, 10, 10, 0)  # 1 h Friday + 1 h Monday
    saturday = berlin(2025, 3, 8, 12, 0)
    assert OFFICE.add(saturday, 30 * 60) == berlin(2025, 3, 10, 9, 30)


def test_ends_at_closing_time_not_next_morning() -> None:
    monday_9am = berlin(2025, 3, 10, 9, 0)
    assert OFFICE.add(monday_9am, 8 * HOUR) == berlin(2025, 3, 10, 17, 0)
    assert OFFICE.add(monday_9am, 8 * HOUR + 1) == berlin(2025, 3, 11, 9, 0, 1)


def test_holidays_exact_and_yearly() -> None:
    dec_23_4pm = berlin(2025, 12, 23, 16, 0)
    # 1 h on the 23rd, then 24th (exact), 25th/26th (yearly) and the weekend are closed
    assert OFFICE.add(dec_23_4pm, 2 * HOUR) == berlin(2025, 12, 29, 10, 0)
    assert OFFICE.is_holiday(date(2031, 12, 25)) and not OFFICE.is_holiday(date(2031, 12, 24))


def test_zero_and_negative() -> None:
    sunday = berlin(2025, 3, 9, 12, 0)
    assert OFFICE.add(sunday, 0) == sunday
    with pytest.raises(ValueError, match="negative"):
        OFFICE.add(sunday, -1)


def test_working_day_keeps_local_hours_across_dst() -> None:
    friday_before = berlin(2025, 3, 28, 9, 0)  # CET
    monday_after = OFFICE.add(friday_before, 9 * HOUR)  # whole Friday + 1 h Monday (CEST)
    assert monday_after == berlin(2025, 3, 31, 10, 0)
    assert monday_after.astimezone(UTC).hour == 8  # the offset changed, the office hours did not


def test_night_shift_over_midnight_and_over_the_dst_jump() -> None:
    night = calendar_from_config({"time_zone": "Europe/Berlin", "hours": {"mon-sun": "22:00-06:00"}})
    saturday_night = berlin(2025, 3, 29, 22, 0)
    # the clocks skip 02:00-03:00 that night, so the shift holds 7 real hours
    assert night.working_seconds(saturday_night, berlin(2025, 3, 30, 12, 0)) == 7 * HOUR
    assert night.add(saturday_night, 8 * HOUR) == berlin(2025, 3, 30, 23, 0)
    assert night.is_working(berlin(2025, 3, 30, 1, 0))
    assert not night.is_working(berlin(2025, 3, 30, 12, 0))
    assert night.next_working(berlin(2025, 3, 30, 12, 0)) == berlin(2025, 3, 30, 22, 0)


def test_overlapping_and_touching_spans_count_once() -> None:
    cal = calendar_from_config(
        {
            "time_zone": "UTC",
            "hours": {"mon": ["09:00-12:00", "11:00-13:00", "13:00-14:00"], "sun": "20:00-10:00"},
        }
    )
    monday = datetime(2025, 3, 10, tzinfo=UTC)
    # Sunday night covers Monday 00:00-10:00; Monday's own spans add 10:00-14:00
    assert cal.working_seconds(monday, monday + timedelta(days=1)) == 14 * HOUR


def test_always_open_is_plain_addition() -> None:
    start = datetime(2025, 3, 30, 0, 30, tzinfo=UTC)
    assert always_open("Europe/Berlin").add(start, 5 * HOUR) == start + timedelta(hours=5)


def test_a_calendar_without_working_time_fails_instead_of_looping() -> None:
    first = date(2025, 1, 1)
    every_day = frozenset(first + timedelta(days=i) for i in range(4000))
    closed = WorkingCalendar(BERLIN, (((540, 1020),),) + ((),) * 6, holidays=every_day)
    with pytest.raises(CalendarError, match="no working time"):
        closed.add(datetime(2025, 1, 2, tzinfo=UTC), HOUR)


@given(
    start=st.datetimes(datetime(2024, 1, 1), datetime(2027, 1, 1), timezones=st.just(UTC)),
    seconds=st.floats(min_value=1, max_value=30 * 86400, allow_nan=False),
)
def test_working_seconds_inverts_add(start: datetime, seconds: float) -> None:
    end = OFFICE.add(start, seconds)
    assert end > start
    assert OFFICE.working_seconds(start, end) == pytest.approx(seconds, abs=1e-5)
    assert OFFICE.is_working(end - timedelta(microseconds=10))  # the last counted moment was working time


# -- configuration --------------------------------------------------------------------------------


def test_config_forms() -> None:
    cal = calendar_from_config(
        {
            "hours": {"mon, wed": "08:00-12:00", "fri": ["13:00-24:00"], "sat": None},
            "holidays": [date(2025, 5, 1)],
        },
        default_tz="Asia/Tokyo",
    )
    assert str(cal.tz) == "Asia/Tokyo"
    assert cal.week[0] == ((480, 720),) and cal.week[2] == ((480, 720),) and cal.week[1] == ()
    assert cal.week[4] == ((780, 1440),) and cal.week[5] == ()
    assert cal.is_holiday(date(2025, 5, 1)) and not cal.is_holiday(date(2026, 5, 1))


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"hours": {"mon": "9-5"}}, "hours.mon: expected a time range like '09:00-17:00'"),
        ({"hours": {"funday": "09:00-17:00"}}, "'funday' is not a day"),
        ({"hours": {"fri-mon": "09:00-17:00"}}, "runs backwards"),
        ({"hours": {"mon": "25:00-26:00"}}, "not a valid time range"),
        ({"hours": {"mon": "09:00-09:00"}}, "starts and ends at the same time"),
        ({"hours": {}}, "expected a mapping"),
        ({"hours": {"mon": []}}, "no working hours"),
        ({"hours": {"mon": "09:00-17:00"}, "holidays": ["2025-02-30"]}, "not a date"),
        ({"hours": {"mon": "09:00-17:00"}, "holidays": "2025-12-25"}, "expected a list of dates"),
        ({"hours": {"mon": "09:00-17:00"}, "time_zone": "Mars/Base"}, "time_zone: unknown time zone"),
        ({"hours": {"mon": "09:00-17:00"}, "timezone": "UTC"}, "unknown calendar key"),
    ],
)
def test_config_errors_say_what_is_wrong(raw: dict[str, object], fragment: str) -> None:
    with pytest.raises(CalendarError, match=fragment.replace("(", r"\(")):
        calendar_from_config(raw)
