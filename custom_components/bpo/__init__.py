"""BPO Workflows: business-process-outsourcing workflows from YAML blueprints."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from . import notifications, repairs
from .const import DOMAIN
from .device_records import DeviceRecords, async_register_device_services
from .manager import BpoManager
from .services import async_register_services
from .storage import BpoStore, async_raise_recovery_issue

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.CALENDAR,
    Platform.SENSOR,
    Platform.TODO,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


@dataclass(slots=True)
class BpoRuntimeData:
    """Everything one loaded entry owns; released on unload."""

    manager: BpoManager
    store: BpoStore
    records: DeviceRecords  # BYOD device records (devices in the device registry)


type BpoConfigEntry = ConfigEntry[BpoRuntimeData]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Services belong to the domain, not to an entry: register them once."""
    async_register_services(hass)
    async_register_device_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: BpoConfigEntry) -> bool:
    """Load blueprints, restore engine state, arm the timer, forward platforms."""
    store = BpoStore(hass)
    manager = BpoManager(hass, store)
    records = DeviceRecords(hass)
    await records.async_load()
    entry.runtime_data = BpoRuntimeData(manager=manager, store=store, records=records)
    entry.async_on_unload(records.async_start(entry.entry_id))
    entry.async_on_unload(manager.async_stop)
    entry.async_on_unload(repairs.async_track(hass, manager))
    entry.async_on_unload(await notifications.async_setup_notifications(hass, entry))  # sees catch-up events
    await manager.async_start()
    if store.recovered:
        async_raise_recovery_issue(hass, store.recovered)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: BpoConfigEntry) -> bool:
    """Unload platforms; the timer and listeners go with the entry's on-unload callbacks."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
