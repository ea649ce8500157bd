"""View rights that mutation testing found unchecked: the ``assignee`` viewer entry, tasks looked at
without their instance, and instances whose item is not a person id."""

from __future__ import annotations

from datetime import UTC, datetime

from custom_components.bpo.engine.directory import StaticDirectory
from custom_components.bpo.engine.model import Process
from custom_components.bpo.engine.state import Instance, Task
from custom_components.bpo.engine.visibility import can_view

NOW = datetime(2026, 12, 1, tzinfo=UTC)
DIRECTORY = StaticDirectory(
    {"contractors": ["person.dave"]}, {"person.alice": "person.sam", "7": "person.sam"}
)


def _task(**kw: object) -> Task:
    return Task(id="i1.1", instance_id="i1", process="p", step="s", title="T", created=NOW, **kw)  # type: ignore[arg-type]


def _instance(item: object) -> Instance:
    return Instance(id="i1", process="p", version="1", key="k", started=NOW, item=item)


def test_assignee_entry_lets_the_instance_item_see_unassigned_tasks() -> None:
    """``viewers: [assignee]``: the person the instance is about sees its queue tasks; nobody else."""
    process = Process(key="p", viewers=("assignee",))
    queue = _task(group="contractors")
    inst = _instance("person.alice")
    assert can_view("person.alice", queue, inst, process, DIRECTORY)
    assert not can_view("person.bob", queue, inst, process, DIRECTORY)
    assert not can_view("person.alice", queue, inst, Process(key="p", viewers=("supervisor",)), DIRECTORY)


def test_without_the_instance_only_the_task_itself_counts() -> None:
    process = Process(key="p", viewers=("supervisor", "assignee"))
    assert not can_view("person.sam", _task(group="contractors"), None, process, DIRECTORY)
    assert can_view("person.sam", _task(assignee="person.alice"), None, process, DIRECTORY)


def test_an_item_that_is_not_a_person_id_has_no_supervisor() -> None:
    """A device record or a number as the instance item is nobody: no supervisor, no "assignee"."""
    process = Process(key="p", viewers=("supervisor", "assignee"))
    queue = _task(group="contractors")
    assert not can_view("person.sam", queue, _instance(7), process, DIRECTORY)
    assert not can_view("person.sam", queue, _instance({"id": "person.alice"}), process, DIRECTORY)
    assert can_view("person.sam", queue, _instance("7"), process, DIRECTORY)  # the same id as a string
