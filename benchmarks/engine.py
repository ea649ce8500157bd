"""Engine benchmarks: ``python benchmarks/engine.py [--quick]``.

For 10k and 100k instances (``--quick``: 10k only) prints
- fan-out rate: one schedule tick fanning out N instances, each with a task and a timer, persisted
  through MemoryStore (JSON text per record, orjson when installed as in Home Assistant) —
  (instances + tasks + timers) / s, target >= 5,000/s;
- bytes per open instance: tracemalloc growth of a fan-out into a NullStore / N, target <= 1 KB;
- snapshot + restore: ``Engine.save_all()`` writes every record through the StateStore port (JSON per
  record), then a fresh ``Engine.restore()`` loads and parses them all, target <= 5 s for 100k;
- a simulated year of 1,000 employees (device security report, --auto), target <= 10 s;
and a naive baseline (plain dicts, per-instance copy of the step spec, sorted-list timers) beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import copy
import gc
import os
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_components.bpo.engine.clock import VirtualClock
from custom_components.bpo.engine.memory_store import CODEC, MemoryStore, NullStore
from custom_components.bpo.engine.model import Blueprint, Process, ScheduleStart, Step, TaskSpec
from custom_components.bpo.engine.ports import EngineEvent
from custom_components.bpo.engine.runtime import Engine
from custom_components.bpo.engine.schema import load_blueprint
from custom_components.bpo.engine.simulate import simulate

TZ = ZoneInfo("Europe/Berlin")
START = datetime(2026, 1, 31, 12, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]


class Drop:
    def emit(self, event: EngineEvent) -> None:
        return None


def blueprint(n: int) -> Blueprint:
    people = [f"employee-{i:06d}" for i in range(n)]
    proc = Process(
        key="bench",
        starts=(ScheduleStart(cron="0 9 1 * *", for_each=people),),
        steps=(
            Step(
                id="report",
                task=TaskSpec(
                    title="Report of {{ item }}",
                    assignee="{{ item }}",
                    due=7 * 86400.0,
                    remind=(3 * 86400.0,),
                ),
            ),
        ),
    )
    return Blueprint(name="bench", path="bench.yaml", process=proc)


async def fan_out(n: int, store: Any) -> tuple[Engine, float]:
    clock = VirtualClock(START)
    engine = Engine(clock=clock, store=store, events=Drop(), tz=TZ)
    engine.set_blueprints([blueprint(n)])
    await engine.restore()
    deadline = engine.next_deadline()
    assert deadline is not None
    clock.advance_to(deadline)
    began = time.perf_counter()
    await engine.tick()
    return engine, time.perf_counter() - began


def measure_memory(n: int) -> float:
    bp = blueprint(n)  # built before tracing: blueprint data is shared, not per instance
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]

    async def run() -> Engine:
        clock = VirtualClock(START)
        engine = Engine(clock=clock, store=NullStore(), events=Drop(), tz=TZ)
        engine.set_blueprints([bp])
        await engine.restore()
        clock.advance_to(engine.next_deadline() or START)
        await engine.tick()
        return engine

    engine = asyncio.run(run())
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(engine.open_tasks()) == n
    return (after - before) / n


async def snapshot_restore(engine: Engine, store: MemoryStore) -> float:
    began = time.perf_counter()
    await engine.save_all()  # every record through the StateStore port (save_many when offered)
    fresh = Engine(clock=engine.clock, store=store, events=Drop(), tz=TZ)
    fresh.set_blueprints(engine.blueprints())
    await fresh.restore()
    assert len(fresh.open_tasks()) == len(engine.open_tasks())
    return time.perf_counter() - began


def naive(n: int) -> tuple[float, float]:
    """Baseline: dict per instance with a deep copy of the step spec, timers in a sorted list."""
    spec = {
        "id": "report",
        "task": {
            "title": "Report of {{ item }}",
            "assignee": "{{ item }}",
            "due": 604800,
            "remind": [259200],
            "outcomes": ["done"],
            "form": [],
        },
    }
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    began = time.perf_counter()
    instances: dict[str, dict[str, Any]] = {}
    timers: list[tuple[str, str]] = []
    now = START.isoformat()
    for i in range(n):
        who = f"employee-{i:06d}"
        iid = f"bench:{who}:{now}"
        tid = f"{iid}:report"
        task = {
            "id": tid,
            "step": copy.deepcopy(spec),
            "assignee": who,
            "status": "open",
            "created": now,
            "title": f"Report of {who}",
        }
        instances[iid] = {
            "id": iid,
            "process": "bench",
            "key": who,
            "status": "running",
            "tasks": [task],
            "history": [{"at": now, "what": "instance_started"}, {"at": now, "what": "task_created"}],
        }
        bisect.insort(timers, (now, tid))
    elapsed = time.perf_counter() - began
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    return 3 * n / elapsed, used / n


def year_of(employees: int) -> float:
    bp = load_blueprint(ROOT / "blueprints" / "bpo" / "device_security_report.yaml")
    began = time.perf_counter()
    timeline = simulate(
        bp, start=datetime(2026, 1, 1, tzinfo=TZ), days=365, tz=TZ, auto=True, employees=employees
    )
    elapsed = time.perf_counter() - began
    assert timeline.summary["instances completed"] == 12 * employees
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k only and a year of 100 employees")
    args = parser.parse_args()
    sizes = [10_000] if args.quick else [10_000, 100_000]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"python {sys.version.split()[0]}, {datetime.now(UTC):%Y-%m-%d}, load average {load}, codec {CODEC}"
    )
    print(f"{'N':>8} {'fan-out/s':>11} {'naive/s':>10} {'B/inst':>8} {'naive B':>8} {'snap+rest s':>12}")
    for n in sizes:
        store = MemoryStore()
        engine, secs = asyncio.run(fan_out(n, store))
        rate = 3 * n / secs  # instance + task + timer each
        per = measure_memory(n)
        naive_rate, naive_per = naive(n)
        snap = asyncio.run(snapshot_restore(engine, store))
        print(f"{n:>8} {rate:>11,.0f} {naive_rate:>10,.0f} {per:>8,.0f} {naive_per:>8,.0f} {snap:>12.2f}")
        print(f"{'':>8} ratio engine/naive: rate x{rate / naive_rate:.2f}, memory x{per / naive_per:.2f}")
    employees = 100 if args.quick else 1000
    print(f"simulated year, {employees} employees: {year_of(employees):.2f} s (target <= 10 s for 1,000)")


if __name__ == "__main__":
    main()
