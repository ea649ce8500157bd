"""A task whose assignee, group or candidates render empty goes to the admins' queue, never to "anyone"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custom_components.bpo.engine.clock import VirtualClock
from custom_components.bpo.engine.directory import StaticDirectory
from custom_components.bpo.engine.memory_store import MemoryStore
from custom_components.bpo.engine.model import Blueprint, Process, Step, TaskSpec
from custom_components.bpo.engine.ports import EngineEvent
from custom_components.bpo.engine.runtime import Engine
from custom_components.bpo.engine.runtime_errors import NotAllowed
from custom_components.bpo.engine.state import ADMINS_QUEUE, Task

# alice has no supervisor; bob's is sam. "_admins" as a directory group must grant nothing.
DIRECTORY = StaticDirectory(
    groups={"contractors": ["carl"], ADMINS_QUEUE: ["mallory"]}, supervisors={"bob": "sam"}
)


class Sink:
    def __init__(self) -> None:
        self.events: list[EngineEvent] = []

    def emit(self, event: EngineEvent) -> None:
        self.events.append(event)

    def of(self, kind: str) -> list[dict[str, object]]:
        return [e.data for e in self.events if e.type == kind]


def _engine(spec: TaskSpec) -> tuple[Engine, Sink]:
    process = Process(key="check", steps=(Step(id="supervisor_check", task=spec),))
    sink = Sink()
    engine = Engine(
        clock=VirtualClock(datetime(2026, 12, 1, tzinfo=UTC)),
        store=MemoryStore(),
        events=sink,
        directory=DIRECTORY,
        tz=UTC,
    )
    engine.set_blueprints([Blueprint(name="Check", path="check.yaml", process=process)])
    return engine, sink


async def _open_task(spec: TaskSpec, item: str = "alice") -> tuple[Engine, Sink, Task]:
    engine, sink = _engine(spec)
    inst = await engine.start("check", item=item, key=item)
    (task,) = engine.open_tasks()
    assert task.instance_id == inst.id
    return engine, sink, task


UNASSIGNED = {
    "empty assignee": TaskSpec(assignee=""),
    "unknown supervisor": TaskSpec(assignee="{{ supervisor_of(item) }}"),
    "empty group": TaskSpec(group="{{ '' }}"),
    "empty candidates": TaskSpec(candidates=("{{ supervisor_of(item) }}", "")),
}


@pytest.mark.parametrize("spec", UNASSIGNED.values(), ids=UNASSIGNED.keys())
async def test_unassigned_task_goes_to_admins_queue(spec: TaskSpec) -> None:
    engine, sink, task = await _open_task(spec)
    assert task.assignee is None and task.candidates == ()
    assert task.group == ADMINS_QUEUE
    assert engine.open_tasks(group=ADMINS_QUEUE) == [task]

    inst = engine.instance(task.instance_id)
    assert inst is not None
    entry = [h for h in inst.history if h.what == "task_unassigned"]
    assert len(entry) == 1 and entry[0].step == "supervisor_check"
    assert entry[0].details == {"task": task.id, "queue": ADMINS_QUEUE}
    # ids only: no key (here a person), title or people in the event
    assert sink.of("task_unassigned") == [
        {
            "process": "check",
            "instance_id": inst.id,
            "key": None,
            "task_id": task.id,
            "step": "supervisor_check",
            "assignee": None,
            "group": ADMINS_QUEUE,
            "outcome": None,
        }
    ]

    # the employee herself, a member of a directory group called "_admins", anyone: refused
    for user in ("alice", "mallory", "carl"):
        with pytest.raises(NotAllowed, match="admins' queue"):
            await engine.complete_task(task.id, user=user)
        assert task.is_open

    # an administrator acts on behalf
    await engine.complete_task(task.id, user="admin", on_behalf=True)
    assert task.status == "completed" and task.by == "admin"
    assert inst.status == "completed"


async def test_rendered_assignee_is_not_the_admins_queue() -> None:
    engine, sink, task = await _open_task(TaskSpec(assignee="{{ supervisor_of(item) }}"), item="bob")
    assert task.assignee == "sam" and task.group is None
    assert sink.of("task_unassigned") == []
    with pytest.raises(NotAllowed):
        await engine.complete_task(task.id, user="bob")
    await engine.complete_task(task.id, user="sam")
    assert task.status == "completed"


async def test_group_fallback_when_assignee_renders_empty() -> None:
    """The pattern the shipped device report uses: the group renders only when the supervisor is unknown."""
    spec = TaskSpec(
        assignee="{{ supervisor_of(item) }}",
        group="{{ '' if supervisor_of(item) else 'contractors' }}",
    )
    engine, sink, task = await _open_task(spec, item="alice")
    assert task.assignee is None and task.group == "contractors"
    assert sink.of("task_unassigned") == []
    with pytest.raises(NotAllowed):
        await engine.complete_task(task.id, user="alice")
    await engine.complete_task(task.id, user="carl")
    assert task.status == "completed"


async def test_task_naming_nobody_stays_open_to_anyone() -> None:
    """No assignee, group or candidates written at all is a documented "anyone" task, not an error."""
    engine, sink, task = await _open_task(TaskSpec())
    assert task.group is None
    assert sink.of("task_unassigned") == []
    await engine.complete_task(task.id, user="alice")
    assert task.status == "completed"


async def test_admin_reassignment_hands_the_task_to_that_person() -> None:
    engine, _, task = await _open_task(TaskSpec(assignee=""))
    await engine.reassign(task.id, "bob", user="admin")
    with pytest.raises(NotAllowed):
        await engine.complete_task(task.id, user="alice")
    await engine.complete_task(task.id, user="bob")
    assert task.status == "completed"


async def test_admins_queue_survives_a_restart() -> None:
    engine, _, task = await _open_task(TaskSpec(assignee="{{ supervisor_of(item) }}"))
    store = engine.store
    again = Engine(clock=engine.clock, store=store, events=Sink(), directory=DIRECTORY, tz=UTC)
    again.set_blueprints(engine.blueprints())
    await again.restore()
    restored = again.task(task.id)
    assert restored is not None and restored.group == ADMINS_QUEUE
    with pytest.raises(NotAllowed, match="admins' queue"):
        await again.complete_task(task.id, user="alice")
