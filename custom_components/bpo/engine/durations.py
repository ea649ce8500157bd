"""Durations as admins write them in YAML, turned into seconds (the model stores floats).

Accepted forms, so HA users and cron users both feel at home:

- a number: seconds (``90``, ``1.5``);
- HA clock style: ``"24:00:00"``, ``"1:30"`` (hours:minutes), ``"0:00:01.5"``; hours may exceed 24;
- compact units: ``"7d"``, ``"1w 2d"``, ``"3h30m"``, ``"90s"``, ``"1.5h"`` (units w, d, h, m, s);
- ISO 8601: ``"PT24H"``, ``"P1DT12H"``, ``"P2W"`` (no years or months: they have no fixed length);
- a mapping like HA's ``{days: 1, hours: 2, minutes: 3, seconds: 4}`` (also ``weeks``, ``milliseconds``).

Negative durations are rejected; zero is allowed (the schema decides where zero makes sense). Durations
longer than ``MAX_DAYS`` (ten years) are rejected too: no business deadline is that far away, and far
larger values overflow date arithmetic when a timer is armed (``due: 99999999999999999999d``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

_UNIT_SECONDS = {"w": 604800.0, "d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
_MAPPING_SECONDS = {
    "weeks": 604800.0,
    "days": 86400.0,
    "hours": 3600.0,
    "minutes": 60.0,
    "seconds": 1.0,
    "milliseconds": 0.001,
}
_NUMBER = r"\d+(?:\.\d+)?"
_COMPACT = re.compile(rf"\s*(?P<n>{_NUMBER})\s*(?P<u>[wdhms])", re.IGNORECASE)
_CLOCK = re.compile(r"^(?P<h>\d+):(?P<m>[0-5]?\d)(?::(?P<s>[0-5]?\d(?:\.\d+)?))?$")
_ISO = re.compile(
    rf"^P(?:(?P<w>{_NUMBER})W)?(?:(?P<d>{_NUMBER})D)?"
    rf"(?:T(?:(?P<h>{_NUMBER})H)?(?:(?P<m>{_NUMBER})M)?(?:(?P<s>{_NUMBER})S)?)?$",
    re.IGNORECASE,
)
EXPECTED = "a duration such as 90s, 30m, 24h, 7d, 1d 12h, 24:00:00, PT24H or a number of seconds"
MAX_DAYS = 3650  # ten years
MAX_SECONDS = MAX_DAYS * 86400.0


class DurationError(ValueError):
    """The value is not a duration; the message says what was expected, in plain words."""


def parse_duration(value: object) -> float:
    """Seconds in ``value``; raises :class:`DurationError` for anything else."""
    if isinstance(value, bool):  # bool is an int subclass; ``true`` is never a duration
        raise DurationError(f"expected {EXPECTED}, got {value!r}")
    if isinstance(value, int | float):
        if isinstance(value, float) and math.isinf(value):  # written as .inf: not a duration at all
            raise DurationError(f"expected {EXPECTED}, got {value!r}")
        seconds = _checked(_as_float(value), value)
    elif isinstance(value, Mapping):
        seconds = _from_mapping(value)
    elif isinstance(value, str):
        seconds = _from_text(value)
    else:
        raise DurationError(f"expected {EXPECTED}, got {type(value).__name__} {_short(value)}")
    if seconds > MAX_SECONDS:
        raise DurationError(f"a duration can be at most {MAX_DAYS} days (10 years), got {_short(value)}")
    return seconds


def _as_float(value: int | float) -> float:
    try:
        return float(value)
    except OverflowError:  # an integer past float's range: too long, which parse_duration names
        return math.inf


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _checked(seconds: float, original: object) -> float:
    if math.isinf(seconds) and seconds > 0:
        return seconds  # too long: parse_duration names the limit
    if not math.isfinite(seconds):
        raise DurationError(f"expected {EXPECTED}, got {_short(original)}")
    if seconds < 0:
        raise DurationError(f"a duration cannot be negative, got {_short(original)}")
    return seconds


def _from_mapping(value: Mapping[object, object]) -> float:
    if not value:
        raise DurationError(f"expected {EXPECTED}, got an empty mapping")
    total = 0.0
    for key, amount in value.items():
        unit = _MAPPING_SECONDS.get(str(key))
        if unit is None:
            allowed = ", ".join(_MAPPING_SECONDS)
            raise DurationError(f"unknown duration key {key!r}; use {allowed}")
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            raise DurationError(f"{key} must be a number, got {amount!r}")
        total += _checked(_as_float(amount), amount) * unit
    return _checked(total, dict(value))


def _from_text(value: str) -> float:
    text = value.strip()
    if not text:
        raise DurationError(f"expected {EXPECTED}, got an empty text")
    if re.fullmatch(_NUMBER, text):
        return float(text)
    clock = _CLOCK.match(text)
    if clock:
        seconds = float(clock["s"]) if clock["s"] else 0.0
        return int(clock["h"]) * 3600.0 + int(clock["m"]) * 60.0 + seconds
    if text[:1] in "pP":
        return _from_iso(text, value)
    return _from_compact(text, value)


def _from_iso(text: str, original: str) -> float:
    iso = _ISO.match(text)
    # "P" alone or "P1DT" name no amount at all
    if not iso or not any(iso.groups()) or text.upper().endswith("T"):
        raise DurationError(f"expected {EXPECTED}, got {original!r}")
    return sum(float(iso[u]) * _UNIT_SECONDS[u] for u in "wdhms" if iso[u])


def _from_compact(text: str, original: str) -> float:
    total = 0.0
    pos = 0
    seen: set[str] = set()
    for part in _COMPACT.finditer(text):
        if part.start() != pos:
            break
        unit = part["u"].lower()
        if unit in seen:  # "1h 2h" is almost certainly a typo
            raise DurationError(f"unit {unit!r} appears twice in {original!r}")
        seen.add(unit)
        total += float(part["n"]) * _UNIT_SECONDS[unit]
        pos = part.end()
    if pos == 0 or text[pos:].strip():
        raise DurationError(f"expected {EXPECTED}, got {original!r}")
    return total


def format_duration(seconds: float) -> str:
    """Readable form for timelines: ``90061`` -> ``"1d 1h 1m 1s"``; parses back to the same value."""
    if seconds < 0 or not math.isfinite(seconds):
        raise DurationError(f"cannot format {seconds!r} as a duration")
    whole = int(seconds)
    fraction = seconds - whole
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        count, whole = divmod(whole, size)
        if count:
            parts.append(f"{count}{unit}")
    rest = whole + fraction
    if rest or not parts:
        parts.append(f"{rest:g}s" if fraction else f"{whole}s")
    return " ".join(parts)


# -- templated durations (``due: "{{ fields.sla_hours }}h"``) ------------------------------------------
# Allowed where the duration is rendered once and kept: a task's due (the instant), its remind and
# escalate.after offsets (kept with the task, counted from its creation at every arm) and a wait's delay.
# A step timeout and limits.per stay literal: they are read from the blueprint at every arm.
TEMPLATED = "a task's due, remind and escalate.after, and a wait's delay"
_EXPRESSION = re.compile(r"\{\{.*?\}\}", re.DOTALL)


def template_duration_problem(source: str) -> str | None:
    """What is statically wrong with a duration template, or None.

    Each ``{{ ... }}`` is stood in for by a number: ``"{{ fields.h }}h"`` must then read as a duration
    (``"1h"``); ``"{{ x }} hours"`` does not. A template that is one expression, or uses ``{%``, renders
    something only the run can tell, and is checked then.
    """
    if "{%" in source:
        return None
    sample = _EXPRESSION.sub("1", source).strip()
    if sample == "1":
        return None
    try:
        parse_duration(sample)
    except DurationError:
        return (
            f"this template cannot render a duration: with a number in place of each {{{{ ... }}}} it reads "
            f'{sample!r}; write it like "{{{{ fields.sla_hours }}}}h" or "{{{{ fields.seconds }}}}"'
        )
    return None


def rendered_duration(value: object) -> float:
    """Seconds in what a duration template rendered; the error never quotes the value (it may be a field)."""
    if isinstance(value, str):
        value = value.strip()
    try:
        return parse_duration(value)
    except DurationError as err:
        reason = str(err)
        if "at most" in reason:
            raise DurationError(f"it rendered a duration longer than {MAX_DAYS} days (10 years)") from None
        if "negative" in reason:
            raise DurationError("it rendered a negative duration") from None
        raise DurationError(f"it rendered {_kind(value)}, not {EXPECTED}") from None


def _kind(value: object) -> str:
    if value is None or value == "":
        return "nothing"
    return "a text" if isinstance(value, str) else f"a {type(value).__name__}"
