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
- ``steps.x.outcome == 'word'`` (``!=``, ``in [..]`` too): the word must be an outcome of step ``x``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass

from jinja2 import TemplateError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import Collector, KeyPath
from .model import Process, Step

_ENV = ImmutableSandboxedEnvironment()  # parses only; gives the filter and test names the sandbox knows
# names every runtime template sees (core._ctx) plus the directory helpers bound to the environment
BASE_NAMES = frozenset({"now", "item", "fields", "steps", "instance", "inputs", "supervisor_of", "members"})
# extra names by where the template is written (see notify.py and deadlines._escalate)
NOTIFY_NAMES = frozenset({"task", "kind", "lang", "process"})
INSTANCE_ATTRS = frozenset({"id", "key", "started"})
STEP_ATTRS = frozenset({"outcome", "form", "by", "status", "completed_at", "data", "result"})
WAIT_OUTCOMES = ("event", "time", "timeout")


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
