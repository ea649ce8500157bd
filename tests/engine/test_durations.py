from __future__ import annotations

import math

import pytest

from custom_components.bpo.engine.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("24:00:00", 86400.0),
        ("1:30", 5400.0),
        ("0:00:01.5", 1.5),
        ("36:00:00", 129600.0),
        ("7d", 604800.0),
        ("3h30m", 12600.0),
        ("90s", 90.0),
        ("1w", 604800.0),
        ("1d 12h", 129600.0),
        ("1.5h", 5400.0),
        ("2H", 7200.0),
        ("PT24H", 86400.0),
        ("P1DT12H", 129600.0),
        ("90", 90.0),
        (90, 90.0),
        (0, 0.0),
        (1.5, 1.5),
        ({"days": 1, "hours": 2}, 93600.0),
        ({"minutes": 1.5}, 90.0),
        ({"weeks": 1, "milliseconds": 500}, 604800.5),
    ],
)
def test_accepted_forms(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("sevendays", "expected a duration"),
        ("", "expected a duration"),
        ("7 days", "expected a duration"),
        ("1h 2h", "appears twice"),
        ("1:75", "expected a duration"),
        ("P", "expected a duration"),
        (-5, "cannot be negative"),
        (math.inf, "expected a duration"),
        (math.nan, "expected a duration"),
        (True, "expected a duration"),
        (None, "expected a duration"),
        ([1], "expected a duration"),
        ({}, "empty mapping"),
        ({"fortnights": 1}, "unknown duration key"),
        ({"days": "one"}, "must be a number"),
        ({"days": -1}, "cannot be negative"),
    ],
)
def test_rejected_forms_say_what_was_expected(value: object, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_duration(value)


def test_message_names_the_value() -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration("sevendays")
    assert "'sevendays'" in str(caught.value)
    assert "7d" in str(caught.value) and "24:00:00" in str(caught.value)


@pytest.mark.parametrize("seconds", [0.0, 1.0, 59.0, 90.0, 3600.0, 12600.0, 86400.0, 604800.0, 90061.0, 1.5])
def test_format_round_trips(seconds: float) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


def test_format_is_compact() -> None:
    assert format_duration(604800) == "7d"
    assert format_duration(86400) == "1d"
    assert format_duration(12600) == "3h 30m"


@pytest.mark.parametrize(
    "value",
    [
        "99999999999999999999d",
        {"weeks": 1.0e300},
        "P99999999999W",
        "3651d",
        "99999999:00",
        10**400 // 10**300,
    ],
)
def test_durations_longer_than_ten_years_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match="at most 3650 days"):
        parse_duration(value)


def test_ten_years_is_still_a_duration() -> None:
    assert parse_duration("3650d") == parse_duration({"days": 3650}) == 3650 * 86400.0
