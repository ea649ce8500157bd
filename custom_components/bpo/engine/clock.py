"""Clocks behind the ``Clock`` port: the real one and a virtual one for tests and ``bpo simulate``.

The engine keeps every instant as an aware UTC datetime; :func:`ensure_utc` is the one gate
through which outside datetimes enter, so a naive datetime fails loudly instead of being
silently read in the machine's local zone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def ensure_utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime; naive datetimes are refused (their zone is a guess)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} has no time zone; pass an aware datetime")
    return value.astimezone(UTC)


class SystemClock:
    """Wall-clock time of this machine, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class VirtualClock:
    """A clock that only moves when told to; time never runs backwards.

    The simulator jumps it straight to the next timer, so a simulated year costs
    only as many steps as there are deadlines.
    """

    __slots__ = ("_now",)

    def __init__(self, start: datetime) -> None:
        self._now = ensure_utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        """Move forward by ``delta`` (a timedelta or seconds); returns the new now."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        if step < timedelta(0):
            raise ValueError(f"a virtual clock cannot go back ({step})")
        self._now += step
        return self._now

    def advance_to(self, instant: datetime) -> datetime:
        """Move to ``instant``; an instant already past leaves the clock where it is."""
        self._now = max(self._now, ensure_utc(instant))
        return self._now

    def __repr__(self) -> str:
        return f"VirtualClock({self._now.isoformat()})"
