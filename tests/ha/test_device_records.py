"""BYOD device records: register/retire services, device registry mirror, compliance API, persistence."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockUser, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.bpo.device_records import DeviceRecords
from custom_components.bpo.device_store import STORAGE_KEY

from .helpers import World, async_setup_bare_world, bpo_device

TZ = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=TZ)
IPHONE = {
    "device_id": "C02XK1",
    "name": "Alice's iPhone",
    "owner": "person.alice",
    "platform": "ios",
    "model": "iPhone 15",
}
COMPLIANCE = "sensor.alice_s_iphone_compliance"
LAST_REPORT = "sensor.alice_s_iphone_last_report"


@pytest.fixture
async def world(hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser) -> World:
    return await async_setup_bare_world(hass, freezer, NOW, directory="groups: {}\n")


async def _call(hass: HomeAssistant, service: str, data: dict[str, Any], user_id: str | None = None) -> Any:
    response = await hass.services.async_call(
        "bpo", service, data, blocking=True, return_response=True, context=Context(user_id=user_id)
    )
    await hass.async_block_till_done()
    return response


def _records(hass: HomeAssistant) -> DeviceRecords:
    records: DeviceRecords = hass.config_entries.async_loaded_entries("bpo")[0].runtime_data.records
    return records


async def test_register_creates_device_and_entities(
    hass: HomeAssistant,
    world: World,
    hass_admin_user: MockUser,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    response = await _call(hass, "register_device", IPHONE, hass_admin_user.id)
    assert response == {
        "device_id": "C02XK1",
        "name": "Alice's iPhone",
        "owner": "person.alice",
        "platform": "ios",
        "model": "iPhone 15",
        "active": True,
        "compliance": "unknown",
    }
    device = bpo_device(hass, "device_C02XK1")
    assert device is not None
    assert (device.name, device.model, device.manufacturer, device.serial_number) == (
        "Alice's iPhone",
        "iPhone 15",
        "BYOD",
        "C02XK1",
    )
    assert world.entry.entry_id in device.config_entries
    entities = {e.entity_id for e in er.async_entries_for_device(entity_registry, device.id)}
    assert entities == {COMPLIANCE, LAST_REPORT}
    state = hass.states.get(COMPLIANCE)
    assert state.state == "unknown"
    assert state.attributes["options"] == ["compliant", "non_compliant", "unknown"]
    assert state.attributes["owner"] == "person.alice"
    assert hass.states.get(LAST_REPORT).state == "unknown"
    # the check-in time is diagnostic; compliance is what the device is about
    assert entity_registry.async_get(LAST_REPORT).entity_category is EntityCategory.DIAGNOSTIC
    assert entity_registry.async_get(COMPLIANCE).entity_category is None

    # registering the same id again updates the record and the device
    await _call(hass, "register_device", {**IPHONE, "model": "iPhone 16"})
    assert device_registry.async_get(device.id).model == "iPhone 16"


async def test_register_and_retire_are_admin_only(
    hass: HomeAssistant, world: World, hass_read_only_user: MockUser, device_registry: dr.DeviceRegistry
) -> None:
    for user in (world.users["bob"], hass_read_only_user):
        with pytest.raises(Unauthorized):
            await _call(hass, "register_device", IPHONE, user.id)
    assert bpo_device(hass, "device_C02XK1") is None
    await _call(hass, "register_device", IPHONE)  # no user: an automation, acts as the system
    with pytest.raises(Unauthorized):
        await _call(hass, "retire_device", {"device_id": "C02XK1"}, world.users["bob"].id)
    assert bpo_device(hass, "device_C02XK1") is not None


async def test_register_validates_owner_and_platform(hass: HomeAssistant, world: World) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "register_device", {**IPHONE, "owner": "person.nobody"})
    assert err.value.translation_key == "unknown_person"
    with pytest.raises(Exception, match="platform"):
        await _call(hass, "register_device", {**IPHONE, "platform": "symbian"})


async def test_compliance_api_and_report_hook(
    hass: HomeAssistant, world: World, freezer: FrozenDateTimeFactory
) -> None:
    await _call(hass, "register_device", IPHONE)
    records = _records(hass)
    reported = NOW + timedelta(hours=1)
    await records.async_update_compliance("C02XK1", False, reported, source="intune")
    await hass.async_block_till_done()
    assert hass.states.get(COMPLIANCE).state == "non_compliant"
    assert hass.states.get(LAST_REPORT).state == "2026-03-03T02:00:00+00:00"
    # an older report arriving late changes nothing
    await records.async_update_compliance("C02XK1", True, NOW)
    await hass.async_block_till_done()
    assert hass.states.get(COMPLIANCE).state == "non_compliant"
    await records.async_update_compliance("C02XK1", True, reported + timedelta(minutes=5))
    await hass.async_block_till_done()
    assert hass.states.get(COMPLIANCE).state == "compliant"
    with pytest.raises(ServiceValidationError):
        await records.async_update_compliance("unknown", True)

    # the owner's own device security report counts as a report (compliance unchanged)
    freezer.move_to(NOW + timedelta(days=1))
    hass.bus.async_fire(
        "bpo_task_completed",
        {
            "process": "device_security_report",
            "key": "person.alice",
            "assignee": "person.alice",
            "task_id": "i9.1",
            "step": "report",
        },
    )
    await hass.async_block_till_done()
    assert hass.states.get(LAST_REPORT).state == "2026-03-04T01:00:00+00:00"
    assert hass.states.get(COMPLIANCE).state == "compliant"
    # ... but not the supervisor's check of it, nor other processes
    freezer.move_to(NOW + timedelta(days=2))
    hass.bus.async_fire(
        "bpo_task_completed",
        {"process": "device_security_report", "key": "person.alice", "assignee": "person.sam"},
    )
    hass.bus.async_fire("bpo_task_completed", {"process": "expense_claim", "key": "person.alice"})
    await hass.async_block_till_done()
    assert hass.states.get(LAST_REPORT).state == "2026-03-04T01:00:00+00:00"


async def test_retire_removes_device_and_keeps_record(
    hass: HomeAssistant,
    world: World,
    hass_admin_user: MockUser,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    await _call(hass, "register_device", IPHONE)
    response = await _call(hass, "retire_device", {"device_id": "C02XK1"}, hass_admin_user.id)
    assert response["active"] is False
    assert bpo_device(hass, "device_C02XK1") is None
    assert entity_registry.async_get(COMPLIANCE) is None
    assert hass.states.get(COMPLIANCE) is None
    assert hass.states.get(LAST_REPORT) is None

    # on disk when the action returned, in HA's store envelope
    stored = json.loads(Path(hass.config.path(".storage", STORAGE_KEY)).read_text(encoding="utf-8"))
    assert (stored["key"], stored["version"]) == (STORAGE_KEY, 1)
    record = stored["data"]["devices"][0]
    assert record["device_id"] == "C02XK1"
    assert record["retired"] == "2026-03-03T01:00:00+00:00"
    assert [line["what"] for line in record["history"]] == ["registered", "retired"]
    assert record["history"][1]["who"] == f"user:{hass_admin_user.id}"

    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "retire_device", {"device_id": "C02XK1"})
    assert err.value.translation_key == "device_not_found"

    # registering it again brings device and entities back
    await _call(hass, "register_device", IPHONE)
    assert bpo_device(hass, "device_C02XK1") is not None
    assert hass.states.get(COMPLIANCE).state == "unknown"


async def test_records_survive_reload(
    hass: HomeAssistant, world: World, device_registry: dr.DeviceRegistry
) -> None:
    await _call(hass, "register_device", IPHONE)
    await _call(
        hass,
        "register_device",
        {**IPHONE, "device_id": "PX7", "name": "Bob's Pixel", "owner": "person.bob", "platform": "android"},
    )
    await _call(hass, "retire_device", {"device_id": "PX7"})
    await _records(hass).async_update_compliance("C02XK1", True, NOW)

    assert await hass.config_entries.async_unload(world.entry.entry_id)
    await hass.async_block_till_done()
    assert hass.config_entries.async_loaded_entries("bpo") == []
    with pytest.raises(ServiceValidationError):
        await _call(hass, "register_device", IPHONE)

    assert await hass.config_entries.async_setup(world.entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(COMPLIANCE).state == "compliant"
    assert _records(hass).get("PX7").retired is not None
    assert bpo_device(hass, "device_PX7") is None
    assert hass.states.get("sensor.bob_s_pixel_compliance") is None


async def test_snapshot(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    with patch("custom_components.bpo.PLATFORMS", [Platform.SENSOR]):
        world = await async_setup_bare_world(hass, freezer, NOW, directory="groups: {}\n")
        await _call(hass, "register_device", IPHONE)
        await _records(hass).async_update_compliance("C02XK1", True, NOW)
        await hass.async_block_till_done()
        await snapshot_platform(hass, entity_registry, snapshot, world.entry.entry_id)
        device = bpo_device(hass, "device_C02XK1")
        assert device == snapshot(name="device")


async def test_device_lookup_uses_by_identifier_where_ha_has_it(
    hass: HomeAssistant, world: World, device_registry: dr.DeviceRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HA 2026.11 replaced the deprecated identifiers lookup by ``async_get_device_by_identifier``:
    bpo calls it where it exists, and searches its own entry's devices on older releases."""
    from custom_components.bpo.device_records import entry_device

    await _call(hass, "register_device", IPHONE)
    entry_id = hass.config_entries.async_entries("bpo")[0].entry_id
    ident = ("bpo", "device_C02XK1")
    found = entry_device(hass, entry_id, ident)  # the search of older releases
    assert found is not None and ident in found.identifiers
    assert entry_device(hass, entry_id, ("bpo", "device_nope")) is None

    asked: list[tuple[tuple[str, str], str]] = []

    def by_identifier(identifier: tuple[str, str], config_entry_id: str) -> dr.DeviceEntry | None:
        asked.append((identifier, config_entry_id))
        return found

    monkeypatch.setattr(device_registry, "async_get_device_by_identifier", by_identifier, raising=False)
    assert entry_device(hass, entry_id, ident) is found
    assert asked == [(ident, entry_id)]
