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

Limits (templates run on Home Assistant's event loop, and blueprints are written by people who make
mistakes): the sandbox is jinja2's *immutable* one, as Home Assistant's, so ``fields.update(...)``,
``fields.pop(...)`` or ``item.append(...)`` cannot change live instance state; integer powers above
``MAX_POWER_BITS`` bits, texts or lists built by ``*``, ``+``, ``%`` or a filter longer than ``MAX_SIZE``,
``range`` above ``MAX_RANGE`` items and outputs above ``MAX_SIZE`` characters are refused, and one
render may run at most ``MAX_STEPS`` loop iterations and ``MAX_SECONDS`` of time. Exceeding any of them
raises :class:`TemplateFailed`, which fails the instance cleanly.
"""

from __future__ import annotations

import functools
import math
import operator
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from jinja2 import ChainableUndefined, TemplateError, UndefinedError, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.nativetypes import NativeCodeGenerator, NativeTemplate, native_concat
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .runtime_errors import EngineError

MAX_POWER_BITS = 10_000  # about 3,000 decimal digits
MAX_SIZE = 1_000_000  # characters of a text, items of a list, characters of a rendered template
MAX_RANGE = 100_000
MAX_STEPS = 200_000  # loop iterations per render
MAX_SECONDS = 0.5  # per render
_BIG_FORMAT = re.compile(r"\d{7,}")  # a width or precision of a million or more in a % or format text


class TemplateFailed(EngineError):
    """A template did not compile or render; the message names the template."""


class TemplateTooBig(TemplateError):
    """A limit of the module docstring was exceeded (a TemplateError, so it is reported like one)."""


def power_too_big(base: object, exponent: object) -> bool:
    """Would ``base ** exponent`` be an integer of more than ``MAX_POWER_BITS`` bits?"""
    if not (isinstance(base, int) and isinstance(exponent, int)) or exponent <= 0 or abs(base) <= 1:
        return False  # floats overflow quickly by themselves; 0, 1, -1 stay small
    return exponent * math.log2(abs(base)) > MAX_POWER_BITS


def _sized(value: object) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple) else 0


def repeat_too_big(left: object, right: object) -> bool:
    for seq, count in ((left, right), (right, left)):
        if isinstance(count, int) and not isinstance(count, bool) and _sized(seq) * count > MAX_SIZE:
            return True
    return False


class _Budget:
    """Loop iterations and time used by the render in progress (reset by each top-level render)."""

    __slots__ = ("deadline", "steps")

    def __init__(self) -> None:
        self.steps = 0
        self.deadline = 0.0

    def reset(self) -> None:
        self.steps = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def spend(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise TemplateTooBig(f"more than {MAX_STEPS} loop iterations in one render")
        if not self.steps % 1024 and time.monotonic() > self.deadline:
            raise TemplateTooBig(f"rendering took longer than {MAX_SECONDS} s")


class _CountedLoops(CodeGenerator):
    """Every ``{% for %}`` iterates through ``environment.bpo_loop`` so the render budget sees it."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        node.iter = nodes.Call(
            nodes.EnvironmentAttribute("bpo_loop"), [node.iter], [], None, None, lineno=node.lineno
        )
        super().visit_For(node, frame)


class _NativeCountedLoops(_CountedLoops, NativeCodeGenerator):
    pass


_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "**": operator.pow,
    "*": operator.mul,
    "%": operator.mod,
    "+": operator.add,
}


class _Bounded(ImmutableSandboxedEnvironment):
    """Immutable sandbox with the limits of the module docstring."""

    code_generator_class = _CountedLoops
    intercepted_binops = frozenset(_BINOPS)

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.budget = _Budget()
        self.globals["range"] = self.bounded_range
        self.filters = {name: _bounded_filter(f, name in _WIDTH_FILTERS) for name, f in self.filters.items()}

    def bpo_loop(self, iterable: Iterable[Any]) -> Iterator[Any]:
        spend = self.budget.spend
        for value in iterable:
            spend()
            yield value

    def bounded_range(self, *args: int) -> range:
        result = range(*args)
        if len(result) > MAX_RANGE:
            raise TemplateTooBig(f"range of {len(result)} items; at most {MAX_RANGE}")
        return result

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and power_too_big(left, right):
            raise TemplateTooBig(f"a power is too large (more than {MAX_POWER_BITS} bits)")
        if operator == "*" and repeat_too_big(left, right):
            raise TemplateTooBig(f"repeating text or a list into more than {MAX_SIZE} items")
        if operator == "%" and isinstance(left, str) and _BIG_FORMAT.search(left):
            raise TemplateTooBig("a % format with a width or precision of a million or more")
        if operator == "+" and _sized(left) + _sized(right) > MAX_SIZE:
            raise TemplateTooBig(f"joining into more than {MAX_SIZE} items")
        return _BINOPS[operator](left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        # '{:>999999999}'.format(1): the width is in the text; refuse before the memory is taken
        owner = getattr(value, "__self__", None)
        if isinstance(owner, str) and _BIG_FORMAT.search(owner):
            raise TemplateTooBig(f"a format text asking for more than {MAX_SIZE} characters")
        return super().wrap_str_format(value)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        # str.ljust(10**9) and friends: refuse before the memory is taken
        if isinstance(getattr(__obj, "__self__", None), str | bytes | list) and _too_wide(args, kwargs):
            raise TemplateTooBig(f"a call asking for more than {MAX_SIZE} characters or items")
        result = super().call(__context, __obj, *args, **kwargs)
        if _sized(result) > MAX_SIZE:
            raise TemplateTooBig(f"a call returned more than {MAX_SIZE} characters or items")
        return result


def _too_wide(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> bool:
    return any(
        isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > MAX_SIZE
        for arg in (*args, *kwargs.values())
    )


# filters whose arguments are widths or counts of what they build
_WIDTH_FILTERS = frozenset({"center", "indent", "wordwrap", "truncate", "batch", "slice", "format"})


def _bounded_filter(func: Callable[..., Any], widths: bool) -> Callable[..., Any]:
    """A filter that refuses huge results, and for ``_WIDTH_FILTERS`` huge widths (``center(10**9)``)."""

    @functools.wraps(func)  # keeps jinja's pass_context / pass_environment marks
    def bounded(*args: Any, **kwargs: Any) -> Any:
        # args[:2]: the value, or the context/environment and the value
        if widths and (
            _too_wide(args[1:], kwargs) or any(isinstance(a, str) and _BIG_FORMAT.search(a) for a in args[:2])
        ):
            raise TemplateTooBig(f"a filter asking for more than {MAX_SIZE} characters or items")
        result = func(*args, **kwargs)
        if _sized(result) > MAX_SIZE:
            raise TemplateTooBig(f"a filter returned more than {MAX_SIZE} characters or items")
        return result

    return bounded


class _SandboxedNative(_Bounded):
    """Sandboxed environment that returns native Python values (mirrors jinja2's NativeEnvironment)."""

    code_generator_class = _NativeCountedLoops
    concat = staticmethod(native_concat)  # type: ignore[assignment]


_SandboxedNative.template_class = NativeTemplate


# What a sandboxed expression can raise at render time besides jinja's errors ({{ 1 / 0 }}, {{ "a" + 1 }}).
_RENDER_ERRORS = (TemplateError, ArithmeticError, TypeError, ValueError, LookupError, AttributeError)


def _why(err: Exception) -> str:
    """Why a render failed, never quoting a value: a missing key (``{{ d[fields.name] }}``) and Python's own
    errors (``strptime``) may quote a field's value, so they are named by type; jinja's other errors and
    our limits name only the template's own parts."""
    if isinstance(err, UndefinedError):
        return "UndefinedError (a name, key or attribute the template uses is missing)"
    return str(err) if isinstance(err, TemplateError) else type(err).__name__


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


def _quoted(source: str) -> str:
    """The template in an error message, shortened: a template may be long (or an attack)."""
    return repr(source) if len(source) <= 120 else repr(source[:117] + "...")


def is_template(value: object) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


class Templates:
    """Compiled-template cache plus the helper functions bound to the Directory."""

    def __init__(self, globals_: Mapping[str, Callable[..., Any]] | None = None) -> None:
        self._text = _Bounded(undefined=ChainableUndefined, autoescape=False)
        self._native = _SandboxedNative(undefined=ChainableUndefined, autoescape=False)
        for env in (self._text, self._native):
            env.globals.update(globals_ or {})
        self._cache_text: dict[str, Any] = {}
        self._cache_native: dict[str, Any] = {}

    @property
    def environment(self) -> _Bounded:
        """The text environment (its filters, tests and globals are what templates may use)."""
        return self._text

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
                raise TemplateFailed(f"template {_quoted(source)} does not compile: {err}") from err
            except RecursionError:
                raise TemplateFailed(f"template {_quoted(source)} is nested too deeply") from None
            cache[source] = tpl
        return tpl

    def render_str(self, source: str, ctx: Mapping[str, Any]) -> str:
        if not is_template(source):
            return source
        try:
            tpl = self._compile(source, False)
            if isinstance(tpl, _Simple):
                return str(tpl.render(ctx, False))
            self._text.budget.reset()
            text = str(tpl.render(ctx))
        except _RENDER_ERRORS as err:
            raise TemplateFailed(f"template {_quoted(source)} failed: {_why(err)}") from err
        if len(text) > MAX_SIZE:
            raise TemplateFailed(f"template {_quoted(source)} rendered more than {MAX_SIZE} characters")
        return text

    def render_native(self, source: object, ctx: Mapping[str, Any]) -> Any:
        if not isinstance(source, str) or not is_template(source):
            return source
        try:
            tpl = self._compile(source, True)
            if isinstance(tpl, _Simple):
                return tpl.render(ctx, True)
            self._native.budget.reset()
            value = tpl.render(ctx)
        except _RENDER_ERRORS as err:
            raise TemplateFailed(f"template {_quoted(source)} failed: {_why(err)}") from err
        if _sized(value) > MAX_SIZE:
            raise TemplateFailed(
                f"template {_quoted(source)} rendered more than {MAX_SIZE} characters or items"
            )
        return value

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
