"""Binary sensor per process blueprint: on while the blueprint is suspended by its start limit.

A suspension also raises a repair issue (``repairs.py``) whose fix flow resumes the blueprint; this
sensor lets automations and dashboards see it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import BpoConfigEntry, mdm_entities
from .const import SIGNAL_PROCESS
from .entity import BpoEntity, EntityAdder, process_device_info
from .manager import BpoManager

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: BpoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    manager = entry.runtime_data.manager

    def build(process: str) -> list[Entity]:
        return [BpoSuspendedSensor(manager, process)]

    EntityAdder(manager.engine.process_keys, build, async_add_entities).async_start(hass, entry)
    mdm_entities.async_add_binary_sensors(hass, entry, async_add_entities)  # synced MDM devices


class BpoSuspendedSensor(BpoEntity, BinarySensorEntity):
    """Problem: the blueprint started too many instances and no longer starts new ones."""

    _attr_translation_key = "suspended"
    _attr_device_class = BinarySensorDeviceClass.PROBLEM
    _attr_entity_category = EntityCategory.DIAGNOSTIC  # about bpo's own health, not the process's data

    def __init__(self, manager: BpoManager, process: str) -> None:
        super().__init__(manager)
        self.process = process
        self._attr_unique_id = f"process_{process}_suspended"
        self._attr_device_info = process_device_info(process, manager.engine.blueprint(process))
        self._since: datetime | None = None

    def _signals(self) -> tuple[str, ...]:
        return (SIGNAL_PROCESS.format(self.process),)

    def _shown(self) -> object:
        return (self._attr_available, self._since)

    @callback
    def _refresh(self) -> None:
        self._attr_available = self.manager.engine.blueprint(self.process) is not None
        self._since = self.manager.engine.suspended().get(self.process)
        self._attr_is_on = self._since is not None

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        return {"suspended_at": self._since.isoformat()} if self._since is not None else None
