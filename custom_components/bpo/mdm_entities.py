"""Entities of the synced MDM devices (``mdm_sync.py``): compliant, encrypted, OS version, last check-in.

They hang below the registry device the sync created (identifiers only, so the sync stays the one
writer of name, model and version). A stale device's entities are unavailable; a removed device takes
its entities with it, and one that comes back gets new ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorEntity, BinarySensorEntityDescription
from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import BpoConfigEntry
from .entity import EntityAdder
from .mdm_sync import SIGNAL_MDM, MdmSync, SyncedDevice, mdm_identifier


@dataclass(frozen=True, kw_only=True)
class MdmBinaryDescription(BinarySensorEntityDescription):
    value_fn: Callable[[SyncedDevice], bool | None]


@dataclass(frozen=True, kw_only=True)
class MdmSensorDescription(SensorEntityDescription):
    value_fn: Callable[[SyncedDevice], str | datetime | None]


BINARY_SENSORS: tuple[MdmBinaryDescription, ...] = (
    MdmBinaryDescription(key="compliant", translation_key="mdm_compliant", value_fn=lambda d: d.compliant),
    MdmBinaryDescription(key="encrypted", translation_key="mdm_encrypted", value_fn=lambda d: d.encrypted),
)
SENSORS: tuple[MdmSensorDescription, ...] = (
    MdmSensorDescription(
        key="os_version",
        translation_key="mdm_os_version",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda d: d.os_version,
    ),
    MdmSensorDescription(
        key="last_check_in",
        translation_key="mdm_last_check_in",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda d: d.last_check_in,
    ),
)


class MdmEntity(Entity):
    """One value of one synced device; rewritten after each sync."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, sync: MdmSync, key: str, description_key: str) -> None:
        self.sync = sync
        self.key = key
        self._written: object = None  # what the state showed when last written
        self._attr_unique_id = f"mdm_{key}_{description_key}"
        self._attr_device_info = DeviceInfo(identifiers={mdm_identifier(key)})

    @property
    def record(self) -> SyncedDevice | None:
        return self.sync.devices.get(self.key)

    @property
    def available(self) -> bool:
        record = self.record
        return record is not None and record.stale_since is None

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self._written = self._shown()
        self.async_on_remove(async_dispatcher_connect(self.hass, SIGNAL_MDM, self._changed))

    def _shown(self) -> object:
        """What the state shows; a sync that leaves it equal writes nothing (10k devices, 40k entities)."""
        record = self.record
        return (self.available, record.shown() if record is not None else None)

    @callback
    def _changed(self) -> None:
        if self.record is None:
            return  # removed: the registry removes the entity
        shown = self._shown()
        if shown != self._written:
            self._written = shown
            self.async_write_ha_state()


class MdmBinarySensor(MdmEntity, BinarySensorEntity):
    entity_description: MdmBinaryDescription

    def __init__(self, sync: MdmSync, key: str, description: MdmBinaryDescription) -> None:
        super().__init__(sync, key, description.key)
        self.entity_description = description

    @property
    def is_on(self) -> bool | None:
        record = self.record
        return None if record is None else self.entity_description.value_fn(record)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        record = self.record
        if self.entity_description.key != "compliant" or record is None:
            return None
        return {"owner": record.person, "vendor": record.vendor, "failing": list(record.failing)}


class MdmSensor(MdmEntity, SensorEntity):
    entity_description: MdmSensorDescription

    def __init__(self, sync: MdmSync, key: str, description: MdmSensorDescription) -> None:
        super().__init__(sync, key, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> str | datetime | None:
        record = self.record
        return None if record is None else self.entity_description.value_fn(record)


def _start(
    hass: HomeAssistant,
    entry: BpoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    build: Callable[[MdmSync, str], list[Entity]],
) -> None:
    sync = entry.runtime_data.mdm
    adder = EntityAdder(
        lambda: sync.devices, lambda key: build(sync, key), async_add_entities, forget_missing=True
    )
    adder.async_start(hass, entry, signal=SIGNAL_MDM)


@callback
def async_add_binary_sensors(
    hass: HomeAssistant, entry: BpoConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Called from ``binary_sensor.py``: compliant and encrypted per synced device."""
    _start(
        hass,
        entry,
        async_add_entities,
        lambda sync, key: [MdmBinarySensor(sync, key, d) for d in BINARY_SENSORS],
    )


@callback
def async_add_sensors(
    hass: HomeAssistant, entry: BpoConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Called from ``sensor.py``: OS version and last check-in per synced device."""
    _start(hass, entry, async_add_entities, lambda sync, key: [MdmSensor(sync, key, d) for d in SENSORS])
