"""A blueprint's own business calendar in Home Assistant: national holidays and lunch breaks count in the
live timers, across a restart (the holidays package loads with the blueprints, off the event loop)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant

from tests.engine.test_docs_examples import BLOCKS

from .helpers import async_setup_bare_world, travel

TOKYO = ZoneInfo("Asia/Tokyo")
FRIDAY_4PM = datetime(2026, 1, 9, 16, tzinfo=TOKYO)


def _doc_example() -> str:
    [block] = [b for b in BLOCKS if b.markers.get("example") == "business_calendar"]
    return block.text


async def test_business_calendar_with_japanese_holidays_runs_live_and_across_a_restart(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    world = await async_setup_bare_world(
        hass, freezer, FRIDAY_4PM, blueprints={"tokyo_help_desk.yaml": _doc_example()}
    )
    assert world.manager.blueprint_errors == []
    await hass.services.async_call("bpo", "start", {"process": "tokyo_help_desk"}, blocking=True)
    [task] = world.manager.engine.open_tasks()
    assert task.due == datetime(2026, 1, 13, 16, tzinfo=TOKYO)  # Coming of Age Day and the weekend skipped

    # restart over the long weekend
    await travel(hass, freezer, datetime(2026, 1, 12, 12, tzinfo=TOKYO))
    assert await hass.config_entries.async_unload(world.entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(world.entry.entry_id)
    await hass.async_block_till_done()
    assert world.bpo_events("task_reminded") == []

    await travel(hass, freezer, datetime(2026, 1, 13, 10, 59, tzinfo=TOKYO))
    assert world.bpo_events("task_reminded") == []
    await travel(hass, freezer, datetime(2026, 1, 13, 11, tzinfo=TOKYO))  # 4 working hours: Fri 2 + Tue 2
    assert len(world.bpo_events("task_reminded")) == 1
    await travel(hass, freezer, datetime(2026, 1, 13, 16, tzinfo=TOKYO))
    assert [data["task_id"] for _, data in world.bpo_events("task_overdue")] == [task.id]
