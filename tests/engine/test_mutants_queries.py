"""Engine queries that mutation testing found checked only through HA (issue 16): PII clearance by
group, the per-process statistics and the calendar of upcoming starts and due dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from custom_components.bpo.engine.clock import VirtualClock
from custom_components.bpo.engine.field_values import coerce
from custom_components.bpo.engine.memory_store import MemoryStore
from custom_components.bpo.engine.model import Limits, ScheduleStart, Step, TaskSpec
from custom_components.bpo.engine.queries import Upcoming
from custom_components.bpo.engine.runtime import Engine
from custom_components.bpo.engine.runtime_errors import (
    BlueprintSuspended,
    InvalidForm,
    InvalidOutcome,
    NotAllowed,
    TaskNotFound,
    UnknownProcess,
)
from custom_components.bpo.engine.schema import parse_blueprint

from .test_runtime import BERLIN, People, Sink, make, run_until, simple

T0 = datetime(2025, 1, 6, 6, tzinfo=UTC)  # a Monday, 07:00 in Berlin
HOUR = 3600.0


async def test_pii_clearance_by_group_and_user_entry() -> None:
    bp = simple(
        "pii",
        Step(id="check", task=TaskSpec(candidates=("ann", "carol", "dan"), pii=True)),
        pii_cleared=("group:center", "user:dan"),
    )
    engine, _, _, _ = make(bp)
    engine.directory = People({"center": ["carol"], "home": ["ann"]})
    await engine.restore()
    first = await engine.start("pii")
    with pytest.raises(NotAllowed, match="ann is not cleared for PII"):
        await engine.complete_task(first.tasks[0].id, user="ann")
    await engine.complete_task(first.tasks[0].id, user="carol")  # member of group:center
    second = await engine.start("pii")
    await engine.complete_task(second.tasks[0].id, user="dan")  # the user: form of an entry
    assert [i.tasks[0].by for i in (first, second)] == ["carol", "dan"]


async def test_stats_count_running_overdue_and_recently_completed() -> None:
    bp = simple("st", Step(id="t", task=TaskSpec(assignee="ann", due=HOUR)))
    engine, clock, _, _ = make([bp, simple("other", Step(id="t", task=TaskSpec(assignee="x")))], start=T0)
    await engine.restore()
    old = await engine.start("st")
    await engine.complete_task(old.tasks[0].id)  # completed 40 days before the query: outside the period
    clock.advance(40 * 86400)
    recent = await engine.start("st")
    late = await engine.start("st")
    await engine.start("other")
    await run_until(engine, clock, clock.now() + timedelta(hours=2))  # both open tasks are overdue now
    await engine.complete_task(recent.tasks[0].id)
    assert engine.stats("st") == {"open": 1, "overdue": 1, "completed_period": 1}
    assert engine.stats("st", period=timedelta(days=50)) == {"open": 1, "overdue": 1, "completed_period": 2}
    assert engine.stats("other") == {"open": 1, "overdue": 0, "completed_period": 0}
    assert late.is_running and engine.process_keys() == ["st", "other"]


async def test_upcoming_lists_scheduled_starts_and_due_dates_in_order() -> None:
    sched = simple(
        "daily",
        Step(id="t", task=TaskSpec(assignee="ann")),
        starts=(ScheduleStart(cron="0 9 * * *"),),
        limits=Limits(max_starts=1, window=3600.0),
    )
    due = simple("due", Step(id="t", task=TaskSpec(title="Pay", assignee="bob", due=3 * HOUR)))
    engine, _, _, _ = make([sched, due], start=T0)
    await engine.restore()
    inst = await engine.start("due")
    task = inst.tasks[0]
    start_at = datetime(2025, 1, 6, 8, tzinfo=UTC)  # 09:00 Berlin
    assert engine.upcoming(T0, T0 + timedelta(days=2)) == [
        Upcoming("start", start_at, "daily", "daily"),
        Upcoming("due", T0 + timedelta(hours=3), "due", "Pay", inst.id, task.id, "bob"),
        Upcoming("start", start_at + timedelta(days=1), "daily", "daily"),
    ]
    # the range is (start, end]: an entry exactly at the start is left out, one at the end is in
    assert [u.kind for u in engine.upcoming(start_at, T0 + timedelta(hours=3))] == ["due"]
    # a suspended process has no upcoming starts
    await engine.start("daily")
    with pytest.raises(BlueprintSuspended):
        await engine.start("daily")
    assert "daily" in engine.suspended()
    assert [u.kind for u in engine.upcoming(T0, T0 + timedelta(days=2))] == ["due"]


# -- from YAML text through the public Engine API (survive an engine restructure) ---------------------
def process_yaml(key: str, steps: str, *, name: str | None = None, head: str = "") -> str:
    return (
        f"blueprint: {{name: {name or key}, domain: bpo}}\n"
        "process:\n"
        f"  key: {key}\n"
        f"{head or '  start: [{manual: {}}]\n'}"
        "  steps:\n" + steps
    )


def yaml_engine(*texts: str) -> tuple[Engine, VirtualClock]:
    clock = VirtualClock(T0)
    engine = Engine(clock=clock, store=MemoryStore(), events=Sink(), tz=BERLIN, directory=People())
    engine.set_blueprints([parse_blueprint(text, f"bp{n}.yaml") for n, text in enumerate(texts)])
    return engine, clock


SCHEDULED = "  start: [{manual: {}}, {schedule: '0 9 * * *'}]\n  limits: {max_starts: 1, per: 1h}\n"
ONE_TASK = "    - {id: t, task: {assignee: ann}}\n"


async def suspend(engine: Engine, process: str) -> None:
    await engine.start(process)
    with pytest.raises(BlueprintSuspended):
        await engine.start(process)


async def test_lookups_filter_by_process_status_and_key() -> None:
    engine, _ = yaml_engine(process_yaml("a", ONE_TASK), process_yaml("b", ONE_TASK))
    await engine.restore()
    a1 = await engine.start("a", key="k1")
    a2 = await engine.start("a", key="k2")
    b1 = await engine.start("b", key="k1")
    await engine.complete_task(a2.tasks[0].id)
    assert engine.instances(process="a") == [a1, a2]
    assert engine.instances(key="k1") == [a1, b1]
    assert engine.instances(process="a", key="k1") == [a1]
    assert engine.instances(status="completed") == [a2]
    assert engine.instances(process="b", status="completed") == []
    assert engine.blueprint("missing") is None
    bp = engine.blueprint("b")
    assert bp is not None and bp.process.key == "b"


async def test_upcoming_skips_a_suspended_process_but_lists_the_ones_after_it() -> None:
    engine, _ = yaml_engine(
        process_yaml("paused", ONE_TASK, head=SCHEDULED),
        process_yaml("daily", ONE_TASK, name="Daily check", head=SCHEDULED),
    )
    await engine.restore()
    await suspend(engine, "paused")
    entries = engine.upcoming(T0, T0 + timedelta(days=5), per_schedule=2)
    nine = datetime(2025, 1, 6, 8, tzinfo=UTC)  # 09:00 Berlin
    assert entries == [
        Upcoming("start", nine, "daily", "Daily check"),
        Upcoming("start", nine + timedelta(days=1), "daily", "Daily check"),
    ]
    assert len(engine.upcoming(T0, T0 + timedelta(days=5))) == 5  # no cap: every day
    assert engine.next_starts(T0) == [Upcoming("start", nine, "daily", "Daily check")]
    await engine.resume("paused")
    assert engine.next_starts(nine) == [
        Upcoming("start", nine + timedelta(days=1), "paused", "paused"),
        Upcoming("start", nine + timedelta(days=1), "daily", "Daily check"),
    ]


async def test_upcoming_range_ends_for_due_dates_and_visits() -> None:
    steps = (
        "    - id: p\n"
        "      parallel:\n"
        "        - {id: pay, task: {title: Pay, assignee: ann, due: 2h}}\n"
        "        - id: fix\n"
        "          task: {assignee: tech, visit: '{{ fields.at }}', visit_duration: 30m}\n"
    )
    head = "  start: [{manual: {}}]\n  fields: {at: {type: text}}\n"
    engine, _ = yaml_engine(process_yaml("work", steps, name="Field work", head=head))
    await engine.restore()
    visit_at = T0 + timedelta(hours=3)
    inst = await engine.start("work", fields={"at": visit_at.isoformat()})
    pay, fix = inst.tasks
    due = Upcoming("due", T0 + timedelta(hours=2), "work", "Pay", inst.id, pay.id, "ann")
    visit = Upcoming(
        "visit", visit_at, "work", "Fix", inst.id, fix.id, "tech", visit_at + timedelta(minutes=30), None
    )
    assert engine.upcoming(T0, T0 + timedelta(hours=2)) == [due]  # (start, end]: a due date at the end is in
    assert engine.upcoming(T0 + timedelta(hours=2), visit_at) == [
        visit
    ]  # at the start: out; visit at end: in
    assert engine.upcoming(T0, visit_at - timedelta(seconds=1)) == [due]
    assert engine.task_entries(fix.id) == [visit]
    assert engine.task_entries(pay.id) == [due]
    assert engine.task_entries("i99.1") == []
    await engine.complete_task(pay.id)
    assert engine.task_entries(pay.id) == []


async def test_task_entries_list_the_visit_then_the_due_date() -> None:
    steps = (
        "    - {id: fix, task: {assignee: tech, due: 1d, visit: '{{ fields.at }}', visit_location: Depot}}\n"
    )
    head = "  start: [{manual: {}}]\n  fields: {at: {type: text}}\n"
    engine, _ = yaml_engine(process_yaml("work", steps, head=head))
    await engine.restore()
    at = T0 + timedelta(hours=5)
    inst = await engine.start("work", fields={"at": at.isoformat()})
    [task] = inst.tasks
    assert engine.task_entries(task.id) == [
        Upcoming("visit", at, "work", "Fix", inst.id, task.id, "tech", at + timedelta(hours=1), "Depot"),
        Upcoming("due", T0 + timedelta(days=1), "work", "Fix", inst.id, task.id, "tech"),
    ]
    none = await engine.start("work", fields={"at": ""})
    assert engine.task_entries(none.tasks[0].id) == [
        Upcoming("due", T0 + timedelta(days=1), "work", "Fix", none.id, none.tasks[0].id, "tech")
    ]


async def test_due_dates_at_the_same_instant_are_ordered_by_task_id() -> None:
    engine, _ = yaml_engine(process_yaml("pay", "    - {id: t, task: {assignee: ann, due: 1h}}\n"))
    await engine.restore()
    for _ in range(10):
        await engine.start("pay")  # i1 ... i10, opened in that order
    ids = [u.task_id for u in engine.upcoming(T0, T0 + timedelta(hours=1))]
    assert ids == sorted(f"i{n}.1" for n in range(1, 11))  # i1.1, i10.1, i2.1, ...
    assert ids[1] == "i10.1"


async def test_refusals_name_what_is_wrong() -> None:
    steps = (
        "    - id: fill\n"
        "      task: {assignee: ann, form: [note, ok], outcomes: [accept, reject]}\n"
        "    - {id: bare, task: {assignee: ann}}\n"
        "    - {id: orphan, task: {assignee: '{{ fields.nobody }}'}}\n"
    )
    head = (
        "  start: [{manual: {}}]\n"
        "  fields: {note: {type: text, required: true}, ok: {type: bool}, nobody: {type: text}}\n"
    )
    engine, _ = yaml_engine(process_yaml("forms", steps, head=head), process_yaml("zeta", ONE_TASK))
    empty, _ = yaml_engine()
    with pytest.raises(UnknownProcess) as caught:
        await engine.start("nope")
    assert str(caught.value) == "no blueprint defines process 'nope' (known: forms, zeta)"
    with pytest.raises(UnknownProcess) as caught:
        await empty.start("nope")
    assert str(caught.value) == "no blueprint defines process 'nope' (known: none loaded)"
    await engine.restore()
    inst = await engine.start("forms")
    tid = inst.tasks[0].id
    with pytest.raises(TaskNotFound) as missing:
        await engine.complete_task("i1.99")
    assert str(missing.value) == "no task 'i1.99'"
    with pytest.raises(InvalidOutcome) as caught_outcome:
        await engine.complete_task(tid, form={"note": "x"})
    assert str(caught_outcome.value) == f"task {tid} (fill) needs an outcome: one of accept, reject"
    with pytest.raises(InvalidOutcome) as caught_outcome:
        await engine.complete_task(tid, outcome="maybe", form={"note": "x"})
    assert str(caught_outcome.value) == (
        f"task {tid} (fill) has no outcome 'maybe'; expected one of accept, reject"
    )
    with pytest.raises(InvalidForm) as caught_form:
        await engine.complete_task(tid, outcome="accept", form={"zz": 1, "aa": 2, "note": "x"})
    assert str(caught_form.value) == (f"task {tid} (fill) has no form field(s) aa, zz; it collects note, ok")
    with pytest.raises(InvalidForm) as caught_form:
        await engine.complete_task(tid, outcome="accept", form={"note": ""})  # empty is missing
    assert str(caught_form.value) == f"task {tid} (fill): note is required"
    await engine.complete_task(tid, outcome="accept", form={"note": "x", "ok": ""})
    assert inst.fields.get("ok") is None and inst.tasks[0].form == {"note": "x"}  # an empty value: not stored
    bare = inst.tasks[1].id
    with pytest.raises(InvalidForm) as caught_form:
        await engine.complete_task(bare, form={"note": "x"})
    assert str(caught_form.value) == f"task {bare} (bare) has no form field(s) note; it collects nothing"
    await engine.complete_task(bare)
    orphan = inst.tasks[2]
    assert orphan.group == "_admins"
    with pytest.raises(NotAllowed) as refused:
        await engine.complete_task(orphan.id, user="ann")
    assert str(refused.value) == (
        f"ann may not complete task {orphan.id} (orphan); nobody was assigned, so it is in the admins' "
        "queue: an administrator completes or reassigns it"
    )


@pytest.mark.parametrize(
    ("typed", "stored"),
    [(v, True) for v in ("true", "TRUE", " Yes ", "on", "ON", "1")]
    + [(v, False) for v in ("false", "False", "no", "NO", "off", "0")],
)
async def test_bool_form_values_in_every_spelling(typed: str, stored: bool) -> None:
    head = "  start: [{manual: {}}]\n  fields: {ok: {type: bool}}\n"
    engine, _ = yaml_engine(
        process_yaml("b", "    - {id: t, task: {assignee: ann, form: [ok]}}\n", head=head)
    )
    await engine.restore()
    inst = await engine.start("b")
    await engine.complete_task(inst.tasks[0].id, form={"ok": typed})
    assert inst.fields["ok"] is stored


def test_coerce_applies_the_form_rules_to_one_start_field() -> None:
    head = (
        "  start: [{manual: {}}]\n"
        "  fields:\n"
        "    amount: {type: number}\n"
        "    verdict: {type: choice, options: [ok, bad]}\n"
        "    checked_on: {type: date}\n"
    )
    fields = parse_blueprint(process_yaml("v", ONE_TASK, head=head), "v.yaml").process.fields
    assert coerce(fields["amount"], " 12 ") == 12
    assert coerce(fields["amount"], "1.5") == 1.5
    assert coerce(fields["verdict"], "ok") == "ok"
    assert coerce(fields["checked_on"], date(2026, 1, 31)) == "2026-01-31"
    with pytest.raises(ValueError, match=r"^expected one of ok, bad$"):
        coerce(fields["verdict"], "great")
    with pytest.raises(ValueError, match=r"^expected a number$"):
        coerce(fields["amount"], True)
