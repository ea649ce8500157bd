"""The PII rule applied to the engine's own outputs: its events (hence HA's bus, logbook and recorder).

Called by ``Core._emit`` for every event that carries text or values: a tainted task ``title`` is
replaced by its masked form (:mod:`.pii_taint`); values of free-text fields not marked ``pii`` that look
like personal data (:mod:`.pii_text`) are masked too, the event says which fields (``pii_suspected``) and a
warning naming field and kind - never the value - is logged, so the admin can mark the field ``pii: true``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from .model import Process
from .pii_taint import MASK, public_title
from .pii_text import describe, suspects

_LOGGER = logging.getLogger(__name__)
KEYS = frozenset({"title", "form", "fields"})  # payload keys this guard looks at
_WARN_ON = {"task_completed": "form", "instance_started": "fields"}  # where people type values in


def mask_values(text: str, values: Mapping[str, Any], process: Process | None) -> str:
    """``text`` (an error: another integration's message may quote what bpo sent it) with the values of
    ``pii`` fields and of free text that looks like personal data replaced by ``***``; with no process
    known, every value counts."""
    if process is None:
        names: Iterable[str] = values
    else:
        names = {n for n, f in process.fields.items() if f.pii} | set(suspects(values, process.fields))
    shown = {str(values[n]) for n in names if values.get(n) is not None}
    for value in sorted((v for v in shown if v), key=len, reverse=True):  # a value holding another: whole
        text = text.replace(value, MASK)
    return text


def guard_event(kind: str, data: dict[str, Any], process: Process | None) -> None:
    """Mask ``data`` (an event payload) in place; see the module docstring."""
    step, title = data.get("step"), data.get("title")
    if isinstance(step, str) and isinstance(title, str):
        data["title"] = public_title(process, step, title)
    if process is None:
        return
    for key in ("form", "fields"):
        values = data.get(key)
        if not isinstance(values, dict) or not values:
            continue
        found = suspects(values, process.fields)
        if not found:
            continue
        data[key] = {k: (MASK if k in found else v) for k, v in values.items()}
        if _WARN_ON.get(kind) == key:
            data["pii_suspected"] = sorted(found)
            _LOGGER.warning(
                "%s %s of %s: %s look like personal data in field(s) not marked pii: true; the values are "
                "masked in events, mark the fields pii in the blueprint",
                "Task" if key == "form" else "Instance",
                data.get("task_id") or data.get("instance_id"),
                data.get("process"),
                describe(found),
            )
