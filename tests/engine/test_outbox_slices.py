"""A big commit (a fan-out batch) tells its events in slices, with the host's loop running in between.

The records are saved first, then the events go out ``EMIT_SLICE`` at a time, each slice followed by one
``flush`` (one update of the views it touched): so a batch of 100 starts is never one long callback.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from custom_components.bpo.engine import outbox
from custom_components.bpo.engine.ports import EngineEvent
from custom_components.bpo.engine.schema import parse_blueprint

from .test_runtime import make, run_until

T0 = datetime(2026, 3, 2, 7, tzinfo=UTC)
MONTHLY = """
blueprint: {name: Monthly, domain: bpo}
process:
  key: monthly
  start:
    - schedule: "0 9 * * *"
      for_each: "{{ range(60) | list }}"
  steps:
    - id: report
      task: {title: Report, assignee: person.clerk}
"""


async def test_a_fan_out_is_told_in_slices_each_flushed_with_the_loop_running_between() -> None:
    engine, clock, sink, _ = make(parse_blueprint(MONTHLY, "monthly.yaml"), start=T0)
    flushed: list[int] = []  # events told so far, at each flush
    sink.flush = lambda: flushed.append(len(sink.events))  # type: ignore[attr-defined]
    await engine.restore()
    told_between: list[int] = []
    running = True

    async def other_work() -> None:
        while running:
            told_between.append(len(sink.events))
            await asyncio.sleep(0)

    other = asyncio.ensure_future(other_work())
    await run_until(engine, clock, T0 + timedelta(hours=3))
    running = False
    await other
    created = [e for e in sink.events if e.type == "task_created"]
    assert len(created) == 60
    total = len(sink.events)
    # one flush per slice, each after a whole slice (the last may be short)
    assert flushed == [*range(outbox.EMIT_SLICE, total, outbox.EMIT_SLICE), total]
    assert any(0 < told < total for told in told_between), told_between  # the loop ran mid-way


async def test_a_small_commit_is_told_at_once() -> None:
    engine, _, sink, _ = make(parse_blueprint(MONTHLY.replace("range(60)", "range(2)"), "m.yaml"), start=T0)
    flushed: list[list[EngineEvent]] = []
    sink.flush = lambda: flushed.append(list(sink.events))  # type: ignore[attr-defined]
    await engine.restore()
    inst = await engine.start("monthly", key="by-hand")
    assert len(flushed) == 1 and {e.data["instance_id"] for e in flushed[0]} == {inst.id}
