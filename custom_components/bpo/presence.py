"""Who is where, for ``present_in: zone.<id>`` tasks: Home Assistant's people and zones tell the engine.

A person is in a zone when her person entity's state is the zone's name (``home`` for ``zone.home``): the
rule Home Assistant's zones use to count people, read here from the states directly so bpo needs no zone
integration of its own. After the engine restores its state, after every reload, and whenever a person or
a zone a blueprint names changes, the engine is told who is in each such zone (``Engine.set_presence``);
it then takes such tasks back from anyone who left (the same task, back to its queue) and refuses them to
anyone outside. A zone that does not exist holds nobody, so its work waits in the queue.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from homeassistant.const import EVENT_STATE_CHANGED, STATE_HOME
from homeassistant.core import CALLBACK_TYPE, Event, EventStateChangedData, HomeAssistant, callback

from .engine.model import Blueprint, zones_of

if TYPE_CHECKING:
    from .manager import BpoManager

HOME_ZONE = "zone.home"


def blueprint_zones(blueprints: Iterable[Blueprint]) -> set[str]:
    """Every zone a loaded blueprint's task names in ``present_in``."""
    return {zone for bp in blueprints for zone in zones_of(bp.process.steps)}


class HassPresence:
    """Feeds the zones the blueprints name to the engine; see the module docstring."""

    def __init__(self, hass: HomeAssistant, manager: BpoManager) -> None:
        self.hass = hass
        self.manager = manager
        self._zones: frozenset[str] = frozenset()
        self._unsub: CALLBACK_TYPE | None = None

    def persons(self, zone: str) -> list[str]:
        """The person entities whose state places them in ``zone`` now."""
        state = self.hass.states.get(zone)
        if state is None:
            return []
        wanted = STATE_HOME if zone == HOME_ZONE else state.name.casefold()
        return sorted(
            person.entity_id
            for person in self.hass.states.async_all("person")
            if person.state.casefold() == wanted
        )

    async def async_refresh(self) -> None:
        """Follow the zones of the current blueprints and report each one now."""
        zones = frozenset(blueprint_zones(self.manager.engine.blueprints()))
        if zones != self._zones:
            self.async_stop()
            self._zones = zones
            if zones:
                self._unsub = self.hass.bus.async_listen(
                    EVENT_STATE_CHANGED, self._async_on_change, event_filter=self._relevant
                )
        for zone in sorted(zones):
            await self._async_report(zone)

    @callback
    def _relevant(self, data: EventStateChangedData) -> bool:
        """A zone that changed, or a person whose place changed (not her coordinates, which a phone
        reports often)."""
        entity_id = data["entity_id"]
        if entity_id in self._zones:
            return True
        old, new = data["old_state"], data["new_state"]
        moved = (old.state if old is not None else None) != (new.state if new is not None else None)
        return entity_id.startswith("person.") and moved

    async def _async_on_change(self, event: Event[EventStateChangedData]) -> None:
        entity_id = event.data["entity_id"]
        zones = [entity_id] if entity_id in self._zones else sorted(self._zones)
        for zone in zones:
            await self._async_report(zone)

    async def _async_report(self, zone: str) -> None:
        persons = self.persons(zone)
        await self.manager.async_run(lambda engine: engine.set_presence(zone, persons))

    @callback
    def async_stop(self) -> None:
        if self._unsub is not None:
            self._unsub()
            self._unsub = None
        self._zones = frozenset()
