"""``on_timeout: requeue`` and ``present_in``: an idle holder's task goes back to its queue as the same task,
and ``present_in: zone.<id>`` work is taken, kept and completed only by people the host reports in the zone.

Every path: an offered task (assignee with a group), a claimed group task, a candidates task, a queue task
nobody holds (its idle timeout never runs), a restart while held, the zone report before and after a
restart, reassigning and escalating to someone outside the zone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.bpo.engine.errors import BlueprintError
from custom_components.bpo.engine.memory_store import MemoryStore
from custom_components.bpo.engine.runtime import Engine
from custom_components.bpo.engine.runtime_errors import NotAllowed
from custom_components.bpo.engine.schema import parse_blueprint
from custom_components.bpo.engine.state import Task

from .test_runtime import BERLIN, People, make, run_until

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
PEOPLE = {"home": ["alice", "bob"], "center": ["carol", "erin"]}


def blueprint(task: str, extra: str = "") -> str:
    return f"""
blueprint: {{name: Requeue, domain: bpo}}
process:
  key: rq
  start: [{{manual: {{}}}}]
  fields:
    offered: {{type: text}}
    note: {{type: text}}
  steps:
    - id: work
      task: {task}
{extra}
"""


IDLE = "      timeout: 20m\n      on_timeout: requeue\n"
OFFERED = blueprint('{assignee: "{{ fields.offered }}", group: home, form: [note]}', IDLE)
CANDIDATES = blueprint("{candidates: [alice, bob]}", IDLE)
CENTER = blueprint(
    '{assignee: "{{ fields.offered }}", group: center, present_in: zone.center, '
    "escalate: [{after: 1h, reassign: erin}]}"
)


Made = tuple[Engine, object, object, MemoryStore]


async def engine_for(text: str, store: MemoryStore | None = None) -> Made:
    bp = parse_blueprint(text, "rq.yaml")
    engine, clock, sink, store = make(bp, start=T0, store=store)
    engine.directory = People(PEOPLE)
    await engine.restore()
    return engine, clock, sink, store


def history(engine: Engine, task: Task) -> list[tuple[str, dict[str, object] | None]]:
    inst = engine.instance(task.instance_id)
    assert inst is not None
    return [(h.what, h.details) for h in inst.history if h.what in ("task_requeued", "assignee_absent")]


async def test_an_idle_holder_loses_the_same_task_to_the_queue_and_a_new_holder_gets_the_full_time() -> None:
    engine, clock, sink, _ = await engine_for(OFFERED)
    await engine.start("rq", fields={"offered": "alice"})
    (task,) = engine.open_tasks()
    assert task.assignee == "alice" and task.group == "home"
    await run_until(engine, clock, T0 + timedelta(minutes=19))
    assert task.assignee == "alice"
    await run_until(engine, clock, T0 + timedelta(minutes=20))
    # the same task: id, group and fields kept, nobody holds it, the group hears of it again
    assert engine.open_tasks() == [task] and task.is_open and task.assignee is None and task.group == "home"
    requeued = {"task": task.id, "from": "alice", "reason": "timeout"}
    assert history(engine, task) == [("task_requeued", requeued)]
    (event,) = sink.of("task_reassigned")  # type: ignore[attr-defined]
    assert event["previous"] == "alice" and event["assignee"] is None and event["requeued"] is True
    # in the queue nobody is idle: the timeout does not run
    await run_until(engine, clock, T0 + timedelta(hours=5))
    assert task.assignee is None and len(sink.of("timeout")) == 1  # type: ignore[attr-defined]
    # bob claims it: his 20 minutes count from the claim
    await engine.reassign(task.id, "bob", user="bob")
    await run_until(engine, clock, T0 + timedelta(hours=5, minutes=19))
    assert task.assignee == "bob"
    await run_until(engine, clock, T0 + timedelta(hours=5, minutes=20))
    assert task.assignee is None and len(history(engine, task)) == 2
    # any member finishes it: the instance goes on with the same task's answer
    await engine.complete_task(task.id, form={"note": "done"}, user="alice")
    assert task.status == "completed" and engine.instance(task.instance_id).fields["note"] == "done"  # type: ignore[union-attr]


async def test_a_candidates_task_goes_back_to_its_candidates() -> None:
    engine, clock, _sink, _ = await engine_for(CANDIDATES)
    await engine.start("rq")
    (task,) = engine.open_tasks()
    await run_until(engine, clock, T0 + timedelta(hours=2))
    assert task.assignee is None and task.is_open  # never held: never requeued
    await engine.reassign(task.id, "alice", user="alice")
    await run_until(engine, clock, clock.now() + timedelta(minutes=20))  # type: ignore[attr-defined]
    assert task.assignee is None and task.candidates == ("alice", "bob") and task.is_open
    await engine.complete_task(task.id, user="bob")
    assert task.status == "completed"


async def test_the_idle_clock_survives_a_restart() -> None:
    engine, clock, sink, store = await engine_for(OFFERED)
    await engine.start("rq", fields={"offered": "alice"})
    (task,) = engine.open_tasks()
    await run_until(engine, clock, T0 + timedelta(minutes=10))
    again = Engine(clock=clock, store=store, events=sink, tz=BERLIN, directory=People(PEOPLE))  # type: ignore[arg-type]
    again.set_blueprints([parse_blueprint(OFFERED, "rq.yaml")])
    await again.restore()
    assert again.next_deadline() == T0 + timedelta(minutes=20)
    await run_until(again, clock, T0 + timedelta(minutes=20))  # type: ignore[arg-type]
    restored = again.task(task.id)
    assert restored is not None and restored.assignee is None and restored.is_open


async def test_present_in_work_is_done_only_in_the_zone_and_leaves_with_its_holder() -> None:
    engine, _clock, sink, _ = await engine_for(CENTER)
    await engine.set_presence("zone.center", ["carol"])
    await engine.start("rq", fields={"offered": "carol"})
    (held,) = engine.open_tasks()
    assert held.assignee == "carol"
    # offered to erin, who is not in the center: the task waits in the center's queue instead
    await engine.start("rq", key="second", fields={"offered": "erin"})
    waiting = next(t for t in engine.open_tasks() if t is not held)
    assert waiting.assignee is None and history(engine, waiting) == [
        ("assignee_absent", {"task": waiting.id, "absent": "zone.center"})
    ]
    with pytest.raises(NotAllowed, match="not in zone.center"):
        await engine.complete_task(waiting.id, user="erin")
    with pytest.raises(NotAllowed, match="not in zone.center"):
        await engine.reassign(waiting.id, "erin", user="erin")
    # carol leaves: her task goes back to the queue, the same task
    assert await engine.set_presence("zone.center", ["erin"]) == [held]
    assert held.assignee is None and held.is_open
    assert history(engine, held)[-1] == (
        "task_requeued",
        {"task": held.id, "from": "carol", "reason": "left zone.center"},
    )
    assert sink.of("task_reassigned")[-1]["requeued"] is True  # type: ignore[attr-defined]
    with pytest.raises(NotAllowed, match="not in zone.center"):
        await engine.complete_task(held.id, user="carol")
    await engine.complete_task(held.id, user="erin")  # erin arrived
    assert held.status == "completed"


async def test_escalation_never_hands_present_in_work_to_someone_outside() -> None:
    engine, clock, _sink, _ = await engine_for(CENTER)
    await engine.set_presence("zone.center", ["carol"])
    await engine.start("rq", fields={"offered": "carol"})
    (task,) = engine.open_tasks()
    await run_until(engine, clock, T0 + timedelta(hours=1))
    assert task.assignee == "carol"  # erin is not in the center: no reassignment
    inst = engine.instance(task.instance_id)
    assert inst is not None and [h.what for h in inst.history].count("reassign_skipped") == 1
    await engine.set_presence("zone.center", ["carol", "erin"])
    await engine.reassign(task.id, "erin")
    assert task.assignee == "erin"


async def test_presence_is_reported_again_after_a_restart() -> None:
    engine, clock, sink, store = await engine_for(CENTER)
    await engine.set_presence("zone.center", ["carol"])
    await engine.start("rq", fields={"offered": "carol"})
    (task,) = engine.open_tasks()
    again = Engine(clock=clock, store=store, events=sink, tz=BERLIN, directory=People(PEOPLE))  # type: ignore[arg-type]
    again.set_blueprints([parse_blueprint(CENTER, "rq.yaml")])
    await again.restore()
    # nothing reported yet: nobody counts as present (fail closed)
    with pytest.raises(NotAllowed, match="not in zone.center"):
        await again.complete_task(task.id, user="carol")
    # carol left while the host was down: the first report takes her task back to the queue
    moved = await again.set_presence("zone.center", ["erin"])
    assert [t.id for t in moved] == [task.id] and moved[0].assignee is None


BAD = {
    "requeue on a wait": (
        blueprint("{group: home}", "    - id: pause\n      wait: {delay: 1h}\n" + IDLE),
        "requeue hands a task back to its queue: it belongs on a task step",
    ),
    "requeue without a queue": (
        blueprint("{assignee: alice}", IDLE),
        "requeue needs a group or candidates on the task",
    ),
    "present_in not a zone": (
        blueprint("{group: center, present_in: center}"),
        "present_in is a zone entity id",
    ),
    "present_in without a queue": (
        blueprint("{assignee: carol, present_in: zone.center}"),
        "present_in needs a group or candidates",
    ),
}


@pytest.mark.parametrize(("text", "message"), BAD.values(), ids=BAD.keys())
def test_validate_refuses_requeue_and_present_in_without_a_queue(text: str, message: str) -> None:
    with pytest.raises(BlueprintError, match=message):
        parse_blueprint(text, "rq.yaml")
