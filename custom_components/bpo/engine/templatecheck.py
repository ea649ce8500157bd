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
- ``steps.x.outcome == 'word'`` (``!=``, ``in [..]``, ``is eq 'word'`` too): the word must be an outcome of
  step ``x``; ``steps.x.form.y``: task ``x`` must collect field ``y``;
- calls: ``fields()`` and the other data names are not functions; a date-time (``now()``, the date helpers)
  has only a date-time's attributes (``now().strftme`` is a typo); test and filter names given as text to
  ``select``, ``reject``, ``selectattr``, ``rejectattr`` and ``map`` must exist; the date helpers' literal
  arguments (see datehelpers.py) must be right;
- ``task.x`` in a task's ``notify`` texts and in ``escalate``: ``x`` must be an attribute those templates get;
- the statically obvious resource bombs (``9 ** (9 ** 9)``, ``'x' * 4000000000``, ``range(10 ** 9)``),
  folded from constants with the same rules the render limits of ``templates.py`` apply.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jinja2 import TemplateError, meta, nodes

from . import datehelpers, reports
from .cron import CronError, zone
from .durations import DurationError, parse_duration
from .errors import Collector, KeyPath, Problem, format_path
from .model import Blueprint, Process, Step
from .templates import MAX_POWER_BITS, MAX_RANGE, MAX_SIZE, Templates, power_too_big, repeat_too_big

# parses only; gives the filter and test names the sandbox knows. The bounded environment matters: jinja's
# compiler (run by jinja2.meta) folds constants, and only there are ** and * never folded (9 ** 9 ** 9)
_ENV = Templates().environment
# names every runtime template sees (Context.template_ctx) plus the directory helpers of the environment
BASE_NAMES = frozenset(
    {
        "now",
        "item",
        "fields",
        "steps",
        "instance",
        "inputs",
        "supervisor_of",
        "members",
        *datehelpers.NAMES,
        *reports.NAMES,
    }
)
# extra names by where the template is written (see notify.py and steps/task_deadlines.py)
NOTIFY_NAMES = frozenset({"task", "kind", "lang", "process"})
INSTANCE_ATTRS = frozenset({"id", "key", "started"})
STEP_ATTRS = frozenset({"outcome", "form", "by", "status", "completed_at", "data", "result"})
NOTIFY_TASK_ATTRS = frozenset({"id", "title", "due", "outcomes"})  # connectors/notify.py
ESCALATE_TASK_ATTRS = frozenset({"id", "assignee", "group"})  # steps/task_deadlines.py
# names that hold data, never functions (``fields()`` is a typo for ``fields.x`` or a helper)
DATA_NAMES = frozenset(
    {"item", "fields", "steps", "instance", "inputs", "event", "task", "kind", "lang", "process"}
)
# calls that give a date-time, and what a date-time has
DATETIME_CALLS = frozenset({"now", "add_duration", "start_of_day", "next_business_day"})
DATETIME_ATTRS = frozenset(name for name in dir(datetime) if not name.startswith("_"))
WAIT_OUTCOMES = ("event", "time", "timeout")
REPEAT_OUTCOMES = ("until", "max")  # see steps/repeat.py
FOR_EACH_OUTCOMES = ("done",)  # see steps/for_each.py
CORRELATE_NAMES = frozenset({"event", "now"})  # a wait's correlate template (steps/wait.py)


@dataclass(frozen=True, slots=True)
class Scope:
    """What a template of this process may refer to."""

    fields: Collection[str]
    inputs: Collection[str]
    steps: Mapping[str, Step]
    has_calendar: bool = True  # the process has a business calendar (for the date helpers)
    # call step id -> the outcomes its called process can give (calls.py); unknown while a file is
    # read alone, so its call steps' outcomes are not checked then
    called: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def outcomes(self, step_id: str) -> tuple[str, ...] | None:
        step = self.steps.get(step_id)
        if step is None:
            return None
        if step.for_each is not None:
            return FOR_EACH_OUTCOMES  # steps/for_each.py; each item's outcome is in data.items
        if step.call is not None:
            return self.called.get(step_id)
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
    scope = _scope(process, inputs, steps)
    for path, source in templates:
        for message in problems(source, scope, names_at(path), task_attrs=task_attrs_at(path)):
            out.add(path, message)


def _scope(
    process: Process,
    inputs: Collection[str],
    steps: Sequence[Step],
    called: Mapping[str, tuple[str, ...]] | None = None,
) -> Scope:
    return Scope(
        process.fields,
        inputs,
        {step.id: step for step in steps},
        process.calendar is not None or process.business_calendar is not None,
        called or {},
    )


def call_templates(
    templates: Sequence[tuple[KeyPath, str]], process: Process, out: Collector
) -> tuple[tuple[KeyPath, int | None, str], ...]:
    """The templates to check again once the processes called are known (see :func:`check_called`)."""
    if not any(step.call is not None and step.for_each is None for step in _every(process.steps)):
        return ()
    return tuple((path, out.line(path), source) for path, source in templates if "outcome" in source)


def check_called(bp: Blueprint, called: Mapping[str, tuple[str, ...]]) -> list[Problem]:
    """What is wrong with ``bp``'s templates now that ``called`` gives its call steps' outcomes.

    ``bp`` loaded, so its templates passed every other check: what is found here is about those outcomes.
    """
    scope = _scope(bp.process, bp.inputs, list(_every(bp.process.steps)), called)
    found: list[Problem] = []
    for path, line, source in bp.call_templates:
        for message in problems(source, scope, names_at(path), task_attrs=task_attrs_at(path)):
            found.append(Problem(bp.path, line, format_path(path), message))
    return found


def _every(steps: Sequence[Step]) -> Iterator[Step]:
    for step in steps:
        yield step
        yield from _every(step.inner())


def task_attrs_at(path: KeyPath) -> frozenset[str] | None:
    """What ``task`` holds in a template written at ``path`` (None: no ``task`` there)."""
    if len(path) >= 3 and path[-2] == "notify" and path[-3] == "task":
        return NOTIFY_TASK_ATTRS
    if "escalate" in path and path[-1] != "after":  # ``after`` renders when the task opens: no ``task``
        return ESCALATE_TASK_ATTRS
    return None


def names_at(path: KeyPath) -> frozenset[str]:
    """The context names a template written at ``path`` can see."""
    if path[-2:-1] == ("wait",) and path[-1] == "correlate":
        return CORRELATE_NAMES  # rendered once per event, for every instance waiting (steps/wait.py)
    names = set(BASE_NAMES)
    if path[:2] == ("process", "start") or "match" in path:
        names.add("event")
    if len(path) >= 3 and path[-2] == "notify" and path[-3] == "task":
        names |= NOTIFY_NAMES
    if "escalate" in path and path[-1] != "after":
        names.add("task")
    return frozenset(names)


def problems(
    source: str, scope: Scope, known: Collection[str], *, task_attrs: Collection[str] | None = None
) -> list[str]:
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
        found.append(f"template uses unknown name '{name}'{_HA_HINTS.get(name) or _hint(name, allowed)}")
    for ref in tree.find_all((nodes.Getattr, nodes.Getitem)):
        found.extend(_reference(ref, scope))  # type: ignore[arg-type]  # find_all yields those two
        found.extend(_deeper_reference(ref, scope, task_attrs))  # type: ignore[arg-type]
    for compare in tree.find_all(nodes.Compare):
        found.extend(_outcome_compare(compare, scope))
    for test in tree.find_all(nodes.Test):
        found.extend(_outcome_test(test, scope))
    for call in tree.find_all(nodes.Call):
        found.extend(_not_a_function(call))
    for flt in tree.find_all(nodes.Filter):
        found.extend(_named_by_text(flt))
    found.extend(_bombs(tree))
    for call in tree.find_all(nodes.Call):
        found.extend(_date_helper_call(call, scope))
        found.extend(_report_call(call))
    return list(dict.fromkeys(found))


_ARITY = {"add_duration": (2, 3), "start_of_day": (0, 2), "next_business_day": (0, 1), "format_time": (0, 3)}
_PARAMS = {
    "add_duration": ("when", "duration", "business"),
    "start_of_day": ("when", "zone"),
    "next_business_day": ("when",),
    "format_time": ("when", "format", "zone"),
}


def _signature(
    call: nodes.Call, name: str, params: Sequence[str], arity: tuple[int, int]
) -> Generator[str, None, dict[str, nodes.Expr]]:
    """Yield what is wrong with a helper call's argument names and count; return its arguments by name."""
    low, high = arity
    given = len(call.args) + len(call.kwargs)
    for kw in call.kwargs:
        if kw.key not in params:
            yield f"{name}() has no argument '{kw.key}' (it takes {', '.join(params)})"
    if not low <= given <= high:
        yield f"{name}() takes {', '.join(params[:high])}: {low} to {high} arguments, got {given}"
    args: dict[str, nodes.Expr] = dict(zip(params, call.args, strict=False))
    args.update({kw.key: kw.value for kw in call.kwargs})
    return args


def _date_helper_call(call: nodes.Call, scope: Scope) -> Iterator[str]:
    """The date helpers' arguments that constants already show wrong, and calendars they need."""
    if not isinstance(call.node, nodes.Name) or call.node.name not in _ARITY:
        return
    name = call.node.name
    args = yield from _signature(call, name, _PARAMS[name], _ARITY[name])
    business = args.get("business")
    wants_calendar = name in datehelpers.NEEDS_CALENDAR or (
        business is not None and not (isinstance(business, nodes.Const) and not business.value)
    )
    if wants_calendar and not scope.has_calendar:
        yield f"{name}() counts business days: write a calendar under process.calendar (hours, holidays)"
    duration = args.get("duration")
    if isinstance(duration, nodes.Const):
        try:
            parse_duration(duration.value)
        except DurationError as err:
            yield f"{name}(): {err}"
    zone_arg = args.get("zone")
    if isinstance(zone_arg, nodes.Const) and zone_arg.value is not None:
        try:
            zone(str(zone_arg.value))
        except CronError as err:
            yield f"{name}(): {err}"


def _report_call(call: nodes.Call) -> Iterator[str]:
    """The report helpers' (reports.py) argument count and names, and literal statuses and groupings."""
    if not isinstance(call.node, nodes.Name) or call.node.name not in reports.ARITY:
        return
    name = call.node.name
    args = yield from _signature(call, name, reports.PARAMS[name], reports.ARITY[name])
    status = args.get("status")
    if isinstance(status, nodes.Const) and status.value is not None and status.value not in reports.STATUSES:
        statuses = sorted(reports.STATUSES)
        hint = _hint(str(status.value), statuses)
        yield f"{name}(): no status '{status.value}' (one of {', '.join(statuses)}){hint}"
    by = args.get("by")
    if name == "count_by" and isinstance(by, nodes.Const) and by.value not in reports.COUNT_BY:
        yield f"count_by(): cannot count by '{by.value}' (one of {', '.join(reports.COUNT_BY)})"


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
    if isinstance(node, nodes.Const) and isinstance(node.value, list | tuple):
        # jinja's scope analysis folds a literal list into one constant
        return [w for w in node.value if isinstance(w, str)]
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


def _deeper_reference(
    node: nodes.Getattr | nodes.Getitem, scope: Scope, task_attrs: Collection[str] | None
) -> Iterator[str]:
    """``steps.x.form.y``, ``task.y`` and ``now().y``: names one level further than :func:`_reference`."""
    name = _attr(node)
    if name is None:
        return
    inner = node.node
    # steps.<id>.form.<field>
    if isinstance(inner, nodes.Getattr | nodes.Getitem) and _attr(inner) == "form":
        owner = inner.node
        if isinstance(owner, nodes.Getattr | nodes.Getitem) and _root(owner) == "steps":
            step = scope.steps.get(_attr(owner) or "")
            if step is not None and step.task is not None and name not in step.task.form:
                form = ", ".join(step.task.form) or "nothing"
                hint = _hint(name, step.task.form)
                yield f"task '{step.id}' has no form field '{name}' (it collects {form}){hint}"
    if _root(node) == "task" and task_attrs is not None and name not in task_attrs:
        yield f"task has no '{name}' here (it has {', '.join(sorted(task_attrs))}){_hint(name, task_attrs)}"
    if (
        isinstance(node, nodes.Getattr)
        and isinstance(inner, nodes.Call)
        and isinstance(inner.node, nodes.Name)
        and inner.node.name in DATETIME_CALLS
        and name not in DATETIME_ATTRS
    ):
        yield (f"{inner.node.name}() gives a date-time, which has no '{name}'{_hint(name, DATETIME_ATTRS)}")


# Home Assistant's template functions that admins reach for: say what bpo has instead
_HA_TIME = (
    "; that is Home Assistant's, bpo has now(), add_duration, start_of_day, next_business_day, format_time"
)
_HA_STATE = (
    "; that is Home Assistant's, bpo templates do not read entity states (use fields or an action step)"
)
_HA_HINTS = {
    **dict.fromkeys(
        (
            "timedelta",
            "as_timestamp",
            "as_datetime",
            "as_local",
            "today_at",
            "relative_time",
            "strptime",
            "utcnow",
        ),
        _HA_TIME,
    ),
    **dict.fromkeys(("states", "is_state", "state_attr", "is_state_attr", "has_value", "expand"), _HA_STATE),
}

_EQUAL_TESTS = frozenset({"eq", "equalto", "==", "ne", "!=", "in"})


def _outcome_test(node: nodes.Test, scope: Scope) -> Iterator[str]:
    """``steps.x.outcome is eq 'word'`` (and ``equalto``, ``ne``, ``in``): the word must be an outcome."""
    if node.name not in _EQUAL_TESTS or not node.args:
        return
    step_id = _outcome_step(node.node)
    words = _words(node.args[0])
    offered = scope.outcomes(step_id) if step_id is not None else None
    if offered is None or words is None:
        return
    for word in words:
        if word not in offered:
            yield (
                f"step '{step_id}' has no outcome '{word}' (its outcomes: {', '.join(offered)})"
                f"{_hint(word, offered)}"
            )


def _not_a_function(call: nodes.Call) -> Iterator[str]:
    if isinstance(call.node, nodes.Name) and call.node.name in DATA_NAMES:
        name = call.node.name
        yield f"'{name}' is data, not a function: write {name}.<name> (or {name}['<name>'])"


# filters taking the name of a test or filter as text, and where that text is
_NAMED_TEST_ARG = {"select": 0, "reject": 0, "selectattr": 1, "rejectattr": 1}


def _named_by_text(flt: nodes.Filter) -> Iterator[str]:
    index = _NAMED_TEST_ARG.get(flt.name)
    if index is not None and len(flt.args) > index:
        arg = flt.args[index]
        if isinstance(arg, nodes.Const) and isinstance(arg.value, str) and arg.value not in _ENV.tests:
            yield f"{flt.name} names unknown test '{arg.value}'{_hint(arg.value, _ENV.tests)}"
    if flt.name == "map" and flt.args and not any(kw.key == "attribute" for kw in flt.kwargs):
        arg = flt.args[0]
        if isinstance(arg, nodes.Const) and isinstance(arg.value, str) and arg.value not in _ENV.filters:
            yield f"map names unknown filter '{arg.value}'{_hint(arg.value, _ENV.filters)}"


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
