"""The engine living inside Home Assistant: clock, timer, bus events, actions, reloads.

One ``BpoManager`` per config entry (there is only one). Every engine operation goes through
``async_run`` so operations never interleave and the single HA timer is re-armed afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.json import json_bytes
from homeassistant.util import dt as dt_util
from homeassistant.util.json import json_loads

from . import blueprint_files, host_calendars
from .connector_config import CONFIG_FILE as CONNECTOR_FILE
from .connector_config import ConnectorHub
from .connectors.base import ConnectorError
from .const import (
    EVENT_PREFIX,
    SIGNAL_CALENDAR,
    SIGNAL_CHANGED,
    SIGNAL_LIST,
    SIGNAL_PROCESS,
    SIGNAL_UPDATED,
)
from .engine.directory import StaticDirectory
from .engine.errors import BlueprintError
from .engine.ports import EngineEvent
from .engine.runtime import Engine
from .engine.runtime_errors import ActionFailed
from .host_calendars import HassClosedDays
from .presence import HassPresence
from .storage import BpoStore
from .task_lists import DEFAULT_RETENTION, TaskLists

_LOGGER = logging.getLogger(__name__)

# Operations per group commit (one fsync, ~4 ms here, for all of them). The loop runs between every
# YIELD_EVERY of them, so the bound is on callers' waiting, not on a stall: at 64, answering 1k tasks
# waited for 16 fsyncs and took 0.33-0.50 s under load; at 256, 0.25-0.33 s.
GROUP_MAX = 256
ANNOUNCE_SLICE = 32  # events of a group announced per turn of the loop
YIELD_EVERY = 8  # answers of a group worked per turn of the loop (each ~0.2 ms)


def jsonable(data: Mapping[str, Any]) -> dict[str, Any]:
    """Event data as bpo's store would read it back.

    HA events may carry datetimes (``imap_content``'s ``date``), tuples (its ``headers``) and other objects
    that an instance's state cannot be saved with; HA's own JSON encoding turns them into ISO texts and
    lists. A value it cannot encode is left out rather than failing the event.
    """
    out: dict[str, Any] = {}
    for key, value in data.items():
        try:
            out[str(key)] = json_loads(json_bytes(value))
        except (TypeError, ValueError):  # orjson's JSONEncodeError is a TypeError
            continue
    return out


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
            result = await connector.call(op or "", data)
        except ConnectorError as err:
            # connector errors are redacted by contract; the cause chain is dropped so no library
            # exception text (which may quote URLs with keys) reaches the instance's error field
            raise ActionFailed(f"connector call {name}.{op} failed: {err}") from None
        except aiohttp.ClientError as err:  # a third-party connector that let a raw aiohttp error out
            raise ActionFailed(f"connector call {name}.{op} failed: {type(err).__name__}") from None
        try:
            # kept as the store writes and reads it back: a remote answer may hold what Python's JSON
            # parser takes but no store writes (a lone surrogate escape), which would leave the instance
            # unsaveable in memory and gone after a restart
            return json_loads(json_bytes(result))
        except (TypeError, ValueError):
            raise ActionFailed(f"connector call {name}.{op} answered data that cannot be stored") from None

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
        # closed days of Workday sensors named by blueprint calendars (host_calendars.py)
        self.closed_days = HassClosedDays(hass)
        self.engine.closed_days = self.closed_days
        self.presence = HassPresence(hass, self)  # zones of present_in tasks (presence.py)
        self._restored = False
        self.blueprint_errors: list[BlueprintError] = []
        self.listeners: list[Callable[[EngineEvent], None]] = []
        self.file_listeners: list[Callable[[], None]] = []  # told after every (re)load of the files
        self._lock = asyncio.Lock()
        self._unsub_timer: CALLBACK_TYPE | None = None
        self._armed_at: datetime | None = None  # the deadline HA's timer is armed for
        self._unsub_events: dict[str, CALLBACK_TYPE] = {}  # HA event type -> listener feeding the engine
        self._stopped = False
        self.lists = TaskLists(self.engine, DEFAULT_RETENTION)
        self._unsub_expiry: CALLBACK_TYPE | None = None
        self._expiry_at: datetime | None = None
        # What the events of the current commit touched; applied once by flush().
        self._changed_tasks: set[str] = set()
        self._changed_processes: set[str] = set()
        self._schedule_changed = False
        # Group commit (async_run_grouped): operations waiting together, and the events of a group held
        # until its write is durable (persist before announce).
        self._group: list[tuple[Callable[[Engine], Awaitable[Any]], asyncio.Future[Any]]] = []
        self._holding = False
        self._held_events: list[EngineEvent] = []

    # -- EventSink ---------------------------------------------------------------------------------
    @callback
    def emit(self, event: EngineEvent) -> None:
        """Engine events become ``bpo_<type>`` bus events (PII already masked by the engine)."""
        if self._holding or self._held_events:
            self._held_events.append(event)  # its write is not durable yet (or an earlier one failed)
            if self._holding:
                return
            self._announce_held()
            return
        self._announce(event)

    @callback
    def _announce_held(self) -> None:
        held, self._held_events = self._held_events, []
        for event in held:
            self._announce(event)

    @callback
    def _announce(self, event: EngineEvent) -> None:
        self.hass.bus.async_fire(f"{EVENT_PREFIX}{event.type}", event.data)
        for listener in self.listeners:
            listener(event)
        data = event.data
        if task_id := data.get("task_id"):
            self._changed_tasks.add(task_id)
        if process := data.get("process"):
            self._changed_processes.add(process)
        if event.type in ("blueprint_suspended", "blueprint_resumed"):
            self._schedule_changed = True

    @callback
    def flush(self) -> None:
        """After each commit: tell exactly the lists, processes and calendar its events touched."""
        if self._holding:
            return  # the group's write is not durable yet: async_run_grouped flushes after it
        tasks, self._changed_tasks = self._changed_tasks, set()
        processes, self._changed_processes = self._changed_processes, set()
        schedule, self._schedule_changed = self._schedule_changed, False
        now = dt_util.utcnow()
        for key in self.lists.update(tasks, now) | self.lists.expire(now):
            async_dispatcher_send(self.hass, SIGNAL_LIST.format(key))
        for process in processes:
            async_dispatcher_send(self.hass, SIGNAL_PROCESS.format(process))
        if tasks or schedule:
            async_dispatcher_send(self.hass, SIGNAL_CALENDAR, frozenset(tasks), schedule)
        if tasks or processes:
            # web UI subscriptions (websocket_api.py): the sets as they are (nothing copied; this commit's
            # sets are not touched again), so without a subscriber this costs a dictionary lookup
            async_dispatcher_send(self.hass, SIGNAL_CHANGED, tasks, processes)
        self._arm_expiry()

    @callback
    def set_retention(self, retention: timedelta) -> None:
        """How long completed tasks stay (ticked) on their to-do lists."""
        self.lists.retention = retention
        self._rebuild_views()

    @callback
    def _rebuild_views(self) -> None:
        self.lists.rebuild(dt_util.utcnow())
        self._arm_expiry()
        async_dispatcher_send(self.hass, SIGNAL_UPDATED)
        async_dispatcher_send(self.hass, SIGNAL_CHANGED, set(), set(self.engine.process_keys()))

    @callback
    def _arm_expiry(self) -> None:
        when = None if self._stopped else self.lists.next_expiry()
        if when == self._expiry_at and (when is None or self._unsub_expiry is not None):
            return  # already armed for it: a commit costs no timer churn
        if self._unsub_expiry is not None:
            self._unsub_expiry()
            self._unsub_expiry = None
        self._expiry_at = when
        if when is not None:
            self._unsub_expiry = async_track_point_in_utc_time(self.hass, self._on_expiry, when)

    @callback
    def _on_expiry(self, _now: datetime) -> None:
        self._unsub_expiry, self._expiry_at = None, None
        self.flush()

    # -- lifecycle ----------------------------------------------------------------------------------
    async def async_start(self) -> None:
        await self.async_load_files()
        async with self._lock:
            await self.engine.restore()
            # deadlines missed while HA was down fire now, once
            await self.engine.tick()
            self._rebuild_views()
        self._restored = True
        await self.presence.async_refresh()  # after the restore: takes back work from who left meanwhile
        self._arm()

    @callback
    def async_stop(self) -> None:
        self._stopped = True
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        if self._unsub_expiry is not None:
            self._unsub_expiry()
            self._unsub_expiry = None
        self._listen_to(set())
        self.presence.async_stop()

    @callback
    def _listen_to(self, event_types: set[str]) -> None:
        """Listen to exactly the HA events that blueprints start on or wait for."""
        for event_type in set(self._unsub_events) - event_types:
            self._unsub_events.pop(event_type)()
        for event_type in event_types - set(self._unsub_events):
            self._unsub_events[event_type] = self.hass.bus.async_listen(event_type, self._async_on_event)

    async def _async_on_event(self, event: Event) -> None:
        data = jsonable(event.data)
        await self.async_run(lambda engine: engine.handle_event(str(event.event_type), data))

    async def async_load_files(self) -> None:
        """(Re)read blueprints and the directory; invalid files are reported, valid ones keep working."""
        config_dir = Path(self.hass.config.config_dir)
        await blueprint_files.async_install_shipped(self.hass)
        # a file now defining a process keeps it when another file comes with the same key
        current = {bp.process.key: bp.path for bp in self.engine.blueprints()}
        loaded = await self.hass.async_add_executor_job(blueprint_files.load_all, config_dir, current)
        self.blueprint_errors = loaded.errors
        if loaded.directory is not None:
            self.directory = loaded.directory
            self.engine.directory = loaded.directory
        if isinstance(self.engine.actions, HassActions):  # connectors follow bpo_connectors.yaml on reload
            await self.engine.actions.connectors.async_reload(self)
        # before the blueprints: deadlines computed from here on see the sensors' closed days
        await self.closed_days.async_refresh(host_calendars.sources_of(loaded.blueprints.values()))
        async with self._lock:
            self.engine.set_blueprints(loaded.blueprints.values())
        if not self._stopped:
            self._listen_to(self.engine.event_types())
        for error in loaded.errors:
            _LOGGER.warning("Invalid bpo file:\n%s", error)
        for listener in self.file_listeners:
            listener()
        if self._restored and not self._stopped:
            await self.presence.async_refresh()  # the reloaded blueprints may name other zones
        self._arm()
        self._rebuild_views()

    # -- operations ---------------------------------------------------------------------------------
    async def async_run[T](self, operation: Callable[[Engine], Awaitable[T]]) -> T:
        """Run one engine operation alone, then re-arm the timer for the next deadline."""
        async with self._lock:
            result = await operation(self.engine)
        self._arm()
        return result

    async def async_run_grouped[T](self, operation: Callable[[Engine], Awaitable[T]]) -> T:
        """Like ``async_run``, but operations that arrive while another runs share one durable write.

        Group commit: the first caller to get the lock runs every operation waiting by then, each alone
        and in arrival order, with the store holding their records; one journal write (one fsync) makes
        them durable together, and only then are their events announced and their callers answered. A
        refused operation fails alone; a failed write fails every operation of the group.
        """
        waiter: asyncio.Future[T] = self.hass.loop.create_future()
        self._group.append((operation, waiter))
        async with self._lock:
            while not waiter.done():
                # a bounded group, so the operations that run back to back never stall the loop
                group, self._group = self._group[:GROUP_MAX], self._group[GROUP_MAX:]
                await self._run_group(group)
        self._arm()
        return waiter.result()

    async def _run_group(
        self, group: list[tuple[Callable[[Engine], Awaitable[Any]], asyncio.Future[Any]]]
    ) -> None:
        done: list[tuple[asyncio.Future[Any], Any]] = []
        self.store.hold()
        self._holding = True
        try:
            for index, (operation, waiter) in enumerate(group, 1):
                try:
                    done.append((waiter, await operation(self.engine)))
                except Exception as err:  # noqa: BLE001  (the caller's own error, answered to it alone)
                    waiter.set_exception(err)
                if index % YIELD_EVERY == 0:
                    # the loop runs other work between a few answers; the one write below covers them all
                    await asyncio.sleep(0)
            await self.store.release()
        except BaseException as err:
            # the write failed (or we were cancelled): nothing of the group is acknowledged; the store
            # retries the records with the next write and the events wait for it
            self._holding = False
            failure = err if isinstance(err, Exception) else HomeAssistantError("interrupted")
            for waiter, _ in done:
                waiter.set_exception(failure)
            for _, waiter in group:
                if not waiter.done():
                    waiter.set_exception(failure)
            if not isinstance(err, Exception):
                raise
            return
        self._holding = False
        # durable now: announce in slices with the loop running between them (each slice's events, list
        # and sensor updates together), so a full group is never one long callback
        held, self._held_events = self._held_events, []
        for first in range(0, len(held), ANNOUNCE_SLICE):
            if first:
                await asyncio.sleep(0)
            for event in held[first : first + ANNOUNCE_SLICE]:
                self._announce(event)
            self.flush()
        self.flush()  # a group whose answers all failed announces nothing, but may have changed views
        for waiter, result in done:
            waiter.set_result(result)

    @callback
    def _arm(self) -> None:
        deadline = None if self._stopped else self.engine.next_deadline()
        if deadline is not None and deadline == self._armed_at and self._unsub_timer is not None:
            return  # already armed for it: an answer that moved no deadline costs no timer churn
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        self._armed_at = deadline
        if deadline is not None:
            self._unsub_timer = async_track_point_in_utc_time(self.hass, self._async_on_timer, deadline)

    async def _async_on_timer(self, _now: datetime) -> None:
        self._unsub_timer = None
        self._armed_at = None
        await self.async_run(lambda engine: engine.tick())
