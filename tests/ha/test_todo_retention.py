"""Completed tasks stay on their to-do lists, ticked, for the retention period (option), then drop off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.todo import TodoServices
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from pytest_homeassistant_custom_component.common import MockUser

from .helpers import World, async_setup_bare_world, travel
from .test_todo import BLUEPRINTS, DIRECTORY, NOW, check_off, items, start

ALICE = "todo.bpo_workflows_my_tasks_alice"


@pytest.fixture
async def world(hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser) -> World:
    return await async_setup_bare_world(hass, freezer, NOW, blueprints=BLUEPRINTS, directory=DIRECTORY)


async def done_items(hass: HomeAssistant) -> list[tuple[str, str]]:
    return [(i["summary"], i["status"]) for i in await items(hass, ALICE)]


async def test_done_task_stays_ticked_for_seven_days_then_drops_off(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, world: World
) -> None:
    await start(hass, "person.alice")
    [item] = await items(hass, ALICE)
    await check_off(hass, ALICE, item["uid"])
    assert await done_items(hass) == [("Submit expense claim", "completed")]
    assert hass.states.get(ALICE).state == "0"  # the state counts what still needs doing

    # ticking it again changes nothing; unticking is refused (the task is done in the engine)
    await check_off(hass, ALICE, item["uid"])
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "todo",
            TodoServices.UPDATE_ITEM,
            {"entity_id": ALICE, "item": item["uid"], "status": "needs_action"},
            blocking=True,
        )
    assert err.value.translation_key == "todo_read_only"

    await travel(hass, freezer, NOW + timedelta(days=6, hours=23))
    assert await done_items(hass) == [("Submit expense claim", "completed")]
    await travel(hass, freezer, NOW + timedelta(days=7, minutes=1))
    assert await done_items(hass) == []


async def test_a_restart_keeps_recent_done_tasks(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, world: World
) -> None:
    await start(hass, "person.alice")
    [item] = await items(hass, ALICE)
    await check_off(hass, ALICE, item["uid"])
    assert await hass.config_entries.async_reload(world.entry.entry_id)
    await hass.async_block_till_done()
    assert await done_items(hass) == [("Submit expense claim", "completed")]


async def test_retention_is_an_option_that_applies_at_once(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, world: World
) -> None:
    await start(hass, "person.alice")
    [item] = await items(hass, ALICE)
    await check_off(hass, ALICE, item["uid"])
    await travel(hass, freezer, NOW + timedelta(days=2))

    flow = await hass.config_entries.options.async_init(world.entry.entry_id)
    assert flow["type"] is FlowResultType.FORM and flow["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(flow["flow_id"], {"completed_days": 1})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert world.entry.options["completed_days"] == 1
    assert await done_items(hass) == []  # done two days ago, kept for one

    result = await hass.config_entries.options.async_configure(
        (await hass.config_entries.options.async_init(world.entry.entry_id))["flow_id"],
        {"completed_days": 30},
    )
    await hass.async_block_till_done()
    assert await done_items(hass) == [("Submit expense claim", "completed")]


async def test_cancelled_tasks_leave_at_once(hass: HomeAssistant, world: World) -> None:
    response = await start(hass, "person.alice")
    await hass.services.async_call("bpo", "cancel", {"instance_id": response["instance_id"]}, blocking=True)
    await hass.async_block_till_done()
    assert await done_items(hass) == []
