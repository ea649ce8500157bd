"""Rules that mutation testing found unchecked (issue 16): timer-heap edge cases and PII clearance
without a directory."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from custom_components.bpo.engine.clock import VirtualClock
from custom_components.bpo.engine.memory_store import MemoryStore
from custom_components.bpo.engine.model import Blueprint, FieldDef, Process, Step, TaskSpec
from custom_components.bpo.engine.runtime import Engine
from custom_components.bpo.engine.runtime_errors import InvalidForm, NotAllowed
from custom_components.bpo.engine.timers import Timer, TimerHeap

from .test_runtime import BERLIN, Sink, make, simple

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def test_cancelling_an_unknown_instance_disarms_nothing() -> None:
    heap = TimerHeap()
    heap.schedule(Timer("i1.2", T0, "remind", "i1"))
    assert heap.cancel_instance("i9") == []
    assert [t.key for t in heap.cancel_instance("i1")] == ["i1.2"]
    assert len(heap) == 0 and heap.cancel_instance("i1") == []


def test_get_answers_the_pending_timer_by_its_key_or_none() -> None:
    heap = TimerHeap()
    assert heap.get("nothing") is None
    heap.schedule(Timer("cron:p", T0 + timedelta(hours=1), "cron"))
    heap.arm("i1.1", 0)
    assert heap.get("cron:p") == Timer("cron:p", T0 + timedelta(hours=1), "cron")
    assert heap.get("i1.1") == Timer("i1.1", datetime(1970, 1, 1, tzinfo=UTC), "token")
    heap.cancel("cron:p")
    assert heap.get("cron:p") is None


async def test_pii_clearance_by_person_works_without_a_directory() -> None:
    process = Process(
        key="pii",
        steps=(Step(id="check", task=TaskSpec(candidates=("ann", "bea"), pii=True)),),
        pii_cleared=("bea", "group:center"),
    )
    engine = Engine(clock=VirtualClock(T0), store=MemoryStore(), events=Sink(), tz=BERLIN, directory=None)
    engine.set_blueprints([Blueprint(name="pii", path="pii.yaml", process=process)])
    await engine.restore()
    inst = await engine.start("pii")
    with pytest.raises(NotAllowed, match="not cleared for PII"):
        await engine.complete_task(inst.tasks[0].id, user="ann")  # no directory: no group is known
    await engine.complete_task(inst.tasks[0].id, user="bea")
    assert inst.tasks[0].by == "bea" and inst.status == "completed"


def test_push_is_schedule_with_a_deadline_kind() -> None:
    heap = TimerHeap()
    heap.push(T0, "z-first")
    heap.push(T0 + timedelta(minutes=1), "a-second", "remind", "i1")
    assert list(heap.pending()) == [  # firing order, not key order
        Timer("z-first", T0, "deadline"),
        Timer("a-second", T0 + timedelta(minutes=1), "remind", "i1"),
    ]
    assert heap.for_instance("i1") == [Timer("a-second", T0 + timedelta(minutes=1), "remind", "i1")]


FORM_FIELDS = {
    "amount": FieldDef("amount", "number"),
    "urgent": FieldDef("urgent", "bool"),
    "verdict": FieldDef("verdict", "choice", options=("ok", "follow_up")),
    "on": FieldDef("on", "date"),
    "note": FieldDef("note", "text"),
}


async def _form_task() -> tuple[Engine, str]:
    step = Step(id="fill", task=TaskSpec(assignee="ann", form=tuple(FORM_FIELDS)))
    engine, _, _, _ = make(simple("form", step, fields=FORM_FIELDS))
    await engine.restore()
    inst = await engine.start("form")
    return engine, inst.tasks[0].id


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        (
            {"amount": "12", "urgent": "Yes", "verdict": "ok", "on": "2026-01-31", "note": 5},
            {"amount": 12, "urgent": True, "verdict": "ok", "on": "2026-01-31", "note": 5},
        ),
        (
            {"amount": " 1.5 ", "urgent": "off", "on": date(2026, 2, 1), "note": "text"},
            {"amount": 1.5, "urgent": False, "on": "2026-02-01", "note": "text"},
        ),
        ({"amount": 7, "urgent": True, "note": 2.5}, {"amount": 7, "urgent": True, "note": 2.5}),
        ({"urgent": "0", "note": ["a"]}, {"urgent": False, "note": ["a"]}),
    ],
)
async def test_form_values_are_coerced_to_their_field_type(
    form: dict[str, object], expected: dict[str, object]
) -> None:
    engine, tid = await _form_task()
    await engine.complete_task(tid, form=form)
    stored = engine.task(tid).form
    assert stored == expected
    assert stored is not None and [type(v) for v in stored.values()] == [type(v) for v in expected.values()]


async def test_form_values_of_the_wrong_type_are_refused_with_every_problem() -> None:
    engine, tid = await _form_task()
    with pytest.raises(InvalidForm) as err:
        await engine.complete_task(
            tid, form={"amount": "twelve", "urgent": "maybe", "verdict": "great", "on": "31.01.2026"}
        )
    assert str(err.value) == (  # the fields and what they expect, never the values (they may be PII)
        f"task {tid} (fill): amount: expected a number; urgent: expected true or false; "
        "verdict: expected one of ok, follow_up; on: expected a date like 2026-01-31"
    )
    with pytest.raises(InvalidForm, match=r"amount: expected a number$"):
        await engine.complete_task(tid, form={"amount": True})  # a bool is not a number
    assert engine.task(tid).is_open


async def test_who_may_complete_and_what_a_refusal_names() -> None:
    bp = simple(
        "who",
        Step(id="anyone", task=TaskSpec(title="Anyone")),
        Step(id="queue", task=TaskSpec(title="Inspect", group="contractors")),
        Step(id="pick", task=TaskSpec(title="Pick", candidates=("ann", "bea"))),
        Step(id="own", task=TaskSpec(title="Own", assignee="cid")),
    )
    engine, _, _, _ = make(bp)
    await engine.restore()
    inst = await engine.start("who")
    await engine.complete_task(inst.tasks[-1].id, user="mallory")  # nobody named: anybody may
    for owner, insider in (("contractors", "carl"), ("ann, bea", "bea"), ("cid", "cid")):
        task = inst.tasks[-1]
        with pytest.raises(NotAllowed) as err:
            await engine.complete_task(task.id, user="mallory")
        assert (
            str(err.value) == f"mallory may not complete task {task.id} ({task.step}); it belongs to {owner}"
        )
        await engine.complete_task(task.id, user=insider)
    assert [t.by for t in inst.tasks] == ["mallory", "carl", "bea", "cid"]
    assert inst.status == "completed"
