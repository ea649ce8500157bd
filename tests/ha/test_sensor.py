"""Per-blueprint sensors (open, overdue, completed this period) and the suspended binary sensor."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from unittest.mock import PropertyMock, patch
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import Entity
from pytest_homeassistant_custom_component.common import MockUser, async_fire_time_changed, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from .helpers import World, async_setup_bare_world, bpo_device
from .test_todo import BLUEPRINTS, DIRECTORY, start

TZ = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=TZ)
OPEN = "sensor.expense_claim_open_instances"
OVERDUE = "sensor.expense_claim_overdue_tasks"
COMPLETED = "sensor.expense_claim_completed_30_days"
SUSPENDED = "binary_sensor.expense_claim_suspended"


async def _world(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> World:
    return await async_setup_bare_world(hass, freezer, NOW, blueprints=BLUEPRINTS, directory=DIRECTORY)


def _value(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


async def _complete(hass: HomeAssistant, task_id: str, **data: object) -> None:
    await hass.services.async_call("bpo", "complete_task", {"task_id": task_id, **data}, blocking=True)
    await hass.async_block_till_done()


@pytest.fixture
def enabled_by_default() -> Iterator[None]:
    """Every entity enabled, as if the user had enabled the ones bpo disables by default."""
    with patch.object(Entity, "entity_registry_enabled_default", PropertyMock(return_value=True)):
        yield


async def test_categories_and_what_is_disabled_by_default(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
    entity_registry: er.EntityRegistry,
) -> None:
    await _world(hass, freezer)
    completed = entity_registry.async_get(COMPLETED)
    assert completed is not None and completed.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert hass.states.get(COMPLETED) is None
    assert entity_registry.async_get(OPEN).disabled_by is None
    assert entity_registry.async_get(OPEN).entity_category is None
    assert entity_registry.async_get(SUSPENDED).entity_category is EntityCategory.DIAGNOSTIC


@pytest.mark.usefixtures("enabled_by_default")
async def test_counts_open_overdue_completed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
    device_registry: dr.DeviceRegistry,
) -> None:
    world = await _world(hass, freezer)
    engine = world.manager.engine
    assert (_value(hass, OPEN), _value(hass, OVERDUE), _value(hass, COMPLETED)) == ("0", "0", "0")
    device = bpo_device(hass, "process_expense_claim")
    assert device is not None
    assert (device.name, device.manufacturer, device.entry_type) == (
        "Expense claim",
        "BPO Workflows",
        dr.DeviceEntryType.SERVICE,
    )

    await start(hass, "person.alice")
    await start(hass, "person.bob")
    await hass.async_block_till_done()
    assert (_value(hass, OPEN), _value(hass, OVERDUE)) == ("2", "0")

    # two days later both submissions are overdue
    freezer.move_to(NOW + timedelta(days=2, minutes=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert _value(hass, OVERDUE) == "2"

    # alice's claim goes all the way through
    [submit] = engine.open_tasks(assignee="person.alice")
    await _complete(hass, submit.id)
    assert _value(hass, OVERDUE) == "1"
    [approve] = engine.open_tasks(group="approvers")
    await _complete(hass, approve.id, outcome="approve")
    [archive] = engine.open_tasks(assignee="person.alice")
    await _complete(hass, archive.id, form={"receipt": "r.pdf"})
    assert (_value(hass, OPEN), _value(hass, OVERDUE), _value(hass, COMPLETED)) == ("1", "1", "1")

    # completed counts the last 30 days only
    freezer.move_to(NOW + timedelta(days=33))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    await hass.services.async_call("bpo", "reload", blocking=True)  # any engine update refreshes
    await hass.async_block_till_done()
    assert _value(hass, COMPLETED) == "0"


async def test_suspended_binary_sensor(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser
) -> None:
    await _world(hass, freezer)
    assert _value(hass, SUSPENDED) == "off"
    state = hass.states.get(SUSPENDED)
    assert state.attributes["device_class"] == "problem"
    for key in ("a", "b", "c"):
        await start(hass, key)
    with pytest.raises(ServiceValidationError):  # the 4th start within the hour trips the limit
        for key in ("d", "e"):
            await start(hass, key)
    await hass.async_block_till_done()
    state = hass.states.get(SUSPENDED)
    assert state.state == "on"
    assert "suspended_at" in state.attributes

    await hass.services.async_call("bpo", "resume", {"process": "expense_claim"}, blocking=True)
    await hass.async_block_till_done()
    assert _value(hass, SUSPENDED) == "off"


async def test_blueprint_added_on_reload_gets_sensors(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser
) -> None:
    await _world(hass, freezer)
    assert hass.states.get("sensor.second_open_instances") is None
    text = (
        BLUEPRINTS["expense.yaml"]
        .replace("Expense claim", "Second")
        .replace("key: expense_claim", "key: second")
    )
    path = Path(hass.config.path("blueprints", "bpo", "second.yaml"))
    await hass.async_add_executor_job(path.write_text, text)
    await hass.services.async_call("bpo", "reload", blocking=True)
    await hass.async_block_till_done()
    assert _value(hass, "sensor.second_open_instances") == "0"
    assert _value(hass, "binary_sensor.second_suspended") == "off"

    await hass.async_add_executor_job(path.unlink)
    await hass.services.async_call("bpo", "reload", blocking=True)
    await hass.async_block_till_done()
    assert _value(hass, "sensor.second_open_instances") == "unavailable"


@pytest.mark.usefixtures("enabled_by_default")  # the harness's snapshot wants every entity enabled
@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.BINARY_SENSOR])
async def test_snapshot(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    with patch("custom_components.bpo.PLATFORMS", [platform]):
        world = await _world(hass, freezer)
        await start(hass, "person.alice")
        await hass.async_block_till_done()
        await snapshot_platform(hass, entity_registry, snapshot, world.entry.entry_id)
