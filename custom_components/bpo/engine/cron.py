"""DST-correct cron occurrences.

croniter given a zone-aware start fires ``30 2 * * *`` twice on a fall-back day and moves the
spring-forward run (pallets-eco/croniter#91). So croniter only parses and validates here; the
occurrences are walked in *naive local wall time* and each wall time is then localised by
one rule, :func:`localize`:

- **A cron expression names wall-clock times; each matching wall time fires exactly once.**
- **Ambiguous** wall time (clocks go back, the time happens twice): it fires at its *first*
  occurrence (the earlier instant, still on summer time). The repeated hour does not fire
  again, so ``0 * * * *`` leaves a two-hour gap in UTC that night, and ``30 2 * * *`` fires once.
- **Missing** wall time (clocks jump forward over it), default policy ``"shift"``: it fires at
  the instant the jump happens (the first wall time after the gap, e.g. 03:00 in Berlin), so a
  daily ``30 2 * * *`` still runs that day. Several missing wall times collapse into that one
  instant, and if a real occurrence falls on it too (``0 * * * *`` at 02:00 and 03:00) it fires
  once. With policy ``"skip"`` missing wall times do not fire at all (Home Assistant's rule).

Both rules keep the wall-time -> instant map monotonic, so occurrences come out strictly
increasing with no duplicates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterError, croniter

from .clock import ensure_utc

GapPolicy = Literal["shift", "skip"]

_ONE_DAY = timedelta(days=1)
# Largest DST jump in the tz database is 2 h (Antarctica/Troll); 3 h of wall-time margin is safe.
_MARGIN = timedelta(hours=3)
# Feb 29 on a given weekday can be 28 years apart; beyond that an expression never fires.
_MAX_DAYS_WITHOUT_MATCH = 366 * 29
_CRON_FIELDS = 5


class CronError(ValueError):
    """A cron expression or time zone is not usable; the message is meant for an admin."""


def zone(name: str | tzinfo) -> tzinfo:
    """An IANA zone by name (``"Europe/Berlin"``), or the given tzinfo unchanged."""
    if not isinstance(name, str):
        return name
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as err:  # OSError: a name too long for a file name
        shown = repr(name) if len(name) <= 60 else repr(name[:57] + "...")
        raise CronError(f"unknown time zone {shown}; expected an IANA name like Europe/Berlin") from err


def validate_cron(expr: str) -> str | None:
    """None when ``expr`` is a usable 5-field cron expression, else what is wrong, in plain words."""
    if not isinstance(expr, str) or not expr.strip():
        return "expected a cron expression such as '0 9 1 * *' (minute hour day month weekday)"
    text = expr.strip()
    if not text.startswith("@") and len(text.split()) != _CRON_FIELDS:
        return f"expected 5 cron fields (minute hour day month weekday), got {len(text.split())} in {text!r}"
    try:
        croniter.expand(text, strict=True)
    except CroniterError as err:
        detail = str(err).strip().splitlines()[-1] if str(err).strip() else ""
        return f"not a valid cron expression {text!r}" + (f" ({detail})" if detail else "")
    return None


def wall_time(instant: datetime, tz: tzinfo) -> datetime:
    """The naive local wall-clock time at ``instant`` in ``tz``."""
    return ensure_utc(instant).astimezone(tz).replace(tzinfo=None)


def localize(wall: datetime, tz: tzinfo, gap: GapPolicy = "shift") -> datetime | None:
    """The UTC instant a naive wall time in ``tz`` stands for, by the module's rule.

    Ambiguous -> the first (earlier) instant. Missing -> the instant clocks jumped
    (``gap="shift"``) or None (``gap="skip"``).
    """
    offset = tz.utcoffset(wall)
    if offset is not None and offset == tz.utcoffset(wall.replace(fold=1)):
        # Both readings agree: the wall time exists exactly once (by far the common case; this
        # is three times faster than the round trip below).
        return (wall - offset).replace(tzinfo=UTC)
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first
    if gap == "skip":
        return None
    return _jump_instant(wall, tz, first)


def _jump_instant(wall: datetime, tz: tzinfo, after_jump: datetime) -> datetime:
    """The instant clocks jumped over the missing ``wall``: the first instant showing a later time.

    fold=1 reads the wall time with the post-jump offset, which lands before the jump, so the
    jump lies in ``(before, after_jump]``; zoneinfo exposes no transition list, hence the search.
    """
    before = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    lo, hi = int(before.timestamp()), int(after_jump.timestamp())  # lo shows < wall, hi shows > wall
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) > wall:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


@dataclass(frozen=True, slots=True)
class _Fields:
    """Expanded cron fields for the fast walker (None = every value)."""

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int] | None
    months: frozenset[int] | None
    weekdays: frozenset[int] | None  # cron numbering: 0 = Sunday

    def day_matches(self, day: date) -> bool:
        if self.months is not None and day.month not in self.months:
            return False
        dom_ok = self.days is None or day.day in self.days
        dow_ok = self.weekdays is None or (day.weekday() + 1) % 7 in self.weekdays
        if self.days is not None and self.weekdays is not None:
            return dom_ok or dow_ok  # classic cron: both restricted means either may match
        return dom_ok and dow_ok


def _fast_fields(expr: str) -> _Fields | None:
    """Field sets when every value is a plain number; None for L, W and # forms (croniter walks those)."""
    it = croniter(expr, datetime(2000, 1, 1))
    if it.nth_weekday_of_month or it.nearest_weekday:
        return None
    expanded: list[list[int | str]] = it.expanded
    if any(v != "*" and not isinstance(v, int) for values in expanded for v in values):
        return None

    def values(index: int, size: int) -> tuple[int, ...]:
        raw = expanded[index]
        return tuple(range(size)) if raw == ["*"] else tuple(sorted({int(v) for v in raw}))

    def subset(index: int, modulo: int | None = None) -> frozenset[int] | None:
        raw = expanded[index]
        if raw == ["*"]:
            return None
        return frozenset(int(v) % modulo if modulo else int(v) for v in raw)

    return _Fields(values(0, 60), values(1, 24), subset(2), subset(3), subset(4, 7))


@dataclass(frozen=True, slots=True)
class CronSchedule:
    """Occurrences of one cron expression in one time zone; every instant returned is aware UTC."""

    expr: str
    tz: tzinfo
    gap: GapPolicy = "shift"
    _fields: _Fields | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problem = validate_cron(self.expr)
        if problem is not None:
            raise CronError(problem)
        if self.gap not in ("shift", "skip"):
            raise CronError(f"unknown gap policy {self.gap!r}; expected 'shift' or 'skip'")
        object.__setattr__(self, "_fields", _fast_fields(self.expr.strip()))

    @classmethod
    def parse(cls, expr: str, tz: str | tzinfo, gap: GapPolicy = "shift") -> CronSchedule:
        """Build from text and a zone name; raises :class:`CronError` with a plain message."""
        return cls(expr.strip() if isinstance(expr, str) else expr, zone(tz), gap)

    # -- forward ---------------------------------------------------------------

    def next_after(self, after: datetime) -> datetime:
        """The first occurrence strictly after ``after``."""
        return next(self.iter_after(after))

    def iter_after(self, after: datetime) -> Iterator[datetime]:
        """Occurrences strictly after ``after``, increasing, endless."""
        start = ensure_utc(after)
        last = start
        for wall in self._walls_after(wall_time(start, self.tz) - _MARGIN):
            instant = localize(wall, self.tz, self.gap)
            if instant is not None and instant > last:  # equal = collapsed gap or already passed
                last = instant
                yield instant

    def between(self, after: datetime, until: datetime, limit: int | None = None) -> list[datetime]:
        """Occurrences in ``(after, until]``; at most ``limit`` of them, the earliest."""
        end = ensure_utc(until)
        out: list[datetime] = []
        for instant in self.iter_after(after):
            if instant > end or (limit is not None and len(out) >= limit):
                break
            out.append(instant)
        return out

    # -- backward --------------------------------------------------------------

    def last_at_or_before(self, instant: datetime) -> datetime | None:
        """The latest occurrence at or before ``instant`` (None if there is none in ~29 years)."""
        limit = ensure_utc(instant)
        for wall in self._walls_before(wall_time(limit, self.tz) + _MARGIN):
            found = localize(wall, self.tz, self.gap)
            if found is not None and found <= limit:
                return found
        return None

    # -- wall-time walkers -----------------------------------------------------

    def _walls_after(self, start: datetime) -> Iterator[datetime]:
        """Matching naive wall times strictly after ``start``, increasing."""
        fields = self._fields
        if fields is None:
            it = croniter(self.expr, start)
            while True:
                yield it.get_next(datetime)
        day, idle = start.date(), 0
        while idle < _MAX_DAYS_WITHOUT_MATCH:
            if fields.day_matches(day):
                idle = 0
                for hour in fields.hours:
                    for minute in fields.minutes:
                        wall = datetime(day.year, day.month, day.day, hour, minute)
                        if wall > start:
                            yield wall
            else:
                idle += 1
            day += _ONE_DAY
        raise CronError(f"cron expression {self.expr!r} never fires")

    def _walls_before(self, start: datetime) -> Iterator[datetime]:
        """Matching naive wall times at or before ``start``, decreasing; ends after ~29 idle years."""
        fields = self._fields
        if fields is None:
            it = croniter(self.expr, start + timedelta(seconds=1), is_prev=True)
            floor = start - timedelta(days=_MAX_DAYS_WITHOUT_MATCH)
            while (wall := it.get_prev(datetime)) >= floor:
                yield wall
            return
        day, idle = start.date(), 0
        while idle < _MAX_DAYS_WITHOUT_MATCH:
            if fields.day_matches(day):
                idle = 0
                for hour in reversed(fields.hours):
                    for minute in reversed(fields.minutes):
                        wall = datetime(day.year, day.month, day.day, hour, minute)
                        if wall <= start:
                            yield wall
            else:
                idle += 1
            day -= _ONE_DAY
