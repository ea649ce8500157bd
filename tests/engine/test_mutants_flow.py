"""Joins, nested holders, holder timeouts and failing instances, as seen from outside the engine (issue 16:
mutation testing of ``engine/flow.py``, ``steps/parallel.py`` and ``steps/sequence.py`` found these
unchecked). YAML blueprints, public ``Engine`` API."""

from __future__ import annotations

from datetime import timedelta

import pytest

from custom_components.bpo.engine.clock import VirtualClock
from custom_components.bpo.engine.memory_store import MemoryStore
from custom_components.bpo.engine.runtime import Engine
from custom_components.bpo.engine.runtime_errors import TaskNotFound
from custom_components.bpo.engine.schema import parse_blueprint
from custom_components.bpo.engine.state import Instance
from custom_components.bpo.engine.steps.task import TaskKind

from .test_mutants_tasks import T0, Directory, blueprint, engine_for
from .test_requeue_presence import IDLE
from .test_requeue_presence import T0 as RQ_T0
from .test_requeue_presence import blueprint as rq_blueprint
from .test_requeue_presence import engine_for as rq_engine
from .test_runtime import BERLIN, Sink

MINUTE = timedelta(minutes=1)


def statuses(inst: object) -> list[tuple[str, str]]:
    return [(t.step, t.status) for t in inst.tasks]  # type: ignore[attr-defined]


def cancelled(sink: Sink) -> list[tuple[str, str]]:
    return [(e["step"], e["reason"]) for e in sink.of("task_cancelled")]


NESTED = """    - id: outer
      join: {outer}
      parallel:
        - {{id: x, task: {{assignee: ann}}}}
        - id: inner
          join: {inner}
          parallel:
            - {{id: y1, task: {{assignee: bob}}}}
            - {{id: y2, task: {{assignee: bob}}}}
    - {{id: after, task: {{assignee: ann}}}}
"""


async def test_a_parallel_inside_a_branch_is_cancelled_with_its_tasks_when_the_outer_join_completes() -> None:
    engine, clock, sink = engine_for(blueprint(NESTED.format(outer="any", inner="all")))
    await engine.restore()
    inst = await engine.start("tasks")
    clock.advance(60)
    await engine.complete_task(inst.tasks[0].id)
    assert statuses(inst) == [("x", "completed"), ("y1", "cancelled"), ("y2", "cancelled"), ("after", "open")]
    assert [t.completed_at for t in inst.tasks[1:3]] == [T0 + MINUTE] * 2
    assert cancelled(sink) == [("y1", "join"), ("y2", "join")]
    assert inst.joins is None


async def test_an_inner_join_any_closes_only_its_own_branches() -> None:
    engine, clock, sink = engine_for(blueprint(NESTED.format(outer="all", inner="any")))
    await engine.restore()
    inst = await engine.start("tasks")
    await engine.complete_task(inst.tasks[1].id)  # y1
    assert statuses(inst) == [("x", "open"), ("y1", "completed"), ("y2", "cancelled")]
    assert cancelled(sink) == [("y2", "join")]
    joined = [(h.step, h.details) for h in inst.history if h.what == "joined"]
    assert joined == [("inner", {"done": ["y1"]})]
    await engine.complete_task(inst.tasks[0].id)  # x: the outer join has both branches now
    assert statuses(inst)[-1] == ("after", "open")
    joined = [(h.step, h.details) for h in inst.history if h.what == "joined"]
    assert joined == [("inner", {"done": ["y1"]}), ("outer", {"done": ["inner", "x"]})]


async def test_join_of_one_branch_moves_on_after_the_first_and_cancels_the_rest() -> None:
    steps = (
        "    - id: p\n"
        "      join: 1\n"
        "      parallel:\n"
        "        - {id: a, task: {assignee: ann}}\n"
        "        - {id: b, task: {assignee: bob}}\n"
        "        - {id: c, task: {assignee: bob}}\n"
        "    - {id: after, task: {assignee: ann}}\n"
    )
    engine, _, sink = engine_for(blueprint(steps))
    await engine.restore()
    inst = await engine.start("tasks")
    await engine.complete_task(inst.tasks[1].id)
    assert statuses(inst) == [("a", "cancelled"), ("b", "completed"), ("c", "cancelled"), ("after", "open")]
    assert cancelled(sink) == [("a", "join"), ("c", "join")]
    assert [(h.step, h.details) for h in inst.history if h.what == "joined"] == [("p", {"done": ["b"]})]


async def test_a_parallel_that_times_out_cancels_its_branches_and_ends_only_its_own_branch() -> None:
    steps = (
        "    - id: outer\n"
        "      parallel:\n"
        "        - {id: x, task: {assignee: bob}}\n"
        "        - id: p\n"
        "          timeout: 1h\n"
        "          on_timeout: complete\n"
        "          parallel:\n"
        "            - {id: a, task: {assignee: ann}}\n"
        "            - {id: b, task: {assignee: bob}}\n"
        "    - {id: after, task: {assignee: ann}}\n"
    )
    engine, clock, sink = engine_for(blueprint(steps))
    await engine.restore()
    inst = await engine.start("tasks")
    clock.advance(3600)
    await engine.tick()
    assert statuses(inst) == [("x", "open"), ("a", "cancelled"), ("b", "cancelled")]
    assert [t.completed_at for t in inst.tasks[1:]] == [T0 + timedelta(hours=1)] * 2
    assert cancelled(sink) == [("a", "timeout"), ("b", "timeout")]
    await engine.complete_task(inst.tasks[0].id)  # the timed-out branch counts as done for the join
    assert statuses(inst)[-1] == ("after", "open") and inst.joins is None


async def test_a_branch_sequence_that_times_out_cancels_its_open_step() -> None:
    steps = (
        "    - id: p\n"
        "      parallel:\n"
        "        - id: paperwork\n"
        "          timeout: 1h\n"
        "          on_timeout: complete\n"
        "          steps:\n"
        "            - {id: draft, task: {assignee: ann}}\n"
        "            - {id: sign, task: {assignee: ann}}\n"
        "        - {id: laptop, task: {assignee: bob}}\n"
        "    - {id: after, task: {assignee: ann}}\n"
    )
    engine, clock, sink = engine_for(blueprint(steps))
    await engine.restore()
    inst = await engine.start("tasks")
    clock.advance(3600)
    await engine.tick()
    assert statuses(inst) == [("draft", "cancelled"), ("laptop", "open")]
    assert inst.tasks[0].completed_at == T0 + timedelta(hours=1)
    assert cancelled(sink) == [("draft", "timeout")]
    await engine.complete_task(inst.tasks[1].id)  # the timed-out branch counts as done for the join
    assert statuses(inst)[-1] == ("after", "open")


# -- an instance failed by an error outside its steps (here: an event whose match cannot be rendered) ----
FAILING = blueprint(
    "    - id: p\n"
    "      parallel:\n"
    "        - {id: a, task: {assignee: ann, due: 1h}}\n"
    "        - {id: hold, wait: {event: go, match: {n: '{{ 1 // event.n }}'}}}\n",
    fields="{who: {type: text}, ssn: {type: text, pii: true}}",
)


async def test_an_instance_failed_by_an_event_cancels_its_tasks_and_masks_only_pii() -> None:
    engine, clock, sink = engine_for(FAILING)
    await engine.restore()
    inst = await engine.start("tasks", fields={"who": "Bob", "ssn": "123"})
    clock.advance(60)
    assert await engine.handle_event("go", {"n": 0}) == [inst]
    assert (inst.status, inst.ended) == ("failed", T0 + MINUTE)
    assert statuses(inst) == [("a", "cancelled")]
    assert cancelled(sink) == [("a", "failed")]
    [done] = sink.of("instance_completed")
    assert (done["status"], done["fields"]) == ("failed", {"who": "Bob", "ssn": "***"})
    [error] = sink.of("instance_error")
    assert error["step"] == "hold" and error["error"].startswith("event go: ")


async def test_an_instance_whose_closing_breaks_is_still_failed_and_saved(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bug in a step kind's cancel must not leave the instance running: it is closed by hand."""

    def broken(*_args: object) -> None:
        raise RuntimeError("broken cancel")

    store = MemoryStore()
    clock = VirtualClock(T0)
    sink = Sink()

    def fresh() -> Engine:
        engine = Engine(clock=clock, store=store, events=sink, tz=BERLIN, directory=Directory())
        engine.set_blueprints([parse_blueprint(FAILING, "tasks.yaml")])
        return engine

    engine = fresh()
    await engine.restore()
    inst = await engine.start("tasks", fields={"who": "Bob"})
    assert engine.next_deadline() == T0 + timedelta(hours=1)
    clock.advance(60)
    monkeypatch.setattr(TaskKind, "cancel", broken)
    assert await engine.handle_event("go", {"n": 0}) == [inst]
    assert (inst.status, inst.ended) == ("failed", T0 + MINUTE)
    assert inst.error is not None and inst.error.startswith("event go: ")
    assert [(t.status, t.completed_at) for t in inst.tasks] == [("cancelled", T0 + MINUTE)]
    assert inst.waits is None and inst.joins is None
    assert engine.open_tasks() == [] and engine.next_deadline() is None
    # the record was saved as failed: a restarted engine sees the same
    monkeypatch.undo()
    again = fresh()
    await again.restore()
    saved = again.instance(inst.id)
    assert (saved.status, saved.error) == ("failed", inst.error)
    assert again.open_tasks() == [] and again.next_deadline() is None


async def test_a_parallel_logs_its_start_and_a_cancel_names_who_and_where_from() -> None:
    steps = (
        "    - id: p\n"
        "      parallel:\n"
        "        - {id: a, task: {assignee: ann}}\n"
        "        - {id: b, task: {assignee: bob}}\n"
    )
    engine, _, sink = engine_for(blueprint(steps))
    await engine.restore()
    inst = await engine.start("tasks")
    await engine.cancel(inst.id, user="sue")
    assert [(h.what, h.step) for h in inst.history if h.what == "parallel_started"] == [
        ("parallel_started", "p")
    ]
    last = inst.history[-1]
    assert (last.what, last.who, last.source, last.details) == ("instance_cancelled", "sue", "service", None)
    assert cancelled(sink) == [("a", "cancelled"), ("b", "cancelled")]


# -- fourth session: a branch that finishes as it is entered ---------------------------------------------
async def test_a_join_any_met_by_a_skipped_first_branch_enters_no_other_branch() -> None:
    steps = (
        "    - id: p\n"
        "      join: any\n"
        "      parallel:\n"
        "        - {id: skip, when: '{{ false }}', task: {assignee: ann}}\n"
        "        - {id: ask, task: {assignee: bob}}\n"
        "    - {id: after, task: {assignee: ann}}\n"
    )
    engine, _, sink = engine_for(blueprint(steps))
    await engine.restore()
    inst = await engine.start("tasks")
    assert statuses(inst) == [("after", "open")] and inst.joins is None
    assert [(h.what, h.step, h.details) for h in inst.history if h.what in ("step_skipped", "joined")] == [
        ("step_skipped", "skip", None),
        ("joined", "p", {"done": ["skip"]}),
    ]
    assert [e["step"] for e in sink.of("task_created")] == ["after"]


async def test_an_instance_completed_past_its_last_step_masks_only_pii_in_its_event() -> None:
    fields = "{who: {type: text}, ssn: {type: text, pii: true}}"
    engine, _, sink = engine_for(blueprint("    - {id: ask, task: {assignee: ann}}\n", fields=fields))
    await engine.restore()
    inst = await engine.start("tasks", fields={"who": "Bob", "ssn": "123"})
    await engine.complete_task(inst.tasks[0].id)
    [done] = sink.of("instance_completed")
    assert (done["status"], done["fields"]) == ("completed", {"who": "Bob", "ssn": "***"})


# -- fifth session ---------------------------------------------------------------------------------------
async def test_a_failing_when_in_a_branch_fails_the_instance_cancelling_its_other_tasks() -> None:
    """A ``when`` that cannot be rendered fails the instance through its own version: the open task of the
    other branch is cancelled (event and status), and the closing event masks only the pii field."""
    steps = (
        "    - id: p\n"
        "      parallel:\n"
        "        - {id: a, task: {assignee: ann}}\n"
        "        - {id: b, when: '{{ 1 // 0 }}', task: {assignee: bob}}\n"
    )
    fields = "{who: {type: text}, ssn: {type: text, pii: true}}"
    engine, _, sink = engine_for(blueprint(steps, fields=fields))
    await engine.restore()
    inst = await engine.start("tasks", fields={"who": "Bob", "ssn": "123"})
    assert inst.status == "failed" and inst.error is not None and inst.error.startswith("step b: ")
    assert statuses(inst) == [("a", "cancelled")]
    assert cancelled(sink) == [("a", "failed")]
    [done] = sink.of("instance_completed")
    assert done["fields"] == {"who": "Bob", "ssn": "***"}


async def test_a_held_task_requeued_by_its_holder_leaving_the_zone_drops_its_idle_timer() -> None:
    """``on_timeout: requeue`` times only a held task: once it is back in the queue its timer is gone."""
    text = rq_blueprint('{assignee: "{{ fields.offered }}", group: center, present_in: zone.center}', IDLE)
    engine, _, _, _ = await rq_engine(text)
    await engine.set_presence("zone.center", ["carol"])
    await engine.start("rq", fields={"offered": "carol"})
    assert engine.next_deadline() == RQ_T0 + timedelta(minutes=20)
    [held] = await engine.set_presence("zone.center", ["erin"])
    assert held.assignee is None and held.is_open
    assert engine.next_deadline() is None


LOST = """blueprint: {{name: {key}, domain: bpo}}
process:
  key: {key}
  start: [{{manual: {{}}}}]
  steps:
{steps}"""
OLD_STEPS = (
    "    - id: p\n"
    "      parallel:\n"
    "        - {id: a, task: {assignee: ann}}\n"
    "        - {id: w, wait: {event: go}}\n"
    "        - {id: c, call: {process: visit}}\n"
)
VISIT_LOST = LOST.format(key="visit", steps="    - {id: look, task: {assignee: tec}}\n")


async def lost_version(
    old_steps: str,
    sink: Sink,
    key: str | None = None,
    steps: str = "    - {id: other, task: {assignee: ann}}\n",
) -> tuple[Engine, Engine, Instance]:
    """An instance started on ``old_steps``, then its engine restarted on a version with ``steps`` (without
    those of ``old_steps`` unless named) and without the kept source (a record from before sources were
    kept): (first engine, restarted, instance)."""
    store = MemoryStore()
    clock = VirtualClock(T0)

    def fresh(steps: str) -> Engine:
        engine = Engine(clock=clock, store=store, events=sink, tz=BERLIN, directory=Directory())
        case = parse_blueprint(LOST.format(key="case", steps=steps), "case.yaml")
        engine.set_blueprints([case, parse_blueprint(VISIT_LOST, "visit.yaml")])
        return engine

    engine = fresh(old_steps)
    await engine.restore()
    inst = await engine.start("case", key=key)
    assert store.meta is not None
    store.meta["sources"] = {}
    later = fresh(steps)
    await later.restore()
    return engine, later, inst


async def test_an_instance_at_steps_its_lost_version_had_is_cancelled_by_the_kind_of_each_token() -> None:
    """A record whose version is lost (no kept source) runs on the current version, which lacks its steps:
    each token is then cancelled by the kind its record type tells (task, wait, call, parallel), so the
    task is cancelled with its event and the called instance is cancelled with it."""
    sink = Sink()
    engine, later, inst = await lost_version(OLD_STEPS, sink)
    [child] = [i for i in engine.instances() if i.id != inst.id]
    cancelled_inst = await later.cancel(inst.id, user="sue")
    assert cancelled_inst.status == "cancelled"
    assert statuses(cancelled_inst) == [("a", "cancelled")]
    assert cancelled(sink) == [("a", "cancelled"), ("look", "cancelled")]
    assert later.instance(child.id).status == "cancelled"
    assert cancelled_inst.waits is None and cancelled_inst.joins is None


async def test_a_branch_finishing_under_a_parallel_its_lost_version_had_fails_naming_that_step() -> None:
    """The current version still has the branch's task step 'a' but not the parallel 'p' holding it: the
    task completes, and the join it reports to is a step the version lacks. The instance fails naming 'p'
    (as entering an unknown step does), its other branches are cancelled, and it is no internal KeyError."""
    sink = Sink()
    engine, later, inst = await lost_version(OLD_STEPS, sink, steps="    - {id: a, task: {assignee: ann}}\n")
    [child] = [i for i in engine.instances() if i.id != inst.id]
    [task] = [t for t in later.instance(inst.id).tasks if t.is_open]
    await later.complete_task(task.id, user="ann")
    failed = later.instance(inst.id)
    assert (failed.status, failed.error) == ("failed", "unknown step 'p'")
    assert failed.waits is None and failed.joins is None
    assert later.instance(child.id).status == "cancelled"


async def test_a_called_instance_returning_to_a_call_step_its_lost_version_had_fails_naming_it() -> None:
    """The called instance ends, and the caller's call step 'c' is one the current version lacks: the caller
    fails naming 'c', not with an internal KeyError, and its other branches are cancelled."""
    sink = Sink()
    engine, later, inst = await lost_version(OLD_STEPS, sink)
    [child] = [i for i in engine.instances() if i.id != inst.id]
    [look] = [t for t in later.instance(child.id).tasks if t.is_open]
    await later.complete_task(look.id, user="tec")
    failed = later.instance(inst.id)
    assert (failed.status, failed.error) == ("failed", "unknown step 'c'")
    assert statuses(failed) == [("a", "cancelled")]
    assert failed.waits is None and failed.joins is None


async def test_an_event_reaching_a_wait_beside_one_its_lost_version_had_fails_it_naming_the_step() -> None:
    """The current version waits for 'go' at 'w' but lacks the other branch 'v' and the parallel 'p': the
    event resumes 'w' past the wait at 'v' it cannot name (no KeyError out of handle_event, which would
    leave every other instance waiting for it unresumed), then the instance fails naming 'p'."""
    old = (
        "    - id: p\n      parallel:\n"
        "        - {id: v, wait: {event: other}}\n        - {id: w, wait: {event: go}}\n"
    )
    _, later, inst = await lost_version(old, Sink(), steps="    - {id: w, wait: {event: go}}\n")
    moved = await later.handle_event("go", {})
    assert [i.id for i in moved] == [inst.id]
    failed = later.instance(inst.id)
    assert (failed.status, failed.error) == ("failed", "unknown step 'p'")
    assert failed.waits is None and failed.joins is None


async def test_completing_a_task_whose_step_its_lost_version_had_is_refused_naming_the_step() -> None:
    """The current version has no task step 'a': completing its task is refused with a message naming the
    step (not a KeyError), and the instance is left as it was for an administrator to cancel."""
    _, later, inst = await lost_version(OLD_STEPS, Sink())
    [task] = [t for t in later.instance(inst.id).tasks if t.is_open]
    with pytest.raises(TaskNotFound, match=f"task {task.id}: unknown step 'a' in process 'case'"):
        await later.complete_task(task.id, user="ann")
    assert later.instance(inst.id).is_running and task.is_open


async def test_a_correlated_wait_of_a_lost_version_is_cancelled_and_its_reply_goes_nowhere() -> None:
    """A correlated wait whose step the current version lacks (its own version lost) is still cancelled
    cleanly, and a later reply with its key resumes nothing (issue 16: wait ``_unindex``)."""
    waiting = "    - {id: w, wait: {event: reply, correlate: '{{ event.ticket }}'}}\n"
    _, later, inst = await lost_version(waiting, Sink(), key="T-1")
    gone = await later.cancel(inst.id, user="sue")
    assert gone.status == "cancelled"
    assert gone.waits is None
    await later.handle_event("reply", {"ticket": "T-1"})
    assert later.instance(inst.id).status == "cancelled"
