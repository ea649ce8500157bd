"""Who may see what: view rights (``viewers``) and PII clearance (``pii_cleared``) of a process.

Entries, as written in a blueprint: a person id (``person.erin``), ``user:<id>``, ``group:<name>``
(directory group), ``supervisor`` (the supervisor of the task's assignee or the instance's item) and
``assignee``. A templated entry (``group:client_{{ fields.client }}``) counts only as the instance rendered
it when it started (``Instance.rights``, see rights.py); one that failed to render grants nothing. Acting
on a task is a separate question, answered by the runtime.
"""

from __future__ import annotations

from collections.abc import Iterable

from .model import Process
from .ports import Directory
from .rights import fixed
from .state import Instance, Task


def _matches(entry: str, person: str, directory: Directory | None, subject: str | None) -> bool:
    if entry in (person, f"user:{person}"):
        return True
    if entry.startswith("group:"):
        return directory is not None and person in directory.members(entry[6:])
    if entry == "supervisor":
        return directory is not None and subject is not None and directory.supervisor_of(subject) == person
    return entry == "assignee" and subject == person


def task_subject(task: Task, instance: Instance | None) -> str | None:
    """Whose supervisor ``supervisor`` means: the task's assignee, else the instance's item (a person)."""
    if task.assignee:
        return task.assignee
    item = instance.item if instance is not None else None
    return item if isinstance(item, str) else None


def entries(key: str, process: Process, instance: Instance | None) -> Iterable[str]:
    """The ``viewers`` or ``pii_cleared`` entries that hold for ``instance``: the fixed ones of the
    process and the ones the instance rendered at its start."""
    yield from fixed(getattr(process, key))
    if instance is not None and instance.rights:
        yield from instance.rights.get(key, ())


def can_view(
    person: str, task: Task, instance: Instance | None, process: Process | None, directory: Directory | None
) -> bool:
    """Own tasks, candidate tasks, tasks of one's groups, and whatever ``viewers`` grants."""
    if person == task.assignee or person in task.candidates:
        return True
    if task.group and directory is not None and person in directory.members(task.group):
        return True
    subject = task_subject(task, instance)
    return process is not None and any(
        _matches(v, person, directory, subject) for v in entries("viewers", process, instance)
    )


def pii_cleared(
    person: str, process: Process, directory: Directory | None, instance: Instance | None
) -> bool:
    """``instance`` is the one whose data is shown (None: only the fixed entries count)."""
    return any(_matches(e, person, directory, None) for e in entries("pii_cleared", process, instance))
