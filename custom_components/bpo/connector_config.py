"""``<config>/bpo_connectors.yaml``: which connectors exist and whether the inbound webhook is on.

Read with Home Assistant's own YAML loader so ``!secret`` resolves from ``secrets.yaml`` exactly as in
``configuration.yaml`` (bpo's blueprint loader rejects ``!secret`` on purpose: blueprints get shared,
this file does not). Example::

    http:
      my_crm:
        base_url: https://crm.example.com/api
        token: !secret crm_token
        ops:
          create_ticket: POST /tickets
    intune:
      company_intune:
        tenant_id: 00000000-0000-0000-0000-000000000000
        client_id: 11111111-1111-1111-1111-111111111111
        client_secret: !secret intune_client_secret
    inbound:
      secret: !secret bpo_inbound_secret
      local_only: false

``ConnectorHub`` holds the live registry for ``HassActions`` and swaps it on every ``bpo.reload``; an
invalid file keeps the previous connectors working (like invalid blueprints do).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util.yaml import Secrets, load_yaml

from .connectors.base import Connector, ConnectorConfigError, ConnectorError
from .connectors.registry import CONNECTOR_TYPES, ConnectorRegistry
from .const import DOMAIN
from .inbound import AcceptedRequests, InboundSettings, InboundWebhook

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .manager import BpoManager

_LOGGER = logging.getLogger(__name__)

CONFIG_FILE = "bpo_connectors.yaml"
TOP_KEYS = frozenset(CONNECTOR_TYPES) | {"inbound"}
INBOUND_KEYS = frozenset({"secret", "local_only", "max_body", "events", "max_age", "require_timestamp"})
MAX_BODY_LIMIT = 1024 * 1024
MAX_AGE_LIMIT = 3600  # a wider window would make timestamps pointless


class ConnectorFileError(HomeAssistantError):
    """``bpo_connectors.yaml`` cannot be used; the message points at the key, never at a value."""


@dataclass(slots=True)
class ConnectorSetup:
    registry: ConnectorRegistry
    inbound: InboundSettings | None


def _read(config_dir: Path) -> Any:
    """Runs in the executor: file I/O and YAML parsing block."""
    path = config_dir / CONFIG_FILE
    if not path.is_file():
        return None
    return load_yaml(path, Secrets(config_dir))


def parse_inbound(raw: Any) -> InboundSettings:
    if not isinstance(raw, Mapping):
        raise ConnectorFileError(f"{CONFIG_FILE}: inbound must be a mapping with a secret")
    unknown = set(raw) - INBOUND_KEYS
    if unknown:
        raise ConnectorFileError(f"{CONFIG_FILE}: inbound: unknown keys: {', '.join(sorted(unknown))}")
    secret = raw.get("secret")
    if not isinstance(secret, str) or len(secret) < 16:
        # a short shared secret can be brute-forced offline from one captured signature
        raise ConnectorFileError(f"{CONFIG_FILE}: inbound.secret must be a string of at least 16 characters")
    local_only = raw.get("local_only", True)
    max_body = raw.get("max_body", 64 * 1024)
    events = raw.get("events")
    if not isinstance(local_only, bool):
        raise ConnectorFileError(f"{CONFIG_FILE}: inbound.local_only must be true or false")
    if not isinstance(max_body, int) or isinstance(max_body, bool) or not 0 < max_body <= MAX_BODY_LIMIT:
        raise ConnectorFileError(f"{CONFIG_FILE}: inbound.max_body must be 1..{MAX_BODY_LIMIT} bytes")
    if events is not None and (not isinstance(events, list) or not all(isinstance(e, str) for e in events)):
        raise ConnectorFileError(f"{CONFIG_FILE}: inbound.events must be a list of event types")
    max_age = raw.get("max_age", 300)
    if not isinstance(max_age, int) or isinstance(max_age, bool) or not 0 < max_age <= MAX_AGE_LIMIT:
        raise ConnectorFileError(f"{CONFIG_FILE}: inbound.max_age must be 1..{MAX_AGE_LIMIT} seconds")
    require_timestamp = raw.get("require_timestamp", False)
    if not isinstance(require_timestamp, bool):
        raise ConnectorFileError(f"{CONFIG_FILE}: inbound.require_timestamp must be true or false")
    return InboundSettings(
        secret=secret,
        local_only=local_only,
        max_body=max_body,
        events=frozenset(events) if events is not None else None,
        max_age=max_age,
        require_timestamp=require_timestamp,
    )


def parse_setup(hass: HomeAssistant, raw: Any) -> ConnectorSetup:
    """Turn the file's content into connectors (bound to HA's shared session) and inbound settings."""
    if raw is None:
        return ConnectorSetup(ConnectorRegistry(), None)
    if not isinstance(raw, Mapping):
        kinds = ", ".join(f"{kind}:" for kind in sorted(TOP_KEYS))
        raise ConnectorFileError(f"{CONFIG_FILE}: expected a mapping with any of {kinds}")
    unknown = set(raw) - TOP_KEYS
    if unknown:
        raise ConnectorFileError(f"{CONFIG_FILE}: unknown keys: {', '.join(sorted(unknown))}")
    registry = ConnectorRegistry()
    session = async_get_clientsession(hass)  # HA's shared session: never closed by us
    for kind, factory in CONNECTOR_TYPES.items():
        section = raw.get(kind) or {}
        if not isinstance(section, Mapping):
            raise ConnectorFileError(f"{CONFIG_FILE}: {kind} must map connector names to their settings")
        for name, config in section.items():
            try:
                registry.add(factory(str(name), session, config))
            except (ConnectorConfigError, ValueError) as err:  # names are unique across all kinds
                raise ConnectorFileError(f"{CONFIG_FILE}: {kind}.{name}: {err}") from None
    inbound = parse_inbound(raw["inbound"]) if raw.get("inbound") is not None else None
    return ConnectorSetup(registry, inbound)


async def async_read_setup(hass: HomeAssistant) -> ConnectorSetup:
    """Read and check the file; raises ``ConnectorFileError``. No file means no connectors."""
    try:
        raw = await hass.async_add_executor_job(_read, Path(hass.config.config_dir))
    except HomeAssistantError as err:  # YAML syntax, unknown !secret name, unreadable file
        raise ConnectorFileError(f"{CONFIG_FILE}: {err}") from None
    return parse_setup(hass, raw)


async def async_load_connectors(hass: HomeAssistant) -> ConnectorRegistry:
    """The configured connectors by name (empty when the file does not exist)."""
    return (await async_read_setup(hass)).registry


class ConnectorHub:
    """The live connectors and inbound webhook of one bpo entry; released when the entry unloads."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self.registry = ConnectorRegistry()
        self.inbound: InboundWebhook | None = None
        self._accepted = AcceptedRequests()  # outlives reloads of the file, so replays stay refused
        self._hooked_entry: str | None = None
        self._announced = False  # the URL is logged once per HA run, not on every reload
        self._extra: dict[str, Connector] = {}  # registered by other integrations' code; kept across reloads

    def add(self, connector: Connector) -> Callable[[], None]:
        """Add a code-defined connector now and on every reload; call the returned function to remove it."""
        if connector.name in self._extra or connector.name in self.registry:
            raise ValueError(f"connector {connector.name!r} is already defined")
        self._extra[connector.name] = connector
        self.registry.add(connector)

        @callback
        def remove() -> None:
            if self._extra.get(connector.name) is connector:
                del self._extra[connector.name]
                self.registry = ConnectorRegistry(c for c in self.registry if c is not connector)

        return remove

    def _entry(self, manager: BpoManager) -> ConfigEntry | None:
        for entry in self.hass.config_entries.async_entries(DOMAIN):
            runtime = getattr(entry, "runtime_data", None)
            if runtime is not None and getattr(runtime, "manager", None) is manager:
                return entry
        return None

    async def async_reload(self, manager: BpoManager) -> None:
        """(Re)read the file; on error keep what runs and tell the admin in the log."""
        try:
            setup = await async_read_setup(self.hass)
        except ConnectorFileError as err:
            _LOGGER.warning("Invalid connector file, keeping the previous connectors: %s", err)
            return
        for connector in self._extra.values():
            if connector.name in setup.registry:
                _LOGGER.warning(
                    "Connector %s is defined in %s and in code; using the file's", connector.name, CONFIG_FILE
                )
            else:
                setup.registry.add(connector)
        old, self.registry = self.registry, setup.registry
        for connector in old:
            if (
                self._extra.get(connector.name) is not connector
            ):  # code connectors belong to their integration
                await _close(connector)
        entry = self._entry(manager)
        if entry is None:  # only the CLI/tests drive a manager without an entry; no webhook then
            return
        if self._hooked_entry != entry.entry_id:
            self._hooked_entry = entry.entry_id
            entry.async_on_unload(self.async_close)
        if self.inbound is not None:
            self.inbound.unregister()
            self.inbound = None
        if setup.inbound is not None:
            self.inbound = await InboundWebhook.async_create(
                self.hass, entry, manager, setup.inbound, self._accepted
            )
            if not self._announced:
                self._announced = True
                self.inbound.announce()

    async def async_close(self) -> None:
        if self.inbound is not None:
            self.inbound.unregister()
            self.inbound = None
        registry, self.registry = self.registry, ConnectorRegistry()
        for connector in registry:
            if self._extra.get(connector.name) is not connector:
                await _close(connector)
        self._extra.clear()


async def _close(connector: Connector) -> None:
    try:
        await connector.close()
    except (ConnectorError, OSError) as err:
        # one connector failing to close must not keep the others (or the unload) from finishing
        _LOGGER.warning("Closing connector %s failed: %s", connector.name, err)


@callback
def async_register_connector(hass: HomeAssistant, connector: Connector) -> Callable[[], None]:
    """Let another integration offer ``connector`` to bpo blueprints; returns the function that removes it.

    Call it after bpo has loaded (list ``bpo`` in your manifest's ``dependencies``) and pass the returned
    function to ``entry.async_on_unload``. The owner closes its connector; bpo never does.
    """
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        actions = entry.runtime_data.manager.engine.actions
        hub = getattr(actions, "connectors", None)
        if isinstance(hub, ConnectorHub):
            return hub.add(connector)
    raise HomeAssistantError(translation_domain=DOMAIN, translation_key="not_loaded")
