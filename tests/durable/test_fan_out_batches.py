"""A schedule fan-out commits in batches; a kill between batches loses nothing and starts nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from custom_components.bpo.durable.journal import JournalStore
from custom_components.bpo.engine.clock import VirtualClock
from custom_components.bpo.engine.runtime import Engine
from custom_components.bpo.engine.starts import FAN_OUT_BATCH
from tests.engine.test_runtime import BERLIN, People, Sink, dsr_blueprint

from .crash_ops import CrashingOps, Killed

START = datetime(2024, 12, 31, 23, tzinfo=UTC)
FIRST = datetime(2025, 1, 1, 8, tzinfo=UTC)
PEOPLE = tuple(f"e{n:04d}" for n in range(2 * FAN_OUT_BATCH + 50))


def engine_on(directory: Path, clock: VirtualClock, ops: CrashingOps | None = None) -> Engine:
    engine = Engine(
        clock=clock, store=JournalStore(directory, ops=ops), events=Sink(), tz=BERLIN, directory=People()
    )
    engine.set_blueprints([dsr_blueprint(PEOPLE, max_starts=None)])
    return engine


async def test_fan_out_commits_in_batches(tmp_path: Path) -> None:
    ops = CrashingOps()
    clock = VirtualClock(START)
    engine = engine_on(tmp_path, clock, ops)
    await engine.restore()
    clock.advance_to(FIRST)
    await engine.tick()
    assert len(engine.instances()) == len(PEOPLE)
    # one journal line per batch of FAN_OUT_BATCH starts (+ the rest), not one line per instance
    assert [op for op, _ in ops.log].count("append") == 3


@pytest.mark.parametrize("crash_at", [2, 3])
async def test_kill_between_batches_then_restart_starts_each_employee_once(
    tmp_path: Path, crash_at: int
) -> None:
    clock = VirtualClock(START)
    engine = engine_on(tmp_path, clock, CrashingOps(crash_at, "before"))
    await engine.restore()
    clock.advance_to(FIRST)
    with pytest.raises(Killed):
        await engine.tick()

    again = engine_on(tmp_path, clock)
    await again.restore()
    survived = len(again.instances())
    assert survived == (crash_at - 1) * FAN_OUT_BATCH  # the batches that were committed
    await again.tick()  # the tick fires again: its cursor moves only after the whole fan-out
    keys = [i.key for i in again.instances()]
    assert sorted(keys) == sorted(PEOPLE)  # everyone, once
    third = engine_on(tmp_path, clock)
    await third.restore()
    assert len(third.instances()) == len(PEOPLE)
    await third.tick()
    assert len(third.instances()) == len(PEOPLE)  # and no second fan-out for the same tick
