"""Engine queries that mutation testing found checked only through HA (issue 16): PII clearance by
group, the per-process statistics and the calendar of upcoming starts and due dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.bpo.engine.model import Limits, ScheduleStart, Step, TaskSpec
from custom_components.bpo.engine.queries import Upcoming
from custom_components.bpo.engine.runtime_errors import BlueprintSuspended, NotAllowed

from .test_runtime import People, make, run_until, simple

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
