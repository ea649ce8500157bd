"""View rights and PII clearance follow the blueprint's viewers / pii_cleared entries."""

from __future__ import annotations

from datetime import UTC, datetime

from custom_components.bpo.engine.directory import StaticDirectory
from custom_components.bpo.engine.model import Process
from custom_components.bpo.engine.state import Instance, Task
from custom_components.bpo.engine.visibility import can_view, pii_cleared

NOW = datetime(2026, 12, 1, tzinfo=UTC)
DIRECTORY = StaticDirectory(
    {"contractors": ["person.dave"], "internal_audit": ["person.erin"], "center": ["person.carol"]},
    {"person.alice": "person.sam"},
)
PROCESS = Process(
    key="p", viewers=("supervisor", "group:internal_audit", "person.olga"), pii_cleared=("group:center",)
)


def _task(**kw: object) -> Task:
    return Task(id="i1.1", instance_id="i1", process="p", step="s", title="T", created=NOW, **kw)  # type: ignore[arg-type]


def test_assignee_candidates_and_group_members_see_their_tasks() -> None:
    inst = Instance(id="i1", process="p", version="1", key="k", started=NOW, item="person.alice")
    own = _task(assignee="person.alice")
    queue = _task(group="contractors")
    assert can_view("person.alice", own, inst, None, DIRECTORY)
    assert not can_view("person.bob", own, inst, None, DIRECTORY)
    assert can_view("person.dave", queue, inst, None, DIRECTORY)
    assert not can_view("person.alice", queue, inst, None, DIRECTORY)
    assert can_view("person.bob", _task(candidates=("person.bob",)), inst, None, DIRECTORY)


def test_viewers_grant_supervisor_groups_and_people() -> None:
    inst = Instance(id="i1", process="p", version="1", key="k", started=NOW, item="person.alice")
    queue = _task(group="contractors")  # no assignee: the supervisor of the instance's item may view
    assert can_view("person.sam", queue, inst, PROCESS, DIRECTORY)
    assert can_view("person.erin", queue, inst, PROCESS, DIRECTORY)
    assert can_view("person.olga", queue, inst, PROCESS, DIRECTORY)
    assert not can_view("person.bob", queue, inst, PROCESS, DIRECTORY)
    assert not can_view("person.sam", _task(assignee="person.bob"), inst, PROCESS, DIRECTORY)


def test_pii_clearance() -> None:
    assert pii_cleared("person.carol", PROCESS, DIRECTORY, None)
    assert not pii_cleared("person.dave", PROCESS, DIRECTORY, None)
    assert not pii_cleared("person.dave", Process(key="q"), DIRECTORY, None)
    # the same forms as viewers: a person id, user:<person>, group:<name> (one function for the completion
    # check, notifications, to-do lists and list_tasks)
    assert pii_cleared("person.dave", Process(key="q", pii_cleared=("user:person.dave",)), DIRECTORY, None)
    assert pii_cleared("person.dave", Process(key="q", pii_cleared=("person.dave",)), DIRECTORY, None)
