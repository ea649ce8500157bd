"""Mermaid ``flowchart TD`` of a blueprint's process, for ``bpo graph``.

Shapes: starts are stadiums, tasks rectangles, waits hexagons, actions subroutines,
choose steps diamonds, parallel steps a fork/join pair of trapezoids, repeat steps a parallelogram
whose body ends in an ``until`` diamond that loops back, call steps asymmetric flags naming the called
process, ends circles.
Timeouts are dashed edges. Node ids are prefixed (``s_``) because Mermaid treats a
bare ``end`` as a keyword.
"""

from __future__ import annotations

import re

from .durations import format_duration
from .model import Blueprint, EventStart, ScheduleStart, Start, Step, TaskSpec

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
FINISH = "finish"
TIMEOUT_FAIL = "timeout_failed"


def _id(step_id: str) -> str:
    return "s_" + _UNSAFE.sub("_", step_id)


def _text(label: str) -> str:
    """Quoted Mermaid label text: quotes become entities, newlines breaks."""
    return '"' + label.replace('"', "#quot;").replace("\n", "<br/>") + '"'


def _entry(step: Step) -> str:
    return _id(step.id)


def _exit(step: Step) -> str:
    if step.sequence:  # a branch of steps leaves from its last one
        return _exit(step.sequence[-1])
    if step.repeat is not None:
        return _id(step.id) + "_until"
    return _id(step.id) + "_join" if step.parallel else _id(step.id)


class _Chart:
    def __init__(self) -> None:
        self.lines = ["flowchart TD"]
        self.extra: set[str] = set()

    def node(self, text: str) -> None:
        self.lines.append("    " + text)

    def edge(self, source: str, target: str, label: str | None = None, *, dashed: bool = False) -> None:
        arrow = "-.->" if dashed else "-->"
        tag = f"|{_text(label)}|" if label else ""
        self.lines.append(f"    {source} {arrow}{tag} {target}")

    def special(self, name: str) -> str:
        if name not in self.extra:
            self.extra.add(name)
            shape = '((("completed")))' if name == FINISH else '(("failed (timeout)"))'
            self.node(name + shape)
        return name


def _task_label(step: Step, task: TaskSpec) -> str:
    who = task.assignee or (f"group {task.group}" if task.group else ", ".join(task.candidates))
    parts = [f"{step.id}: {task.title}", f"to {who}"]
    if task.due is not None:
        parts.append(f"due {format_duration(task.due)}")
    if task.optional:
        parts.append("optional")
    return "\n".join(parts)


def _shape(step: Step) -> str:
    when = f"\nonly if {step.when}" if step.when else ""
    if step.for_each is not None:  # one task, action or call per item
        when = f"\nfor each of {step.for_each.items}, join {_for_each_join(step)}" + when
    if step.task is not None:
        return f"[{_text(_task_label(step, step.task) + when)}]"
    if step.wait is not None:
        wait = step.wait
        what = (
            f"event {wait.event}"
            if wait.event
            else f"until {wait.until}"
            if wait.until
            else f"{wait.delay_template}"  # wt-time: a delay written as a template
            if wait.delay_template
            else f"{format_duration(wait.delay or 0)}"
        )
        if wait.correlate is not None:  # correlation: only the event carrying this instance's key
            what += f" for {wait.key or 'this key'}"
        return "{{" + _text(f"{step.id}: wait {what}{when}") + "}}"
    if step.action is not None:
        action = step.action
        call = action.service or f"{action.connector}.{action.call}"
        return f"[[{_text(f'{step.id}: {call}{when}')}]]"
    if step.end is not None:
        return f"(({_text(step.end)}))"
    if step.choose:
        return "{" + _text(f"{step.id}: choose{when}") + "}"
    if step.parallel:
        return f"[/{_text(f'{step.id}: parallel{when}')}\\]"
    if step.repeat is not None:
        return f"[/{_text(f'{step.id}: repeat, at most {step.repeat.max} rounds{when}')}/]"
    if step.call is not None:  # an asymmetric flag: control leaves for another process and comes back
        return f">{_text(f'{step.id}: call {step.call.process}{when}')}]"
    return f"[{_text(step.id + when)}]"


def _for_each_join(step: Step) -> str:
    spec = step.for_each
    assert spec is not None
    limit = f", {spec.concurrency} at once" if spec.concurrency else ""
    return (str(spec.join_n) if spec.join == "n_of_m" else spec.join) + limit


def _join_label(step: Step) -> str:
    return f"{step.join_n} of {len(step.parallel)}" if step.join == "n_of_m" else step.join


def _draw(chart: _Chart, step: Step) -> None:
    chart.node(_id(step.id) + _shape(step))
    if step.parallel:
        chart.node(f"{_exit(step)}[\\{_text('join ' + _join_label(step))}/]")
        for branch in step.parallel:
            _draw(chart, branch)
            chart.edge(_id(step.id), _entry(branch))
            chart.edge(_exit(branch), _exit(step))
            _timeout_edge(chart, branch, _exit(step), {})
    if step.repeat is not None:
        _draw_repeat(chart, step, step.repeat.steps, step.repeat.until)
    previous = _id(step.id)
    for index, inner in enumerate(step.sequence):  # a parallel branch's steps, in order
        _draw(chart, inner)
        chart.edge(previous, _entry(inner))
        if index + 1 < len(step.sequence):
            _timeout_edge(chart, inner, _entry(step.sequence[index + 1]), {})
        previous = _exit(inner)


def _draw_repeat(chart: _Chart, step: Step, body: tuple[Step, ...], until: str | None) -> None:
    """The body in order into the ``until`` diamond, which loops back to the repeat step."""
    test = f"until {until}" if until else "another round?"
    chart.node(f"{_exit(step)}{{{_text(test)}}}")
    previous = _id(step.id)
    for index, inner in enumerate(body):
        _draw(chart, inner)
        chart.edge(previous, _entry(inner))
        following = _entry(body[index + 1]) if index + 1 < len(body) else _exit(step)
        _timeout_edge(chart, inner, following, {})
        previous = _exit(inner)
    chart.edge(previous, _exit(step))
    chart.edge(_exit(step), _id(step.id), "again", dashed=True)


def _timeout_edge(chart: _Chart, step: Step, following: str, entries: dict[str, str]) -> None:
    timeout = step.timeout
    if timeout is None:
        return
    label = f"after {format_duration(timeout.after)}: {timeout.action}"
    if timeout.action == "goto" and timeout.goto:
        target = entries.get(timeout.goto, _id(timeout.goto))
        label = f"after {format_duration(timeout.after)}"
    elif timeout.action == "fail":
        target = chart.special(TIMEOUT_FAIL)
    elif timeout.action == "escalate":
        target = _exit(step)
    else:
        target = following
    chart.edge(_exit(step), target, label, dashed=True)


def _start_label(start: Start) -> str:
    if isinstance(start, ScheduleStart):
        each = ""
        if isinstance(start.for_each, list):
            each = f"\nfor each of {len(start.for_each)} items"
        elif start.for_each is not None:
            each = f"\nfor each in {start.for_each}"
        return f"schedule {start.cron}{each}"
    if isinstance(start, EventStart):
        return f"event {start.event}"
    return "manual start"


def to_mermaid(bp: Blueprint) -> str:
    """Flowchart of ``bp.process`` (Mermaid source text, no trailing newline)."""
    chart = _Chart()
    steps = bp.process.steps
    entries = {step.id: _entry(step) for step in steps}
    for index, start in enumerate(bp.process.starts):
        chart.node(f"start{index}([{_text(_start_label(start))}])")
        if steps:
            chart.edge(f"start{index}", _entry(steps[0]))
    for step in steps:
        _draw(chart, step)
    for index, step in enumerate(steps):
        if step.next:
            following = entries.get(step.next, _id(step.next))
        elif index + 1 < len(steps):
            following = entries[steps[index + 1].id]
        elif step.end is None and not (step.choose and step.default):
            following = chart.special(FINISH)  # falling off the last step completes the instance
        else:
            following = FINISH
        _timeout_edge(chart, step, following, entries)
        if step.end is not None:
            continue
        if step.choose:
            for option in step.choose:
                chart.edge(_id(step.id), entries.get(option.goto, _id(option.goto)), option.when)
            fallback = entries.get(step.default, _id(step.default)) if step.default else following
            chart.edge(_id(step.id), fallback, "otherwise")
            continue
        chart.edge(_exit(step), following)
    return "\n".join(chart.lines)
