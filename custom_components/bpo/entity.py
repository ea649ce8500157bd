"""Base entity and device grouping shared by the bpo platforms.

Entities never poll. After each engine commit the manager sends a signal per thing the commit touched (a
to-do list, a process, the calendar), and only the entities that follow that signal re-read the engine and
write their state: a completion writes its owner's list, not every list. ``SIGNAL_UPDATED`` (a reload of
the blueprints) refreshes every entity. Unique ids do not contain the config entry id: bpo allows a
single entry, so an entity keeps its registry customisations when the entry is removed and added again.

Devices:
- one "BPO Workflows" service device (the hub, model "Workflow engine") holds the calendar (the to-do lists
  belong to no device, so their names stay short: see ``todo.py``);
- one service device per process blueprint holds that blueprint's sensors;
- BYOD records are real devices (see ``device_records.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN, SIGNAL_UPDATED, TITLE
from .engine.model import Blueprint
from .manager import BpoManager

if TYPE_CHECKING:  # __init__ imports this module (the hub identifier)
    from . import BpoConfigEntry

HUB_IDENTIFIER = "hub"
PROCESS_PREFIX = "process_"  # a process device's identifier: process_<key>
PROCESS_MODEL = "Process blueprint"


def hub_device_info(version: str | None) -> DeviceInfo:
    """The integration's own service device (the calendar); ``version``: bpo's, from its manifest."""
    return DeviceInfo(
        identifiers={(DOMAIN, HUB_IDENTIFIER)},
        name=TITLE,
        manufacturer=TITLE,
        model="Workflow engine",
        sw_version=version,
        entry_type=DeviceEntryType.SERVICE,
    )


def process_device_info(process_key: str, blueprint: Blueprint | None) -> DeviceInfo:
    """One service device per process blueprint; its sensors hang below it."""
    return DeviceInfo(
        identifiers={(DOMAIN, f"{PROCESS_PREFIX}{process_key}")},
        name=(blueprint.name if blueprint is not None and blueprint.name else process_key),
        manufacturer=TITLE,
        model=PROCESS_MODEL,  # services.yaml's process picker filters on it
        model_id=process_key,
        entry_type=DeviceEntryType.SERVICE,
    )


def process_of_device(hass: HomeAssistant, process: str) -> str:
    """The process key an action was given: a key as written, or a process device picked in the UI.

    ``bpo.start`` offers a device picker filtered to process devices (HA has no selector whose options
    follow the loaded blueprints); a device id resolves to the key its identifier holds, anything else is
    taken as a key (the engine refuses an unknown one, listing the processes it knows).
    """
    device = dr.async_get(hass).async_get(process)
    if device is not None:
        for domain, ident in device.identifiers:
            if domain == DOMAIN and ident.startswith(PROCESS_PREFIX):
                return ident.removeprefix(PROCESS_PREFIX)
    return process


class BpoEntity(Entity):
    """Reads engine state; refreshed by the manager's dispatcher signal."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, manager: BpoManager) -> None:
        self.manager = manager

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self._refresh()
        for signal in (SIGNAL_UPDATED, *self._signals()):
            self.async_on_remove(async_dispatcher_connect(self.hass, signal, self._handle_update))

    def _signals(self) -> tuple[str, ...]:
        """The targeted signals (besides a full reload) after which this entity's state may differ."""
        return ()

    @callback
    def _refresh(self) -> None:
        """Copy what the entity shows from the engine into ``_attr_*``."""

    def _shown(self) -> object:
        """What the state shows; an update that leaves it equal writes nothing (``None``: always write)."""
        return None

    @callback
    def _handle_update(self, *_args: object) -> None:
        before = self._shown()
        self._refresh()
        after = self._shown()
        if after is None or after != before or self.hass.states.get(self.entity_id) is None:
            self.async_write_ha_state()


class EntityAdder:
    """Adds entities for keys that appear later (a reloaded blueprint, a new group, a new person, a device).

    ``keys`` lists what should have entities now; ``build`` makes the entities of one new key. By default
    keys that disappear keep their entities (they turn unavailable), so history stays linked; with
    ``forget_missing`` a key that disappeared (its entities were removed) gets new entities when it returns.
    """

    def __init__(
        self,
        keys: Callable[[], Iterable[str]],
        build: Callable[[str], list[Entity]],
        async_add_entities: AddConfigEntryEntitiesCallback,
        *,
        forget_missing: bool = False,
    ) -> None:
        self._keys = keys
        self._build = build
        self._add = async_add_entities
        self._forget_missing = forget_missing
        self._known: set[str] = set()

    @callback
    def async_update(self, *_args: object) -> None:
        current = set(self._keys())
        new: list[Entity] = []
        for key in sorted(current - self._known):
            new.extend(self._build(key))
        if self._forget_missing:
            self._known = current
        else:
            self._known |= current
        if new:
            self._add(new)

    @callback
    def async_start(
        self, hass: HomeAssistant, entry: BpoConfigEntry, *, signal: str = SIGNAL_UPDATED
    ) -> None:
        """Add the entities for the current keys and follow ``signal``."""
        self.async_update()
        entry.async_on_unload(async_dispatcher_connect(hass, signal, self.async_update))
