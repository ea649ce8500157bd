"""One broken instance or blueprint never stops the timer or the other instances (issue 11, item 1).

The blueprints here are built from model objects, so they carry durations ``bpo validate`` now refuses
(an instance started on an older version, or a blueprint built by code, can still hold them).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.bpo.engine.memory_store import MemoryStore
from custom_components.bpo.engine.model import ScheduleStart, Step, TaskSpec, WaitSpec
from custom_components.bpo.engine.runtime_errors import StartFailed

from .test_runtime import make, run_until, simple

HUGE = 99999999999999999999 * 86400.0  # due: 99999999999999999999d, as the issue wrote it
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def broken_later() -> list:  # type: ignore[type-arg]
    bad = simple(
        "bad",
        Step(id="pause", wait=WaitSpec(delay=3600.0)),
        Step(id="report", task=TaskSpec(assignee="x", due=HUGE)),
    )
    good = simple(
        "good",
        Step(id="pause", wait=WaitSpec(delay=7200.0)),
        Step(id="report", task=TaskSpec(assignee="y", due=86400.0)),
    )
    return [bad, good]


async def test_a_deadline_that_overflows_fails_its_instance_and_the_tick_goes_on() -> None:
    engine, clock, sink, store = make(broken_later(), start=T0)
    await engine.restore()
    bad = await engine.start("bad")
    good = await engine.start("good")
    await run_until(engine, clock, T0 + timedelta(hours=3))  # must not raise
    assert bad.status == "failed"
    assert bad.error == "deadline failed: step report: internal error (OverflowError)"
    assert [h.what for h in bad.history][-1] == "instance_failed"
    assert sink.of("instance_error") == [
        {
            "process": "bad",
            "instance_id": bad.id,
            "key": None,
            "task_id": None,
            "step": "report",
            "assignee": None,
            "group": None,
            "outcome": None,
            "error": "deadline failed: step report: internal error (OverflowError)",
        }
    ]
    assert good.is_running and [t.step for t in good.tasks] == ["report"]  # fired after the bad one
    assert good.tasks[0].due == T0 + timedelta(hours=2, days=1)
    assert (
        store.snapshot()["instances"][bad.id]["status"] == "failed"
    )  # persisted, so a restart does not retry it
    assert engine.next_deadline() == good.tasks[0].due


async def test_a_start_that_fails_part_way_leaves_nothing_behind() -> None:
    bp = simple(
        "bad_start",
        Step(id="ask", task=TaskSpec(assignee="x", due=HUGE)),
    )
    store = MemoryStore()
    engine, _, sink, _ = make(bp, start=T0, store=store)
    await engine.restore()
    with pytest.raises(StartFailed, match="could not start: step ask: internal error \\(OverflowError\\)"):
        await engine.start("bad_start", key="k1")
    assert engine.instances() == [] and engine.open_tasks() == []
    assert store.snapshot()["instances"] == {}
    assert [e.type for e in sink.events] == []
    assert engine.next_deadline() is None


async def test_a_failing_scheduled_start_is_reported_and_the_schedule_fires_again() -> None:
    bp = simple(
        "nightly",
        Step(id="ask", task=TaskSpec(assignee="{{ item }}", due=HUGE)),
        starts=(ScheduleStart(cron="0 3 * * *", for_each=["ann", "ben"]),),
    )
    engine, clock, sink, store = make(bp, start=T0)
    await engine.restore()
    await run_until(engine, clock, T0 + timedelta(days=1, hours=4))
    failed = sink.of("start_failed")
    assert [(e["process"], e["key"], e["error"]) for e in failed] == [
        ("nightly", "ann", "step ask: internal error (OverflowError)"),
        ("nightly", "ben", "step ask: internal error (OverflowError)"),
    ] * 2  # both items of both nights: one bad item never stops the next
    assert engine.instances() == [] and store.snapshot()["instances"] == {}
    assert engine.next_deadline() is not None


async def test_one_instance_failing_on_an_event_leaves_the_other_waiting_instances_resumed() -> None:
    bad = simple(
        "bad_wait",
        Step(id="hold", wait=WaitSpec(event="go")),
        Step(id="after", task=TaskSpec(assignee="x", due=HUGE)),
    )
    good = simple("good_wait", Step(id="hold", wait=WaitSpec(event="go")), Step(id="after", end="completed"))
    engine, _, sink, _ = make([bad, good], start=T0)
    await engine.restore()
    first = await engine.start("bad_wait")
    second = await engine.start("good_wait")
    await engine.handle_event("go", {})
    assert first.status == "failed" and second.status == "completed"
    assert [e["instance_id"] for e in sink.of("instance_error")] == [first.id]


async def test_a_stored_instance_whose_deadline_overflows_does_not_stop_loading_the_others() -> None:
    ok = simple("remind", Step(id="ask", task=TaskSpec(assignee="x", remind=(3600.0,))))
    fine = simple("fine", Step(id="ask", task=TaskSpec(assignee="y", remind=(7200.0,))))
    engine, _, _, store = make([ok, fine], start=T0)
    await engine.restore()
    await engine.start("remind", key="a")
    kept = await engine.start("fine", key="b")
    # the same version now asks for a reminder no date can hold (a record written before the bound)
    broken = simple("remind", Step(id="ask", task=TaskSpec(assignee="x", remind=(HUGE,))))
    later, _, sink, _ = make([broken, fine], start=T0, store=store)
    await later.restore()  # arms every stored instance: must not raise
    assert {inst.key: inst.status for inst in later.instances()} == {"a": "failed", "b": "running"}
    assert later.next_deadline() == T0 + timedelta(hours=2)  # b's reminder is still armed
    await later.tick()  # the queued instance_error leaves with the next commit
    assert [e["key"] for e in sink.of("instance_error")] == ["a"]
    assert kept.key == "b"
