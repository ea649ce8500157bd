"""The UI config flow creates exactly one entry; setup/unload leave nothing behind."""

from __future__ import annotations

from pathlib import Path

from homeassistant import config_entries
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.loader import async_get_integration
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.bpo.const import DOMAIN


async def test_user_flow_creates_single_entry(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": config_entries.SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "BPO Workflows"
    await hass.async_block_till_done()
    entries = hass.config_entries.async_entries(DOMAIN)
    assert len(entries) == 1
    assert entries[0].state is ConfigEntryState.LOADED

    second = await hass.config_entries.flow.async_init(DOMAIN, context={"source": config_entries.SOURCE_USER})
    assert second["type"] is FlowResultType.ABORT
    assert second["reason"] == "single_instance_allowed"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_setup_and_unload_leave_no_listeners(hass: HomeAssistant) -> None:
    # platform domains and bpo's dependencies (the web UI's frontend, http, websocket_api) register their
    # own listeners once, on first load: load them before measuring
    for domain in ("binary_sensor", "calendar", "sensor", "todo", "person", "frontend", "panel_custom"):
        assert await async_setup_component(hass, domain, {})
    entry = MockConfigEntry(domain=DOMAIN, title="BPO Workflows", data={})
    entry.add_to_hass(hass)
    await hass.async_block_till_done()
    listeners_before = dict(hass.bus.async_listeners())
    tasks_before = set(hass._tasks)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    manager = entry.runtime_data.manager
    # the shipped blueprint was copied into the config folder and loaded; its monthly start is armed
    assert Path(hass.config.path("blueprints/bpo/device_security_report.yaml")).is_file()
    assert [bp.process.key for bp in manager.engine.blueprints()] == ["device_security_report"]
    assert manager.engine.next_deadline() is not None
    assert manager._unsub_timer is not None

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    after = dict(hass.bus.async_listeners())
    # registries schedule a delayed save on final write when entities/devices were created; that is HA's
    after.pop("homeassistant_final_write", None)
    listeners_before.pop("homeassistant_final_write", None)
    assert after == listeners_before
    assert set(hass._tasks) <= tasks_before
    assert manager._unsub_timer is None


async def test_ha_loader_finds_this_checkouts_integration(hass: HomeAssistant) -> None:
    integration = await async_get_integration(hass, DOMAIN)
    assert not integration.is_built_in
    assert integration.config_flow
    assert str(integration.version) == "0.1.0"
    assert (
        integration.file_path.resolve() == (Path(__file__).parents[2] / "custom_components" / "bpo").resolve()
    )
