"""Rules whose bugs once shipped with every test green (issue 16): joins in the middle of a process,
and timeouts / reminders / escalations counted in business time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from custom_components.bpo.engine.business_time import calendar_from_config
from custom_components.bpo.engine.model import Escalation, Step, TaskSpec, Timeout

from .test_runtime import make, run_until, simple

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600.0


def _branches(n: int) -> tuple[Step, ...]:
    # each branch has a timer of its own, so a branch left open would also leave a timer armed
    return tuple(Step(id=f"b{i}", task=TaskSpec(assignee=f"p{i}", remind=(HOUR,))) for i in range(n))


async def test_join_any_in_the_middle_closes_the_other_branches_then_moves_on() -> None:
    bp = simple(
        "mid_any",
        Step(id="p", parallel=_branches(3), join="any"),
        Step(id="after", task=TaskSpec(assignee="boss")),
    )
    engine, clock, sink, _ = make(bp)
    await engine.restore()
    inst = await engine.start("mid_any")
    b0, b1, b2 = inst.tasks
    await engine.complete_task(b1.id, user="p1")

    assert inst.is_running  # the next step runs: closing the instance does not hide open branches
    assert [(t.step, t.status) for t in inst.tasks] == [
        ("b0", "cancelled"),
        ("b1", "completed"),
        ("b2", "cancelled"),
        ("after", "open"),
    ]
    assert [(t.step, t.assignee) for t in engine.open_tasks()] == [("after", "boss")]
    assert [e["task_id"] for e in sink.of("task_cancelled")] == [b0.id, b2.id]
    assert {e["reason"] for e in sink.of("task_cancelled")} == {"join"}
    # the cancelled branches' reminders are disarmed: nothing is due any more
    assert engine.next_deadline() is None
    await run_until(engine, clock, clock.now() + timedelta(hours=2))
    assert sink.of("task_reminded") == []


async def test_join_n_of_m_in_the_middle_closes_the_rest_once_n_are_done() -> None:
    bp = simple(
        "mid_two",
        Step(id="p", parallel=_branches(3), join="n_of_m", join_n=2),
        Step(id="after", task=TaskSpec(assignee="boss")),
        Step(id="last", task=TaskSpec(assignee="clerk")),
    )
    engine, _, sink, _ = make(bp)
    await engine.restore()
    inst = await engine.start("mid_two")
    b0, b1, b2 = inst.tasks
    await engine.complete_task(b2.id, user="p2")
    assert [t.status for t in inst.tasks] == ["open", "open", "completed"]  # one of two: keep waiting
    assert sink.of("task_cancelled") == []

    await engine.complete_task(b0.id, user="p0")
    assert [(t.step, t.status) for t in inst.tasks] == [
        ("b0", "completed"),
        ("b1", "cancelled"),
        ("b2", "completed"),
        ("after", "open"),
    ]
    assert [t.step for t in engine.open_tasks()] == ["after"]
    assert [e["task_id"] for e in sink.of("task_cancelled")] == [b1.id]
    assert [h.what for h in inst.history if h.what in ("joined", "task_cancelled")] == [
        "task_cancelled",
        "joined",
    ]
    await engine.complete_task(inst.tasks[-1].id, user="boss")
    assert [t.step for t in engine.open_tasks()] == ["last"]


# -- business time ---------------------------------------------------------------------------------
OFFICE = calendar_from_config({"time_zone": "Europe/Berlin", "hours": {"mon-fri": "09:00-17:00"}})
FRIDAY_4PM = datetime(2025, 1, 3, 16, tzinfo=BERLIN).astimezone(UTC)


def _berlin(day: int, hour: int) -> datetime:
    return datetime(2025, 1, day, hour, tzinfo=BERLIN).astimezone(UTC)


async def test_timeout_remind_and_escalate_count_business_time() -> None:
    """Friday 16:00, office hours 09-17: 2 h / 3 h / 4 h of working time end on Monday 10/11/12:00,
    not on Friday evening as calendar time would."""
    spec = TaskSpec(
        assignee="ann",
        remind=(3 * HOUR,),
        escalate=(Escalation(after=2 * HOUR, notify=("sam",)),),
        business_time=True,
    )
    bp = simple(
        "biz",
        Step(id="t", task=spec, timeout=Timeout(4 * HOUR, "complete")),
        Step(id="next", task=TaskSpec(assignee="bea")),
        calendar="office",
    )
    engine, clock, sink, _ = make(bp, start=FRIDAY_4PM, calendars={"office": OFFICE})
    await engine.restore()
    inst = await engine.start("biz")
    task = inst.tasks[0]
    # the earliest deadline is the escalation, armed at its business-time instant
    assert engine.next_deadline() == _berlin(6, 10)

    await run_until(engine, clock, _berlin(6, 9) + timedelta(minutes=59))  # all weekend long: nothing
    assert (sink.of("escalated"), sink.of("task_reminded"), sink.of("timeout")) == ([], [], [])
    assert task.is_open

    await run_until(engine, clock, _berlin(6, 10))
    [esc] = sink.of("escalated")
    assert esc["notify"] == ["sam"] and esc["late"] is False  # due now, not since Friday 18:00
    assert sink.of("task_reminded") == []

    await run_until(engine, clock, _berlin(6, 11))
    [rem] = sink.of("task_reminded")
    assert rem["late"] is False and sink.of("timeout") == []

    await run_until(engine, clock, _berlin(6, 11) + timedelta(minutes=59))
    assert task.is_open and sink.of("timeout") == []
    await run_until(engine, clock, _berlin(6, 12))
    [tmo] = sink.of("timeout")
    assert tmo["action"] == "complete" and tmo["late"] is False
    assert task.status == "timed_out" and task.completed_at == _berlin(6, 12)
    assert [t.step for t in engine.open_tasks()] == ["next"]
