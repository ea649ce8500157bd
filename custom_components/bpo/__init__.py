"""BPO Workflows: business-process-outsourcing workflows from YAML blueprints."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant


@dataclass(slots=True)
class BpoRuntimeData:
    """Everything one loaded entry owns; released on unload."""

    blueprint_dir: str


type BpoConfigEntry = ConfigEntry[BpoRuntimeData]


async def async_setup_entry(hass: HomeAssistant, entry: BpoConfigEntry) -> bool:
    """Set up bpo from its single config entry."""
    entry.runtime_data = BpoRuntimeData(blueprint_dir=hass.config.path("blueprints", "bpo"))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: BpoConfigEntry) -> bool:
    """Unload the entry; listeners registered through the entry are removed by HA."""
    return True
