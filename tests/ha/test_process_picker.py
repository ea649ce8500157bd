"""``bpo.start`` and ``bpo.resume`` pick the process from its device; typed start fields are checked."""

from __future__ import annotations

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.service import async_get_all_descriptions
from pytest_homeassistant_custom_component.common import MockUser

from custom_components.bpo.const import DOMAIN

from .helpers import World, async_setup_bare_world, bpo_device
from .test_websocket_api import DIRECTORY, NOW, ONBOARDING

SECOND = ONBOARDING.replace("key: onboarding", "key: offboarding").replace(
    "name: Onboarding", "name: Offboarding"
)


@pytest.fixture
async def world(hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser) -> World:
    blueprints = {"onboarding.yaml": ONBOARDING, "offboarding.yaml": SECOND}
    return await async_setup_bare_world(hass, freezer, NOW, blueprints=blueprints, directory=DIRECTORY)


async def test_the_process_is_picked_from_the_devices_of_the_loaded_blueprints(
    hass: HomeAssistant, world: World, device_registry: dr.DeviceRegistry
) -> None:
    descriptions = await async_get_all_descriptions(hass)
    for action in ("start", "resume"):
        selector = descriptions[DOMAIN][action]["fields"]["process"]["selector"]
        found = selector["device"]["filter"]  # HA 2025.4 keeps the one filter as written, 2026 lists it
        assert (found if isinstance(found, list) else [found]) == [
            {"integration": DOMAIN, "model": "Process blueprint"}
        ]
    # exactly what the picker lists: a device per loaded blueprint with that model, under bpo's entry
    picked = {
        device.name
        for device in dr.async_entries_for_config_entry(device_registry, world.entry.entry_id)
        if device.model == "Process blueprint"
    }
    assert picked == {"Onboarding", "Offboarding"}

    device = bpo_device(hass, "process_offboarding")
    assert device is not None
    started = await hass.services.async_call(
        DOMAIN, "start", {"process": device.id, "key": "person.alice"}, blocking=True, return_response=True
    )
    assert isinstance(started, dict)
    assert world.manager.engine.instance(str(started["instance_id"])).process == "offboarding"
    # written by hand (YAML), the key still works; a wrong one is told what exists
    await hass.services.async_call(
        DOMAIN, "start", {"process": "onboarding", "key": "person.bob"}, blocking=True
    )
    assert [i.key for i in world.manager.engine.instances(process="onboarding")] == ["person.bob"]
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "start", {"process": "boarding"}, blocking=True)
    assert "known: offboarding, onboarding" in str(err.value)
    await hass.services.async_call(DOMAIN, "resume", {"process": device.id}, blocking=True)


async def test_a_start_with_a_wrongly_typed_field_is_refused_and_nothing_stored(
    hass: HomeAssistant, world: World
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "start",
            {"process": "onboarding", "key": "person.alice", "fields": {"laptops": "two", "verdict": "meh"}},
            blocking=True,
        )
    assert err.value.translation_key == "invalid_form"
    assert "laptops: expected a number" in str(err.value) and "verdict: expected one of ok, follow_up" in str(
        err.value
    )
    assert world.manager.engine.instances() == []
    await hass.services.async_call(
        DOMAIN,
        "start",
        {"process": "onboarding", "key": "person.alice", "fields": {"laptops": "2"}},
        blocking=True,
    )
    [inst] = world.manager.engine.instances()
    assert inst.fields == {"laptops": 2}
