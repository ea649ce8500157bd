"""Working-time calendars behind the ``BusinessCalendar`` port.

A due date of "2 working days" counts only the hours a team works: weekly hours in the
calendar's own time zone, minus holidays. Hours are wall-clock times, so a 09:00-17:00 day
stays 09:00-17:00 across DST changes; wall times are turned into instants by the same rule
as cron (:func:`.cron.localize`: ambiguous -> first occurrence, missing -> the jump instant).

Configuration, as admins write it (and as the HA layer and CLI pass it to
:func:`calendar_from_config`)::

    time_zone: Europe/Berlin
    hours:
      mon-fri: "09:00-17:00"
      sat: ["10:00-12:00", "13:00-15:00"]
      sun: []                      # closed (also the default for unnamed days)
    holidays: ["2025-12-24", "12-25", "01-01"]   # a date, or month-day for every year
    country: JP                    # national holidays from the ``holidays`` package (optional)
    subdivision: "13"              # a state / prefecture of that country (optional)

A range whose end is not after its start runs over midnight (``"22:00-06:00"``, night shift);
it belongs to the day it starts on, so a holiday closes the shift that starts on it.
``"24:00"`` means the end of the day.

National holidays come from the ``holidays`` package (the one Home Assistant's ``workday`` integration
uses). It is imported only when a calendar names a ``country``, and the country's table is built when the
calendar is (blueprints are read off the event loop), so counting time later imports nothing.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from .clock import ensure_utc
from .cron import CronError, localize, wall_time, zone
from .errors import KeyPath, format_path
from .ports import ClosedDays

CALENDAR_KEYS = ("time_zone", "hours", "holidays", "country", "subdivision", "closed_from")
# what closed_from may name: a Home Assistant Workday binary sensor
_CLOSED_SOURCE = re.compile(r"^binary_sensor\.[a-z0-9_]+$")
_WORKDAY = "binary_sensor.workday_sensor"
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")
_ONE_DAY = timedelta(days=1)
# A calendar with no working time in ten years is a configuration mistake, not a long wait.
_MAX_IDLE_DAYS = 3660

Span = tuple[int, int]  # minutes after the day's midnight: start, end (end may pass 1440: overnight)
Found = tuple[KeyPath, str]  # a mistake in a calendar definition: where inside it, what


class CalendarError(ValueError):
    """A calendar definition is unusable, or it has no working time to count.

    Given one message (at the key path ``at``) or every mistake of a definition: ``problems`` lists each with
    its key path inside the calendar (``("holidays", 1)``) and a message that does not repeat the key; the
    text joins them as ``holidays[1]: ...``.
    """

    def __init__(self, message: str | Sequence[Found], *, at: KeyPath = ()) -> None:
        self.problems: tuple[Found, ...] = ((at, message),) if isinstance(message, str) else tuple(message)
        super().__init__("; ".join(f"{format_path(p)}: {m}" if p else m for p, m in self.problems))


class NationalHolidays:
    """The public holidays of one country (and subdivision), from the ``holidays`` package.

    Equal when country and subdivision are: the table itself is a cache the package fills a year at a
    time, the first time a date of that year is asked about.
    """

    __slots__ = ("_table", "country", "subdivision")

    def __init__(self, country: str, subdivision: str | None = None) -> None:
        import holidays  # lazy: only calendars naming a country pay for the package

        self.country = country
        self.subdivision = subdivision
        try:
            self._table = holidays.country_holidays(country, subdiv=subdivision)
        except NotImplementedError as err:  # the package's word for an unknown country or subdivision
            key, message = _unknown_region(country, subdivision, holidays)
            raise CalendarError(message, at=(key,)) from err

    def __contains__(self, day: date) -> bool:
        return day in self._table

    def name(self, day: date) -> str | None:
        found = self._table.get(day)
        return None if found is None else str(found)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NationalHolidays) and (self.country, self.subdivision) == (
            other.country,
            other.subdivision,
        )

    def __hash__(self) -> int:
        return hash((self.country, self.subdivision))

    def __repr__(self) -> str:
        return f"NationalHolidays({self.country!r}, {self.subdivision!r})"


def _unknown_region(country: str, subdivision: str | None, package: object) -> tuple[str, str]:
    """(the key at fault, what is wrong with it)."""
    supported: dict[str, list[str]] = getattr(package, "list_supported_countries")()  # noqa: B009
    if country not in supported:
        return (
            "country",
            f"{country!r} is not a country the holidays package knows (ISO codes like JP, DE, US)",
        )
    # the list of a country's subdivisions differs between package versions: name only near misses
    close = difflib.get_close_matches(str(subdivision).upper(), supported[country], n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return "subdivision", f"{subdivision!r} is not a subdivision of {country} in the holidays package{hint}"


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """Weekly working hours in ``tz`` minus holidays.

    ``week`` holds seven tuples of spans, Monday first. ``holidays`` are exact dates;
    ``yearly`` are ``(month, day)`` pairs closed every year.
    """

    tz: tzinfo
    week: tuple[tuple[Span, ...], ...]
    holidays: frozenset[date] = frozenset()
    yearly: frozenset[tuple[int, int]] = frozenset()
    national: NationalHolidays | None = None
    # host sources of closed days (Workday sensors), asked through ``host`` (set by the engine's Context)
    closed_from: tuple[str, ...] = ()
    host: ClosedDays | None = None

    def __post_init__(self) -> None:
        if len(self.week) != len(_DAY_NAMES):
            raise CalendarError(f"a working week needs 7 days of hours, got {len(self.week)}")
        if not any(self.week):
            raise CalendarError("the calendar has no working hours on any day")
        for spans in self.week:
            for start, end in spans:
                if not 0 <= start < 1440 or not start < end <= start + 1440:
                    raise CalendarError(f"bad working span {start}-{end} (minutes after midnight)")

    # -- the BusinessCalendar port -----------------------------------------------

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant after ``seconds`` of working time counted from ``start``.

        Counting starts at the next working instant, and a total that is used up exactly at
        the end of a working day ends there (17:00), not at the next morning.
        """
        if seconds < 0:
            raise ValueError(f"cannot add negative working time ({seconds} s)")
        begin = ensure_utc(start)
        if seconds == 0:
            return begin
        remaining = timedelta(seconds=seconds)
        for low, high in self._intervals_from(begin):
            counted_from = max(low, begin)
            if remaining <= high - counted_from:
                return counted_from + remaining
            remaining -= high - counted_from
        raise AssertionError("unreachable: _intervals_from is endless")  # pragma: no cover

    # -- queries ---------------------------------------------------------------------

    def working_seconds(self, start: datetime, end: datetime) -> float:
        """Working time between two instants (0 when ``end`` is not after ``start``)."""
        begin, finish = ensure_utc(start), ensure_utc(end)
        total = timedelta(0)
        if finish <= begin:
            return 0.0
        for low, high in self._intervals_from(begin):
            if low >= finish:
                break
            total += min(high, finish) - max(low, begin)
        return total.total_seconds()

    def is_working(self, at: datetime) -> bool:
        instant = ensure_utc(at)
        low, _high = next(self._intervals_from(instant))
        return low <= instant

    def next_working(self, at: datetime) -> datetime:
        """``at`` itself during working time, else the start of the next working span."""
        instant = ensure_utc(at)
        low, _high = next(self._intervals_from(instant))
        return max(low, instant)

    def is_holiday(self, day: date) -> bool:
        return (
            day in self.holidays
            or (day.month, day.day) in self.yearly
            or (self.national is not None and day in self.national)
            or (self.host is not None and any(self.host.closed(source, day) for source in self.closed_from))
        )

    def next_business_day(self, at: datetime) -> datetime:
        """The start of the first working span on a later local day than ``at``'s (UTC)."""
        instant = ensure_utc(at)
        today = wall_time(instant, self.tz).date()
        for low, _high in self._intervals_from(instant):
            if wall_time(low, self.tz).date() > today:
                return low
        raise AssertionError("unreachable: _intervals_from is endless")  # pragma: no cover

    # -- internals --------------------------------------------------------------------

    def _intervals_from(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Disjoint working intervals (UTC, increasing) that end after ``start``; endless.

        Begins one local day early so an overnight span from yesterday is not missed. Spans
        arrive ordered by start, so clipping each to the latest end seen so far yields the
        exact union: overlapping or repeated hours count once.
        """
        day = wall_time(start, self.tz).date() - _ONE_DAY
        latest: datetime | None = None
        idle = 0
        while True:
            spans = () if self.is_holiday(day) else self.week[day.weekday()]
            midnight = datetime(day.year, day.month, day.day)
            produced = False
            for first, last in spans:
                low = localize(midnight + timedelta(minutes=first), self.tz)
                high = localize(midnight + timedelta(minutes=last), self.tz)
                if low is None or high is None:  # pragma: no cover -- "shift" never returns None
                    continue
                if latest is not None and low < latest:
                    low = latest
                if high <= low:
                    continue  # already counted, or swallowed whole by a DST jump
                latest = high
                if high > start:
                    produced = True
                    yield low, high
            idle = 0 if produced else idle + 1
            if idle > _MAX_IDLE_DAYS:
                raise CalendarError(f"no working time within {_MAX_IDLE_DAYS} days after {start.isoformat()}")
            day += _ONE_DAY


# -- configuration ---------------------------------------------------------------------


def calendar_from_config(raw: Mapping[str, object], default_tz: str | tzinfo = "UTC") -> WorkingCalendar:
    """Build a calendar from its YAML form (see the module docstring).

    Every key is read even after a mistake, so one :class:`CalendarError` names all of them, each where it is.
    """
    found: list[Found] = []
    unknown = set(raw) - set(CALENDAR_KEYS)
    if unknown:
        found.append(((), f"unknown calendar key(s) {sorted(unknown)}; use {', '.join(CALENDAR_KEYS)}"))
    tz = _time_zone(raw.get("time_zone", default_tz), found)
    week = _week(raw.get("hours"), found)
    holidays, yearly = _holidays(raw.get("holidays", ()), found)
    national = _national(raw.get("country"), raw.get("subdivision"), found)
    closed_from = _closed_from(raw.get("closed_from"), found)
    if found or tz is None:
        raise CalendarError(found)
    return WorkingCalendar(tz, week, frozenset(holidays), frozenset(yearly), national, closed_from)


def _time_zone(value: object, found: list[Found]) -> tzinfo | None:
    try:
        return zone(value) if isinstance(value, str | tzinfo) else zone(str(value))
    except CronError as err:
        found.append((("time_zone",), str(err)))
        return None


def _week(hours: object, found: list[Found]) -> tuple[tuple[Span, ...], ...]:
    if not isinstance(hours, Mapping) or not hours:
        found.append((("hours",), "expected a mapping like {mon-fri: '09:00-17:00'}"))
        return ()
    before = len(found)
    week: list[list[Span]] = [[] for _ in _DAY_NAMES]
    for key, value in hours.items():
        days = _day_indexes(str(key), found)
        spans = _spans(value, ("hours", str(key)), found)
        for index in days:
            week[index].extend(spans)
    if len(found) == before and not any(week):
        found.append((("hours",), "the calendar has no working hours on any day"))
    return tuple(tuple(sorted(d)) for d in week)


def _closed_from(value: object, found: list[Found]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[tuple[KeyPath, object]] = [(("closed_from",), value)]
    elif isinstance(value, list):
        items = [(("closed_from", index), item) for index, item in enumerate(value)]
    else:
        found.append((("closed_from",), f"expected Workday sensors of Home Assistant, like [{_WORKDAY}]"))
        return ()
    out: list[str] = []
    for where, item in items:
        if isinstance(item, str) and _CLOSED_SOURCE.match(item):
            out.append(item)
        else:
            found.append(
                (where, f"expected a Workday sensor of Home Assistant like {_WORKDAY}, got {item!r}")
            )
    return tuple(out)


def _national(country: object, subdivision: object, found: list[Found]) -> NationalHolidays | None:
    if country is None:
        if subdivision is not None:
            found.append(
                (("subdivision",), "needs country: too (for example country: JP, subdivision: '13')")
            )
        return None
    if not isinstance(country, str) or not country.strip():
        found.append((("country",), f"expected an ISO country code like JP, got {country!r}"))
        return None
    if subdivision is not None and (isinstance(subdivision, bool) or not isinstance(subdivision, str | int)):
        found.append((("subdivision",), f"expected a code like '13' or 'BY', got {subdivision!r}"))
        return None
    try:
        return NationalHolidays(country.strip().upper(), None if subdivision is None else str(subdivision))
    except CalendarError as err:
        found.extend(err.problems)
        return None


def _day_indexes(key: str, found: list[Found]) -> list[int]:
    out: list[int] = []
    for part in key.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in _DAY_NAMES or (last and last not in _DAY_NAMES):
            found.append(
                (("hours", key), f"{key!r} is not a day; use mon..sun, ranges like mon-fri, or lists")
            )
            return []
        lo = _DAY_NAMES.index(first)
        hi = _DAY_NAMES.index(last) if last else lo
        if hi < lo:
            found.append((("hours", key), f"day range {key!r} runs backwards"))
            return []
        out.extend(range(lo, hi + 1))
    return out


def _spans(value: object, where: KeyPath, found: list[Found]) -> list[Span]:
    if value is None:
        return []
    items: list[tuple[KeyPath, object]]
    if isinstance(value, list | tuple):
        items = [((*where, index), item) for index, item in enumerate(value)]
    else:
        items = [(where, value)]
    out: list[Span] = []
    for at, item in items:
        span = _span(item)
        if isinstance(span, str):
            found.append((at, span))
        else:
            out.append(span)
    return out


def _span(item: object) -> Span | str:
    """A time range as minutes after midnight, or what is wrong with it."""
    match = _RANGE.match(item) if isinstance(item, str) else None
    if match is None:
        return f"expected a time range like '09:00-17:00', got {item!r}"
    h0, m0, h1, m1 = (int(g) for g in match.groups())
    if h0 > 23 or m0 > 59 or m1 > 59 or h1 > 24 or (h1 == 24 and m1):
        return f"{item!r} is not a valid time range"
    start, end = h0 * 60 + m0, h1 * 60 + m1
    if end <= start:
        end += 1440  # runs over midnight
    if end == start + 1440 and h1 != 24:
        return f"{item!r} starts and ends at the same time"
    return start, end


def _holidays(value: object, found: list[Found]) -> tuple[set[date], set[tuple[int, int]]]:
    exact: set[date] = set()
    yearly: set[tuple[int, int]] = set()
    if value is None:
        return exact, yearly
    if not isinstance(value, Iterable) or isinstance(value, str | bytes):
        found.append((("holidays",), "expected a list of dates like 2025-12-25 or 12-25"))
        return exact, yearly
    for index, item in enumerate(value):
        if isinstance(item, date):  # YAML already turned 2025-12-25 into a date
            exact.add(item)
            continue
        text = str(item).strip()
        month_day = _MONTH_DAY.match(text)
        try:
            if month_day:
                month, day = int(month_day[1]), int(month_day[2])
                date(2000, month, day)  # leap year, so 02-29 is accepted
                yearly.add((month, day))
            else:
                exact.add(date.fromisoformat(text))
        except ValueError:
            found.append((("holidays", index), f"{item!r} is not a date like 2025-12-25 or 12-25"))
    return exact, yearly


def always_open(tz: str | tzinfo = "UTC") -> WorkingCalendar:
    """Every hour counts: handy for tests and for processes without a calendar."""
    return WorkingCalendar(zone(tz), tuple(((0, 1440),) for _ in _DAY_NAMES))
