"""Blueprint rules about meaning rather than shape: time, field defaults, people and personal data.

Run once the process is built (``checks.run`` has looked at references and flow). Each rule names what is
wrong at the key where it was written:

- ``business_time: true`` needs a process ``calendar`` (without one, working time would silently be 24/7);
- a field ``default`` must have the field's type; a task's ``form`` names each field once;
- a reminder must come before the task's ``due`` time (after it, ``task_overdue`` has already fired);
- event names (``event:`` starts and waits) cannot be empty;
- ``viewers`` and ``pii_cleared`` entries are ``group:<name>``, ``user:<id>``, a person id,
  ``supervisor`` or ``assignee`` — ``group:`` without a name or ``bogus:x`` are mistakes; a templated
  entry (``group:client_{{ fields.client }}``, rendered per instance by rights.py) must have that form
  with each expression read as a name;
- a ``pii`` field that may already hold a value (a default, a start's ``fields``, another task's form or
  an action result) may
  only be in the form of a task every possible holder of which is cleared for PII: the task is ``pii: true``
  (only ``pii_cleared`` people may take it) or its literal group/assignee/candidates are in ``pii_cleared``.
  A task that is the only source of the field (the data subject fills in her own report) may collect it.

And one warning (the file stays valid): a task whose only route to a person is a template that can render
empty (an unknown supervisor, an unset field) — add ``group:`` or ``candidates:`` as a fallback.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from .checks import after_one, successors  # the flow graph checks.run walks too
from .durations import format_duration
from .errors import Collector, KeyPath
from .model import EventStart, FieldDef, Process, ScheduleStart, Step
from .reader import describe
from .templates import is_template

Located = Sequence[tuple[KeyPath, Step]]
_PREFIXED = re.compile(r"(?P<kind>[^:]*):(?P<name>.*)")
_PREFIXES = ("group", "user")
_NAME = re.compile(r"[A-Za-z0-9_@-]+")
_WORDS = ("supervisor", "assignee")
# person ids are HA person entity ids: a bare name ("hr") would match nobody, so it is refused
_PERSON = re.compile(r"person\.[A-Za-z0-9_.@-]+")
# a templated entry (rights.py) is checked with each expression as a plain name: its fixed part must fit
_EXPRESSION = re.compile(r"{{.*?}}", re.S)
_BLOCK = "an entry may hold {{ }} expressions only (no {% %} blocks), like group:client_{{ fields.client }}"


def run(process: Process, located: Located, start_paths: Sequence[KeyPath], out: Collector) -> None:
    for name, field in process.fields.items():
        problem = default_problem(field)
        if problem:
            out.add(("process", "fields", name, "default"), problem)
    for key in ("viewers", "pii_cleared"):
        for index, entry in enumerate(getattr(process, key)):
            # an expression may render a whole person id, so it is read as one
            sample = _EXPRESSION.sub("person.x", entry)
            problem = entry_problem(sample, entry) if "{%" not in entry else _BLOCK
            if problem:
                out.add(("process", key, index), problem)
    for index, start in enumerate(process.starts):
        if isinstance(start, EventStart) and not start.event.strip():
            out.add((*start_paths[index], "event"), "the event name is empty")
    for path, step in located:
        if step.wait is not None and step.wait.event is not None and not step.wait.event.strip():
            out.add((*path, "wait", "event"), "the event name is empty")
        if step.task is not None:
            _task(process, step, (*path, "task"), located, out)


def default_problem(field: FieldDef) -> str | None:
    value = field.default
    if value is None:
        return None
    kind = field.type
    wrong = f"default must be a {kind}, got {describe(value)}"
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        return wrong + " (write a number, like 0 or 2.5)"
    if kind == "bool" and not isinstance(value, bool):
        return wrong + " (write true or false)"
    if kind in ("text", "file", "entity", "choice") and not isinstance(value, str):
        return wrong + " (write text)"
    if kind == "entity" and isinstance(value, str) and "." not in value:
        return f"default {describe(value)} is not an entity id (like person.alice or sensor.door)"
    if kind == "date":
        try:
            date.fromisoformat(str(value))
        except ValueError:
            return wrong + " (write a date like 2026-01-31)"
    return None


def entry_problem(text: str, entry: str | None = None) -> str | None:
    """What is wrong with one ``viewers``/``pii_cleared`` entry, or None. ``entry``: as written, when
    ``text`` is a templated entry with its expressions read as names."""
    forms = "group:<name>, user:<id>, a person id (person.<name>), supervisor or assignee"
    entry = entry if entry is not None else text
    text = text.strip()
    match = _PREFIXED.fullmatch(text)
    if match:
        kind, name = match["kind"], match["name"].strip()
        if kind == "role":  # roles live in the directory as groups; a role: entry used to match nobody
            group = name or "<name>"
            return (
                "role: entries are not supported: put the people in a directory group and write "
                f"group:{group}"
            )
        if kind not in _PREFIXES:
            return f"unknown entry {entry!r}: '{kind}:' is not one of group:, user: (expected {forms})"
        if not name:
            return f"{kind}: needs a name, like {kind}:officers"
        return None
    if text in _WORDS or _PERSON.fullmatch(text):
        return None
    return _unknown(entry, text, forms)


def _unknown(entry: str, text: str, forms: str) -> str:
    """The message for an entry of no known form; a bare name gets the two ways it could be meant."""
    unknown = f"unknown entry {entry!r} (expected {forms})"
    if _NAME.fullmatch(text):
        return f"{unknown}: a group is written group:{text}, a person person.{text}"
    return unknown


def notify_problem(text: str) -> str | None:
    """What is wrong with a fixed ``escalate.notify`` entry, or None: notifications go to the members of a
    ``group:<name>``, to a person id, or to ``supervisor``/``assignee`` (task_deadlines); anything else would
    reach nobody when the escalation fires."""
    text = text.strip()
    if text in _WORDS or _PERSON.fullmatch(text):
        return None
    match = _PREFIXED.fullmatch(text)
    if match and match["kind"] == "group" and match["name"].strip():
        return None
    return _unknown(text[:60], text, "group:<name>, a person id (person.<name>), supervisor or assignee")


def _task(process: Process, step: Step, path: KeyPath, located: Located, out: Collector) -> None:
    spec = step.task
    assert spec is not None
    if spec.business_time and process.calendar is None:
        out.add(
            (*path, "business_time"),
            "business_time needs a business calendar: write one under process.calendar (time_zone, hours, "
            "holidays, country) (without one, working time would count 24/7)",
        )
    seen: set[str] = set()
    for index, name in enumerate(spec.form):
        if name in seen:
            out.add((*path, "form", index), f"field '{name}' is in the form twice")
        seen.add(name)
    if spec.due is not None:
        for index, after in enumerate(spec.remind):
            if after > spec.due:
                out.add(
                    (*path, "remind", index) if len(spec.remind) > 1 else (*path, "remind"),
                    f"a reminder at {format_duration(after)} comes after the due time "
                    f"({format_duration(spec.due)}); it could only remind of an overdue task",
                )
    for name in spec.form:
        field = process.fields.get(name)
        if (
            field is not None
            and field.pii
            and not _cleared_audience(process, spec)
            and _prefilled(process, name, step, located)
        ):
            out.add(
                (*path, "form"),
                f"field '{name}' is personal data (pii: true) and this task may go to people not cleared "
                "for PII: mark the task pii: true, or give it a group or assignee listed in pii_cleared",
            )
    if (
        spec.assignee
        and is_template(spec.assignee)
        and not spec.group
        and not spec.candidates
        and not _fan_out_item(process, spec.assignee)
    ):
        out.warn(
            (*path, "assignee"),
            "the assignee is a template that can render empty (an unknown supervisor, an unset field); "
            "add group: or candidates: as a fallback",
        )


def _fan_out_item(process: Process, assignee: str) -> bool:
    """``{{ item }}`` where every start is a schedule fanning out over a list: never empty."""
    plain = assignee.replace(" ", "") == "{{item}}"
    return plain and all(isinstance(s, ScheduleStart) and s.for_each is not None for s in process.starts)


def _cleared_audience(process: Process, spec: object) -> bool:
    """Is every person who may take this task cleared for PII, as far as the file says?"""
    if getattr(spec, "pii", False):
        return True
    cleared = set(process.pii_cleared)
    people: list[str] = []
    group = getattr(spec, "group", None)
    if group and (is_template(group) or f"group:{group}" not in cleared):
        return False
    assignee = getattr(spec, "assignee", None)
    if assignee:
        people.append(assignee)
    people.extend(getattr(spec, "candidates", ()))
    return all(not is_template(p) and (p in cleared or f"user:{p}" in cleared) for p in people)


def _prefilled(process: Process, name: str, step: Step, located: Located) -> bool:
    """May field ``name`` hold a value when ``step``'s task opens (from anything but this task)?"""
    field = process.fields[name]
    if field.default is not None:
        return True
    # values a caller passes to bpo.start are the caller's (an admin's or automation's) responsibility
    if any(name in start.fields for start in process.starts):
        return True
    before = _runs_before(process, step)
    for _, other in located:
        if other is step or other.id not in before:
            continue
        if other.task is not None and name in other.task.form:
            return True
        if other.action is not None and other.action.result == name:
            return True
    return False


def _runs_before(process: Process, step: Step) -> set[str]:
    """Ids of steps that can finish before ``step`` opens: top-level steps from which its top-level step
    is reachable (loops included), and the other branches of its own parallel step."""
    top = list(process.steps)
    where = {s.id: i for i, s in reversed(list(enumerate(top)))}
    owner = {s.id: i for i, t in enumerate(top) for s in _flatten(t)}
    mine = owner.get(step.id)
    if mine is None:
        return set()
    edges = [successors(top, i, where) for i in range(len(top))]
    # the steps that reach ``mine``: a walk back from it (one walk, not one per step: files may be large)
    back: list[list[int]] = [[] for _ in top]
    for index, targets in enumerate(edges):
        for target in targets:
            back[target].append(index)
    found: set[str] = set()
    for index in after_one(back, mine) | {mine}:
        found.update(s.id for s in _flatten(top[index]))
    return found


def _flatten(step: Step) -> list[Step]:
    out = [step]
    for inner in step.inner():
        out.extend(_flatten(inner))
    return out
