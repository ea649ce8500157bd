"""Home Assistant itself loads bpo's icons and translations: what the files promise reaches the UI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.icon import async_get_icons
from homeassistant.helpers.translation import async_get_translations
from pytest_homeassistant_custom_component.common import MockUser

from custom_components.bpo.const import DOMAIN

from .helpers import async_setup_bare_world, bpo_device
from .test_todo import BLUEPRINTS, DIRECTORY, NOW

INTEGRATION = Path(__file__).resolve().parents[2] / "custom_components" / "bpo"


async def test_actions_registered_are_those_described_with_icons_and_names(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser
) -> None:
    await async_setup_bare_world(hass, freezer, NOW, blueprints=BLUEPRINTS, directory=DIRECTORY)
    registered = set(hass.services.async_services_for_domain(DOMAIN))
    described = set(yaml.safe_load((INTEGRATION / "services.yaml").read_text(encoding="utf-8")))
    assert registered == described

    icons = (await async_get_icons(hass, "services", [DOMAIN]))[DOMAIN]
    assert set(icons) == registered
    assert all(str(icon["service"]).startswith("mdi:") for icon in icons.values())
    names = await async_get_translations(hass, "ja", "services", [DOMAIN])
    for service in registered:
        assert names[f"component.bpo.services.{service}.name"], service


async def test_entities_get_their_icons(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
    entity_registry: er.EntityRegistry,
) -> None:
    world = await async_setup_bare_world(hass, freezer, NOW, blueprints=BLUEPRINTS, directory=DIRECTORY)
    icons = (await async_get_icons(hass, "entity", [DOMAIN]))[DOMAIN]
    entries = er.async_entries_for_config_entry(entity_registry, world.entry.entry_id)
    assert entries
    for entry in entries:  # every entity bpo made has an icon under its platform and translation key
        assert entry.translation_key in icons.get(entry.domain, {}), entry.entity_id
    assert icons["calendar"]["schedule"]["default"] == "mdi:calendar-clock"


async def test_errors_reach_users_in_their_words(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser
) -> None:
    await async_setup_bare_world(hass, freezer, NOW, blueprints=BLUEPRINTS, directory=DIRECTORY)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "start", {"process": "no_such_process"}, blocking=True)
    assert (err.value.translation_domain, err.value.translation_key) == (DOMAIN, "unknown_process")
    english = json.loads((INTEGRATION / "translations" / "en.json").read_text(encoding="utf-8"))
    template = english["exceptions"]["unknown_process"]["message"]
    assert str(err.value) == template.format(**err.value.translation_placeholders).rstrip(".")
    assert "no_such_process" in str(err.value)


def test_every_entity_translation_key_and_every_action_has_an_icon() -> None:
    """The files themselves: every entity name (platform, key) and every action in services.yaml has one."""
    icons = json.loads((INTEGRATION / "icons.json").read_text(encoding="utf-8"))
    strings = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
    named = {(platform, key) for platform, keys in strings["entity"].items() for key in keys}
    with_icon = {(platform, key) for platform, keys in icons["entity"].items() for key in keys}
    assert named == with_icon
    assert all(
        str(icon["default"]).startswith("mdi:") for keys in icons["entity"].values() for icon in keys.values()
    )
    actions = set(yaml.safe_load((INTEGRATION / "services.yaml").read_text(encoding="utf-8")))
    assert actions == set(icons["services"])


async def test_the_hub_device_says_what_it_is_and_which_version(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser
) -> None:
    await async_setup_bare_world(hass, freezer, NOW, blueprints=BLUEPRINTS, directory=DIRECTORY)
    hub = bpo_device(hass, "hub")
    assert hub is not None
    manifest = json.loads((INTEGRATION / "manifest.json").read_text(encoding="utf-8"))
    assert (hub.name, hub.manufacturer, hub.model) == ("BPO Workflows", "BPO Workflows", "Workflow engine")
    assert hub.sw_version == manifest["version"]
