"""A kill at every write boundary of a start, a completion and a fan-out batch loses no acknowledged work.

The engine runs on the real journal in a temp folder; the file system stand-in dies before, halfway
through, or right after the N-th write operation (for every N the run makes), with compaction after
every commit and with none. A fresh engine then restores from what is on disk.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from custom_components.bpo.durable.fileops import TMP_SUFFIX, FileOps
from custom_components.bpo.durable.journal import JournalStore
from custom_components.bpo.engine.clock import VirtualClock
from custom_components.bpo.engine.model import ManualStart, Step, TaskSpec
from custom_components.bpo.engine.runtime import Engine
from tests.engine.test_runtime import BERLIN, People, Sink, dsr_blueprint, simple, task_of

from .crash_ops import MODES, CrashingOps, Killed

START = datetime(2024, 12, 31, 23, tzinfo=UTC)
FIRST = datetime(2025, 1, 1, 8, tzinfo=UTC)  # the monthly fan-out, 09:00 Berlin
PEOPLE = ("alice", "bob", "carol")
COMPACT_ALWAYS, COMPACT_NEVER = 0, 1 << 40
Acked = list[tuple[str, Any]]


def engine_on(directory: Path, clock: VirtualClock, ops: FileOps | None, compact: int) -> Engine:
    store = JournalStore(
        directory, ops=ops, compact_min_bytes=compact, compact_ratio=0 if compact == 0 else 1
    )
    engine = Engine(clock=clock, store=store, events=Sink(), tz=BERLIN, directory=People())
    intake = simple("intake", Step(id="t", task=TaskSpec(assignee="ann")), starts=(ManualStart(),))
    engine.set_blueprints([dsr_blueprint(PEOPLE), intake])
    return engine


async def operations(engine: Engine, clock: VirtualClock, acked: Acked) -> None:
    """What users do; each entry of ``acked`` is appended only after the engine returned (acknowledged)."""
    await engine.restore()
    acked.append(("start", ((await engine.start("intake", key="x1")).id, "x1")))
    clock.advance_to(FIRST)
    await engine.tick()  # one fan-out batch: three instances in one commit
    batch = sorted((i.id, i.key) for i in engine.instances() if i.process == "device_security_report")
    acked.append(("fanout", batch))
    task = task_of(engine, "alice", "report")
    await engine.complete_task(task, form={"scan_history": "s.pdf"})
    acked.append(("complete", task))
    acked.append(("start", ((await engine.start("intake", key="x2")).id, "x2")))


async def check_restored(directory: Path, acked: Acked, compact: int) -> None:
    clock = VirtualClock(FIRST)
    engine = engine_on(directory, clock, None, compact)
    await engine.restore()
    assert not [p.name for p in directory.iterdir() if p.name.endswith(TMP_SUFFIX)]
    known = {i.id: i for i in engine.instances()}
    acked_ids: set[str] = set()
    for kind, what in acked:
        if kind == "start":
            iid, key = what
            assert iid in known and known[iid].key == key, (kind, what)
            acked_ids.add(iid)
            # a retry of the acknowledged start answers with the same instance
            assert (await engine.start("intake", key=key)).id == iid
        elif kind == "fanout":
            for iid, key in what:
                assert iid in known and known[iid].key == key, (kind, iid)
                acked_ids.add(iid)
        else:
            assert engine.task(what) is not None and engine.task(what).status == "completed", what
    # no id is ever handed out twice: a new start gets an id nobody has seen
    fresh = await engine.start("intake", key="after-restart")
    assert fresh.id not in known and fresh.id not in acked_ids
    # and what is acknowledged after the restart survives the next one (the torn tail was cut off)
    again = engine_on(directory, clock, None, compact)
    await again.restore()
    assert again.instance(fresh.id) is not None
    assert {i.id for i in again.instances()} == {*known, fresh.id}


@pytest.mark.parametrize(
    "compact", [COMPACT_ALWAYS, COMPACT_NEVER], ids=["compact-every-commit", "journal-only"]
)
@pytest.mark.parametrize("mode", MODES)
async def test_kill_at_every_write_boundary(tmp_path: Path, compact: int, mode: str) -> None:
    total = await _count(tmp_path, compact)
    # four commits; with compaction each is followed by keep-copy, rename and snapshot write
    assert total == (4 * 4 - 1 if compact == COMPACT_ALWAYS else 4)
    for crash_at in range(1, total + 1):
        directory = tmp_path / f"{mode}-{crash_at}"
        clock = VirtualClock(START)
        ops = CrashingOps(crash_at, mode)
        acked: Acked = []
        with pytest.raises(Killed):
            await operations(engine_on(directory, clock, ops, compact), clock, acked)
        await check_restored(directory, acked, compact)


async def _count(tmp_path: Path, compact: int) -> int:
    ops = CrashingOps()
    clock = VirtualClock(START)
    acked: Acked = []
    await operations(engine_on(tmp_path / "count", clock, ops, compact), clock, acked)
    assert len(acked) == 4
    return ops.calls


async def test_uninterrupted_run_restores_everything(tmp_path: Path) -> None:
    clock = VirtualClock(START)
    acked: Acked = []
    await operations(engine_on(tmp_path, clock, None, COMPACT_NEVER), clock, acked)
    await check_restored(tmp_path, acked, COMPACT_NEVER)
    # five instances (two intake, three reports) and alice's completed report
    engine = engine_on(tmp_path, VirtualClock(FIRST), None, COMPACT_NEVER)
    await engine.restore()
    assert sorted(i.key or "" for i in engine.instances()) == [
        "after-restart",
        "alice",
        "bob",
        "carol",
        "x1",
        "x2",
    ]
