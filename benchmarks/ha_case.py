"""One measurement inside Home Assistant's test harness; run by ``benchmarks/ha.py``, one process each.

Parameters come from the environment (BENCH_SIDE = bpo | native, BENCH_N, BENCH_PERSONS = 0 | 1,
BENCH_OUT = JSON file for the figures, BENCH_PROFILE = a file for a cProfile of bpo's answer-all phase).
Both sides do the same job:

- bpo: one blueprint whose single step is a human task with a 24 h timeout, started by a schedule fan-out
  over a directory group of N employees; "start" ends when the engine holds N open tasks, durable on disk;
  "answer all" completes every task through the ``bpo.complete_task`` action, all calls in flight
  together (handed over ``ARRIVAL_SLICE`` per turn of the loop), each blocking until its answer is durable.
- native: a ``mode: parallel`` script doing ``wait_for_trigger`` on an ``approve`` event for its own id,
  started N times (``ARRIVAL_SLICE`` per turn of the loop); "answer all" fires the N events (the same).

With BENCH_PERSONS=1 every employee is an HA ``person`` (so bpo keeps a to-do list for each).
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import json
import os
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

import custom_components  # noqa: F401  (ours, not the harness's: see tests/conftest.py)

SIDE = os.environ.get("BENCH_SIDE", "bpo")
N = int(os.environ.get("BENCH_N", "1000"))
PERSONS = os.environ.get("BENCH_PERSONS", "1") == "1"
OUT = Path(os.environ.get("BENCH_OUT", "/tmp/bench.json"))
PROFILE = os.environ.get("BENCH_PROFILE", "")  # a file: cProfile of bpo's answer-all phase goes there
TOKYO = ZoneInfo("Asia/Tokyo")
BEFORE = datetime(2026, 11, 30, 12, 0, tzinfo=TOKYO)
FIRE = datetime(2026, 12, 1, 9, 0, tzinfo=TOKYO)
# Requests reach HA from sockets a few at a time: both drivers hand over ARRIVAL_SLICE calls or events per
# turn of the loop, all still in flight together, so the driver's own loop is not charged as a stall.
ARRIVAL_SLICE = 100

BLUEPRINT = """\
blueprint: {name: Bench, domain: bpo}
process:
  key: bench
  start:
    - schedule: "0 9 1 * *"
      for_each: "{{ members('staff') }}"
  limits: {max_starts: 100000}
  steps:
    - id: approve
      task: {title: "Approve", assignee: "{{ item }}"}
      timeout: "24:00:00"
      on_timeout: complete
"""


def now() -> float:
    """Real elapsed time even while freezegun holds HA's clock (it does not patch clock_gettime)."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def rss_mb() -> float:
    resident_pages = int(Path("/proc/self/statm").read_text(encoding="ascii").split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 1e6


class Heartbeat:
    """A 10 ms tick on the event loop; the longest gap beyond it is the longest stall.

    It also times Python's full (generation 2) garbage collections meanwhile, so a stall can be told
    apart from the collector walking the whole process.
    """

    def __init__(self) -> None:
        self.longest = 0.0
        self.longest_cpu = 0.0
        self.gc_longest = 0.0
        self.gc_full = 0
        self._gc_began = 0.0
        self._last = self._last_cpu = 0.0
        self._task: asyncio.Task[None] | None = None

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._gc_began = now()
        else:
            self.gc_full += 1
            self.gc_longest = max(self.gc_longest, now() - self._gc_began)

    def _tick(self) -> None:
        tick, cpu = now(), time.thread_time()
        self.longest = max(self.longest, tick - self._last - 0.01)
        # CPU the loop's thread spent between two ticks: the stall as the code causes it, without the
        # time other processes on a loaded machine took the core away (which stretches wall time)
        self.longest_cpu = max(self.longest_cpu, cpu - self._last_cpu)
        self._last, self._last_cpu = tick, cpu

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(0.01)
            self._tick()

    def start(self) -> None:
        gc.callbacks.append(self._on_gc)
        # the clock starts now, not at the task's first turn: work that never yields to the loop (a
        # loop of synchronous calls) would otherwise run before the heartbeat ever ticks, unseen
        self._last, self._last_cpu = now(), time.thread_time()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self, figures: dict[str, float], phase: str) -> float:
        assert self._task is not None
        self._tick()  # the stretch since the last tick counts too (the work may have ended inside it)
        self._task.cancel()
        gc.callbacks.remove(self._on_gc)
        figures["gc_full_longest_s"] = max(figures.get("gc_full_longest_s", 0.0), self.gc_longest)
        figures["stall_cpu_s"] = max(figures.get("stall_cpu_s", 0.0), self.longest_cpu)
        figures[f"stall_cpu_{phase}_s"] = self.longest_cpu
        figures[f"gc_full_{phase}_s"] = self.gc_longest
        figures[f"gc_full_{phase}_count"] = self.gc_full
        return self.longest


def people() -> list[str]:
    return [f"person.e{i:05d}" for i in range(N)]


async def setup_people(hass: HomeAssistant) -> None:
    if PERSONS:
        config = [{"id": f"e{i:05d}", "name": f"E{i:05d}"} for i in range(N)]
        assert await async_setup_component(hass, "person", {"person": config})
        await hass.async_block_till_done()


async def wait_until(hass: HomeAssistant, done: object, *, settle: bool = True) -> None:
    """Poll ``done``; ``settle`` then waits for HA's pending jobs (not script runs: they wait on purpose)."""
    deadline = now() + 600
    while not done():  # type: ignore[operator]
        if now() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.005)
    if settle:
        await hass.async_block_till_done()


async def run_bpo(hass: HomeAssistant, freezer: FrozenDateTimeFactory, figures: dict[str, float]) -> None:
    config = Path(hass.config.config_dir)
    (config / "bpo_directory.yaml").write_text(json.dumps({"groups": {"staff": people()}}), encoding="utf-8")
    (config / "blueprints" / "bpo").mkdir(parents=True, exist_ok=True)
    (config / "blueprints" / "bpo" / "bench.yaml").write_text(BLUEPRINT, encoding="utf-8")
    entry = MockConfigEntry(domain="bpo", title="BPO Workflows", data={})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    engine = entry.runtime_data.manager.engine
    assert not entry.runtime_data.manager.blueprint_errors, entry.runtime_data.manager.blueprint_errors
    gc.collect()
    base = rss_mb()

    beat = Heartbeat()
    beat.start()
    t0, c0 = now(), time.thread_time()
    freezer.move_to(FIRE)
    # what HA's timer callback does when 09:00 comes (the loop's own clock runs in real time here)
    await entry.runtime_data.manager.async_run(lambda engine: engine.tick())
    await wait_until(hass, lambda: len(engine.open_tasks(process="bench")) >= N)
    figures["start_s"] = now() - t0
    figures["start_cpu_s"] = time.thread_time() - c0  # the loop thread's CPU: robust to load
    figures["stall_start_s"] = await beat.stop(figures, "start")
    gc.collect()
    figures["rss_mb"] = rss_mb() - base

    # a restart: the entry is unloaded and set up again from disk
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    engine = entry.runtime_data.manager.engine
    tasks = engine.open_tasks(process="bench")
    figures["open_after_restart"] = len(tasks) / N

    profile = cProfile.Profile() if PROFILE else None
    if profile:
        profile.enable()
    beat = Heartbeat()
    beat.start()
    t0, c0 = now(), time.thread_time()
    # every employee answers at once, as native's N events are fired at once; each call still waits
    # for its answer to be durable (answers arriving together share a journal write: group commit)
    calls = []
    for index, task in enumerate(tasks):
        if index and index % ARRIVAL_SLICE == 0:
            await asyncio.sleep(0)
        call = hass.services.async_call("bpo", "complete_task", {"task_id": task.id}, blocking=True)
        calls.append(asyncio.ensure_future(call))
    await asyncio.gather(*calls)
    await hass.async_block_till_done()
    figures["answer_s"] = now() - t0
    figures["answer_cpu_s"] = time.thread_time() - c0
    figures["stall_answer_s"] = await beat.stop(figures, "answer")
    if profile:
        profile.disable()
        profile.dump_stats(PROFILE)
    assert not engine.open_tasks(process="bench")


async def run_native(hass: HomeAssistant, figures: dict[str, float]) -> None:
    script = {
        "approval": {
            "mode": "parallel",
            "max": N + 10,
            "fields": {"who": {}},
            "sequence": [
                {
                    "wait_for_trigger": [
                        {"trigger": "event", "event_type": "approve", "event_data": {"who": "{{ who }}"}}
                    ],
                    "timeout": "24:00:00",
                }
            ],
        }
    }
    assert await async_setup_component(hass, "script", {"script": script})
    await hass.async_block_till_done()
    gc.collect()
    base = rss_mb()

    def running() -> int:
        # one bus listener per run waiting for its approval (the entity's `current` is written lazily)
        return hass.bus.async_listeners().get("approve", 0)

    beat = Heartbeat()
    beat.start()
    t0, c0 = now(), time.thread_time()
    for index, who in enumerate(people()):
        if index and index % ARRIVAL_SLICE == 0:
            await asyncio.sleep(0)
        await hass.services.async_call("script", "approval", {"who": who}, blocking=False)
    await wait_until(hass, lambda: running() >= N, settle=False)
    figures["start_s"] = now() - t0
    figures["start_cpu_s"] = time.thread_time() - c0  # the loop thread's CPU: robust to load
    figures["stall_start_s"] = await beat.stop(figures, "start")
    gc.collect()
    figures["rss_mb"] = rss_mb() - base
    figures["open_after_restart"] = 0.0  # script runs live in memory only: a restart ends every wait

    beat = Heartbeat()
    beat.start()
    t0, c0 = now(), time.thread_time()
    for index, who in enumerate(people()):
        if index and index % ARRIVAL_SLICE == 0:
            await asyncio.sleep(0)
        hass.bus.async_fire("approve", {"who": who})
    await wait_until(hass, lambda: running() == 0, settle=False)
    figures["answer_s"] = now() - t0
    figures["answer_cpu_s"] = time.thread_time() - c0
    figures["stall_answer_s"] = await beat.stop(figures, "answer")


async def test_measure(hass: HomeAssistant, freezer: FrozenDateTimeFactory, tmp_path: Path) -> None:
    hass.config.config_dir = str(tmp_path)
    await hass.config.async_set_time_zone("Asia/Tokyo")
    freezer.move_to(BEFORE)
    loop = asyncio.get_running_loop()
    loop.set_debug(False)  # the harness turns asyncio debug on; users' HA runs without it
    await setup_people(hass)
    figures: dict[str, float] = {"n": N, "persons": int(PERSONS)}
    if SIDE == "bpo":
        await run_bpo(hass, freezer, figures)
    else:
        await run_native(hass, figures)
    OUT.write_text(json.dumps(figures), encoding="utf-8")
