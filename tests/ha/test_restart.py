"""Restarts: unload and set up again from stored data at every step boundary; missed deadlines fire once."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant

from .helpers import World, async_setup_world, travel

TOKYO = ZoneInfo("Asia/Tokyo")
START = datetime(2026, 11, 30, 12, 0, tzinfo=TOKYO)
FIRST = datetime(2026, 12, 1, 9, 0, tzinfo=TOKYO)


async def _restart(hass: HomeAssistant, world: World) -> None:
    assert await hass.config_entries.async_unload(world.entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(world.entry.entry_id)
    await hass.async_block_till_done()


def _summary(world: World) -> list[tuple[str, str, str, str | None, str | None]]:
    """Everything that matters about the outcome, independent of object identity."""
    engine = world.manager.engine
    return sorted(
        (i.key or "", i.status, t.step, t.status, t.outcome) for i in engine.instances() for t in i.tasks
    )


async def _scenario(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, world: World, restart_at: int | None
) -> list[tuple[str, str, str, str | None, str | None]]:
    """Run the monthly report for alice to the end, restarting after boundary ``restart_at``."""

    async def boundary(n: int) -> None:
        if n == restart_at:
            await _restart(hass, world)

    await boundary(0)
    await travel(hass, freezer, FIRST)
    await boundary(1)
    engine = world.manager.engine
    report = next(t for t in engine.open_tasks() if t.assignee == "person.alice")
    await hass.services.async_call(
        "bpo",
        "complete_task",
        {"task_id": report.id, "form": {"scan_history": "s.pdf"}},
        blocking=True,
        context=Context(user_id=world.users["alice"].id),
    )
    await boundary(2)
    await travel(hass, freezer, FIRST + timedelta(hours=25))  # supervisor check times out
    await boundary(3)
    engine = world.manager.engine
    inspection = next(
        t
        for t in engine.open_tasks()
        if t.step == "contractor_inspection" and t.instance_id == report.instance_id
    )
    await hass.services.async_call(
        "bpo",
        "complete_task",
        {"task_id": inspection.id, "outcome": "ok"},
        blocking=True,
        context=Context(user_id=world.users["dave"].id),
    )
    await boundary(4)
    return _summary(world)


@pytest.mark.parametrize("restart_at", [None, 0, 1, 2, 3, 4])
async def test_restart_at_each_boundary_gives_the_same_outcome(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    restart_at: int | None,
) -> None:
    await hass.config.async_set_time_zone("Asia/Tokyo")
    freezer.move_to(START)
    world = await async_setup_world(hass)
    restarted = await _scenario(hass, freezer, world, restart_at)
    # the same outcome as a run without restart (restart_at=None is that run)
    assert restarted == [
        ("person.alice", "completed", "contractor_inspection", "completed", "ok"),
        ("person.alice", "completed", "report", "completed", "done"),
        ("person.alice", "completed", "supervisor_check", "timed_out", None),
        ("person.bob", "running", "report", "open", None),
        ("person.carol", "running", "report", "open", None),
    ]
    # each employee got exactly one instance: no duplicate start across the restart
    assert len({row[0] for row in restarted}) == 3
    assert len(world.bpo_events("instance_started")) == 3


async def test_missed_timeout_fires_once_after_restart(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await hass.config.async_set_time_zone("Asia/Tokyo")
    freezer.move_to(START)
    world = await async_setup_world(hass)
    await travel(hass, freezer, FIRST)
    report = next(t for t in world.manager.engine.open_tasks() if t.assignee == "person.alice")
    await hass.services.async_call(
        "bpo", "complete_task", {"task_id": report.id, "form": {"scan_history": "s"}}, blocking=True
    )
    # HA goes down before the 24 h supervisor timeout and comes back two days later
    assert await hass.config_entries.async_unload(world.entry.entry_id)
    freezer.move_to(FIRST + timedelta(days=2))
    assert await hass.config_entries.async_setup(world.entry.entry_id)
    await hass.async_block_till_done()
    timeouts = [d for _, d in world.bpo_events("timeout") if d["instance_id"] == report.instance_id]
    assert len(timeouts) == 1
    assert timeouts[0]["late"] is True or timeouts[0]["late"]
    # later ticks and a further restart do not fire it again
    await travel(hass, freezer, FIRST + timedelta(days=3))
    assert await hass.config_entries.async_unload(world.entry.entry_id)
    assert await hass.config_entries.async_setup(world.entry.entry_id)
    await hass.async_block_till_done()
    assert len([d for _, d in world.bpo_events("timeout") if d["instance_id"] == report.instance_id]) == 1
