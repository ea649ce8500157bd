"""Clocks: UTC only, and a virtual clock that never runs backwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from custom_components.bpo.engine.clock import SystemClock, VirtualClock, ensure_utc


def test_ensure_utc_converts_and_refuses_naive() -> None:
    tokyo = datetime(2025, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=9)))
    converted = ensure_utc(tokyo)
    assert converted == datetime(2025, 1, 1, 0, 0, tzinfo=UTC) and converted.tzinfo is UTC
    with pytest.raises(ValueError, match="naive datetime 2025-01-01T09:00:00"):
        ensure_utc(datetime(2025, 1, 1, 9, 0))


def test_system_clock_is_aware_utc_and_current() -> None:
    now = SystemClock().now()
    assert now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


def test_virtual_clock_moves_only_forward() -> None:
    clock = VirtualClock(datetime(2025, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=1))))
    assert clock.now() == datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    assert clock.advance(90) == datetime(2025, 3, 1, 9, 1, 30, tzinfo=UTC)
    assert clock.advance(timedelta(hours=1)) == datetime(2025, 3, 1, 10, 1, 30, tzinfo=UTC)
    earlier = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    assert clock.advance_to(earlier) == datetime(2025, 3, 1, 10, 1, 30, tzinfo=UTC)
    assert clock.advance_to(datetime(2025, 3, 2, tzinfo=UTC)) == datetime(2025, 3, 2, tzinfo=UTC)
    with pytest.raises(ValueError, match="cannot go back"):
        clock.advance(-1)
    assert clock.now() == datetime(2025, 3, 2, tzinfo=UTC)
    with pytest.raises(ValueError, match="naive"):
        VirtualClock(datetime(2025, 1, 1))
    assert "2025-03-02" in repr(clock)
