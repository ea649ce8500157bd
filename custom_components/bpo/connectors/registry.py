"""Connector instances by name: what a blueprint's ``action: {connector: <name>}`` resolves against. Pure."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import aiohttp

from .base import Connector, ConnectorError, PermanentError
from .fleet import FleetConnector
from .http import HttpConnector
from .intune import IntuneConnector
from .jamf import JamfConnector

type ConnectorFactory = Callable[[str, aiohttp.ClientSession, Mapping[str, Any]], Connector]

# The connector kinds ``bpo_connectors.yaml`` knows, by their top-level key: each maps names to settings.
CONNECTOR_TYPES: dict[str, ConnectorFactory] = {
    "http": HttpConnector.from_config,
    "intune": IntuneConnector.from_config,
    "jamf": JamfConnector.from_config,
    "fleet": FleetConnector.from_config,
}

_LOGGER = logging.getLogger(__name__)


class UnknownConnector(PermanentError):
    """No connector of that name is configured."""


class ConnectorRegistry:
    """Names are unique; ``close_all`` releases every connector even if some fail to close."""

    def __init__(self, connectors: Iterable[Connector] = ()) -> None:
        self._by_name: dict[str, Connector] = {}
        for connector in connectors:
            self.add(connector)

    def add(self, connector: Connector) -> None:
        if connector.name in self._by_name:
            raise ValueError(f"connector {connector.name!r} is defined twice")
        self._by_name[connector.name] = connector

    def get(self, name: str) -> Connector:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(sorted(self._by_name)) or "none"
            raise UnknownConnector(f"connector {name!r} is not configured (configured: {known})") from None

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[Connector]:
        return iter(list(self._by_name.values()))

    def __len__(self) -> int:
        return len(self._by_name)

    async def close_all(self) -> None:
        for connector in self:
            try:
                await connector.close()
            except (ConnectorError, OSError) as err:
                # one connector failing to close must not keep the others (or the unload) from finishing
                _LOGGER.warning("Closing connector %s failed: %s", connector.name, err)
