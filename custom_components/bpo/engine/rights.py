"""Templated ``viewers``/``pii_cleared`` entries: rendered once when an instance starts, then kept with it.

One blueprint serves many clients when an entry names the instance's own people, like
``group:client_{{ fields.client }}``. Such an entry is rendered when the instance starts (from its fields,
item, key and inputs) and stored on the instance (``Instance.rights``), so neither a restart nor a later
edit of the blueprint changes who may see it. Each ``{{ }}`` expression is rendered on its own and must
give a plain name (letters, digits, ``_ . @ -``): an expression that renders empty, fails, or gives
anything else (``acme, group:staff``) makes the whole entry grant nothing (fail closed; ``group:client_``
is never granted), and the entry is reported by its list and index, never by its rendered value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from .model import Process
from .policy import entry_problem
from .templates import TemplateFailed, is_template

RIGHTS = ("viewers", "pii_cleared")
_EXPRESSION = re.compile(r"{{.*?}}", re.S)
_NAME = re.compile(r"[A-Za-z0-9_.@-]+")


def fixed(entries: tuple[str, ...]) -> Iterator[str]:
    """The entries that are the same for every instance."""
    return (e for e in entries if not is_template(e))


def render_rights(
    process: Process, render: Callable[[str], str]
) -> tuple[dict[str, list[str]] | None, list[tuple[str, int]]]:
    """The rendered templated entries per list, and the ``(list, index)`` of each that failed."""
    out: dict[str, list[str]] = {}
    failed: list[tuple[str, int]] = []
    for key in RIGHTS:
        for index, entry in enumerate(getattr(process, key)):
            if not is_template(entry):
                continue
            text = _render(entry, render)
            if text is None or entry_problem(text) is not None:
                failed.append((key, index))
            else:
                out.setdefault(key, []).append(text)
    return out or None, failed


def _render(entry: str, render: Callable[[str], str]) -> str | None:
    parts: list[str] = []
    last = 0
    for match in _EXPRESSION.finditer(entry):
        try:
            value = render(match.group(0)).strip()
        except TemplateFailed:
            return None
        if not _NAME.fullmatch(value) or value == "None":
            return None
        parts.extend((entry[last : match.start()], value))
        last = match.end()
    parts.append(entry[last:])
    text = "".join(parts)
    return None if is_template(text) else text
