"""BYOD device records: persisted in ``.storage/bpo.devices`` (device_store.py), shown as registry devices.

A record is registered (``bpo.register_device``, admin-only) with the MDM / serial id of an employee's own
device, its owner (a person entity), platform and model. Each *active* record is a device in the device
registry (identifiers ``{("bpo", "device_<id>")}``, manufacturer "BYOD") with two sensors: compliance and
last report. Retiring (``bpo.retire_device``) removes the device and its entities from the registries;
the record stays in the store with its ``retired`` time and history, so audits can still see it.

Compliance and last-report times arrive through :meth:`DeviceRecords.async_update_compliance`, the API that
MDM connectors call. As a simple hook, a ``bpo_task_completed`` event of the ``device_security_report``
process for a task of the device owner (instance key = owner, task assignee = owner or none) counts as a
report from every active device of that owner: it updates the last report time, not the compliance.

The records object belongs to the loaded config entry (``entry.runtime_data.records``); the services
find it through the loaded entry, so nothing outlives an unload.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import voluptuous as vol
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util

from .const import DOMAIN, EVENT_PREFIX
from .device_store import DeviceStore
from .engine.field_values import MAX_NAME
from .permissions import PERSON_DOMAIN, async_actor, require_admin

_LOGGER = logging.getLogger(__name__)

# Dispatcher signal: a record was registered, changed or retired (argument: the device id).
SIGNAL_DEVICES: Final = f"{DOMAIN}_devices_updated"

MANUFACTURER: Final = "BYOD"
DEVICE_PLATFORMS: Final = ("ios", "android", "windows", "macos")
COMPLIANT: Final = "compliant"
NON_COMPLIANT: Final = "non_compliant"
UNKNOWN: Final = "unknown"
COMPLIANCE_STATES: Final = [COMPLIANT, NON_COMPLIANT, UNKNOWN]
REPORT_PROCESS: Final = "device_security_report"
HISTORY_LIMIT: Final = 100  # per record; the oldest lines go first

SERVICE_REGISTER_DEVICE: Final = "register_device"
SERVICE_RETIRE_DEVICE: Final = "retire_device"


def device_identifier(device_id: str) -> tuple[str, str]:
    return (DOMAIN, f"device_{device_id}")


def _dt(value: Any) -> datetime | None:
    return None if value is None else dt_util.parse_datetime(str(value))


@dataclass(slots=True)
class DeviceRecord:
    """One employee-owned device; ``retired`` is set once it left the programme."""

    device_id: str
    name: str
    owner: str
    platform: str
    registered: datetime
    model: str | None = None
    retired: datetime | None = None
    compliant: bool | None = None
    last_report: datetime | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.retired is None

    @property
    def compliance(self) -> str:
        if self.compliant is None:
            return UNKNOWN
        return COMPLIANT if self.compliant else NON_COMPLIANT

    def log(self, at: datetime, what: str, who: str | None = None, **details: Any) -> None:
        line: dict[str, Any] = {"at": at.isoformat(), "what": what}
        if who is not None:
            line["who"] = who
        line.update({k: v for k, v in details.items() if v is not None})
        self.history.append(line)
        del self.history[:-HISTORY_LIMIT]

    def to_dict(self) -> dict[str, Any]:
        return {
            "device_id": self.device_id,
            "name": self.name,
            "owner": self.owner,
            "platform": self.platform,
            "model": self.model,
            "registered": self.registered.isoformat(),
            "retired": self.retired.isoformat() if self.retired else None,
            "compliant": self.compliant,
            "last_report": self.last_report.isoformat() if self.last_report else None,
            "history": list(self.history),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeviceRecord:
        return cls(
            device_id=str(data["device_id"]),
            name=str(data["name"]),
            owner=str(data["owner"]),
            platform=str(data["platform"]),
            registered=_dt(data["registered"]) or dt_util.utcnow(),
            model=data.get("model"),
            retired=_dt(data.get("retired")),
            compliant=data.get("compliant"),
            last_report=_dt(data.get("last_report")),
            history=list(data.get("history", ())),
        )


def _not_found(device_id: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="device_not_found",
        translation_placeholders={"device_id": device_id},
    )


@callback
def entry_device(hass: HomeAssistant, entry_id: str, identifier: tuple[str, str]) -> dr.DeviceEntry | None:
    """The device of config entry ``entry_id`` with ``identifier``.

    The registry's old lookup by a set of identifiers is deprecated (removed in HA 2027.8); its
    replacement ``async_get_device_by_identifier`` arrived in HA 2026.11, newer than the versions we test
    on (they need Python 3.14). Where it exists it is used; older releases search the entry's own
    devices through ``async_entries_for_config_entry``, public on every version we support.
    """
    dev_reg = dr.async_get(hass)
    by_identifier = getattr(dev_reg, "async_get_device_by_identifier", None)
    if by_identifier is not None:
        found: dr.DeviceEntry | None = by_identifier(identifier, entry_id)
        return found
    return next(
        (d for d in dr.async_entries_for_config_entry(dev_reg, entry_id) if identifier in d.identifiers),
        None,
    )


class DeviceRecords:
    """All BYOD records, active and retired, and their mirror in the device registry."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self._store = DeviceStore(hass)
        self.records: dict[str, DeviceRecord] = {}
        self._entry_id: str | None = None  # the config entry whose devices these are (set on start)

    async def async_load(self) -> None:
        data = await self._store.async_load() or {}
        self.records = {}
        for raw in data.get("devices", ()):
            record = DeviceRecord.from_dict(raw)
            self.records[record.device_id] = record

    async def _async_save(self) -> None:
        """Awaited, so a service call returns only when the change is on disk."""
        await self._store.async_save({"devices": [r.to_dict() for r in self.records.values()]})

    def active(self) -> list[DeviceRecord]:
        return [r for r in self.records.values() if r.active]

    def get(self, device_id: str) -> DeviceRecord | None:
        return self.records.get(device_id)

    @callback
    def _changed(self, device_id: str) -> None:
        async_dispatcher_send(self.hass, SIGNAL_DEVICES, device_id)

    @callback
    def _registry_device(self, device_id: str) -> dr.DeviceEntry | None:
        """The registry device of a record, among this entry's devices only."""
        if self._entry_id is None:
            return None
        return entry_device(self.hass, self._entry_id, device_identifier(device_id))

    # -- lifecycle ------------------------------------------------------------------------------------
    @callback
    def async_start(self, config_entry_id: str) -> CALLBACK_TYPE:
        """Drop registry devices of records that are not active; follow report events. Returns the undo."""
        self._entry_id = config_entry_id
        dev_reg = dr.async_get(self.hass)
        for device in dr.async_entries_for_config_entry(dev_reg, config_entry_id):
            for domain, ident in device.identifiers:
                if domain != DOMAIN or not ident.startswith("device_"):
                    continue
                record = self.records.get(ident.removeprefix("device_"))
                if record is None or not record.active:
                    dev_reg.async_remove_device(device.id)
        return self.hass.bus.async_listen(f"{EVENT_PREFIX}task_completed", self._async_task_completed)

    async def _async_task_completed(self, event: Event[Mapping[str, Any]]) -> None:
        data = event.data
        owner = data.get("key")
        if data.get("process") != REPORT_PROCESS or not owner:
            return
        if data.get("assignee") not in (None, owner):
            return  # the supervisor's or contractor's task, not the owner's report
        matched = [r for r in self.active() if r.owner == owner]
        if not matched:
            return
        at = event.time_fired
        for record in matched:
            record.last_report = at
            record.log(at, "reported", owner, source="device_security_report", task_id=data.get("task_id"))
        await self._async_save()
        for record in matched:
            self._changed(record.device_id)

    # -- operations -----------------------------------------------------------------------------------
    async def async_register(
        self,
        device_id: str,
        *,
        name: str,
        owner: str,
        platform: str,
        model: str | None = None,
        by: str | None = None,
    ) -> DeviceRecord:
        """Register a device, or update/re-activate the record with the same id."""
        now = dt_util.utcnow()
        record = self.records.get(device_id)
        if record is None:
            record = DeviceRecord(device_id, name, owner, platform, now, model)
            record.log(now, "registered", by, owner=owner)
            self.records[device_id] = record
        else:
            if not record.active:
                record.retired = None
                record.registered = now
                record.compliant = None
                record.log(now, "registered", by, owner=owner)
            else:
                record.log(now, "updated", by, owner=owner)
            record.name, record.owner, record.platform, record.model = name, owner, platform, model
            if (device := self._registry_device(device_id)) is not None:
                dr.async_get(self.hass).async_update_device(device.id, name=name, model=model)
        await self._async_save()
        self._changed(device_id)
        return record

    async def async_retire(self, device_id: str, *, by: str | None = None) -> DeviceRecord:
        """Mark the record retired and remove its device (and so its entities) from the registries."""
        record = self.records.get(device_id)
        if record is None or not record.active:
            raise _not_found(device_id)
        now = dt_util.utcnow()
        record.retired = now
        record.log(now, "retired", by)
        await self._async_save()
        if (device := self._registry_device(device_id)) is not None:
            dr.async_get(self.hass).async_remove_device(device.id)
        self._changed(device_id)
        return record

    async def async_update_compliance(
        self,
        device_id: str,
        compliant: bool | None,
        reported_at: datetime | None = None,
        *,
        source: str | None = None,
    ) -> DeviceRecord:
        """For MDM connectors and report processes: the device's latest compliance state."""
        record = self.records.get(device_id)
        if record is None or not record.active:
            raise _not_found(device_id)
        at = dt_util.as_utc(reported_at) if reported_at is not None else dt_util.utcnow()
        if record.last_report is not None and at < record.last_report:
            return record  # an older report arriving late does not overwrite a newer one
        changed = record.compliant != compliant
        record.compliant = compliant
        record.last_report = at
        if changed:
            record.log(at, "compliance", None, compliance=record.compliance, source=source)
        await self._async_save()
        self._changed(device_id)
        return record


# -- services -------------------------------------------------------------------------------------------
REGISTER_SCHEMA = vol.Schema(
    {
        vol.Required("device_id"): vol.All(cv.string, vol.Strip, vol.Length(min=1, max=MAX_NAME)),
        vol.Required("name"): vol.All(cv.string, vol.Strip, vol.Length(min=1, max=MAX_NAME)),
        vol.Required("owner"): cv.entity_domain(PERSON_DOMAIN),
        vol.Required("platform"): vol.In(DEVICE_PLATFORMS),
        vol.Optional("model"): vol.All(cv.string, vol.Strip, vol.Length(min=1, max=MAX_NAME)),
    }
)
RETIRE_SCHEMA = vol.Schema(
    {vol.Required("device_id"): vol.All(cv.string, vol.Strip, vol.Length(min=1, max=MAX_NAME))}
)


def _records(hass: HomeAssistant) -> DeviceRecords:
    entries = hass.config_entries.async_loaded_entries(DOMAIN)
    if not entries:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="not_loaded")
    records: DeviceRecords = entries[0].runtime_data.records
    return records


def _response(record: DeviceRecord) -> dict[str, Any]:
    return {
        "device_id": record.device_id,
        "name": record.name,
        "owner": record.owner,
        "platform": record.platform,
        "model": record.model,
        "active": record.active,
        "compliance": record.compliance,
    }


async def _async_register_device(call: ServiceCall) -> ServiceResponse:
    actor = await async_actor(call.hass, call.context)
    require_admin(actor, call.context)
    records = _records(call.hass)
    owner: str = call.data["owner"]
    if call.hass.states.get(owner) is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_person",
            translation_placeholders={"person": owner},
        )
    record = await records.async_register(
        call.data["device_id"],
        name=call.data["name"],
        owner=owner,
        platform=call.data["platform"],
        model=call.data.get("model"),
        by=actor.audit_name,
    )
    return _response(record)


async def _async_retire_device(call: ServiceCall) -> ServiceResponse:
    actor = await async_actor(call.hass, call.context)
    require_admin(actor, call.context)
    record = await _records(call.hass).async_retire(call.data["device_id"], by=actor.audit_name)
    return _response(record)


@callback
def async_register_device_services(hass: HomeAssistant) -> None:
    """Domain services: registered once from ``async_setup``, they find the loaded entry's records."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_REGISTER_DEVICE,
        _async_register_device,
        schema=REGISTER_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_RETIRE_DEVICE,
        _async_retire_device,
        schema=RETIRE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
