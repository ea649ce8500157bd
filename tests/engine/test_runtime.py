"""Engine behaviour on a virtual clock: starts, tasks, joins, timeouts, escalations, limits, events."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.bpo.engine.clock import VirtualClock
from custom_components.bpo.engine.memory_store import MemoryStore
from custom_components.bpo.engine.model import (
    Blueprint,
    Escalation,
    FieldDef,
    Limits,
    ManualStart,
    Process,
    ScheduleStart,
    Step,
    TaskSpec,
    Timeout,
)
from custom_components.bpo.engine.ports import EngineEvent
from custom_components.bpo.engine.runtime import Engine
from custom_components.bpo.engine.runtime_errors import (
    BlueprintSuspended,
    InvalidForm,
    InvalidOutcome,
    NotAllowed,
    TaskNotFound,
    UnknownProcess,
)

BERLIN = ZoneInfo("Europe/Berlin")
DAY = 86400.0


class Sink:
    def __init__(self) -> None:
        self.events: list[EngineEvent] = []

    def emit(self, event: EngineEvent) -> None:
        self.events.append(event)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e.data for e in self.events if e.type == kind]


class People:
    """Directory: X's supervisor is X-sup; group members listed explicitly."""

    def __init__(self, groups: Mapping[str, list[str]] | None = None) -> None:
        self.groups = dict(groups or {"contractors": ["carl"]})

    def supervisor_of(self, who: str) -> str | None:
        return f"{who}-sup"

    def members(self, group: str) -> list[str]:
        return self.groups.get(group, [])

    def groups_of(self, who: str) -> list[str]:
        return [g for g, people in self.groups.items() if who in people]


def dsr_blueprint(
    people: tuple[str, ...] = ("alice", "bob", "carol"),
    *,
    max_starts: int | None = 2000,
    catch_up: str = "fire",
) -> Blueprint:
    """The device security report, built directly from model objects."""
    proc = Process(
        key="device_security_report",
        version="1",
        starts=(ScheduleStart(cron="0 9 1 * *", for_each=list(people)),),
        limits=Limits(max_starts=max_starts, window=3600.0),
        catch_up=catch_up,  # type: ignore[arg-type]
        fields={
            "scan_history": FieldDef("scan_history", "file", required=True),
            "worries": FieldDef("worries", "text", pii=True),
        },
        steps=(
            Step(
                id="report",
                task=TaskSpec(
                    assignee="{{ item }}",
                    form=("scan_history", "worries"),
                    due=7 * DAY,
                    remind=(3 * DAY, 6 * DAY),
                ),
            ),
            Step(
                id="review",
                parallel=(
                    Step(
                        id="supervisor_check",
                        task=TaskSpec(assignee="{{ supervisor_of(item) }}", optional=True),
                        timeout=Timeout(DAY, "complete"),
                    ),
                    Step(
                        id="contractor_inspection",
                        task=TaskSpec(group="contractors", outcomes=("ok", "follow_up")),
                    ),
                ),
            ),
        ),
    )
    return Blueprint(name="Device security report", path="dsr.yaml", process=proc)


def simple(key: str, *steps: Step, **proc: Any) -> Blueprint:
    return Blueprint(name=key, path=f"{key}.yaml", process=Process(key=key, steps=steps, **proc))


def make(
    bp: Blueprint | list[Blueprint],
    start: datetime | None = None,
    store: MemoryStore | None = None,
    **kw: Any,
) -> tuple[Engine, VirtualClock, Sink, MemoryStore]:
    clock = VirtualClock(start or datetime(2025, 1, 1, tzinfo=UTC))
    sink = Sink()
    store = store or MemoryStore()
    engine = Engine(clock=clock, store=store, events=sink, tz=BERLIN, directory=People(), **kw)
    engine.set_blueprints(bp if isinstance(bp, list) else [bp])
    return engine, clock, sink, store


async def run_until(engine: Engine, clock: VirtualClock, until: datetime) -> None:
    while (nd := engine.next_deadline()) is not None and nd <= until:
        clock.advance_to(nd)
        await engine.tick()
    clock.advance_to(until)


def task_of(engine: Engine, key: str, step: str) -> str:
    found = [t for t in engine.open_tasks() if t.step == step and engine.instance(t.instance_id).key == key]
    assert len(found) == 1, (key, step, found)
    return found[0].id


# --------------------------------------------------------------------------------------------------------
async def test_schedule_fans_out_one_instance_per_employee() -> None:
    engine, clock, sink, store = make(dsr_blueprint())
    await engine.restore()
    first = engine.next_deadline()
    assert first == datetime(2025, 1, 1, 8, 0, tzinfo=UTC)  # 09:00 Berlin
    clock.advance_to(first)
    nxt = await engine.tick()
    assert sorted(i.key for i in engine.instances()) == ["alice", "bob", "carol"]
    assert sorted(t.assignee or "" for t in engine.open_tasks()) == ["alice", "bob", "carol"]
    assert len(sink.of("instance_started")) == 3 and len(sink.of("task_created")) == 3
    assert nxt == first + timedelta(days=3)  # first reminder
    assert len(store.records) == 3
    task = engine.open_tasks(assignee="alice")[0]
    assert task.due == first + timedelta(days=7) and task.title == "Report"


async def test_parallel_review_supervisor_times_out_and_contractor_completes() -> None:
    engine, clock, sink, _ = make(dsr_blueprint(("alice",)))
    await engine.restore()
    await run_until(engine, clock, datetime(2025, 1, 1, 9, tzinfo=UTC))
    await engine.complete_task(
        task_of(engine, "alice", "report"), form={"scan_history": "scan.pdf"}, user="alice"
    )
    sup = task_of(engine, "alice", "supervisor_check")
    assert engine.task(sup).assignee == "alice-sup"
    con = task_of(engine, "alice", "contractor_inspection")
    await run_until(engine, clock, clock.now() + timedelta(hours=25))
    assert engine.task(sup).status == "timed_out"
    assert [e["task_id"] for e in sink.of("timeout")] == [sup]
    assert engine.instances()[0].is_running  # contractor still open
    await engine.complete_task(con, outcome="follow_up", user="carl")
    inst = engine.instances()[0]
    assert inst.status == "completed"
    assert sink.of("instance_completed")[0]["status"] == "completed"
    assert [h.what for h in inst.history][-3:] == ["task_completed", "joined", "instance_completed"]


async def test_join_any_cancels_other_branches_and_n_of_m_waits() -> None:
    branches = tuple(Step(id=f"b{i}", task=TaskSpec(assignee=f"p{i}")) for i in range(3))
    bp_any = simple("anyp", Step(id="p", parallel=branches, join="any"))
    bp_two = simple("twop", Step(id="p", parallel=branches, join="n_of_m", join_n=2))
    engine, _clock, sink, _ = make([bp_any, bp_two])
    await engine.restore()
    a = await engine.start("anyp")
    b = await engine.start("twop")
    await engine.complete_task(a.tasks[1].id)
    assert a.status == "completed"
    assert [t.status for t in a.tasks] == ["cancelled", "completed", "cancelled"]
    assert {e["task_id"] for e in sink.of("task_cancelled")} == {a.tasks[0].id, a.tasks[2].id}
    await engine.complete_task(b.tasks[0].id)
    assert b.is_running
    await engine.complete_task(b.tasks[2].id)
    assert b.status == "completed" and b.tasks[1].status == "cancelled"


async def test_complete_task_validation_errors() -> None:
    engine, clock, _, _ = make(dsr_blueprint(("alice",)))
    await engine.restore()
    await run_until(engine, clock, datetime(2025, 1, 1, 9, tzinfo=UTC))
    tid = task_of(engine, "alice", "report")
    with pytest.raises(InvalidOutcome, match="expected one of done"):
        await engine.complete_task(tid, outcome="nope")
    with pytest.raises(InvalidForm, match="no form field"):
        await engine.complete_task(tid, form={"colour": "red"})
    with pytest.raises(InvalidForm, match="scan_history is required"):
        await engine.complete_task(tid, form={"worries": "none"})
    with pytest.raises(NotAllowed, match="mallory may not complete"):
        await engine.complete_task(tid, form={"scan_history": "x"}, user="mallory")
    with pytest.raises(TaskNotFound):
        await engine.complete_task("i999.1")
    await engine.complete_task(tid, form={"scan_history": "x"}, user="alice")
    with pytest.raises(NotAllowed, match="already completed"):
        await engine.complete_task(tid, form={"scan_history": "x"})
    con = task_of(engine, "alice", "contractor_inspection")
    with pytest.raises(InvalidOutcome, match="needs an outcome"):
        await engine.complete_task(con, user="carl")
    with pytest.raises(UnknownProcess):
        await engine.start("nope")


async def test_start_is_idempotent_per_key_and_schedule_tick() -> None:
    engine, clock, _, _ = make(dsr_blueprint(("alice",)))
    await engine.restore()
    one = await engine.start("device_security_report", key="dev-1", item="alice")
    two = await engine.start("device_security_report", key="dev-1", item="alice")
    assert one is two and len(engine.instances()) == 1
    clock.advance_to(datetime(2025, 1, 1, 8, tzinfo=UTC))
    await engine.tick()
    assert len(engine.instances()) == 2
    # re-firing the same tick (as after a crash before the cursor was saved) creates nothing new
    sched = engine.state.current["device_security_report"]
    await engine._starts.fan_out(sched, sched.process.starts[0], clock.now(), clock.now())  # type: ignore[arg-type]
    assert len(engine.instances()) == 2


async def test_start_limit_suspends_process_and_resume_lifts_it() -> None:
    bp = simple("flood", Step(id="t", task=TaskSpec(assignee="x")), limits=Limits(max_starts=2, window=60.0))
    engine, clock, sink, store = make(bp)
    await engine.restore()
    first = await engine.start("flood")
    await engine.start("flood")
    with pytest.raises(BlueprintSuspended):
        await engine.start("flood")
    assert len(sink.of("blueprint_suspended")) == 1
    assert "flood" in store.meta["suspended"]  # type: ignore[index]
    await engine.complete_task(first.tasks[0].id)  # running instances are unaffected
    assert first.status == "completed"
    clock.advance(120)
    with pytest.raises(BlueprintSuspended):
        await engine.start("flood")  # stays suspended until resumed, even after the window
    await engine.resume("flood")
    assert (await engine.start("flood")).is_running
    assert [e.type for e in sink.events].count("blueprint_resumed") == 1


async def test_escalation_chain_notifies_then_reassigns() -> None:
    spec = TaskSpec(
        assignee="ann",
        escalate=(
            Escalation(after=3600, notify=("{{ supervisor_of('ann') }}",)),
            Escalation(after=7200, reassign="bea"),
        ),
    )
    engine, clock, sink, _ = make(simple("esc", Step(id="t", task=spec)))
    await engine.restore()
    inst = await engine.start("esc")
    await run_until(engine, clock, clock.now() + timedelta(hours=1))
    assert sink.of("escalated")[0]["notify"] == ["ann-sup"]
    assert inst.tasks[0].assignee == "ann"
    await run_until(engine, clock, clock.now() + timedelta(hours=1))
    assert inst.tasks[0].assignee == "bea"
    assert sink.of("task_reassigned")[0]["previous"] == "ann"
    assert engine.open_tasks(assignee="bea")[0].id == inst.tasks[0].id
    assert engine.next_deadline() is None


async def test_missed_reminders_collapse_into_one_late_reminder() -> None:
    spec = TaskSpec(assignee="ann", remind=(3600, 7200, 10800), due=20000)
    engine, clock, sink, _ = make(simple("rem", Step(id="t", task=spec)))
    await engine.restore()
    await engine.start("rem")
    clock.advance(30000)  # host slept through everything
    await engine.tick()
    reminded = sink.of("task_reminded")
    assert len(reminded) == 1 and reminded[0]["count"] == 3 and reminded[0]["late"] is True
    assert len(sink.of("task_overdue")) == 1
    await engine.tick()
    assert len(sink.of("task_reminded")) == 1 and engine.next_deadline() is None


async def test_pii_fields_are_masked_in_event_payloads() -> None:
    engine, clock, sink, store = make(dsr_blueprint(("alice",)))
    await engine.restore()
    await run_until(engine, clock, datetime(2025, 1, 1, 9, tzinfo=UTC))
    await engine.complete_task(
        task_of(engine, "alice", "report"), form={"scan_history": "s.pdf", "worries": "my phone was stolen"}
    )
    done = sink.of("task_completed")[0]
    assert done["form"] == {"scan_history": "s.pdf", "worries": "***"}
    assert "stolen" not in repr(sink.events)
    assert "stolen" in repr(store.records)  # the record itself keeps the value


async def test_business_time_due_uses_the_process_calendar() -> None:
    class NineToFive:
        def add(self, start: datetime, seconds: float) -> datetime:
            return start + timedelta(seconds=seconds * 3)  # stand-in: working time runs 3x slower

    spec = TaskSpec(assignee="ann", due=3600, business_time=True)
    bp = simple("biz", Step(id="t", task=spec), calendar="office")
    engine, clock, _, _ = make(bp, calendars={"office": NineToFive()})
    await engine.restore()
    inst = await engine.start("biz")
    assert inst.tasks[0].due == clock.now() + timedelta(hours=3)


async def test_running_instances_keep_their_blueprint_version() -> None:
    v1 = simple("ver", Step(id="a", task=TaskSpec(assignee="x")), Step(id="b", task=TaskSpec(assignee="y")))
    engine, _, _, _ = make(v1)
    await engine.restore()
    old = await engine.start("ver")
    v2 = Blueprint("ver", "ver.yaml", Process(key="ver", version="2", steps=(Step(id="a", task=TaskSpec()),)))
    engine.set_blueprints([v2])
    await engine.complete_task(old.tasks[0].id)
    assert old.tasks[-1].step == "b" and old.tasks[-1].assignee == "y"
    new = await engine.start("ver")
    assert new.version == "2"
    await engine.complete_task(new.tasks[0].id)
    assert new.status == "completed"


async def test_history_records_who_what_and_source() -> None:
    engine, _, sink, _ = make(
        simple("h", Step(id="t", task=TaskSpec(assignee="ann")), starts=(ManualStart(),))
    )
    await engine.restore()
    inst = await engine.start("h", user="boss")
    await engine.reassign(inst.tasks[0].id, "bea", user="boss")
    await engine.complete_task(inst.tasks[0].id, user="bea", source="mobile_app")
    rows = [(h.what, h.who, h.source) for h in inst.history]
    assert rows == [
        ("instance_started", "boss", "manual"),
        ("task_created", None, "engine"),
        ("task_reassigned", "boss", "service"),
        ("task_completed", "bea", "mobile_app"),
        ("instance_completed", None, "engine"),
    ]
    assert sink.of("task_completed")[0]["by"] == "bea"


async def test_cancel_closes_open_tasks_and_emits() -> None:
    engine, _, sink, _ = make(dsr_blueprint(("alice",)))
    await engine.restore()
    inst = await engine.start("device_security_report", key="k", item="alice")
    await engine.cancel(inst.id, user="admin")
    assert inst.status == "cancelled" and inst.tasks[0].status == "cancelled"
    assert sink.of("instance_cancelled")[0]["by"] == "admin"
    assert engine.open_tasks() == []
    with pytest.raises(NotAllowed):
        await engine.cancel(inst.id)


async def test_queries_stats_and_upcoming() -> None:
    engine, clock, _, _ = make(dsr_blueprint())
    await engine.restore()
    await run_until(engine, clock, datetime(2025, 1, 9, tzinfo=UTC))
    stats = engine.stats("device_security_report")
    assert stats == {"open": 3, "overdue": 3, "completed_period": 0}
    ups = engine.upcoming(datetime(2025, 1, 9, tzinfo=UTC), datetime(2025, 3, 2, tzinfo=UTC))
    assert [(u.kind, u.at.month) for u in ups] == [("start", 2), ("start", 3)]
    assert len(engine.open_tasks(process="device_security_report", assignee="bob")) == 1
