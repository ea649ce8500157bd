"""Sensors: per process blueprint (open, overdue, completed this period) and per BYOD device record.

Process sensors live on the blueprint's service device and follow ``Engine.stats``: running instances,
overdue open tasks, and instances completed within the last 30 days (a rolling window, so it is a
``measurement``, not a ``total``). A blueprint that disappears on reload leaves its sensors unavailable.

Device record sensors (compliance, last report) live on the record's device; see ``device_records.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import BpoConfigEntry, mdm_entities
from .const import SIGNAL_PROCESS
from .device_records import (
    COMPLIANCE_STATES,
    MANUFACTURER,
    SIGNAL_DEVICES,
    DeviceRecord,
    DeviceRecords,
    device_identifier,
)
from .entity import BpoEntity, EntityAdder, process_device_info
from .manager import BpoManager

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class BpoProcessSensorDescription(SensorEntityDescription):
    """``stat`` is the key of ``Engine.stats``."""

    stat: str


PROCESS_SENSORS: tuple[BpoProcessSensorDescription, ...] = (
    BpoProcessSensorDescription(
        key="open",
        translation_key="open_instances",
        stat="open",
        state_class=SensorStateClass.MEASUREMENT,
    ),
    BpoProcessSensorDescription(
        key="overdue",
        translation_key="overdue_tasks",
        stat="overdue",
        state_class=SensorStateClass.MEASUREMENT,
    ),
    BpoProcessSensorDescription(
        key="completed",
        translation_key="completed_period",
        stat="completed_period",
        state_class=SensorStateClass.MEASUREMENT,
        # a statistic few dashboards need (the logbook lists each completion): off until enabled
        entity_registry_enabled_default=False,
    ),
)


@dataclass(frozen=True, kw_only=True)
class BpoDeviceSensorDescription(SensorEntityDescription):
    value_fn: Callable[[DeviceRecord], str | datetime | None]


DEVICE_SENSORS: tuple[BpoDeviceSensorDescription, ...] = (
    BpoDeviceSensorDescription(
        key="compliance",
        translation_key="compliance",
        device_class=SensorDeviceClass.ENUM,
        options=COMPLIANCE_STATES,
        value_fn=lambda record: record.compliance,
    ),
    BpoDeviceSensorDescription(
        key="last_report",
        translation_key="last_report",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,  # when the device last checked in, not its state
        value_fn=lambda record: record.last_report,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: BpoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    manager = entry.runtime_data.manager

    def process_sensors(process: str) -> list[Entity]:
        return [BpoProcessSensor(manager, process, description) for description in PROCESS_SENSORS]

    EntityAdder(manager.engine.process_keys, process_sensors, async_add_entities).async_start(hass, entry)

    records = entry.runtime_data.records

    def device_sensors(device_id: str) -> list[Entity]:
        return [BpoDeviceSensor(records, device_id, description) for description in DEVICE_SENSORS]

    devices = EntityAdder(
        lambda: [r.device_id for r in records.active()],
        device_sensors,
        async_add_entities,
        forget_missing=True,
    )
    devices.async_start(hass, entry, signal=SIGNAL_DEVICES)
    mdm_entities.async_add_sensors(hass, entry, async_add_entities)  # synced MDM devices


class BpoProcessSensor(BpoEntity, SensorEntity):
    """One number from ``Engine.stats`` of one process."""

    entity_description: BpoProcessSensorDescription

    def __init__(self, manager: BpoManager, process: str, description: BpoProcessSensorDescription) -> None:
        super().__init__(manager)
        self.entity_description = description
        self.process = process
        self._attr_unique_id = f"process_{process}_{description.key}"
        self._attr_device_info = process_device_info(process, manager.engine.blueprint(process))

    def _signals(self) -> tuple[str, ...]:
        return (SIGNAL_PROCESS.format(self.process),)

    def _shown(self) -> object:
        return (self._attr_available, self._attr_native_value)

    @callback
    def _refresh(self) -> None:
        self._attr_available = self.manager.engine.blueprint(self.process) is not None
        stats = self.manager.engine.stats(self.process)
        self._attr_native_value = stats[self.entity_description.stat]


class BpoDeviceSensor(SensorEntity):
    """Compliance or last report of one BYOD device record."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: BpoDeviceSensorDescription

    def __init__(
        self, records: DeviceRecords, device_id: str, description: BpoDeviceSensorDescription
    ) -> None:
        self.records = records
        self.device_id = device_id
        self.entity_description = description
        self._attr_unique_id = f"device_{device_id}_{description.key}"
        record = records.get(device_id)
        assert record is not None
        self._attr_device_info = DeviceInfo(
            identifiers={device_identifier(device_id)},
            name=record.name,
            manufacturer=MANUFACTURER,
            model=record.model,
            serial_number=device_id,
        )

    @property
    def available(self) -> bool:
        record = self.records.get(self.device_id)
        return record is not None and record.active

    @property
    def native_value(self) -> str | datetime | None:
        if (record := self.records.get(self.device_id)) is None:
            return None
        return self.entity_description.value_fn(record)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        if (
            self.entity_description.key != "compliance"
            or (record := self.records.get(self.device_id)) is None
        ):
            return None
        return {"owner": record.owner, "platform": record.platform}

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(async_dispatcher_connect(self.hass, SIGNAL_DEVICES, self._handle_change))

    @callback
    def _handle_change(self, device_id: str) -> None:
        if device_id == self.device_id and self.available:
            self.async_write_ha_state()
