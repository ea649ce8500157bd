"""Checks on an inbound webhook body before anything is parsed into state: depth, Unicode, JSON shape.

The limits exist because the body comes from outside: ``json.loads`` recurses once per nesting level
(a deep body raises ``RecursionError``), and it accepts lone surrogates (``"\\ud800"``) and ``NaN``
that no store can write back. Everything here runs before the engine sees the event.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

MAX_DEPTH = 32  # nesting of objects and arrays, the outer object counting as 1

# a JSON string (escapes included), so brackets inside strings are not counted as nesting
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]++")
_INNERMOST = re.compile(rb"\[\]|\{\}")


def _too_deep(body: bytes) -> bool:
    """Whether objects/arrays nest deeper than ``MAX_DEPTH``, without recursing.

    Each pass removes the innermost empty pairs, so what is left after ``MAX_DEPTH`` passes is
    nesting deeper than that (or brackets that do not balance, which the parser refuses anyway).
    """
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b"", body))
    for _ in range(MAX_DEPTH):
        if not brackets:
            return False
        brackets, found = _INNERMOST.subn(b"", brackets)
        if not found:
            break
    return bool(brackets)


def _bad_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _has_lone_surrogate(value: Any) -> bool:
    """Depth is already bounded by ``MAX_DEPTH``, so this recursion is too."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, Mapping):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def parse_body(body: bytes) -> tuple[str, dict[str, Any]] | str:
    """``(event, data)`` or a short complaint for the sender (never quoting the body)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "body is not valid UTF-8"
    if _too_deep(body):
        return f"body nests deeper than {MAX_DEPTH} levels"
    try:
        payload = json.loads(text, parse_constant=_bad_constant)
    except (ValueError, RecursionError):  # RecursionError only if the pre-scan were wrong: still a 400
        return "body is not JSON"
    if _has_lone_surrogate(payload):
        return "body contains invalid Unicode (a lone surrogate escape)"
    if not isinstance(payload, Mapping):
        return "body must be a JSON object"
    event = payload.get("event")
    data = payload.get("data", {})
    if not isinstance(event, str) or not event.strip():
        return "event must be a non-empty string"
    if not isinstance(data, Mapping):
        return "data must be a JSON object"
    return event.strip(), dict(data)
