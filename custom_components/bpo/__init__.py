"""BPO Workflows: business-process-outsourcing workflows from YAML blueprints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.helpers.typing import ConfigType

from . import notifications, panel, repairs
from .const import DOMAIN
from .device_records import DeviceRecords, async_register_device_services
from .device_store import DeviceStore
from .entity import HUB_IDENTIFIER
from .inbound_seen import async_remove_seen
from .manager import BpoManager, HassActions
from .mdm_services import async_register_mdm_services
from .mdm_sync import MdmStore, MdmSync, async_options_changed, async_setup_mdm
from .options_flow import CONF_COMPLETED_DAYS, DEFAULT_COMPLETED_DAYS
from .report_files import async_add_report_connector
from .services import async_register_services
from .storage import BpoStore, StoreCorrupted, StoreVersionError, async_raise_recovery_issue
from .websocket_api import async_register_websocket_commands

ISSUE_STORE_CORRUPTED = "store_corrupted"

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
    mdm: MdmSync  # devices synced from Intune / Jamf / Fleet (mdm_sync.py)


type BpoConfigEntry = ConfigEntry[BpoRuntimeData]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Services, websocket commands and the web UI's files belong to the domain: register them once."""
    async_register_services(hass)
    async_register_device_services(hass)
    async_register_websocket_commands(hass)
    await panel.async_register_static(hass)
    async_register_mdm_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: BpoConfigEntry) -> bool:
    """Load blueprints, restore engine state, arm the timer, forward platforms."""
    store = BpoStore(hass)
    manager = BpoManager(hass, store)
    records = DeviceRecords(hass)
    mdm = MdmSync(hass, entry.entry_id)
    entry.runtime_data = BpoRuntimeData(manager=manager, store=store, records=records, mdm=mdm)
    entry.async_on_unload(manager.async_stop)
    entry.async_on_unload(repairs.async_track(hass, manager))
    entry.async_on_unload(await notifications.async_setup_notifications(hass, entry))  # sees catch-up events
    try:
        await records.async_load()
        actions = manager.engine.actions
        hub = actions.connectors if isinstance(actions, HassActions) else None
        await async_setup_mdm(hass, entry, mdm, hub)  # before the engine: resumed steps may call bpo_mdm
        if hub is not None:
            entry.async_on_unload(async_add_report_connector(hass, hub))
        await manager.async_start()
    except StoreVersionError as err:
        # a newer bpo's files: never read or rewrite them
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="store_too_new",
            translation_placeholders=err.translation_placeholders,
        ) from err
    except StoreCorrupted as err:
        # Starting empty would silently drop every running instance: refuse, and tell the admin what to do.
        files = ", ".join(err.files)
        ir.async_create_issue(
            hass,
            DOMAIN,
            ISSUE_STORE_CORRUPTED,
            is_fixable=False,
            severity=ir.IssueSeverity.CRITICAL,
            translation_key=ISSUE_STORE_CORRUPTED,
            translation_placeholders={"files": files},
        )
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key=ISSUE_STORE_CORRUPTED,
            translation_placeholders={"files": files},
        ) from err
    ir.async_delete_issue(hass, DOMAIN, ISSUE_STORE_CORRUPTED)
    manager.set_retention(_retention(entry))
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    entry.async_on_unload(records.async_start(entry.entry_id))  # after loading: it prunes by the records
    if store.recovered:
        async_raise_recovery_issue(hass, store.recovered)
    entry.async_on_unload(await panel.async_setup_panel(hass))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


def _retention(entry: BpoConfigEntry) -> timedelta:
    return timedelta(days=int(entry.options.get(CONF_COMPLETED_DAYS, DEFAULT_COMPLETED_DAYS)))


async def _async_options_updated(hass: HomeAssistant, entry: BpoConfigEntry) -> None:
    """Options apply without a reload: notifications read them per send, the lists get the retention."""
    entry.runtime_data.manager.set_retention(_retention(entry))
    await async_options_changed(hass, entry, entry.runtime_data.mdm)


async def async_unload_entry(hass: HomeAssistant, entry: BpoConfigEntry) -> bool:
    """Unload platforms; the timer and listeners go with the entry's on-unload callbacks."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: BpoConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the admin delete a device only when nothing would bring it back.

    A process device may go once its blueprint is no longer loaded; a BYOD device once its record is
    retired (``bpo.retire_device`` removes active ones properly, keeping the record); the hub never.
    """
    idents = {ident for domain, ident in device.identifiers if domain == DOMAIN}
    if HUB_IDENTIFIER in idents:
        return False
    processes = set(entry.runtime_data.manager.engine.process_keys())
    for ident in idents:
        if ident.startswith("process_") and ident.removeprefix("process_") in processes:
            return False
        if ident.startswith("mdm:") and (synced := entry.runtime_data.mdm.devices.get(ident[4:])):
            if synced.stale_since is None:
                return False  # the MDM still lists it: the next sync would bring it back
            await entry.runtime_data.mdm.async_drop(synced.key)  # stale: if it comes back it is new again
        if ident.startswith("device_"):
            record = entry.runtime_data.records.get(ident.removeprefix("device_"))
            if record is not None and record.active:
                return False
    return True


async def async_remove_entry(hass: HomeAssistant, entry: BpoConfigEntry) -> None:
    """The entry was deleted: delete bpo's stored state; the admin's files stay.

    Instances, device records, the notification log and the webhook's replay memory go. Blueprints under
    ``blueprints/bpo`` (admins edit them), ``bpo_directory.yaml`` and ``bpo_connectors.yaml`` are the
    admin's and are left alone.
    """
    await BpoStore(hass).async_remove()
    await DeviceStore(hass).async_remove()
    await MdmStore(hass).async_remove()
    await async_remove_seen(hass)
    await Store[dict[str, object]](hass, 1, notifications.STORE_KEY).async_remove()
    ir.async_delete_issue(hass, DOMAIN, ISSUE_STORE_CORRUPTED)
