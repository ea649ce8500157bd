"""Typed accessors over loaded YAML that report problems instead of raising.

Each accessor returns a usable value (or ``None``) and records a problem when the
input is wrong, so one pass over a file finds every mistake in it.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TypeVar

from . import checks
from .durations import TEMPLATED, parse_duration, template_duration_problem
from .errors import Collector, KeyPath

T = TypeVar("T", bound=str)


def describe(value: object) -> str:
    """Plain words for what an admin wrote: ``a list``, ``the number 3``, ``'abc'``."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return f"the number {value}"
    return repr(value)


class Reader:
    def __init__(self, out: Collector) -> None:
        self.out = out
        # every template met, with where it was written: checked against the whole process at the end
        self.templates: list[tuple[KeyPath, str]] = []

    def error(self, path: KeyPath, message: str) -> None:
        self.out.add(path, message)

    def mapping(
        self,
        value: object,
        path: KeyPath,
        allowed: Collection[str] | None = None,
        *,
        required: Collection[str] = (),
    ) -> dict[str, object] | None:
        """A mapping whose keys are checked against ``allowed`` (if given) and ``required``."""
        if not isinstance(value, dict):
            self.error(path, f"expected a mapping (key: value lines), got {describe(value)}")
            return None
        if allowed is not None:
            checks.check_keys(value, allowed, path, self.out)
        for key in required:
            if key not in value:
                self.error(path, f"missing required key '{key}'")
        return value

    def text(self, value: object, path: KeyPath, *, template: bool = False) -> str | None:
        """Text; numbers are accepted and turned into text (``title: 2025`` is fine)."""
        if isinstance(value, bool):  # YAML 1.1 turns an unquoted yes/no/on/off into a boolean
            self.error(path, f'expected text, got {describe(value)}: write it in quotes, like "true"')
            return None
        if value is None or isinstance(value, dict | list):
            self.error(path, f"expected text, got {describe(value)}")
            return None
        result = value if isinstance(value, str) else str(value)
        if template:
            self.check_template(result, path)
        return result

    def check_template(self, source: str, path: KeyPath) -> None:
        problem = checks.template_error(source)
        if problem:
            self.error(path, problem)
        else:
            self.templates.append((path, source))

    def templates_in(self, value: object, path: KeyPath) -> None:
        """Check every string nested in ``value`` (action data, match values) as a template."""
        if isinstance(value, str):
            self.check_template(value, path)
        elif isinstance(value, dict):
            for key, item in value.items():
                self.templates_in(item, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.templates_in(item, (*path, index))

    def ident(self, value: object, path: KeyPath, what: str) -> str | None:
        """A slug like ``device_security_report`` (used for keys, ids and field names)."""
        if not isinstance(value, str) or not checks.SLUG.fullmatch(value):
            self.error(
                path,
                f"{what} must be lowercase letters, digits and _ (like report_check), got {describe(value)}",
            )
            return None
        return value

    def boolean(self, value: object, path: KeyPath) -> bool:
        if not isinstance(value, bool):
            self.error(path, f"expected true or false, got {describe(value)}")
            return False
        return value

    def integer(self, value: object, path: KeyPath, minimum: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(path, f"expected a whole number, got {describe(value)}")
            return None
        if value < minimum:
            self.error(path, f"must be at least {minimum}, got {value}")
            return None
        return value

    def duration(self, value: object, path: KeyPath) -> float | None:
        if isinstance(value, str) and ("{{" in value or "{%" in value):
            self.error(path, f"a duration can be a template only in {TEMPLATED}; write a fixed one here")
            return None
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.error(path, str(exc))
            return None

    def duration_or_template(self, value: object, path: KeyPath) -> tuple[float | None, str | None]:
        """A duration, or a template rendering one (seconds, template): see durations.py, TEMPLATED."""
        if not (isinstance(value, str) and ("{{" in value or "{%" in value)):
            return self.duration(value, path), None
        problem = checks.template_error(value) or template_duration_problem(value)
        if problem:
            self.error(path, problem)
            return None, None
        self.templates.append((path, value))
        return None, value

    def choice(self, value: object, path: KeyPath, options: tuple[T, ...]) -> T | None:
        for option in options:
            if value == option:
                return option
        self.error(path, f"expected one of {', '.join(options)}, got {describe(value)}")
        return None

    def text_list(self, value: object, path: KeyPath, *, template: bool = False) -> tuple[str, ...]:
        """A list of text; a single text is accepted as a one-item list (like HA's ensure_list)."""
        items = value if isinstance(value, list) else [value]
        result: list[str] = []
        for index, item in enumerate(items):
            item_path = (*path, index) if isinstance(value, list) else path
            text = self.text(item, item_path, template=template)
            if text is not None:
                result.append(text)
        return tuple(result)

    def durations_or_templates(
        self, value: object, path: KeyPath
    ) -> tuple[tuple[float, ...], tuple[str, ...]]:
        """Durations, each fixed or a template (durations.py, TEMPLATED): (sorted seconds, templates)."""
        items = value if isinstance(value, list) else [value]
        fixed: list[float] = []
        templates: list[str] = []
        for index, item in enumerate(items):
            seconds, template = self.duration_or_template(
                item, (*path, index) if isinstance(value, list) else path
            )
            if seconds is not None:
                fixed.append(seconds)
            if template is not None:
                templates.append(template)
        return tuple(sorted(fixed)), tuple(templates)
