"""Cron rules the mutation run found untested (issue 16): the message for a missing expression, how text
is taken in, and the skip policy looking backwards."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from custom_components.bpo.engine.cron import CronError, CronSchedule, localize, validate_cron


def test_a_missing_expression_is_explained_with_an_example() -> None:
    expected = "expected a cron expression such as '0 9 1 * *' (minute hour day month weekday)"
    assert validate_cron("   ") == expected
    assert validate_cron(None) == expected  # type: ignore[arg-type]


def test_parse_trims_the_text_and_refuses_what_is_not_text() -> None:
    assert CronSchedule.parse("  0 9 * * *\n", "UTC").expr == "0 9 * * *"
    with pytest.raises(CronError, match="expected a cron expression"):
        CronSchedule.parse(None, "UTC")  # type: ignore[arg-type]


def test_looking_back_with_skip_passes_over_a_missing_wall_time() -> None:
    noon = datetime(2025, 3, 30, 12, tzinfo=UTC)  # 02:30 did not exist in Berlin that morning
    skip = CronSchedule.parse("30 2 * * *", "Europe/Berlin", gap="skip")
    assert skip.last_at_or_before(noon) == datetime(2025, 3, 29, 1, 30, tzinfo=UTC)
    shift = CronSchedule.parse("30 2 * * *", "Europe/Berlin")
    assert shift.last_at_or_before(noon) == datetime(2025, 3, 30, 1, 0, tzinfo=UTC)  # fired at the jump


def test_every_missing_wall_time_shifts_to_the_exact_second_of_the_jump() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    jump = datetime(2020, 3, 29, 1, 0, tzinfo=UTC)  # 02:00 CET became 03:00 CEST
    for minute in range(60):
        assert localize(datetime(2020, 3, 29, 2, minute), berlin) == jump, minute


@pytest.fixture
def host_in_new_york(host_tz: Callable[[str], None]) -> None:
    """A host in New York: cron's instants must not depend on it."""
    host_tz("America/New_York")


@pytest.mark.usefixtures("host_in_new_york")
@pytest.mark.parametrize(
    ("wall", "instant"),
    [
        (datetime(2026, 10, 25, 2, 30), "2026-10-25T00:30:00+00:00"),  # shown twice in Berlin: the first
        (datetime(2026, 3, 29, 2, 30), "2026-03-29T01:00:00+00:00"),  # never shown: the jump
        (datetime(2026, 7, 1, 9, 0), "2026-07-01T07:00:00+00:00"),  # an ordinary summer time
    ],
)
def test_local_times_become_utc_instants_whatever_the_hosts_zone(wall: datetime, instant: str) -> None:
    # the result is stored and turned into keys as text: an instant in the host's zone would read the same
    # moment with another offset (-04:00) and give other keys
    result = localize(wall, ZoneInfo("Europe/Berlin"))
    assert result is not None
    assert result.isoformat() == instant
