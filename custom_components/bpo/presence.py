"""Who is where, for ``present_in: zone.<id>`` tasks: Home Assistant's zones tell the engine.

A zone's state attribute ``persons`` lists the person entities Home Assistant places in it (from each
person's trackers). After the engine restores its state, after every reload, and whenever a zone a blueprint
names changes, the engine is told who is in it (``Engine.set_presence``); it then takes such tasks back from
anyone who left (the same task, back to its queue) and refuses them to anyone outside. A zone that does not
exist holds nobody, so its work waits in the queue.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from homeassistant.core import CALLBACK_TYPE, Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event

from .engine.model import Blueprint, Step

if TYPE_CHECKING:
    from .manager import BpoManager

# the zone entity's attribute listing its people (a string: importing the zone integration would make it a
# dependency of bpo, and a zone that is not set up simply holds nobody)
ATTR_PERSONS = "persons"


def zones_of(blueprints: Iterable[Blueprint]) -> set[str]:
    """Every zone a loaded blueprint's task names in ``present_in``."""

    def walk(steps: Iterable[Step]) -> Iterable[str]:
        for step in steps:
            if step.task is not None and step.task.present_in is not None:
                yield step.task.present_in
            yield from walk(step.inner())

    return {zone for bp in blueprints for zone in walk(bp.process.steps)}


class HassPresence:
    """Feeds the zones the blueprints name to the engine; see the module docstring."""

    def __init__(self, hass: HomeAssistant, manager: BpoManager) -> None:
        self.hass = hass
        self.manager = manager
        self._zones: frozenset[str] = frozenset()
        self._unsub: CALLBACK_TYPE | None = None

    def persons(self, zone: str) -> list[str]:
        state = self.hass.states.get(zone)
        found = state.attributes.get(ATTR_PERSONS) if state is not None else None
        return [str(p) for p in found] if isinstance(found, list | tuple) else []

    async def async_refresh(self) -> None:
        """Follow the zones of the current blueprints and report each one now."""
        zones = frozenset(zones_of(self.manager.engine.blueprints()))
        if zones != self._zones:
            self.async_stop()
            self._zones = zones
            if zones:
                self._unsub = async_track_state_change_event(self.hass, sorted(zones), self._on_change)
        for zone in sorted(zones):
            await self._async_report(zone)

    @callback
    def _on_change(self, event: Event[EventStateChangedData]) -> None:
        self.hass.async_create_task(self._async_report(event.data["entity_id"]), "bpo presence")

    async def _async_report(self, zone: str) -> None:
        persons = self.persons(zone)
        await self.manager.async_run(lambda engine: engine.set_presence(zone, persons))

    @callback
    def async_stop(self) -> None:
        if self._unsub is not None:
            self._unsub()
            self._unsub = None
        self._zones = frozenset()
