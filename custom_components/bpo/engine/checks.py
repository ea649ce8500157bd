"""Blueprint rules: key spelling, template/cron syntax, and whole-process checks.

``check_keys``, ``template_error`` and ``cron_error`` run while the structure is
read; :func:`run` runs once the process is built and looks across steps:
references, duplicate ids, reachability and loops that would never pause.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping, Sequence

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from .errors import Collector, KeyPath
from .model import Process, Step

SLUG = re.compile(r"[a-z0-9_]+")
_SYNTAX_ONLY = SandboxedEnvironment()  # parses only; nothing is rendered here

Located = Sequence[tuple[KeyPath, Step]]


def suggestion(word: str, choices: Collection[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def check_keys(
    mapping: Mapping[str, object], allowed: Collection[str], path: KeyPath, out: Collector
) -> None:
    for key in mapping:
        if key not in allowed:
            hint = suggestion(key, allowed) or f" (allowed here: {', '.join(allowed)})"
            out.add((*path, key), f"unknown key '{key}'{hint}")


def template_error(source: str) -> str | None:
    """Plain-words syntax error of a jinja2 template, or None."""
    if "{" not in source:  # every jinja construct starts with a brace
        return None
    try:
        _SYNTAX_ONLY.parse(source)
    except TemplateSyntaxError as exc:
        where = f" (template line {exc.lineno})" if source.count("\n") else ""
        return f"template syntax error: {exc.message}{where}"
    except RecursionError:
        return "template is nested too deeply"
    return None


def cron_error(expr: str) -> str | None:
    from .cron import validate_cron

    return validate_cron(expr)


def run(process: Process, located: Located, start_paths: Sequence[KeyPath], out: Collector) -> None:
    """Cross-step checks; ``located`` pairs every parsed step (branches too) with its key path."""
    _non_empty(process, out)
    _duplicate_ids(located, out)
    every = {step.id for _, step in located}
    # inner step id -> the kind of the step holding it, to say where a jump target sits
    held = {inner.id: step.kind for _, step in located for inner in step.inner()}
    for path, step in located:
        _references(step, path, held, every, out)
        _field_refs(step, path, process, out)
        _self_call(step, path, process, out)
        if step.join == "n_of_m" and step.join_n > len(step.parallel):
            out.add(
                (*path, "join"),
                f"join {step.join_n} needs at least {step.join_n} branches; "
                f"this parallel has {len(step.parallel)}",
            )
    for index, start in enumerate(process.starts):
        for name in start.fields:
            if name not in process.fields:
                out.add((*start_paths[index], "fields", name), _unknown_field(name, process))
    for name, definition in process.fields.items():
        if definition.type == "choice" and not definition.options:
            needs = "a choice field needs options, like options: [approved, rejected]"
            out.add(("process", "fields", name), needs)
    top_ids = {id(step) for step in process.steps}
    top_paths = {id(step): path for path, step in located if id(step) in top_ids}
    _flow(process.steps, [top_paths.get(id(step), ("process", "steps")) for step in process.steps], out)


def _non_empty(process: Process, out: Collector) -> None:
    if not process.steps and ("process", "steps") in out.lines:
        out.add(("process", "steps"), "a process needs at least one step")
    if not process.starts and ("process", "start") in out.lines:
        out.add(("process", "start"), "a process needs at least one start (schedule, event or manual)")


def _duplicate_ids(located: Located, out: Collector) -> None:
    first: dict[str, int | None] = {}
    for path, step in sorted(located, key=lambda item: out.line(item[0]) or 0):
        if step.id in first:
            out.add((*path, "id"), f"duplicate step id '{step.id}' (first used on line {first[step.id]})")
        else:
            first[step.id] = out.line(path)


def _references(step: Step, path: KeyPath, held: Mapping[str, str], every: set[str], out: Collector) -> None:
    targets: list[tuple[KeyPath, str]] = []
    if step.next:
        targets.append(((*path, "next"), step.next))
    if step.default:
        targets.append(((*path, "default"), step.default))
    for index, option in enumerate(step.choose):
        targets.append(((*path, "choose", index, "goto"), option.goto))
    if step.timeout and step.timeout.goto:
        targets.append(((*path, "on_timeout", "goto"), step.timeout.goto))
    for where, target in targets:
        if target not in every:
            out.add(where, f"unknown step '{target}'{suggestion(target, every)}")
        elif target in held:
            out.add(
                where,
                f"step '{target}' is inside a {held[target]} block; only top-level steps can be jumped to",
            )


def _unknown_field(name: str, process: Process) -> str:
    return f"unknown field '{name}' (declare it under process.fields){suggestion(name, process.fields)}"


def _field_refs(step: Step, path: KeyPath, process: Process, out: Collector) -> None:
    if step.task:
        for index, name in enumerate(step.task.form):
            if name not in process.fields:
                out.add((*path, "task", "form", index), _unknown_field(name, process))
    if step.action and step.action.result and step.action.result not in process.fields:
        out.add((*path, "action", "result"), _unknown_field(step.action.result, process))


# -- call (steps/call.py; calls across blueprints are checked in calls.py) ---------------------------
def _self_call(step: Step, path: KeyPath, process: Process, out: Collector) -> None:
    if step.call is not None and step.call.process == process.key:
        out.add((*path, "call", "process"), "a process cannot call itself")


# -- end call ---------------------------------------------------------------------------------------


def _blocks(step: Step) -> bool:
    """Does this step always pause the instance (so a loop through it cannot spin)?"""
    if step.when is not None or step.for_each is not None:  # an empty for_each list pauses nothing
        return False
    if step.task is not None or step.wait is not None:
        return True
    return any(_blocks(inner) for inner in step.inner())


def successors(steps: Sequence[Step], index: int, where: Mapping[str, int]) -> list[int]:
    step = steps[index]
    if step.end is not None:
        return []
    after = index + 1 if index + 1 < len(steps) else None
    following = where.get(step.next) if step.next else after
    result: list[int | None] = []
    if step.choose:
        result.extend(where.get(option.goto) for option in step.choose)
        result.append(where.get(step.default) if step.default else following)
    else:
        result.append(following)
    if step.timeout and step.timeout.goto:
        result.append(where.get(step.timeout.goto))
    return [target for target in result if target is not None]


def _flow(steps: Sequence[Step], paths: Sequence[KeyPath], out: Collector) -> None:
    if not steps:
        return
    where = {step.id: index for index, step in reversed(list(enumerate(steps)))}
    edges = [successors(steps, index, where) for index in range(len(steps))]
    reach = _reachable(edges, 0)
    for index in range(len(steps)):
        if index not in reach:
            out.add(
                paths[index],
                f"step '{steps[index].id}' can never be reached: no start, next, goto, "
                "default or fall-through leads to it",
            )
    for component in _cycles(edges):
        if any(_blocks(steps[i]) for i in component):
            continue
        ids = [steps[i].id for i in sorted(component)]
        loop = " -> ".join([*ids, ids[0]])
        out.add(
            paths[min(component)],
            f"steps {loop} form a loop without a task or wait step "
            "(a step with when: does not count); it would run forever",
        )


def _reachable(edges: Sequence[Sequence[int]], origin: int) -> set[int]:
    found = {origin}
    todo = [origin]
    while todo:
        for target in edges[todo.pop()]:
            if target not in found:
                found.add(target)
                todo.append(target)
    return found


def _cycles(edges: Sequence[Sequence[int]]) -> list[set[int]]:
    """Strongly connected parts that contain a loop, by their first step (Tarjan's algorithm, iterative:
    linear in steps and edges, since a file may hold thousands of steps)."""
    order: dict[int, int] = {}
    low: dict[int, int] = {}
    stack: list[int] = []
    on_stack: set[int] = set()
    parts: list[set[int]] = []
    for root in range(len(edges)):
        if root in order:
            continue
        work = [(root, 0)]
        while work:
            node, next_edge = work.pop()
            if next_edge == 0:
                order[node] = low[node] = len(order)
                stack.append(node)
                on_stack.add(node)
            targets = edges[node]
            while next_edge < len(targets):
                target = targets[next_edge]
                next_edge += 1
                if target not in order:
                    work.append((node, next_edge))
                    work.append((target, 0))
                    break
                if target in on_stack:
                    low[node] = min(low[node], order[target])
            else:
                if low[node] == order[node]:
                    part: set[int] = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        part.add(member)
                        if member == node:
                            break
                    if len(part) > 1 or node in targets:
                        parts.append(part)
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
    return sorted(parts, key=min)


def after_one(edges: Sequence[Sequence[int]], origin: int) -> set[int]:
    """Nodes reachable from ``origin`` in one or more steps."""
    found: set[int] = set()
    todo = list(edges[origin])
    while todo:
        node = todo.pop()
        if node not in found:
            found.add(node)
            todo.extend(edges[node])
    return found
