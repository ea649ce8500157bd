"""DST-correct cron: checked against a brute-force oracle in many zones, plus the documented rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.bpo.engine.cron import (
    CronError,
    CronSchedule,
    localize,
    validate_cron,
    wall_time,
    zone,
)

ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Tokyo",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Dublin",
    "America/Los_Angeles",
    "America/Chicago",
    "America/Phoenix",
    "America/Havana",
    "America/Santiago",
    "America/Asuncion",
    "America/St_Johns",
    "Australia/Sydney",
    "Australia/Adelaide",
    "Pacific/Auckland",
    "Pacific/Chatham",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tehran",
    "Africa/Cairo",
    "Asia/Beirut",
    "Europe/Chisinau",
    "Antarctica/Troll",
    "Pacific/Apia",
    "Europe/Moscow",
    "America/Godthab",
]

Matcher = Callable[[datetime], bool]
EXPRESSIONS: dict[str, Matcher] = {
    "0 9 1 * *": lambda w: w.minute == 0 and w.hour == 9 and w.day == 1,
    "30 2 * * *": lambda w: w.minute == 30 and w.hour == 2,
    "0 * * * *": lambda w: w.minute == 0,
}
START = datetime(2020, 1, 1, tzinfo=UTC)
END = datetime(2030, 1, 1, tzinfo=UTC)
# Offsets and transitions since 2020 sit on a 30-minute grid, except in these zones (:45 offsets).
# A wrong grid makes the oracle miss every :00 wall time, so the comparison would fail, not pass.
QUARTER_HOUR_ZONES = {"Asia/Kathmandu", "Pacific/Chatham"}


def oracle(tz: ZoneInfo, matchers: dict[str, Matcher], grid: int = 1800) -> dict[str, list[datetime]]:
    """Walk real time; fire each matching wall time the first time a clock shows it.

    Wall times a forward jump skips fire at the instant of the jump; a wall time shown again
    after clocks go back does not fire again (the high-water mark never moves backwards).
    Every expression here fires on :00 or :30, so a 30-minute grid sees every candidate.
    """
    fired: dict[str, list[int]] = {expr: [] for expr in matchers}
    checks = [(fired[expr], matches) for expr, matches in matchers.items()]
    first = int(START.timestamp())
    at = datetime.fromtimestamp
    # Aware datetimes with the same tzinfo compare and subtract as wall times (fold ignored),
    # which is what the walk needs; leaving them aware saves a fifth of its time.
    high = at(first, tz)
    step = timedelta(seconds=grid)
    for ts in range(first + grid, int(END.timestamp()) + 1, grid):
        local = at(ts, tz)
        if local <= high:
            continue  # clocks went back: these wall times already fired
        if local - high == step:
            for out, matches in checks:
                if matches(local):
                    out.append(ts)
        else:  # clocks jumped forward over the wall times in between: they fire now, once
            walls = [local]
            skipped = high + step
            while skipped < local:
                walls.append(skipped)
                skipped += step
            for out, matches in checks:
                if any(matches(w) for w in walls):
                    out.append(ts)
        high = local
    return {expr: [datetime.fromtimestamp(ts, UTC) for ts in out] for expr, out in fired.items()}


@pytest.mark.parametrize("name", ZONES)
def test_matches_oracle_for_ten_years(name: str) -> None:
    tz = ZoneInfo(name)
    expected = oracle(tz, EXPRESSIONS, 900 if name in QUARTER_HOUR_ZONES else 1800)
    for expr in EXPRESSIONS:
        got = CronSchedule.parse(expr, tz).between(START, END)
        assert got == expected[expr], f"{expr} in {name}"
        assert all(a < b for a, b in pairwise(got)), "strictly increasing, no duplicates"
    assert len(expected["0 9 1 * *"]) == 120
    local_days = (END.astimezone(tz).date() - START.astimezone(tz).date()).days
    assert len(expected["30 2 * * *"]) == local_days  # once every day, even on DST days


def test_oracle_really_sees_dst_in_berlin() -> None:
    """Guard the oracle itself: it must see the gap and the repeat, or the big test proves nothing."""
    tz = ZoneInfo("Europe/Berlin")
    hourly = oracle(tz, {"h": EXPRESSIONS["0 * * * *"]})["h"]
    spring = [t for t in hourly if t.astimezone(tz).date() == datetime(2025, 3, 30).date()]
    autumn = [t for t in hourly if t.astimezone(tz).date() == datetime(2025, 10, 26).date()]
    assert len(spring) == 23 and len(autumn) == 24


BERLIN = ZoneInfo("Europe/Berlin")


def local_times(times: list[datetime], tz: ZoneInfo = BERLIN) -> list[str]:
    return [t.astimezone(tz).strftime("%m-%d %H:%M%z") for t in times]


def test_missing_wall_time_fires_at_the_jump() -> None:
    daily = CronSchedule.parse("30 2 * * *", "Europe/Berlin")
    got = daily.between(datetime(2025, 3, 29, tzinfo=UTC), datetime(2025, 3, 31, 12, tzinfo=UTC))
    assert local_times(got) == ["03-29 02:30+0100", "03-30 03:00+0200", "03-31 02:30+0200"]


def test_missing_wall_time_is_dropped_with_skip_policy() -> None:
    daily = CronSchedule.parse("30 2 * * *", "Europe/Berlin", gap="skip")
    got = daily.between(datetime(2025, 3, 29, tzinfo=UTC), datetime(2025, 3, 31, 12, tzinfo=UTC))
    assert local_times(got) == ["03-29 02:30+0100", "03-31 02:30+0200"]


def test_ambiguous_wall_time_fires_once_at_first_occurrence() -> None:
    daily = CronSchedule.parse("30 2 * * *", "Europe/Berlin")
    got = daily.between(datetime(2025, 10, 25, 12, tzinfo=UTC), datetime(2025, 10, 27, 12, tzinfo=UTC))
    assert local_times(got) == ["10-26 02:30+0200", "10-27 02:30+0100"]


def test_hourly_on_dst_days() -> None:
    hourly = CronSchedule.parse("0 * * * *", "Europe/Berlin")
    spring = hourly.between(datetime(2025, 3, 29, 23, tzinfo=UTC), datetime(2025, 3, 30, 2, tzinfo=UTC))
    assert local_times(spring) == ["03-30 01:00+0100", "03-30 03:00+0200", "03-30 04:00+0200"]
    autumn = hourly.between(datetime(2025, 10, 25, 23, tzinfo=UTC), datetime(2025, 10, 26, 3, tzinfo=UTC))
    assert local_times(autumn) == ["10-26 02:00+0200", "10-26 03:00+0100", "10-26 04:00+0100"]


def test_starting_inside_the_repeated_hour_does_not_refire() -> None:
    hourly = CronSchedule.parse("15 * * * *", "Europe/Berlin")
    second_pass = datetime(2025, 10, 26, 2, 5, tzinfo=BERLIN).replace(fold=1)  # 02:05 CET, after the repeat
    assert local_times([hourly.next_after(second_pass)]) == ["10-26 03:15+0100"]


def test_half_hour_jump_in_lord_howe() -> None:
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    daily = CronSchedule.parse("15 2 * * *", lord_howe)
    got = daily.between(datetime(2025, 10, 3, 12, tzinfo=UTC), datetime(2025, 10, 5, 12, tzinfo=UTC))
    assert local_times(got, lord_howe) == ["10-04 02:15+1030", "10-05 02:30+1100"]


def test_localize_rules() -> None:
    assert localize(datetime(2025, 10, 26, 2, 30), BERLIN) == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)
    assert localize(datetime(2025, 3, 30, 2, 30), BERLIN) == datetime(2025, 3, 30, 1, 0, tzinfo=UTC)
    assert localize(datetime(2025, 3, 30, 2, 30), BERLIN, "skip") is None
    assert localize(datetime(2025, 6, 1, 12, 0), BERLIN) == datetime(2025, 6, 1, 10, 0, tzinfo=UTC)
    assert wall_time(datetime(2025, 6, 1, 10, 0, tzinfo=UTC), BERLIN) == datetime(2025, 6, 1, 12, 0)


def test_special_forms_use_croniter_walker() -> None:
    last_day = CronSchedule.parse("0 9 L * *", "Europe/Berlin")
    got = last_day.between(datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC))
    assert local_times(got) == ["01-31 09:00+0100", "02-28 09:00+0100", "03-31 09:00+0200"]
    first_monday = CronSchedule.parse("0 9 * * 1#1", "America/New_York")
    got = first_monday.between(datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC))
    assert [t.astimezone(first_monday.tz).day for t in got] == [6, 3, 3]
    march_31_noon = datetime(2025, 3, 31, 12, tzinfo=UTC)
    assert last_day.last_at_or_before(march_31_noon) == datetime(2025, 3, 31, 7, tzinfo=UTC)


# -- the fast walker must agree with croniter's own semantics (UTC: no DST involved) ---------------

FIELD_CHOICES = (
    ["*", "0", "*/15", "5,35", "10-20", "59"],
    ["*", "0", "9", "*/6", "8-17", "23"],
    ["*", "1", "15", "1-7", "*/10", "31", "29"],
    ["*", "1", "2", "2-4", "*/3", "dec"],
    ["*", "1", "mon-fri", "0", "6,0", "7", "sat"],
)


@given(
    fields=st.tuples(*(st.sampled_from(choices) for choices in FIELD_CHOICES)),
    start=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)),
)
def test_fast_walker_agrees_with_croniter(fields: tuple[str, ...], start: datetime) -> None:
    expr = " ".join(fields)
    if validate_cron(expr) is not None:
        return  # e.g. "31 2": never fires; the loader rejects it
    fast = CronSchedule.parse(expr, "UTC")
    slow = CronSchedule.parse(expr, "UTC")
    object.__setattr__(slow, "_fields", None)  # force the croniter walker
    after = start.replace(tzinfo=UTC)
    fast_it, slow_it = fast.iter_after(after), slow.iter_after(after)
    assert [next(fast_it) for _ in range(25)] == [next(slow_it) for _ in range(25)]


@given(
    expr=st.sampled_from(["0 * * * *", "30 2 * * *", "*/20 1-3 * * *", "0 9 1 * *", "0 0 L * *"]),
    name=st.sampled_from(["Europe/Berlin", "Australia/Lord_Howe", "America/Santiago", "UTC"]),
    instant=st.datetimes(datetime(2021, 1, 1), datetime(2028, 1, 1), timezones=st.just(UTC)),
)
def test_last_at_or_before_is_the_previous_occurrence(expr: str, name: str, instant: datetime) -> None:
    sched = CronSchedule.parse(expr, name)
    last = sched.last_at_or_before(instant)
    assert last is not None and last <= instant
    assert sched.next_after(last) > instant  # nothing between it and the instant
    if last < instant:
        assert sched.next_after(last - timedelta(microseconds=1)) == last


# -- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "fragment"),
    [
        ("* * * *", "expected 5 cron fields"),
        ("0 0 * * * *", "expected 5 cron fields"),
        ("61 * * * *", "not a valid cron expression"),
        ("0 0 30 2 *", "can never occur"),
        ("", "expected a cron expression"),
        ("0 9 1 * funday", "not a valid cron expression"),
    ],
)
def test_validate_cron_explains(expr: str, fragment: str) -> None:
    problem = validate_cron(expr)
    assert problem is not None and fragment in problem


def test_valid_expressions_and_aliases() -> None:
    assert validate_cron("0 9 1 * *") is None
    assert validate_cron(" @monthly ") is None
    monthly = CronSchedule.parse("@monthly", "UTC")
    assert monthly.next_after(datetime(2025, 1, 15, tzinfo=UTC)) == datetime(2025, 2, 1, tzinfo=UTC)


def test_parse_errors() -> None:
    with pytest.raises(CronError, match="expected 5 cron fields"):
        CronSchedule.parse("* *", "UTC")
    with pytest.raises(CronError, match="unknown time zone"):
        zone("Mars/Olympus_Mons")
    with pytest.raises(CronError, match="gap policy"):
        CronSchedule("0 * * * *", BERLIN, "later")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="naive"):
        CronSchedule.parse("0 * * * *", "UTC").next_after(datetime(2025, 1, 1))
