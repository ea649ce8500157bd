"""Group commit: answers that arrive together share one durable journal write, are answered only after
it, announce their events only after it, and a refused answer or a failed write fails the right callers."""

from __future__ import annotations

import asyncio
import errno
from datetime import datetime
from pathlib import Path
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.storage import STORAGE_DIR

from custom_components.bpo import manager as manager_module
from custom_components.bpo.durable.fileops import RealFileOps

from .helpers import World, async_setup_bare_world

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
BLUEPRINT = """\
blueprint: {name: Approvals, domain: bpo}
process:
  key: approval
  start: [{manual: {}}]
  steps:
    - id: approve
      task: {title: "Approve", assignee: person.alice}
"""
N = 20


def journal(hass: HomeAssistant) -> Path:
    return Path(hass.config.path(STORAGE_DIR)) / "bpo" / "journal.log"


def lines(hass: HomeAssistant) -> int:
    path = journal(hass)
    return len(path.read_bytes().splitlines()) if path.exists() else 0


async def world_with_tasks(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> tuple[World, list[str]]:
    world = await async_setup_bare_world(hass, freezer, NOW, blueprints={"approval.yaml": BLUEPRINT})
    for i in range(N):
        await hass.services.async_call("bpo", "start", {"process": "approval", "key": f"k{i}"}, blocking=True)
    tasks = [t.id for t in world.manager.engine.open_tasks(process="approval")]
    assert len(tasks) == N
    return world, tasks


def complete(hass: HomeAssistant, task_id: str) -> asyncio.Future[object]:
    return asyncio.ensure_future(
        hass.services.async_call(
            "bpo", "complete_task", {"task_id": task_id}, blocking=True, return_response=True
        )
    )


async def test_answers_arriving_together_share_one_write(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    world, tasks = await world_with_tasks(hass, freezer)
    before = lines(hass)
    durable_when_announced: list[bool] = []

    @callback
    def on_completed(event: Event) -> None:
        # persist before announce: the event's task is already in the journal when it is fired
        durable_when_announced.append(event.data["task_id"].encode() in journal(hass).read_bytes())

    hass.bus.async_listen("bpo_task_completed", on_completed)
    answers = await asyncio.gather(*(complete(hass, t) for t in tasks))
    assert [a["status"] for a in answers] == ["completed"] * N  # type: ignore[index]
    written = lines(hass) - before
    # the first answer runs alone; the others queue behind its write and go in one more (the journal may
    # also compact, which only lowers the count)
    assert 1 <= written <= 3, written
    assert durable_when_announced == [True] * N
    assert not world.manager.engine.open_tasks(process="approval")


async def test_one_refused_answer_fails_alone(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    world, tasks = await world_with_tasks(hass, freezer)
    wanted = (
        [complete(hass, t) for t in tasks[:5]]
        + [complete(hass, "no-such-task")]
        + [complete(hass, t) for t in tasks[5:10]]
    )
    results = await asyncio.gather(*wanted, return_exceptions=True)
    assert isinstance(results[5], HomeAssistantError) and results[5].translation_key == "not_found"
    assert [r["status"] for r in results[:5] + results[6:]] == ["completed"] * 10  # type: ignore[index]
    assert len(world.manager.engine.open_tasks(process="approval")) == N - 10


async def test_failed_write_fails_the_group_and_the_next_write_catches_up(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    world, tasks = await world_with_tasks(hass, freezer)
    announced: list[str] = []
    hass.bus.async_listen("bpo_task_completed", lambda e: announced.append(e.data["task_id"]))
    # the disk is full while four answers arrive together (the OS boundary fails, as it would)
    with patch.object(RealFileOps, "append", side_effect=OSError(errno.ENOSPC, "No space left on device")):
        results = await asyncio.gather(*(complete(hass, t) for t in tasks[:4]), return_exceptions=True)
        await hass.async_block_till_done()
    assert [getattr(r, "translation_key", r) for r in results] == ["save_failed"] * 4
    assert announced == []  # nothing announced that is not durable

    await hass.services.async_call("bpo", "complete_task", {"task_id": tasks[4]}, blocking=True)
    await hass.async_block_till_done()
    # the retried records went with that write, and their held events with it
    assert sorted(announced) == sorted(tasks[:5])
    assert await reloaded_open(hass, world) == N - 5


async def reloaded_open(hass: HomeAssistant, world: World) -> int:
    assert await hass.config_entries.async_unload(world.entry.entry_id)
    assert await hass.config_entries.async_setup(world.entry.entry_id)
    await hass.async_block_till_done()
    return len(world.entry.runtime_data.manager.engine.open_tasks(process="approval"))


@pytest.mark.parametrize("concurrent", [False, True])
async def test_restart_keeps_every_acknowledged_answer(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, concurrent: bool
) -> None:
    world, tasks = await world_with_tasks(hass, freezer)
    if concurrent:
        await asyncio.gather(*(complete(hass, t) for t in tasks[:12]))
    else:
        for t in tasks[:12]:
            await complete(hass, t)
    assert await reloaded_open(hass, world) == N - 12


async def test_groups_are_bounded(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A burst is cut into groups of GROUP_MAX, so a 10k burst never runs as one long stall."""
    monkeypatch.setattr(manager_module, "GROUP_MAX", 4)
    _world, tasks = await world_with_tasks(hass, freezer)
    before = lines(hass)
    await asyncio.gather(*(complete(hass, t) for t in tasks))
    # the first answer alone, then the 19 that queued behind it in groups of at most 4
    assert lines(hass) - before == 1 + 5


async def test_to_do_ticks_arriving_together_share_writes(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    world, tasks = await world_with_tasks(hass, freezer)
    before = lines(hass)
    await asyncio.gather(
        *(
            hass.services.async_call(
                "todo",
                "update_item",
                {"item": t, "status": "completed"},
                target={"entity_id": "todo.bpo_workflows_my_tasks_alice"},
                blocking=True,
            )
            for t in tasks
        )
    )
    assert not world.manager.engine.open_tasks(process="approval")
    assert 1 <= lines(hass) - before <= 3


async def test_the_loop_runs_while_a_group_is_worked_and_announced(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A group of 20 answers is never one long callback: other work on the loop gets turns between the
    answers and between the slices its events are announced in (so no stall grows with the group)."""
    world, tasks = await world_with_tasks(hass, freezer)
    announced: list[str] = []
    hass.bus.async_listen(
        "bpo_task_completed", callback(lambda event: announced.append(event.data["task_id"]))
    )
    seen_between: list[int] = []  # how many completions were announced at each turn another task got
    open_between: list[int] = []  # and how many tasks were still open in the engine
    running = True

    async def other_work() -> None:
        while running:
            seen_between.append(len(announced))
            open_between.append(len(world.manager.engine.open_tasks(process="approval")))
            await asyncio.sleep(0)

    other = asyncio.ensure_future(other_work())
    answers = await asyncio.gather(*(complete(hass, t) for t in tasks))
    running = False
    await other
    assert [a["status"] for a in answers] == ["completed"] * N  # type: ignore[index]
    assert sorted(announced) == sorted(tasks)
    # the other task ran in the middle of the group's announcement, not only before or after it (the
    # first answer runs alone and is announced alone: 1 is not "in the middle")
    assert any(1 < count < N for count in seen_between), seen_between
    # and the group's answers were worked with turns in between (the first answer runs alone: N - 1 open)
    assert any(0 < count < N - 1 for count in open_between), open_between
