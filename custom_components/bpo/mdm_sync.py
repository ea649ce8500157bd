"""MDM sync: the inventory of Intune, Jamf Pro or Fleet mirrored as Home Assistant devices.

Each MDM is configured in the options flow (``mdm_options.py``) and stored in the entry options as
``options["mdm"][<vendor>] = {<connector settings>, "sync_minutes", "grace_days"}``. A sync runs every
``sync_minutes`` and on demand (``bpo.sync_devices``); it

- keeps one record per MDM device in ``.storage/bpo.mdm`` and one registry device per record
  (identifiers ``("bpo", "mdm:<vendor>:<vendor id>")``), whose entities live in ``mdm_entities.py``;
- links the record to the owner's person: the e-mail / UPN's local part, slugified, is the person's object
  id (``anna.smith@contoso.com`` -> ``person.anna_smith``; see docs/connectors.md);
- fires ``bpo_device_compliance_changed`` {device_id, mdm_id, vendor, name, owner, compliant, previous}
  when a device's compliance differs from what the previous sync saw (a new device: only when it is not
  compliant);
- marks a device the MDM no longer lists as stale (its entities turn unavailable) and removes it once it
  stayed away ``grace_days``;
- on failure keeps every device as it was, raises one Repairs issue per vendor (logged once) and clears it
  on the next good sync. Errors carry the connector's redacted message: never a credential.

``BpoMdmConnector`` answers blueprint action steps from the synced records (``connector: bpo_mdm``), so a
process can read a person's devices without asking the MDM again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util
from homeassistant.util import slugify

from .connector_config import ConnectorHub
from .connectors.base import Connector, ConnectorError, PermanentError
from .connectors.fleet import FleetConnector
from .connectors.intune import IntuneConnector
from .connectors.jamf import JamfConnector
from .connectors.mdm import MdmConnector, MdmDevice
from .const import DOMAIN, EVENT_PREFIX
from .device_records import entry_device
from .durable.errors import Corrupted, VersionTooNew, WriteFailed
from .permissions import PERSON_DOMAIN
from .storage import StoreCorrupted, StoreVersionError, StoreWriteError
from .store_document import envelope, store_file

_LOGGER = logging.getLogger(__name__)

CONF_MDM: Final = "mdm"
CONF_SYNC_MINUTES: Final = "sync_minutes"
CONF_GRACE_DAYS: Final = "grace_days"
DEFAULT_SYNC_MINUTES: Final = 60
DEFAULT_GRACE_DAYS: Final = 14
VENDORS: Final = ("intune", "jamf", "fleet")
VENDOR_NAMES: Final = {"intune": "Microsoft Intune", "jamf": "Jamf Pro", "fleet": "Fleet"}
FACTORIES: Final[dict[str, Callable[..., MdmConnector]]] = {
    "intune": IntuneConnector.from_config,
    "jamf": JamfConnector.from_config,
    "fleet": FleetConnector.from_config,
}
SIGNAL_MDM: Final = f"{DOMAIN}_mdm_updated"  # the synced devices changed (no argument)
EVENT_COMPLIANCE_CHANGED: Final = f"{EVENT_PREFIX}device_compliance_changed"
ISSUE_SYNC_FAILED: Final = "mdm_sync_failed"
CONNECTOR_NAME: Final = "bpo_mdm"
STORAGE_KEY: Final = f"{DOMAIN}.mdm"
STORAGE_VERSION: Final = 1


def mdm_identifier(key: str) -> tuple[str, str]:
    """Registry identifier of the synced device ``<vendor>:<vendor id>``."""
    return (DOMAIN, f"mdm:{key}")


def configured(options: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The MDMs set up in the entry options, by vendor."""
    found = options.get(CONF_MDM) or {}
    return {v: dict(c) for v, c in found.items() if v in FACTORIES and isinstance(c, Mapping)}


def build_connector(hass: HomeAssistant, vendor: str, config: Mapping[str, Any]) -> MdmConnector:
    """The vendor's connector on HA's shared session; ``ConnectorConfigError`` names a bad key."""
    settings = {k: v for k, v in config.items() if k not in (CONF_SYNC_MINUTES, CONF_GRACE_DAYS)}
    return FACTORIES[vendor](f"mdm_{vendor}", async_get_clientsession(hass), settings)


async def async_check(connector: MdmConnector) -> None:
    """A test call: the token and the first page of the inventory (raises ``ConnectorError``)."""
    devices = connector.devices()
    try:
        await anext(devices, None)
    finally:
        if isinstance(devices, AsyncGenerator):  # stop the pager: no further pages are asked for
            await devices.aclose()


@callback
def person_for(hass: HomeAssistant, owner: str | None) -> str | None:
    """``person.<slug of the e-mail's local part>`` when that person exists; else None."""
    if not owner:
        return None
    local = owner.partition("@")[0]
    entity_id = f"{PERSON_DOMAIN}.{slugify(local)}"
    return entity_id if hass.states.get(entity_id) is not None else None


def _dt(value: Any) -> datetime | None:
    return None if value is None else dt_util.parse_datetime(str(value))


@dataclass(slots=True)
class SyncedDevice:
    """One MDM device as last synced; ``stale_since`` is set while the MDM no longer lists it."""

    vendor: str
    vendor_id: str
    name: str
    last_seen: datetime
    serial: str | None = None
    owner: str | None = None  # e-mail / UPN as the MDM gave it (lower-cased)
    person: str | None = None  # the person entity it maps to
    platform: str | None = None
    os_version: str | None = None
    compliant: bool | None = None
    encrypted: bool | None = None
    last_check_in: datetime | None = None
    failing: tuple[str, ...] = ()
    stale_since: datetime | None = None

    @property
    def key(self) -> str:
        return f"{self.vendor}:{self.vendor_id}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "vendor": self.vendor,
            "vendor_id": self.vendor_id,
            "name": self.name,
            "last_seen": self.last_seen.isoformat(),
            "serial": self.serial,
            "owner": self.owner,
            "person": self.person,
            "platform": self.platform,
            "os_version": self.os_version,
            "compliant": self.compliant,
            "encrypted": self.encrypted,
            "last_check_in": self.last_check_in.isoformat() if self.last_check_in else None,
            "failing": list(self.failing),
            "stale_since": self.stale_since.isoformat() if self.stale_since else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SyncedDevice:
        return cls(
            vendor=str(data["vendor"]),
            vendor_id=str(data["vendor_id"]),
            name=str(data["name"]),
            last_seen=_dt(data["last_seen"]) or dt_util.utcnow(),
            serial=data.get("serial"),
            owner=data.get("owner"),
            person=data.get("person"),
            platform=data.get("platform"),
            os_version=data.get("os_version"),
            compliant=data.get("compliant"),
            encrypted=data.get("encrypted"),
            last_check_in=_dt(data.get("last_check_in")),
            failing=tuple(data.get("failing", ())),
            stale_since=_dt(data.get("stale_since")),
        )

    def shown(self) -> tuple[Any, ...]:
        """What its entities show: a sync that changes none of it writes no state."""
        return (
            self.person,
            self.compliant,
            self.encrypted,
            self.os_version,
            self.last_check_in,
            self.failing,
        )

    def summary(self) -> dict[str, Any]:
        """What a blueprint reads (``bpo_mdm`` connector): no serial, no e-mail."""
        return {
            "mdm_id": self.key,
            "vendor": self.vendor,
            "name": self.name,
            "platform": self.platform,
            "os_version": self.os_version,
            "compliant": self.compliant,
            "encrypted": self.encrypted,
            "last_check_in": self.last_check_in.isoformat() if self.last_check_in else None,
            "failing": list(self.failing),
        }


class MdmStore:
    """``.storage/bpo.mdm`` on bpo's durable path; errors become bpo's translated store errors."""

    def __init__(self, hass: HomeAssistant) -> None:
        self._file = store_file(hass, STORAGE_KEY, version=STORAGE_VERSION, list_field="devices")

    async def async_load(self) -> list[SyncedDevice]:
        try:
            raw = await self._file.load()
        except Corrupted as err:
            raise StoreCorrupted(err.problems) from None
        except VersionTooNew as err:
            raise StoreVersionError(str(err)) from None
        return [] if raw is None else [SyncedDevice.from_dict(d) for d in raw["data"].get("devices", ())]

    async def async_save(self, devices: list[SyncedDevice]) -> None:
        data = {"devices": [d.to_dict() for d in devices]}
        try:
            await self._file.save(envelope(STORAGE_KEY, STORAGE_VERSION, data))
        except WriteFailed as err:
            raise StoreWriteError(str(err)) from None

    async def async_remove(self) -> None:
        await self._file.remove()


def _issue_id(vendor: str) -> str:
    return f"{ISSUE_SYNC_FAILED}_{vendor}"


class MdmSync:
    """The synced MDM devices of one loaded entry, their registry devices and the sync schedule."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        self.hass = hass
        self.entry_id = entry_id
        self._store = MdmStore(hass)
        self.devices: dict[str, SyncedDevice] = {}
        self._lock = asyncio.Lock()  # a scheduled and an on-demand sync never interleave
        self._timers: dict[str, tuple[int, CALLBACK_TYPE]] = {}
        self._options: dict[str, dict[str, Any]] = {}
        self._connectors: dict[str, MdmConnector] = {}  # kept between syncs: their tokens stay cached

    async def async_load(self) -> None:
        self.devices = {d.key: d for d in await self._store.async_load()}

    def live(self) -> list[SyncedDevice]:
        """Devices whose entities should exist (stale ones too: they show unavailable until removed)."""
        return list(self.devices.values())

    def configured_vendors(self) -> list[str]:
        return list(self._options)

    def of_person(self, person: str) -> list[SyncedDevice]:
        return [d for d in self.devices.values() if d.person == person and d.stale_since is None]

    # -- schedule -------------------------------------------------------------------------------------
    @callback
    def async_apply_options(self, options: Mapping[str, Any]) -> list[str]:
        """Arm a timer per configured MDM; answers the vendors that are new or changed (to sync now)."""
        wanted = configured(options)
        changed = [v for v, c in wanted.items() if self._options.get(v) != c]
        for vendor in [v for v in self._connectors if v not in wanted or v in changed]:
            del self._connectors[vendor]
        for vendor in list(self._timers):
            minutes = int(wanted.get(vendor, {}).get(CONF_SYNC_MINUTES, 0))
            if vendor not in wanted or vendor in changed or self._timers[vendor][0] != minutes:
                self._timers.pop(vendor)[1]()
        for vendor, config in wanted.items():
            if vendor in self._timers:
                continue
            minutes = int(config.get(CONF_SYNC_MINUTES, DEFAULT_SYNC_MINUTES))
            self._timers[vendor] = (minutes, self._arm(vendor, minutes))
        self._options = wanted
        return changed

    def _arm(self, vendor: str, minutes: int) -> CALLBACK_TYPE:
        async def tick(_now: datetime) -> None:
            await self.async_sync([vendor])

        every = timedelta(minutes=minutes)
        return async_track_time_interval(
            self.hass, tick, every, name=f"bpo MDM sync {vendor}", cancel_on_shutdown=True
        )

    @callback
    def async_stop(self) -> None:
        for _minutes, unsub in self._timers.values():
            unsub()
        self._timers.clear()

    # -- sync -----------------------------------------------------------------------------------------
    async def async_sync(self, vendors: list[str] | None = None) -> dict[str, dict[str, Any]]:
        """Sync the given (default: every configured) MDM; answers per vendor counts or the error."""
        results: dict[str, dict[str, Any]] = {}
        async with self._lock:
            for vendor in vendors if vendors is not None else list(self._options):
                config = self._options.get(vendor)
                if config is None:
                    continue
                results[vendor] = await self._async_sync_one(vendor, config)
        return results

    async def _async_sync_one(self, vendor: str, config: Mapping[str, Any]) -> dict[str, Any]:
        try:
            connector = self._connectors.get(vendor) or build_connector(self.hass, vendor, config)
            self._connectors[vendor] = connector
            found = await connector.fetch_devices()
        except (ConnectorError, ValueError) as err:
            self._failed(vendor, str(err))
            return {"error": str(err)}
        ir.async_delete_issue(self.hass, DOMAIN, _issue_id(vendor))
        now = dt_util.utcnow()
        grace = timedelta(days=int(config.get(CONF_GRACE_DAYS, DEFAULT_GRACE_DAYS)))
        changes: list[tuple[SyncedDevice, bool | None]] = []
        seen: set[str] = set()
        for device in found:
            record, previous, is_new = self._merge(vendor, device, now)
            seen.add(record.key)
            # a device seen for the first time is news only when it is not compliant: a first sync of a
            # large fleet must not fire thousands of "now compliant" events
            if previous != record.compliant and not (is_new and record.compliant is not False):
                changes.append((record, previous))
        stale, removed = 0, 0
        for record in [d for d in self.devices.values() if d.vendor == vendor and d.key not in seen]:
            if record.stale_since is None:
                record.stale_since = now
            if now - record.stale_since >= grace:
                self._remove(record)
                removed += 1
            else:
                stale += 1
        await self._store.async_save(list(self.devices.values()))
        dev_reg = dr.async_get(self.hass)
        for key in seen:
            record = self.devices[key]
            dev_reg.async_get_or_create(
                config_entry_id=self.entry_id,
                identifiers={mdm_identifier(key)},
                name=record.name,
                manufacturer=VENDOR_NAMES[vendor],
                model=record.platform,
                sw_version=record.os_version,
                serial_number=record.serial,
            )
        async_dispatcher_send(self.hass, SIGNAL_MDM)
        for record, previous in changes:
            self._fire(record, previous)
        return {"devices": len(seen), "stale": stale, "removed": removed}

    def _merge(self, vendor: str, device: MdmDevice, now: datetime) -> tuple[SyncedDevice, bool | None, bool]:
        key = f"{vendor}:{device.vendor_id}"
        record = self.devices.get(key)
        is_new = record is None
        previous = None if record is None else record.compliant
        merged = SyncedDevice(
            vendor=vendor,
            vendor_id=device.vendor_id,
            name=device.name,
            last_seen=now,
            serial=device.serial,
            owner=device.owner,
            person=person_for(self.hass, device.owner),
            platform=device.platform,
            os_version=device.os_version,
            compliant=device.compliant,
            encrypted=device.encrypted,
            last_check_in=device.last_check_in,
            failing=device.failing_policies,
        )
        self.devices[key] = merged
        return merged, previous, is_new

    def _remove(self, record: SyncedDevice) -> None:
        del self.devices[record.key]
        if (device := entry_device(self.hass, self.entry_id, mdm_identifier(record.key))) is not None:
            dr.async_get(self.hass).async_remove_device(device.id)  # its entities go with it

    def _fire(self, record: SyncedDevice, previous: bool | None) -> None:
        device = entry_device(self.hass, self.entry_id, mdm_identifier(record.key))
        self.hass.bus.async_fire(
            EVENT_COMPLIANCE_CHANGED,
            {
                "device_id": device.id if device is not None else None,
                "mdm_id": record.key,
                "vendor": record.vendor,
                "name": record.name,
                "owner": record.person,
                "compliant": record.compliant,
                "previous": previous,
            },
        )

    def _failed(self, vendor: str, error: str) -> None:
        """Keep the devices; one Repairs issue (and one log line) until a sync of this vendor works."""
        issue_id = _issue_id(vendor)
        if ir.async_get(self.hass).async_get_issue(DOMAIN, issue_id) is None:
            _LOGGER.warning("MDM sync of %s failed; keeping the devices of the last sync: %s", vendor, error)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_SYNC_FAILED,
            translation_placeholders={"vendor": VENDOR_NAMES[vendor], "error": error},
        )

    async def async_forget(self, vendor: str) -> None:
        """The MDM was removed from the options: its devices go."""
        async with self._lock:
            for record in [d for d in self.devices.values() if d.vendor == vendor]:
                self._remove(record)
            await self._store.async_save(list(self.devices.values()))
        ir.async_delete_issue(self.hass, DOMAIN, _issue_id(vendor))
        async_dispatcher_send(self.hass, SIGNAL_MDM)

    async def async_drop(self, key: str) -> None:
        """The admin deleted this (stale) device: forget its record, so a return makes it new again."""
        async with self._lock:
            if self.devices.pop(key, None) is None:
                return
            await self._store.async_save(list(self.devices.values()))
        async_dispatcher_send(self.hass, SIGNAL_MDM)

    async def async_remove_store(self) -> None:
        await self._store.async_remove()


class BpoMdmConnector(Connector):
    """``connector: bpo_mdm`` in a blueprint: the synced devices, without calling the MDM.

    ``call: devices_of`` with ``data: {owner: person.x}`` answers that person's current devices, with
    counts a form or a template can use directly.
    """

    OPS = ("devices_of",)

    def __init__(self, sync: MdmSync) -> None:
        super().__init__(CONNECTOR_NAME)
        self._sync = sync

    async def call(self, op: str, data: Mapping[str, Any]) -> Any:
        if op != "devices_of":
            raise PermanentError(f"{self.name}: unknown op {op!r} (known: {', '.join(self.OPS)})")
        owner = data.get("owner")
        if not isinstance(owner, str) or not owner:
            raise PermanentError(f"{self.name}: devices_of needs data.owner (a person entity id)")
        devices = sorted(self._sync.of_person(owner), key=lambda d: d.key)
        return {
            "configured": bool(self._sync.configured_vendors()),
            "count": len(devices),
            "non_compliant": sum(1 for d in devices if d.compliant is False),
            "unencrypted": sum(1 for d in devices if d.encrypted is False),
            "devices": [d.summary() for d in devices],
            "text": "; ".join(_line(d) for d in devices) or "no device in the MDM",
        }


def _line(device: SyncedDevice) -> str:
    state = {True: "compliant", False: "NOT compliant", None: "compliance unknown"}[device.compliant]
    disk = {True: "encrypted", False: "NOT encrypted", None: "encryption unknown"}[device.encrypted]
    version = f" {device.os_version}" if device.os_version else ""
    return f"{device.name} ({device.platform or '?'}{version}): {state}, {disk}"


async def async_setup_mdm(
    hass: HomeAssistant, entry: ConfigEntry[Any], sync: MdmSync, hub: ConnectorHub | None
) -> None:
    """Load the synced devices, offer ``bpo_mdm`` to blueprints, arm the schedule, sync once soon.

    ``hub`` is the manager's ``ConnectorHub`` (None for a manager without HA actions). The first sync runs
    in the background, so a slow MDM never delays Home Assistant's start.
    """
    await sync.async_load()
    if hub is not None:
        entry.async_on_unload(hub.add(BpoMdmConnector(sync)))
    entry.async_on_unload(sync.async_stop)
    if vendors := sync.async_apply_options(entry.options):
        entry.async_create_background_task(hass, sync.async_sync(vendors), "bpo MDM first sync")


async def async_options_changed(hass: HomeAssistant, entry: ConfigEntry[Any], sync: MdmSync) -> None:
    """Re-arm the schedule; sync an MDM that is new or changed now; drop the devices of a removed one."""
    before = set(sync.configured_vendors())
    changed = sync.async_apply_options(entry.options)
    for vendor in before - set(sync.configured_vendors()):
        await sync.async_forget(vendor)
    if changed:
        entry.async_create_background_task(hass, sync.async_sync(changed), "bpo MDM sync after options")
