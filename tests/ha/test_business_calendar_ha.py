"""A blueprint's own business calendar in Home Assistant: national holidays and lunch breaks count in the
live timers, across a restart (the holidays package loads with the blueprints, off the event loop)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

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


def _closed_from_example() -> str:
    [block] = [b for b in BLOCKS if b.markers.get("example") == "closed_from"]
    return block.text


WORKDAY_BLUEPRINT = _closed_from_example()


async def _workday_sensor(hass: HomeAssistant) -> MockConfigEntry:
    """Home Assistant's Workday integration for Japan, with the office's own extra holiday."""
    entry = MockConfigEntry(
        domain="workday",
        title="Workday Sensor",
        data={},
        options={
            "name": "Workday Sensor",
            "country": "JP",
            "excludes": ["sat", "sun", "holiday"],
            "days_offset": 0,
            "workdays": ["mon", "tue", "wed", "thu", "fri"],
            "add_holidays": ["2026-01-13"],
            "remove_holidays": [],
            "language": "en",
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.workday_sensor") is not None
    return entry


# Workday's own midnight timer outlives the unloaded entry in the harness (not bpo's timer)
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_closed_days_come_from_a_workday_sensor(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await hass.config.async_set_time_zone("Asia/Tokyo")
    freezer.move_to(FRIDAY_4PM)
    workday = await _workday_sensor(hass)
    world = await async_setup_bare_world(
        hass, freezer, FRIDAY_4PM, blueprints={"tokyo_workday_desk.yaml": WORKDAY_BLUEPRINT}
    )
    assert world.manager.blueprint_errors == []
    await hass.services.async_call("bpo", "start", {"process": "tokyo_workday_desk"}, blocking=True)
    [task] = world.manager.engine.open_tasks()
    # Friday 2 h; Monday 12 is Coming of Age Day and Tuesday 13 the office's own holiday, both from the
    # sensor (the blueprint names no country); Wednesday 09-12 and 13-16
    assert task.due == datetime(2026, 1, 14, 16, tzinfo=TOKYO)
    assert await hass.config_entries.async_unload(workday.entry_id)
    await hass.async_block_till_done()


async def test_a_missing_workday_sensor_counts_the_blueprint_hours_only(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    world = await async_setup_bare_world(
        hass, freezer, FRIDAY_4PM, blueprints={"tokyo_workday_desk.yaml": WORKDAY_BLUEPRINT}
    )
    await hass.services.async_call("bpo", "start", {"process": "tokyo_workday_desk"}, blocking=True)
    [task] = world.manager.engine.open_tasks()
    assert task.due == datetime(2026, 1, 12, 16, tzinfo=TOKYO)  # no sensor: Monday is a working day
    assert "binary_sensor.workday_sensor is not a Workday sensor here" in caplog.text
