"""Blueprint templates: jinja2 in a sandbox, compiled once, rendered against an instance.

Context names available to every template:

- ``now()`` — the current time, aware, in the engine's local time zone;
- ``item`` — the ``for_each`` element the instance was started for (or None);
- ``fields`` — the instance's process data;
- ``steps.<id>.outcome / .form / .by / .completed_at`` — results of finished steps (latest run wins);
  wait steps also expose ``.data`` (the event that resumed them), action steps ``.result``;
- ``instance.id / .key / .started``; ``inputs`` — the blueprint's input values;
- ``event`` — the event data, in event-start and wait ``match`` templates;
- helpers ``supervisor_of(person)`` and ``members(group)`` answered by the Directory port.

``render_str`` always yields text (assignees, titles). ``render_native`` keeps Python types where the
template is a single expression (``{{ [1, 2] }}`` is a list, ``{{ fields.n > 3 }}`` a bool) — used for
``for_each``, ``when`` and action data. Strings without ``{{``/``{%`` are returned untouched, so plain
values never pay for jinja.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from jinja2 import ChainableUndefined, TemplateError
from jinja2.nativetypes import NativeCodeGenerator, NativeTemplate, native_concat
from jinja2.sandbox import SandboxedEnvironment

from .runtime_errors import EngineError


class TemplateFailed(EngineError):
    """A template did not compile or render; the message names the template."""


class _SandboxedNative(SandboxedEnvironment):
    """Sandboxed environment that returns native Python values (mirrors jinja2's NativeEnvironment)."""

    code_generator_class = NativeCodeGenerator
    concat = staticmethod(native_concat)  # type: ignore[assignment]


_SandboxedNative.template_class = NativeTemplate


# What a sandboxed expression can raise at render time besides jinja's errors ({{ 1 / 0 }}, {{ "a" + 1 }}).
_RENDER_ERRORS = (TemplateError, ArithmeticError, TypeError, ValueError, LookupError, AttributeError)


_SIMPLE = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)\s*\}\}")
# Jinja literals look like names to the pattern above; "{{ true }}" must stay a bool, not a context lookup.
_LITERALS = frozenset({"true", "false", "none", "True", "False", "None"})


class _Simple:
    """Fast path for templates that only substitute plain names (``"Report of {{ item }}"``).

    Rendering such a template through jinja costs a context object per call; here it is a dict lookup.
    Lookup mirrors jinja's: attribute first, then item; missing renders as empty (as ChainableUndefined).
    Names starting with ``_`` never match the pattern, so the sandbox rules still hold.
    """

    __slots__ = ("parts",)

    def __init__(self, parts: list[str]) -> None:
        self.parts = parts  # literal, path, literal, path, ..., literal

    @staticmethod
    def build(source: str) -> _Simple | None:
        if "{%" in source or "{#" in source:
            return None
        parts = _SIMPLE.split(source)
        if any("{{" in lit or "}}" in lit for lit in parts[::2]):
            return None
        if any(path.split(".", 1)[0] in _LITERALS for path in parts[1::2]):
            return None
        return _Simple(parts)

    @staticmethod
    def lookup(path: str, ctx: Mapping[str, Any]) -> Any:
        names = path.split(".")
        value: Any = ctx.get(names[0])
        for name in names[1:]:
            if value is None:
                return None
            value = value.get(name) if isinstance(value, Mapping) else getattr(value, name, None)
        return value

    def render(self, ctx: Mapping[str, Any], native: bool) -> Any:
        parts = self.parts
        if len(parts) == 3 and not parts[0] and not parts[2]:
            # "{{ item }}": hand back the value itself (natively) or its str(), which for a str is
            # the same object, so a fan-out's assignees share the item strings instead of copying them
            value = self.lookup(parts[1], ctx)
            if native:
                return value
            return "" if value is None else str(value)
        out = []
        for i, part in enumerate(parts):
            if i % 2:
                value = self.lookup(part, ctx)
                out.append("" if value is None else str(value))
            else:
                out.append(part)
        return "".join(out)


def is_template(value: object) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


class Templates:
    """Compiled-template cache plus the helper functions bound to the Directory."""

    def __init__(self, globals_: Mapping[str, Callable[..., Any]] | None = None) -> None:
        self._text = SandboxedEnvironment(undefined=ChainableUndefined, autoescape=False)
        self._native = _SandboxedNative(undefined=ChainableUndefined, autoescape=False)
        for env in (self._text, self._native):
            env.globals.update(globals_ or {})
        self._cache_text: dict[str, Any] = {}
        self._cache_native: dict[str, Any] = {}

    def _compile(self, source: str, native: bool) -> Any:
        cache = self._cache_native if native else self._cache_text
        tpl = cache.get(source)
        if tpl is None:
            tpl = _Simple.build(source)
            if tpl is not None:
                cache[source] = tpl
                return tpl
            env = self._native if native else self._text
            try:
                tpl = env.from_string(source)
            except TemplateError as err:
                raise TemplateFailed(f"template {source!r} does not compile: {err}") from err
            cache[source] = tpl
        return tpl

    def render_str(self, source: str, ctx: Mapping[str, Any]) -> str:
        if not is_template(source):
            return source
        try:
            tpl = self._compile(source, False)
            if isinstance(tpl, _Simple):
                return str(tpl.render(ctx, False))
            return str(tpl.render(ctx))
        except _RENDER_ERRORS as err:
            raise TemplateFailed(f"template {source!r} failed: {err}") from err

    def render_native(self, source: object, ctx: Mapping[str, Any]) -> Any:
        if not isinstance(source, str) or not is_template(source):
            return source
        try:
            tpl = self._compile(source, True)
            if isinstance(tpl, _Simple):
                return tpl.render(ctx, True)
            return tpl.render(ctx)
        except _RENDER_ERRORS as err:
            raise TemplateFailed(f"template {source!r} failed: {err}") from err

    def render_value(self, value: object, ctx: Mapping[str, Any]) -> Any:
        """Render templates anywhere inside nested dicts/lists, keeping native types."""
        if isinstance(value, str):
            return self.render_native(value, ctx)
        if isinstance(value, Mapping):
            return {k: self.render_value(v, ctx) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.render_value(v, ctx) for v in value]
        return value

    def truthy(self, source: str, ctx: Mapping[str, Any]) -> bool:
        value = self.render_native(source, ctx)
        if isinstance(value, str):
            return value.strip().lower() not in ("", "false", "no", "off", "0", "none")
        return bool(value)


class StepsView(Mapping[str, Mapping[str, Any]]):
    """Lazy ``steps.<id>`` view: built only when a template actually reads it."""

    __slots__ = ("_build", "_data")

    def __init__(self, build: Callable[[], dict[str, Mapping[str, Any]]]) -> None:
        self._build = build
        self._data: dict[str, Mapping[str, Any]] | None = None

    def _get(self) -> dict[str, Mapping[str, Any]]:
        if self._data is None:
            self._data = self._build()
        return self._data

    def __getitem__(self, key: str) -> Mapping[str, Any]:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())
