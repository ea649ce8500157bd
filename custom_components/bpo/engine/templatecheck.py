"""What ``bpo validate`` checks inside templates, from jinja2's syntax tree (never by pattern matching).

A template that parses can still be wrong in ways jinja only notices when it renders, and with
``ChainableUndefined`` most of them render as empty text without an error: a misspelt field routes a
task to nobody, a misspelt outcome makes a ``choose`` take its default. So every template the reader
met is walked once the whole process is known:

- names: anything not in the context (``fields``, ``steps``, ``item`` ...), jinja's own globals or
  assigned inside the template (``{% set %}``, loop variables, macro arguments) is an unknown name;
- ``fields.x``, ``inputs.x``, ``steps.x`` (and ``steps.x.y``), ``instance.x``: the name after the dot must
  exist (subscripts with a literal, ``fields['x']``, count too);
- filters and tests must be ones the sandbox has;
- ``steps.x.outcome == 'word'`` (``!=``, ``in [..]`` too): the word must be an outcome of step ``x``;
- the statically obvious resource bombs (``9 ** (9 ** 9)``, ``'x' * 4000000000``, ``range(10 ** 9)``),
  folded from constants with the same rules the render limits of ``templates.py`` apply.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateError, meta, nodes

from .errors import Collector, KeyPath
from .model import Process, Step
from .templates import MAX_POWER_BITS, MAX_RANGE, MAX_SIZE, Templates, power_too_big, repeat_too_big

# parses only; gives the filter and test names the sandbox knows. The bounded environment matters: jinja's
# compiler (run by jinja2.meta) folds constants, and only there are ** and * never folded (9 ** 9 ** 9)
_ENV = Templates().environment
# names every runtime template sees (Context.template_ctx) plus the directory helpers of the environment
BASE_NAMES = frozenset({"now", "item", "fields", "steps", "instance", "inputs", "supervisor_of", "members"})
# extra names by where the template is written (see notify.py and steps/task_deadlines.py)
NOTIFY_NAMES = frozenset({"task", "kind", "lang", "process"})
INSTANCE_ATTRS = frozenset({"id", "key", "started"})
STEP_ATTRS = frozenset({"outcome", "form", "by", "status", "completed_at", "data", "result"})
WAIT_OUTCOMES = ("event", "time", "timeout")
REPEAT_OUTCOMES = ("until", "max")  # see steps/repeat.py


@dataclass(frozen=True, slots=True)
class Scope:
    """What a template of this process may refer to."""

    fields: Collection[str]
    inputs: Collection[str]
    steps: Mapping[str, Step]

    def outcomes(self, step_id: str) -> tuple[str, ...] | None:
        step = self.steps.get(step_id)
        if step is None:
            return None
        if step.task is not None:
            return step.task.outcomes
        if step.wait is not None:
            return WAIT_OUTCOMES
        if step.repeat is not None:
            return REPEAT_OUTCOMES
        return None


def check_all(
    templates: Sequence[tuple[KeyPath, str]],
    process: Process,
    inputs: Collection[str],
    steps: Sequence[Step],
    out: Collector,
) -> None:
    scope = Scope(process.fields, inputs, {step.id: step for step in steps})
    for path, source in templates:
        for message in problems(source, scope, names_at(path)):
            out.add(path, message)


def names_at(path: KeyPath) -> frozenset[str]:
    """The context names a template written at ``path`` can see."""
    names = set(BASE_NAMES)
    if path[:2] == ("process", "start") or "match" in path:
        names.add("event")
    if len(path) >= 3 and path[-2] == "notify" and path[-3] == "task":
        names |= NOTIFY_NAMES
    if "escalate" in path:
        names.add("task")
    return frozenset(names)


def problems(source: str, scope: Scope, known: Collection[str]) -> list[str]:
    if "{" not in source:
        return []
    try:
        tree = _ENV.parse(source)
    except (TemplateError, RecursionError):
        return []  # the syntax check already reported it
    found: list[str] = []
    # jinja's scope analysis compiles the tree, which stops at an unknown filter or test: once
    # reported, each is renamed to a harmless known one so the names are still checked
    for flt in tree.find_all(nodes.Filter):
        if flt.name not in _ENV.filters:
            found.append(f"template uses unknown filter '{flt.name}'{_hint(flt.name, _ENV.filters)}")
            flt.name = "string"
    for test in tree.find_all(nodes.Test):
        if test.name not in _ENV.tests:
            found.append(f"template uses unknown test '{test.name}'{_hint(test.name, _ENV.tests)}")
            test.name = "defined"
    allowed = set(known) | set(_ENV.globals)
    for name in sorted(meta.find_undeclared_variables(tree) - allowed):
        found.append(f"template uses unknown name '{name}'{_hint(name, allowed)}")
    for ref in tree.find_all((nodes.Getattr, nodes.Getitem)):
        found.extend(_reference(ref, scope))  # type: ignore[arg-type]  # find_all yields those two
    for compare in tree.find_all(nodes.Compare):
        found.extend(_outcome_compare(compare, scope))
    found.extend(_bombs(tree))
    return list(dict.fromkeys(found))


def _hint(word: str, choices: Collection[str]) -> str:
    from .checks import suggestion  # checks imports this module

    return suggestion(word, choices)


def _attr(node: nodes.Node) -> str | None:
    """The name after ``x.`` or inside ``x['...']``."""
    if isinstance(node, nodes.Getattr):
        return str(node.attr)
    if (
        isinstance(node, nodes.Getitem)
        and isinstance(node.arg, nodes.Const)
        and isinstance(node.arg.value, str)
    ):
        return node.arg.value
    return None


def _root(node: nodes.Node) -> str | None:
    inner = getattr(node, "node", None)
    return inner.name if isinstance(inner, nodes.Name) and inner.ctx == "load" else None


def _reference(node: nodes.Getattr | nodes.Getitem, scope: Scope) -> Iterator[str]:
    name = _attr(node)
    root = _root(node)
    if name is None or root is None:
        # steps.<id>.<attr>: the attribute after a known step
        inner = node.node
        if (
            name is not None
            and isinstance(inner, nodes.Getattr | nodes.Getitem)
            and _root(inner) == "steps"
            and _attr(inner) in scope.steps
            and name not in STEP_ATTRS
        ):
            yield f"steps.{_attr(inner)} has no '{name}' (it has {', '.join(sorted(STEP_ATTRS))})"
        return
    if root == "fields" and name not in scope.fields:
        yield f"unknown field '{name}' (declare it under process.fields){_hint(name, scope.fields)}"
    elif root == "inputs" and name not in scope.inputs:
        yield f"unknown input '{name}' (declare it under blueprint.input){_hint(name, scope.inputs)}"
    elif root == "steps" and name not in scope.steps:
        yield f"unknown step '{name}'{_hint(name, scope.steps)}"
    elif root == "instance" and name not in INSTANCE_ATTRS:
        yield f"instance has no '{name}' (it has id, key and started)"


def _outcome_step(node: nodes.Node) -> str | None:
    """``steps.<id>.outcome`` -> the step id."""
    if isinstance(node, nodes.Getattr | nodes.Getitem) and _attr(node) == "outcome":
        inner = node.node
        if isinstance(inner, nodes.Getattr | nodes.Getitem) and _root(inner) == "steps":
            return _attr(inner)
    return None


def _words(node: nodes.Node) -> list[str] | None:
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, nodes.List | nodes.Tuple):
        words = [item.value for item in node.items if isinstance(item, nodes.Const)]
        return [w for w in words if isinstance(w, str)]
    return None


def _outcome_compare(node: nodes.Compare, scope: Scope) -> Iterator[str]:
    operands = [node.expr, *(op.expr for op in node.ops)]
    for index, op in enumerate(node.ops):
        if op.op not in ("eq", "ne", "in", "notin"):
            continue
        left, right = operands[index], operands[index + 1]
        for side, other in ((left, right), (right, left)):
            step_id = _outcome_step(side)
            words = _words(other)
            offered = scope.outcomes(step_id) if step_id is not None else None
            if offered is None or words is None:
                continue
            for word in words:
                if word not in offered:
                    yield (
                        f"step '{step_id}' has no outcome '{word}' (its outcomes: {', '.join(offered)})"
                        f"{_hint(word, offered)}"
                    )


def _bombs(tree: nodes.Template) -> Iterator[str]:
    """Constant expressions the render limits would refuse: flagged before anything runs."""
    for node in tree.find_all((nodes.Pow, nodes.Mul)):
        left, right = _fold(node.left), _fold(node.right)
        if isinstance(node, nodes.Pow):
            if power_too_big(left, right) or left is _HUGE or right is _HUGE:
                yield f"template computes a power too large to render (more than {MAX_POWER_BITS} bits)"
        elif repeat_too_big(left, right):
            yield f"template repeats a text or list into more than {MAX_SIZE} items"
    for call in tree.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name == "range":
            values = [value for arg in call.args if isinstance(value := _fold(arg), int)]
            if not values or len(values) != len(call.args):
                continue
            try:
                size = len(range(*values))
            except OverflowError:  # more items than a machine word counts
                size = MAX_RANGE + 1
            except (TypeError, ValueError):
                continue
            if size > MAX_RANGE:
                yield f"template asks for a range of more than {MAX_RANGE} items"


_HUGE = object()  # a constant too large to fold (``9 ** 9 ** 9``)
_OPS: dict[type[nodes.Node], Callable[[Any, Any], Any]] = {
    nodes.Pow: operator.pow,
    nodes.Mul: operator.mul,
    nodes.Add: operator.add,
    nodes.Sub: operator.sub,
}


def _fold(node: nodes.Node) -> object:
    """Constant-fold numbers and texts with ``+ - * **``, never computing a too large power."""
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, nodes.Neg):
        inner = _fold(node.node)
        return -inner if isinstance(inner, int | float) else None
    if isinstance(node, nodes.List | nodes.Tuple):
        items = [_fold(item) for item in node.items]
        return items if all(item is not None for item in items) else None
    if isinstance(node, nodes.Pow | nodes.Mul | nodes.Add | nodes.Sub):
        left, right = _fold(node.left), _fold(node.right)
        if left is _HUGE or right is _HUGE:
            return _HUGE
        if left is None or right is None:
            return None
        if isinstance(node, nodes.Pow) and power_too_big(left, right):
            return _HUGE
        if isinstance(node, nodes.Mul) and repeat_too_big(left, right):
            return _HUGE
        try:
            return _OPS[type(node)](left, right)
        except (ArithmeticError, TypeError, ValueError):
            return None
    return None
