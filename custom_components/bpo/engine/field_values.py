"""Values for a process's fields: checked against the declared type and the size limits, never echoed.

Every way a value reaches an instance goes through here - a task's form (``Engine.complete_task``) and the
``fields`` of a start by action (``bpo.start``) - so an ``amount`` of ``"abc"`` or ``"nan"``, a list for an
``entity``, a 1 MB key or a deep structure is refused before anything is stored. Messages name the field
and what was expected, never the value: the value may be personal data and the message reaches the caller,
HA's log and the logbook.

Limits (documented in docs/home-assistant.md, "Actions"): a text, file or undeclared string value at most
``MAX_TEXT`` characters; a field name, an ``entity`` value, ids, keys and assignees at most ``MAX_NAME``; at
most ``MAX_FIELDS`` values in one form or start; lists and mappings at most ``MAX_DEPTH`` deep with at most
``MAX_ITEMS`` items in all; numbers finite (``nan`` and ``inf`` are refused) and integers within
+/-``MAX_INT``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from .model import FieldDef

MAX_TEXT = 10_000  # characters of one text, file or undeclared string value
MAX_NAME = 255  # characters of a field name, an entity value, an id, a key, an assignee, a process
MAX_FIELDS = 100  # values in one form or one start
MAX_ITEMS = 1_000  # items of a list or mapping (file fields and undeclared values), all levels counted
MAX_DEPTH = 5  # nesting of lists and mappings
# integers JSON readers agree on (JavaScript's safe range; orjson refuses beyond 64 bits at save time)
MAX_INT = 2**53 - 1
_ENTITY = re.compile(r"[a-z0-9_]+\.[^\s.][^\s]*")


def _finite(number: float) -> float:
    if not math.isfinite(number):
        raise ValueError("expected a finite number")
    return number


def _safe(number: int) -> int:
    if not -MAX_INT <= number <= MAX_INT:
        raise ValueError(f"expected a number from -{MAX_INT} to {MAX_INT}")
    return number


def _size(value: object, depth: int = 0, budget: list[int] | None = None) -> None:
    """Refuse structures deeper than MAX_DEPTH, with more than MAX_ITEMS items or over-long strings."""
    budget = budget if budget is not None else [MAX_ITEMS]
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise ValueError(f"expected text of at most {MAX_TEXT} characters")
        return
    if isinstance(value, float):
        _finite(value)
        return
    if isinstance(value, int) and not isinstance(value, bool):
        _safe(value)
        return
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, Mapping | list | tuple):
        if depth >= MAX_DEPTH:
            raise ValueError(f"nested more than {MAX_DEPTH} levels")
        budget[0] -= len(value)
        if budget[0] < 0:
            raise ValueError(f"more than {MAX_ITEMS} items")
        items = value.items() if isinstance(value, Mapping) else enumerate(value)
        for key, item in items:
            if isinstance(key, str) and len(key) > MAX_NAME:
                raise ValueError(f"a key longer than {MAX_NAME} characters")
            _size(item, depth + 1, budget)
        return
    raise ValueError("expected text, a number, true/false, a list or a mapping")


def coerce(fdef: FieldDef, value: Any) -> Any:
    """The JSON-able value to store for ``fdef``; ValueError says what was expected (never the value)."""
    kind = fdef.type
    if kind == "number":
        if isinstance(value, bool):
            raise ValueError("expected a number")
        if isinstance(value, int):
            return _safe(value)
        if isinstance(value, float):
            return _finite(value)
        if not isinstance(value, str) or len(value) > MAX_NAME:
            raise ValueError("expected a number")
        text = value.strip()
        try:
            whole = int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                raise ValueError("expected a number") from None
            return _finite(number)
        return _safe(whole)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "on", "1"):
            return True
        if text in ("false", "no", "off", "0"):
            return False
        raise ValueError("expected true or false")
    if kind == "choice":
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise ValueError(
                f"expected one of {', '.join(fdef.options)}" if fdef.options else "expected text"
            )
        if fdef.options and str(value) not in fdef.options:
            raise ValueError(f"expected one of {', '.join(fdef.options)}")
        return str(value)
    if kind == "date":
        if isinstance(value, date):
            return value.isoformat()
        wanted = "expected a date like 2026-01-31"
        if not isinstance(value, str) or len(value) > MAX_NAME:
            raise ValueError(wanted)
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            raise ValueError(wanted) from None
    if kind == "entity":
        if not isinstance(value, str) or len(value) > MAX_NAME or not _ENTITY.fullmatch(value.strip()):
            raise ValueError("expected an entity id like person.alice")
        return value.strip()
    # text, file (a path, a URL or a structure an integration passes): bounded JSON, kept with its type (a
    # number typed into a text field stays a number)
    _size(value)
    return value


def check_values(values: Mapping[str, Any], fields: Mapping[str, FieldDef], what: str) -> dict[str, Any]:
    """Every value of ``values`` coerced by its declared field (an undeclared name is only size-checked).

    Raises ValueError listing each problem as ``<name>: <what was expected>``; ``what`` names the whole
    (``"fields"``, ``"form"``). ``None`` values are kept as they are (not given)."""
    if len(values) > MAX_FIELDS:
        raise ValueError(f"{what}: more than {MAX_FIELDS} values")
    problems: list[str] = []
    out: dict[str, Any] = {}
    for name, value in values.items():
        if not isinstance(name, str) or not name or len(name) > MAX_NAME:
            problems.append(f"{what}: a name that is empty, not text or longer than {MAX_NAME} characters")
            continue
        if value is None or value == "":
            out[name] = value  # not given (as a form leaves it)
            continue
        try:
            fdef = fields.get(name)
            if fdef is None:
                _size(value)  # undeclared: only bounded here (the engine refuses names it does not know)
                out[name] = value
            else:
                out[name] = coerce(fdef, value)
        except ValueError as err:
            problems.append(f"{name}: {err}")
    if problems:
        raise ValueError("; ".join(problems))
    return out
