"""Opening and finishing human tasks, as seen from outside the engine (issue 16: mutation testing found
these details checked only through HA, or not at all): default titles, who the task goes to, the
admins' queue, due dates in working time, visit locations, the history lines and the event payloads.

Blueprints are YAML text and everything is read through the public ``Engine`` API, so the tests hold
whichever engine module ends up opening the task."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from custom_components.bpo.engine.business_time import calendar_from_config
from custom_components.bpo.engine.clock import VirtualClock
from custom_components.bpo.engine.memory_store import MemoryStore
from custom_components.bpo.engine.runtime import Engine
from custom_components.bpo.engine.schema import parse_blueprint

from .test_runtime import BERLIN, Sink

T0 = datetime(2025, 1, 6, 8, tzinfo=UTC)  # Monday 09:00 in Berlin


class Directory:
    """ann's supervisor is sue; nobody else has one. Groups as given."""

    def __init__(self, groups: dict[str, list[str]] | None = None) -> None:
        self.groups = groups or {}

    def supervisor_of(self, who: str) -> str | None:
        return "sue" if who == "ann" else None

    def members(self, group: str) -> list[str]:
        return self.groups.get(group, [])

    def groups_of(self, who: str) -> list[str]:
        return [g for g, people in self.groups.items() if who in people]


def blueprint(steps: str, *, fields: str = "{}", extra: str = "") -> str:
    return (
        "blueprint: {name: Tasks, domain: bpo}\n"
        "process:\n"
        "  key: tasks\n"
        "  start: [{manual: {}}]\n"
        f"  fields: {fields}\n"
        f"{extra}"
        "  steps:\n" + steps
    )


def engine_for(text: str, **kw: Any) -> tuple[Engine, VirtualClock, Sink]:
    clock = VirtualClock(T0)
    sink = Sink()
    engine = Engine(
        clock=clock,
        store=MemoryStore(),
        events=sink,
        tz=BERLIN,
        directory=kw.pop("directory", Directory()),
        **kw,
    )
    engine.set_blueprints([parse_blueprint(text, "tasks.yaml")])
    return engine, clock, sink


async def test_default_title_is_the_step_id_in_words() -> None:
    steps = (
        "    - {id: supervisor_check, task: {assignee: ann}}\n"
        "    - {id: _site_visit_, task: {assignee: ann}}\n"
        "    - {id: x, task: {assignee: ann}}\n"
        "    - {id: named, task: {assignee: ann, title: 'Call {{ fields.who }}'}}\n"
    )
    engine, _, sink = engine_for(blueprint(steps, fields="{who: {type: text}}"))
    await engine.restore()
    inst = await engine.start("tasks", fields={"who": "Bob"})
    for _ in range(4):
        await engine.complete_task(inst.tasks[-1].id)
    assert [t.title for t in inst.tasks] == ["Supervisor check", "Site visit", "X", "Call Bob"]
    assert [e["title"] for e in sink.of("task_created")] == [t.title for t in inst.tasks]


async def test_group_candidates_and_assignee_are_rendered_and_empty_ones_dropped() -> None:
    steps = (
        "    - id: review\n"
        "      task:\n"
        "        group: '{{ fields.team }}'\n"
        "        candidates: ['{{ fields.who }}', '{{ fields.nobody }}', 'None', carol]\n"
    )
    fields = "{team: {type: text}, who: {type: text}, nobody: {type: text}}"
    engine, _, sink = engine_for(blueprint(steps, fields=fields))
    await engine.restore()
    inst = await engine.start("tasks", fields={"team": "desk", "who": "bob", "nobody": ""})
    [task] = inst.tasks
    assert (task.assignee, task.group, task.candidates) == (None, "desk", ("bob", "carol"))
    [created] = sink.of("task_created")
    assert created["candidates"] == ["bob", "carol"] and created["group"] == "desk"
    assert created["assignee"] is None
    assert [t.id for t in engine.open_tasks(assignee="carol")] == [task.id]
    assert [t.id for t in engine.open_tasks(group="desk")] == [task.id]


async def test_assignee_from_the_directory_and_a_missing_supervisor_goes_to_the_admins() -> None:
    steps = "    - {id: approve, task: {assignee: '{{ supervisor_of(fields.who) }}'}}\n"
    engine, _, sink = engine_for(blueprint(steps, fields="{who: {type: text}}"))
    await engine.restore()
    known = await engine.start("tasks", fields={"who": "ann"})
    assert (known.tasks[0].assignee, known.tasks[0].group) == ("sue", None)
    assert "task_unassigned" not in [h.what for h in known.history]

    orphan = await engine.start("tasks", fields={"who": "zoe"})  # supervisor_of renders "None"
    [task] = orphan.tasks
    assert (task.assignee, task.group, task.candidates) == (None, "_admins", ())
    [line] = [h for h in orphan.history if h.what == "task_unassigned"]
    assert (line.step, line.details) == ("approve", {"task": task.id, "queue": "_admins"})
    [event] = sink.of("task_unassigned")
    assert event["task_id"] == task.id and event["instance_id"] == orphan.id
    assert event["step"] == "approve" and event["group"] == "_admins"
    assert event["key"] is None  # the key is often a person: not in a Repair
    # the task_created event comes first and already names the admins' queue
    kinds = [e.type for e in sink.events if e.type in ("task_created", "task_unassigned")]
    assert kinds == ["task_created", "task_created", "task_unassigned"]
    assert sink.of("task_created")[1]["group"] == "_admins"


@pytest.mark.parametrize(
    "people",
    [
        "assignee: '{{ fields.who }}'",
        "group: '{{ fields.who }}'",
        "candidates: ['{{ fields.who }}']",
    ],
)
async def test_each_kind_of_people_rendering_empty_sends_the_task_to_the_admins(people: str) -> None:
    steps = f"    - {{id: work, task: {{{people}}}}}\n"
    engine, _, sink = engine_for(blueprint(steps, fields="{who: {type: text}}"))
    await engine.restore()
    inst = await engine.start("tasks", fields={"who": ""})
    assert inst.tasks[0].group == "_admins"
    assert len(sink.of("task_unassigned")) == 1
    named = await engine.start("tasks", fields={"who": "bob"})
    assert named.tasks[0].group != "_admins" and len(sink.of("task_unassigned")) == 1


async def test_task_created_history_and_event_payload() -> None:
    steps = (
        "    - {id: first, task: {assignee: ann, due: 2h, optional: true}}\n"
        "    - {id: second, task: {assignee: ann}}\n"
    )
    engine, _, sink = engine_for(blueprint(steps))
    await engine.restore()
    inst = await engine.start("tasks")
    [line] = [h for h in inst.history if h.what == "task_created"]
    assert line.step == "first"
    [event] = sink.of("task_created")
    assert event["optional"] is True
    assert event["due"] == (T0 + timedelta(hours=2)).isoformat()
    assert event["candidates"] == [] and event["title"] == "First"
    assert event["task_id"] == inst.tasks[0].id and event["assignee"] == "ann"
    await engine.complete_task(inst.tasks[0].id)
    second = sink.of("task_created")[1]
    assert second["optional"] is False and second["due"] is None
    assert [t.step for t in inst.tasks] == ["first", "second"]  # the record of the first task is kept
    assert [t.id for t in engine.open_tasks()] == [inst.tasks[1].id]


async def test_due_in_business_time_skips_the_night_and_calendar_time_does_not() -> None:
    office = calendar_from_config({"time_zone": "Europe/Berlin", "hours": {"mon-fri": "09:00-17:00"}})
    steps = (
        "    - id: p\n"
        "      parallel:\n"
        "        - {id: office, task: {assignee: ann, due: 10h, business_time: true}}\n"
        "        - {id: plain, task: {assignee: ann, due: 10h}}\n"
    )
    engine, _, _ = engine_for(blueprint(steps, extra="  calendar: office\n"), calendars={"office": office})
    await engine.restore()
    inst = await engine.start("tasks")
    due = {t.step: t.due for t in inst.tasks}
    # 09:00 Monday + 10 working hours = 11:00 Tuesday (Berlin) = 10:00 UTC
    assert due == {"office": datetime(2025, 1, 7, 10, tzinfo=UTC), "plain": T0 + timedelta(hours=10)}
    assert engine.next_deadline() == T0 + timedelta(hours=10)


async def test_visit_location_is_stripped_and_a_blank_one_is_none() -> None:
    steps = (
        "    - id: work\n"
        "      task:\n"
        "        assignee: tech\n"
        "        visit: '{{ fields.when }}'\n"
        "        visit_location: '{{ fields.where }}'\n"
    )
    engine, _, _ = engine_for(blueprint(steps, fields="{when: {type: text}, where: {type: text}}"))
    await engine.restore()
    padded = await engine.start("tasks", fields={"when": "2025-01-08T10:00", "where": "  1 Main St \n"})
    blank = await engine.start("tasks", fields={"when": "2025-01-08T10:00", "where": "   "})
    visit = padded.tasks[0].visit
    assert visit is not None and visit.location == "1 Main St"
    assert visit.at == datetime(2025, 1, 8, 9, tzinfo=UTC)
    assert blank.tasks[0].visit is not None and blank.tasks[0].visit.location is None


async def test_finishing_records_outcome_form_person_and_time_and_masks_pii() -> None:
    steps = (
        "    - id: report\n"
        "      task: {candidates: [ann, bob], form: [note, worries], outcomes: [ok, bad], optional: true}\n"
        "    - {id: after, task: {assignee: ann}}\n"
    )
    fields = "{note: {type: text}, worries: {type: text, pii: true}}"
    engine, clock, sink = engine_for(blueprint(steps, fields=fields))
    await engine.restore()
    inst = await engine.start("tasks")
    clock.advance(90)
    task = inst.tasks[0]
    await engine.complete_task(
        task.id, outcome="bad", form={"note": "n1", "worries": "w1"}, user="bob", source="todo"
    )
    assert (task.status, task.outcome, task.by, task.completed_at) == ("completed", "bad", "bob", clock.now())
    assert task.form == {"note": "n1", "worries": "w1"}
    assert inst.fields["note"] == "n1" and inst.fields["worries"] == "w1"
    assert engine.task(task.id) is task and task.id not in [t.id for t in engine.open_tasks()]
    [line] = [h for h in inst.history if h.what == "task_completed"]
    assert (line.who, line.source, line.step) == ("bob", "todo", "report")
    assert line.details == {"task": task.id, "outcome": "bad"}
    [event] = sink.of("task_completed")
    assert event["by"] == "bob" and event["source"] == "todo" and event["outcome"] == "bad"
    assert event["form"]["note"] == "n1" and event["form"]["worries"] != "w1"  # masked
    assert event["task_id"] == task.id and event["step"] == "report"
    # the flow went on to the next step
    assert [t.step for t in engine.open_tasks()] == ["after"]


async def test_finishing_without_a_form_stores_none_and_keeps_the_fields() -> None:
    steps = "    - {id: report, task: {assignee: ann, form: [note], optional: true}}\n"
    engine, _, sink = engine_for(blueprint(steps, fields="{note: {type: text, default: keep}}"))
    await engine.restore()
    inst = await engine.start("tasks")
    await engine.complete_task(inst.tasks[0].id, form={})
    assert inst.tasks[0].form is None and inst.fields["note"] == "keep"
    assert sink.of("task_completed")[0]["form"] == {}
    assert inst.status == "completed"


async def test_a_task_closed_by_a_join_is_cancelled_with_its_reason() -> None:
    steps = (
        "    - id: p\n"
        "      join: any\n"
        "      parallel:\n"
        "        - {id: fast, task: {assignee: ann}}\n"
        "        - {id: slow, task: {assignee: bob, due: 1d}}\n"
        "    - {id: after, task: {assignee: ann}}\n"
    )
    engine, clock, sink = engine_for(blueprint(steps))
    await engine.restore()
    inst = await engine.start("tasks")
    fast, slow = inst.tasks
    clock.advance(60)
    await engine.complete_task(fast.id)
    assert (slow.status, slow.completed_at, slow.outcome) == ("cancelled", clock.now(), None)
    [line] = [h for h in inst.history if h.what == "task_cancelled"]
    assert (line.step, line.details) == ("slow", {"task": slow.id, "reason": "join"})
    [event] = sink.of("task_cancelled")
    assert (event["task_id"], event["step"], event["reason"]) == (slow.id, "slow", "join")
    assert (event["instance_id"], event["process"], event["assignee"]) == (inst.id, "tasks", "bob")
    assert [t.step for t in engine.open_tasks()] == ["after"]
    assert engine.next_deadline() is None  # the cancelled task's due date no longer fires


async def test_a_task_that_times_out_is_closed_at_that_instant() -> None:
    steps = (
        "    - {id: check, timeout: 2h, on_timeout: complete, task: {assignee: ann, optional: true}}\n"
        "    - {id: after, task: {assignee: ann}}\n"
    )
    engine, clock, _ = engine_for(blueprint(steps))
    await engine.restore()
    inst = await engine.start("tasks")
    check = inst.tasks[0]
    clock.advance_to(T0 + timedelta(hours=2))
    await engine.tick()
    assert (check.status, check.completed_at) == ("timed_out", T0 + timedelta(hours=2))
    assert [t.step for t in engine.open_tasks()] == ["after"]
