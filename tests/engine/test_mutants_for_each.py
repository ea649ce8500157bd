"""``for_each`` steps as seen from outside the engine (issue 16: mutation testing of ``steps/for_each.py``
found these unchecked): a for_each inside a parallel branch, its history line, a holder cancelling it
(its task and call items with the holder's reason) and a called item that ended just before a restart.
YAML blueprints, public ``Engine`` API."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from custom_components.bpo.engine.business_time import calendar_from_config
from custom_components.bpo.engine.memory_store import MemoryStore
from custom_components.bpo.engine.runtime import Engine
from custom_components.bpo.engine.stepschema import FOR_EACH_MAX

from .test_mutants_action import Actions
from .test_mutants_call import VISIT, engine_with, lines, process
from .test_mutants_tasks import T0

FIELDS = "{things: {type: text}}"


def titles(engine: Engine) -> list[str]:
    return sorted(t.title for t in engine.open_tasks())


async def test_a_for_each_in_a_parallel_branch_ends_only_its_branch_and_logs_its_end() -> None:
    text = process(
        "case",
        "    - id: both\n"
        "      parallel:\n"
        "        - {id: paperwork, task: {assignee: ann, title: Paperwork}}\n"
        "        - id: each\n"
        "          for_each: '{{ fields.things }}'\n"
        "          join: any\n"
        "          task: {assignee: ann, title: 'Do {{ item }}'}\n"
        "    - {id: after, task: {assignee: ann, title: After}}\n",
        fields=FIELDS,
    )
    engine, clock, sink = engine_with(text)
    await engine.restore()
    case = await engine.start("case", fields={"things": ["x", "y"]})
    assert titles(engine) == ["Do x", "Do y", "Paperwork"]
    clock.advance(60)
    (do_y,) = [t for t in engine.open_tasks() if t.title == "Do y"]
    await engine.complete_task(do_y.id)
    # one item was enough: the other is cancelled, the paperwork branch stays open, nothing moved on yet
    assert titles(engine) == ["Paperwork"]
    assert [(t.title, t.status) for t in case.tasks] == [
        ("Paperwork", "open"),
        ("Do x", "cancelled"),
        ("Do y", "completed"),
    ]
    assert [e["reason"] for e in sink.of("task_cancelled")] == ["join"]
    assert lines(case, "for_each_started", "for_each_done") == [
        ("for_each_started", "each", {"items": 2}),
        ("for_each_done", "each", {"done": 1}),
    ]
    assert case.results is not None
    assert case.results["each"]["data"]["outcomes"] == [
        {"item": "x", "outcome": None},
        {"item": "y", "outcome": "done"},
    ]
    await engine.complete_task(engine.open_tasks()[0].id)
    assert titles(engine) == ["After"]


async def test_a_holder_ending_a_for_each_cancels_its_task_and_call_items_with_its_reason() -> None:
    text = process(
        "case",
        "    - id: both\n"
        "      join: any\n"
        "      parallel:\n"
        "        - {id: quick, task: {assignee: ann, title: Quick}}\n"
        "        - id: tasks\n"
        "          for_each: '{{ fields.things }}'\n"
        "          task: {assignee: ann, title: 'Do {{ item }}'}\n"
        "        - id: calls\n"
        "          for_each: '{{ fields.things }}'\n"
        "          call: {process: visit, fields: {site: '{{ item }}'}}\n"
        "    - {id: after, task: {assignee: ann, title: After}}\n",
        fields=FIELDS,
    )
    engine, clock, sink = engine_with(text, VISIT)
    await engine.restore()
    case = await engine.start("case", fields={"things": ["x", "y"]})
    assert titles(engine) == ["Do x", "Do y", "Inspect x", "Inspect y", "Quick"]
    clock.advance(60)
    (quick,) = [t for t in engine.open_tasks() if t.title == "Quick"]
    await engine.complete_task(quick.id)
    assert titles(engine) == ["After"]
    items = [(t.title, t.status, t.completed_at) for t in case.tasks if t.step == "tasks"]
    at = T0 + timedelta(seconds=60)
    assert items == [("Do x", "cancelled", at), ("Do y", "cancelled", at)]
    reasons = [(e["process"], e["reason"]) for e in sink.of("task_cancelled")]
    assert sorted(reasons) == [
        ("case", "join"),
        ("case", "join"),
        ("visit", "cancelled"),
        ("visit", "cancelled"),
    ]
    called = engine.instances(process="visit")
    assert [(i.status, i.error) for i in called] == [("cancelled", "the calling step calls ended (join)")] * 2
    assert case.waits is None and case.joins is None


async def test_a_called_item_that_ended_just_before_a_restart_hands_its_outcome_over_after_it() -> None:
    """The crash window: the called item instance's end was saved, the caller's join was not."""
    text = process(
        "case",
        "    - id: calls\n"
        "      for_each: '{{ fields.things }}'\n"
        "      call: {process: visit, fields: {site: '{{ item }}'}}\n"
        '    - {id: after, task: {assignee: ann, title: "{{ steps.calls.data.outcomes[0].outcome }}"}}\n',
        fields=FIELDS,
    )
    engine, _, _ = engine_with(text, VISIT)
    await engine.restore()
    case = await engine.start("case", fields={"things": ["x"]})
    store = engine.store
    assert isinstance(store, MemoryStore)
    before = store.copy()  # the caller waiting on its one item
    await engine.complete_task(engine.open_tasks()[0].id)
    (child,) = engine.instances(process="visit")
    crashed = before.copy()
    await crashed.save_instance(child.id, child.to_dict())  # only the item's end reached disk
    later, _, _ = engine_with(text, VISIT, store=crashed)
    await later.restore()
    assert titles(later) == ["fine"]  # the end step the called instance reached
    assert later.instance(case.id).joins is None  # type: ignore[union-attr]


def tasks_each(items: str, extra: str = "") -> str:
    return process(
        "case",
        "    - id: each\n"
        f"      for_each: '{items}'\n"
        f"{extra}"
        "      task: {assignee: ann, title: 'Do {{ item }}'}\n"
        "    - {id: after, task: {assignee: ann, title: 'After {{ steps.each.data.done }}'}}\n",
        fields=FIELDS,
    )


async def test_join_one_needs_a_single_item() -> None:
    engine, _, sink = engine_with(tasks_each("{{ fields.things }}", "      join: 1\n"))
    await engine.restore()
    case = await engine.start("case", fields={"things": ["x", "y", "z"]})
    await engine.complete_task(case.tasks[1].id)
    assert [(t.title, t.status) for t in case.tasks] == [
        ("Do x", "cancelled"),
        ("Do y", "completed"),
        ("Do z", "cancelled"),
        ("After 1", "open"),
    ]


async def test_a_list_rendering_none_is_empty_and_exactly_the_maximum_is_accepted() -> None:
    engine, _, _ = engine_with(tasks_each("{{ none }}"))
    await engine.restore()
    empty = await engine.start("case")
    assert (empty.status, [t.title for t in empty.tasks]) == ("running", ["After 0"])
    engine, _, _ = engine_with(tasks_each("{{ fields.things }}", "      concurrency: 1\n"))
    await engine.restore()
    full = await engine.start("case", fields={"things": list(range(FOR_EACH_MAX))})
    assert (full.status, [t.title for t in full.tasks]) == ("running", ["Do 0"])


async def test_a_task_another_branch_opens_while_an_action_item_is_awaited_is_no_item() -> None:
    """While the first action item is awaited, the other branch moves on and opens a task: that task is
    not one of the for_each's items, so the second item still opens when the first answers."""
    gate = asyncio.Event()
    text = process(
        "case",
        "    - id: p\n"
        "      parallel:\n"
        "        - id: paperwork\n"
        "          steps:\n"
        "            - {id: draft, task: {assignee: ann}}\n"
        "            - {id: sign, task: {assignee: ann}}\n"
        "        - id: pings\n"
        "          for_each: '{{ fields.things }}'\n"
        "          concurrency: 1\n"
        "          action: {service: office.print, data: {what: '{{ item }}'}}\n"
        "    - {id: after, task: {assignee: ann}}\n",
        fields=FIELDS,
    )
    actions = Actions({"ok": True}, gate=gate)
    engine, _, _ = engine_with(text, actions=actions)
    await engine.restore()
    starting = asyncio.create_task(engine.start("case", fields={"things": ["x", "y"]}))
    await actions.called.wait()
    [inst] = engine.instances()
    await engine.complete_task(inst.tasks[0].id)  # draft done: sign opens meanwhile
    gate.set()
    await starting
    assert [c[3] for c in actions.calls] == [{"what": "x"}, {"what": "y"}]
    assert inst.results is not None and inst.results["pings"]["data"]["done"] == 2
    assert [t.step for t in inst.tasks if t.is_open] == ["sign"]


async def test_an_item_tasks_escalation_counts_working_time_of_the_process_calendar() -> None:
    office = calendar_from_config({"time_zone": "Europe/Berlin", "hours": {"mon-fri": "09:00-17:00"}})
    text = process(
        "case",
        "    - id: each\n"
        "      for_each: '{{ fields.things }}'\n"
        "      task:\n"
        "        assignee: ann\n"
        "        business_time: true\n"
        "        escalate: [{after: 10h, notify: [person.boss]}]\n",
        fields=FIELDS,
        extra="  calendar: office\n",
    )
    engine, _, _ = engine_with(text, calendars={"office": office})
    await engine.restore()
    await engine.start("case", fields={"things": ["x"]})  # Monday 09:00 in Berlin
    assert engine.next_deadline() == datetime(2025, 1, 7, 10, tzinfo=UTC)  # Tuesday 11:00: ten working hours
