"""Snapshot/restore: stopping at any step boundary and continuing equals never stopping."""

from __future__ import annotations

import heapq
from datetime import UTC, datetime, timedelta
from typing import Any

from custom_components.bpo.engine.clock import VirtualClock
from custom_components.bpo.engine.memory_store import MemoryStore
from custom_components.bpo.engine.runtime import Engine

from .test_runtime import BERLIN, People, Sink, dsr_blueprint, make

START = datetime(2024, 12, 31, 23, tzinfo=UTC)
END = START + timedelta(days=59)  # two monthly ticks: Jan 1 and Feb 1


def answer_for(event: dict[str, Any]) -> tuple[float, str | None, dict[str, Any] | None] | None:
    """Scripted people: reports after 2h, contractors after 5h; supervisors never answer."""
    if event["step"] == "report":
        return 2 * 3600, None, {"scan_history": "scan.pdf", "worries": "none"}
    if event["step"] == "contractor_inspection":
        return 5 * 3600, "ok", None
    return None


async def drive(restart_every_step: bool) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]], int]:
    clock = VirtualClock(START)
    store = MemoryStore()
    sink = Sink()
    bp = dsr_blueprint()

    def fresh() -> Engine:
        engine = Engine(clock=clock, store=store, events=sink, tz=BERLIN, directory=People())
        engine.set_blueprints([bp])
        return engine

    engine = fresh()
    await engine.restore()
    pending: list[tuple[datetime, str, str | None, dict[str, Any] | None]] = []
    seen = 0
    boundaries = 0
    while True:
        for event in sink.events[seen:]:
            if event.type == "task_created" and (plan := answer_for(event.data)) is not None:
                delay, outcome, form = plan
                heapq.heappush(
                    pending, (clock.now() + timedelta(seconds=delay), event.data["task_id"], outcome, form)
                )
        seen = len(sink.events)
        if restart_every_step:
            engine = fresh()  # everything in memory is dropped; only the store survives
            await engine.restore()
        boundaries += 1
        deadline = engine.next_deadline()
        answer_at = pending[0][0] if pending else None
        if deadline is not None and (answer_at is None or deadline <= answer_at) and deadline <= END:
            clock.advance_to(deadline)
            await engine.tick()
        elif answer_at is not None and answer_at <= END:
            clock.advance_to(answer_at)
            _, task_id, outcome, form = heapq.heappop(pending)
            await engine.complete_task(task_id, outcome=outcome, form=form)
        else:
            break
    events = [(e.type, e.data) for e in sink.events]
    return store.snapshot(), events, boundaries


async def test_restore_at_every_step_boundary_equals_uninterrupted_run() -> None:
    straight_state, straight_events, steps = await drive(restart_every_step=False)
    restarted_state, restarted_events, _ = await drive(restart_every_step=True)
    assert steps >= 15  # ticks and completions, each one a restart point
    assert restarted_state == straight_state
    assert restarted_events == straight_events
    kinds = [k for k, _ in straight_events]
    assert kinds.count("instance_started") == 6 and kinds.count("instance_completed") == 6
    assert kinds.count("timeout") == 6  # every supervisor check closed itself after 24 h


async def test_missed_24h_timeout_fires_once_after_restore() -> None:
    engine, clock, sink, store = make(dsr_blueprint(("alice",)), start=START)
    await engine.restore()
    clock.advance_to(datetime(2025, 1, 1, 8, tzinfo=UTC))
    await engine.tick()
    report = engine.open_tasks()[0].id
    await engine.complete_task(report, form={"scan_history": "x"})
    sup = next(t.id for t in engine.open_tasks() if t.step == "supervisor_check")
    # the host is down for three days; a new engine comes up from the store
    clock.advance(3 * 86400)
    for attempt in range(2):
        again = Engine(clock=clock, store=store, events=sink, tz=BERLIN, directory=People())
        again.set_blueprints([dsr_blueprint(("alice",))])
        await again.restore()
        deadline = again.next_deadline()
        assert deadline is not None and (deadline <= clock.now()) == (attempt == 0)
        await again.tick()
        await again.tick()
    timeouts = sink.of("timeout")
    assert [t["task_id"] for t in timeouts] == [sup]
    assert timeouts[0]["late"] is True
    assert again.task(sup).status == "timed_out"  # type: ignore[union-attr]


async def test_catch_up_fire_runs_latest_missed_tick_once_and_skip_runs_none() -> None:
    for policy, expected in (("fire", 1), ("skip", 0)):
        engine, clock, _, store = make(dsr_blueprint(("alice",), catch_up=policy), start=START)
        await engine.restore()
        await engine.tick()  # persists the schedule cursor
        clock.advance_to(datetime(2025, 3, 15, tzinfo=UTC))  # missed Jan 1, Feb 1, Mar 1
        later, _, _, _ = make(dsr_blueprint(("alice",), catch_up=policy), start=START, store=store)
        later.clock = clock
        await later.restore()
        await later.tick()
        started = later.instances()
        assert len(started) == expected, policy
        if expected:
            assert started[0].dedupe_key() == "alice@20250301T0800Z"
        crons = [t.due for t in later.state.timers.pending() if t.kind == "cron"]
        assert crons == [datetime(2025, 4, 1, 7, tzinfo=UTC)]  # 09:00 CEST


async def test_only_changed_records_are_saved() -> None:
    engine, clock, _, store = make(dsr_blueprint(), start=START)
    await engine.restore()
    clock.advance_to(datetime(2025, 1, 1, 8, tzinfo=UTC))
    await engine.tick()
    before = store.writes
    task = engine.open_tasks(assignee="bob")[0]
    await engine.complete_task(task.id, form={"scan_history": "x"})
    assert store.writes == before + 1
