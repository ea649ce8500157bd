"""The engine living inside Home Assistant: clock, timer, bus events, actions, reloads.

One ``BpoManager`` per config entry (there is only one). Every engine operation goes through
``async_run`` so operations never interleave and the single HA timer is re-armed afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from . import blueprint_files
from .connector_config import CONFIG_FILE as CONNECTOR_FILE
from .connector_config import ConnectorHub
from .connectors.base import ConnectorError
from .const import EVENT_PREFIX, SIGNAL_UPDATED
from .engine.directory import StaticDirectory
from .engine.errors import BlueprintError
from .engine.ports import EngineEvent
from .engine.runtime import Engine
from .engine.runtime_errors import ActionFailed
from .storage import BpoStore

_LOGGER = logging.getLogger(__name__)


class HassClock:
    """HA's clock, so the test harness's frozen time drives the engine too."""

    def now(self) -> datetime:
        return dt_util.utcnow()


class HassActions:
    """Action steps call HA services, or connectors looked up by name (configured in bpo_connectors.yaml)."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self.connectors = ConnectorHub(hass)  # reloaded by BpoManager.async_load_files

    async def _call_connector(self, name: str, op: str | None, data: Mapping[str, Any]) -> Any:
        try:
            connector = self.connectors.registry.get(name)
        except ConnectorError as err:
            raise ActionFailed(f"{err}; define it in {CONNECTOR_FILE}") from None
        try:
            return await connector.call(op or "", data)
        except ConnectorError as err:
            # connector errors are redacted by contract; the cause chain is dropped so no library
            # exception text (which may quote URLs with keys) reaches the instance's error field
            raise ActionFailed(f"connector call {name}.{op} failed: {err}") from None
        except aiohttp.ClientError as err:  # a third-party connector that let a raw aiohttp error out
            raise ActionFailed(f"connector call {name}.{op} failed: {type(err).__name__}") from None

    async def call(
        self, service: str | None, connector: str | None, op: str | None, data: Mapping[str, Any]
    ) -> Any:
        if connector is not None:
            return await self._call_connector(connector, op, data)
        if service is None:
            raise ActionFailed("the action names neither a service nor a connector")
        domain, _, name = service.partition(".")
        if not self.hass.services.has_service(domain, name):
            raise ActionFailed(f"service {service} does not exist")
        try:
            await self.hass.services.async_call(domain, name, dict(data), blocking=True)
        except HomeAssistantError as err:
            raise ActionFailed(f"{service} failed: {err}") from err
        return None


class BpoManager:
    """Owns the engine, its store, the loaded blueprints and the one armed timer."""

    def __init__(self, hass: HomeAssistant, store: BpoStore) -> None:
        self.hass = hass
        self.store = store
        self.directory = StaticDirectory()
        self.engine = Engine(
            clock=HassClock(),
            store=store,
            events=self,
            tz=ZoneInfo(hass.config.time_zone),
            actions=HassActions(hass),
            directory=self.directory,
        )
        self.blueprint_errors: list[BlueprintError] = []
        self.listeners: list[Callable[[EngineEvent], None]] = []
        self.file_listeners: list[Callable[[], None]] = []  # told after every (re)load of the files
        self._lock = asyncio.Lock()
        self._unsub_timer: CALLBACK_TYPE | None = None
        self._unsub_events: dict[str, CALLBACK_TYPE] = {}  # HA event type -> listener feeding the engine
        self._stopped = False

    # -- EventSink ---------------------------------------------------------------------------------
    @callback
    def emit(self, event: EngineEvent) -> None:
        """Engine events become ``bpo_<type>`` bus events (PII already masked by the engine)."""
        self.hass.bus.async_fire(f"{EVENT_PREFIX}{event.type}", event.data)
        for listener in self.listeners:
            listener(event)
        async_dispatcher_send(self.hass, SIGNAL_UPDATED)

    # -- lifecycle ----------------------------------------------------------------------------------
    async def async_start(self) -> None:
        await self.async_load_files()
        async with self._lock:
            await self.engine.restore()
            # deadlines missed while HA was down fire now, once
            await self.engine.tick()
        self._arm()

    @callback
    def async_stop(self) -> None:
        self._stopped = True
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        self._listen_to(set())

    @callback
    def _listen_to(self, event_types: set[str]) -> None:
        """Listen to exactly the HA events that blueprints start on or wait for."""
        for event_type in set(self._unsub_events) - event_types:
            self._unsub_events.pop(event_type)()
        for event_type in event_types - set(self._unsub_events):
            self._unsub_events[event_type] = self.hass.bus.async_listen(event_type, self._async_on_event)

    async def _async_on_event(self, event: Event) -> None:
        await self.async_run(lambda engine: engine.handle_event(str(event.event_type), dict(event.data)))

    async def async_load_files(self) -> None:
        """(Re)read blueprints and the directory; invalid files are reported, valid ones keep working."""
        config_dir = Path(self.hass.config.config_dir)
        await blueprint_files.async_install_shipped(self.hass)
        loaded = await self.hass.async_add_executor_job(blueprint_files.load_all, config_dir)
        self.blueprint_errors = loaded.errors
        if loaded.directory is not None:
            self.directory = loaded.directory
            self.engine.directory = loaded.directory
        if isinstance(self.engine.actions, HassActions):  # connectors follow bpo_connectors.yaml on reload
            await self.engine.actions.connectors.async_reload(self)
        async with self._lock:
            self.engine.set_blueprints(loaded.blueprints.values())
        if not self._stopped:
            self._listen_to(self.engine.event_types())
        for error in loaded.errors:
            _LOGGER.warning("Invalid bpo file:\n%s", error)
        for listener in self.file_listeners:
            listener()
        self._arm()
        async_dispatcher_send(self.hass, SIGNAL_UPDATED)

    # -- operations ---------------------------------------------------------------------------------
    async def async_run[T](self, operation: Callable[[Engine], Awaitable[T]]) -> T:
        """Run one engine operation alone, then re-arm the timer for the next deadline."""
        async with self._lock:
            result = await operation(self.engine)
        self._arm()
        return result

    @callback
    def _arm(self) -> None:
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        if self._stopped:
            return
        deadline = self.engine.next_deadline()
        if deadline is not None:
            self._unsub_timer = async_track_point_in_utc_time(self.hass, self._async_on_timer, deadline)

    async def _async_on_timer(self, _now: datetime) -> None:
        self._unsub_timer = None
        await self.async_run(lambda engine: engine.tick())
