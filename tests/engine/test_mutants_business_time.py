"""Calendar configuration limits that mutation testing found unchecked (issue 16): every bound of a time
range, overnight and whole-day spans, yearly holidays, and the always-open calendar."""

from __future__ import annotations

import re
from collections.abc import Callable
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
    assert str(err.value) == "hours.mon[1]: expected a time range like '09:00-17:00', got 5"
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
    assert str(err.value) == f"holidays[1]: {bad!r} is not a date like 2025-12-25 or 12-25"


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


@pytest.fixture
def host_in_utc(host_tz: Callable[[str], None]) -> None:
    """The host's own zone (UTC here) differs from the calendar's: local dates must come from the calendar."""
    host_tz("UTC")


@pytest.mark.usefixtures("host_in_utc")
def test_local_days_come_from_the_calendars_zone_not_the_hosts() -> None:
    # a Sunday evening span running almost a whole day: Monday 19:30 in New York (Tuesday 00:30 UTC) is
    # inside it, which only a count that starts from the New York date (minus one) sees
    long_shift = calendar_from_config({"time_zone": "America/New_York", "hours": {"sun": "20:00-19:59"}})
    monday_evening = datetime(2025, 1, 7, 0, 30, tzinfo=UTC)
    assert long_shift.is_working(monday_evening)
    office = calendar_from_config({"time_zone": "America/New_York", "hours": {"mon-fri": "09:00-17:00"}})
    # "today" is Monday in New York, so the next business day is Tuesday, not Wednesday
    assert office.next_business_day(monday_evening) == datetime(2025, 1, 7, 14, tzinfo=UTC)
    evenings = calendar_from_config({"time_zone": "America/New_York", "hours": {"mon-fri": "20:00-22:00"}})
    # Monday 20:00 in New York falls on Tuesday in UTC, yet it is still Monday: not a later business day
    monday_morning = datetime(2025, 1, 6, 15, tzinfo=UTC)
    assert evenings.next_business_day(monday_morning) == datetime(2025, 1, 8, 1, tzinfo=UTC)


def test_working_time_ends_before_the_closing_instant() -> None:
    """17:00 itself is outside 09:00-17:00: the next working instant is the next morning."""
    cal = calendar_from_config({"time_zone": "UTC", "hours": {"mon-fri": "09:00-17:00"}})
    closing = datetime(2025, 1, 6, 17, tzinfo=UTC)
    assert not cal.is_working(closing)
    assert cal.next_working(closing) == datetime(2025, 1, 7, 9, tzinfo=UTC)


def test_a_swallowed_span_does_not_hide_later_spans_that_day() -> None:
    """10:00-12:00 lies inside 09:00-17:00 and counts once; the evening hour after it still counts."""
    cal = calendar_from_config(
        {"time_zone": "UTC", "hours": {"mon": ["09:00-17:00", "10:00-12:00", "18:00-19:00"]}}
    )
    monday = datetime(2025, 1, 6, tzinfo=UTC)
    assert cal.working_seconds(monday, monday + timedelta(days=1)) == 9 * 3600


def test_ten_idle_years_are_the_limit_counted_from_the_last_working_day() -> None:
    """The search gives up after 3660 days without working time, counted afresh after each working day."""
    start = datetime(2025, 1, 1, 12, tzinfo=UTC)  # the search begins a day early, on 2024-12-31

    def closed_until(reopen: date) -> WorkingCalendar:
        # one calendar-year list of holidays closes every day before ``reopen``
        first = date(2024, 12, 31)
        days = [first + timedelta(days=n) for n in range((reopen - first).days)]
        return calendar_from_config(
            {"time_zone": "UTC", "hours": {"mon-sun": "09:00-17:00"}, "holidays": days}
        )

    last_day = date(2024, 12, 31) + timedelta(days=3660)  # 3660 idle days, then open
    assert closed_until(last_day).next_working(start) == datetime.combine(
        last_day, datetime.min.time(), UTC
    ).replace(hour=9)
    with pytest.raises(
        CalendarError, match=r"^no working time within 3660 days after 2025-01-01T12:00:00\+00:00$"
    ):
        closed_until(last_day + timedelta(days=1)).next_working(start)
    # a working day in between starts the count afresh: 3660 closed days after it are still allowed
    open_day = date(2025, 1, 1)
    gap = [open_day + timedelta(days=n) for n in range(1, 3661)]
    reopen = open_day + timedelta(days=3661)
    cal = calendar_from_config(
        {"time_zone": "UTC", "hours": {"mon-sun": "09:00-17:00"}, "holidays": [date(2024, 12, 31), *gap]}
    )
    end = datetime.combine(reopen, datetime.min.time(), UTC).replace(hour=18)
    assert cal.working_seconds(datetime(2025, 1, 1, 8, tzinfo=UTC), end) == 16 * 3600
    # an always-open calendar counts across more than ten years: every working day resets the limit
    assert always_open().working_seconds(start, start + timedelta(days=4000)) == 4000 * 86400


def _refused(raw: dict[str, object]) -> str:
    with pytest.raises(CalendarError) as err:
        calendar_from_config({"time_zone": "UTC", "hours": {"mon": "09:00-17:00"}, **raw})
    return str(err.value)


def test_calendar_key_errors_are_worded_exactly() -> None:
    """Admins read these messages in the blueprint check: every part of them is meant."""
    assert _refused({"zone": "UTC"}) == (
        "unknown calendar key(s) ['zone']; use time_zone, hours, holidays, country, subdivision, closed_from"
    )
    assert _refused({"subdivision": "BY"}) == (
        "subdivision: needs country: too (for example country: JP, subdivision: '13')"
    )
    for country in (5, "  "):
        assert _refused({"country": country}) == (
            f"country: expected an ISO country code like JP, got {country!r}"
        )
    for subdivision in (True, 1.5):
        assert _refused({"country": "DE", "subdivision": subdivision}) == (
            f"subdivision: expected a code like '13' or 'BY', got {subdivision!r}"
        )
    workday_only = (
        "closed_from: expected Workday sensors of Home Assistant, like [binary_sensor.workday_sensor]"
    )
    for closed_from in (5, ("binary_sensor.office",), {"binary_sensor.office": True}):
        assert _refused({"closed_from": closed_from}) == workday_only
    assert _refused({"closed_from": ["binary_sensor.office", "calendar.x"]}) == (
        "closed_from[1]: expected a Workday sensor of Home Assistant like binary_sensor.workday_sensor, "
        "got 'calendar.x'"
    )
    assert _refused({"closed_from": "sensor.x"}) == (
        "closed_from: expected a Workday sensor of Home Assistant like binary_sensor.workday_sensor, "
        "got 'sensor.x'"
    )


def test_unknown_regions_name_at_most_three_near_misses() -> None:
    assert _refused({"country": "XX"}) == (
        "country: 'XX' is not a country the holidays package knows (ISO codes like JP, DE, US)"
    )
    # "BX" is half like BB, BE, BW, BY and HB: near enough (cutoff 0.5), but only three are named
    message = _refused({"country": "de", "subdivision": "BX"})
    assert re.fullmatch(
        r"subdivision: 'BX' is not a subdivision of DE in the holidays package; did you mean "
        r"[A-Z]{2}, [A-Z]{2}, [A-Z]{2}\?",
        message,
    ), message
    assert _refused({"country": "DE", "subdivision": "QQ"}) == (
        "subdivision: 'QQ' is not a subdivision of DE in the holidays package"
    )


def test_national_holidays_keep_their_region_and_names() -> None:
    cal = calendar_from_config(
        {"time_zone": "UTC", "hours": {"mon": "09:00-17:00"}, "country": " de ", "subdivision": "BY"}
    )
    national = cal.national
    assert national is not None
    assert (national.country, national.subdivision) == ("DE", "BY")
    assert repr(national) == "NationalHolidays('DE', 'BY')"
    # Epiphany, a holiday in Bavaria only, named in the country's language
    assert date(2025, 1, 6) in national
    assert national.name(date(2025, 1, 6)) == "Heilige Drei Könige"
    assert national.name(date(2025, 1, 7)) is None
    same = calendar_from_config(
        {"hours": {"mon": "09:00-17:00"}, "country": "DE", "subdivision": "BY"}
    ).national
    other = calendar_from_config({"hours": {"mon": "09:00-17:00"}, "country": "DE"}).national
    assert national == same and hash(national) == hash(same)
    assert national not in (other, ("DE", "BY"))
