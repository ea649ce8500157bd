"""The inbound webhook's replay memory: signatures of accepted requests, kept on disk until they expire.

``.storage/bpo.inbound_seen`` (Home Assistant's store envelope) is rewritten whole, atomically, before a
request is answered ``202``, so a replay inside its window is refused after a restart too. Expired
entries are dropped on load and on every write; at most ``MAX_REMEMBERED`` are kept.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Final

from .const import DOMAIN
from .durable.document import DocumentFile
from .durable.errors import Corrupted, VersionTooNew
from .store_document import envelope, store_file

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

_LOGGER = logging.getLogger(__name__)

STORAGE_KEY: Final = f"{DOMAIN}.inbound_seen"
STORAGE_VERSION: Final = 1
MAX_REMEMBERED = 10_000  # oldest forgotten first: bounds memory and the file under a flood of valid requests


def _file(hass: HomeAssistant) -> DocumentFile:
    return store_file(hass, STORAGE_KEY, version=STORAGE_VERSION, list_field="seen")


async def async_remove_seen(hass: HomeAssistant) -> None:
    """Delete the file (with its last-good copy) when the entry is removed."""
    await _file(hass).remove()


def _entry(item: Any) -> tuple[str, float, list[str]] | None:
    """One ``[signature, expires, [instance ids]]`` row, or None when it is not one (skipped)."""
    if not isinstance(item, list) or len(item) != 3:
        return None
    signature, expires, instances = item
    if (
        not isinstance(signature, str)
        or not isinstance(expires, int | float)
        or not isinstance(instances, list)
        or not all(isinstance(i, str) for i in instances)
    ):
        return None
    return signature, float(expires), instances


class AcceptedRequests:
    """Signatures of accepted requests with the instances they gave, until each expires.

    One object lives as long as the entry's connector hub (across reloads of the connector file);
    ``async_load`` attaches it to its file once. Without it (the CLI, tests) it is memory only.
    """

    def __init__(self) -> None:
        self._items: dict[str, tuple[float, list[str]]] = {}  # insertion order = expiry order per kind
        self._file: DocumentFile | None = None
        self._dirty = False  # memory holds entries the file does not have yet
        # one request at a time from "seen?" to "remembered": two copies of a request sent at once
        # would otherwise both pass the check and both be applied
        self.lock = asyncio.Lock()

    async def async_load(self, hass: HomeAssistant) -> None:
        if self._file is not None:
            return
        file = _file(hass)
        try:
            raw = await file.load()
        except (Corrupted, VersionTooNew) as err:
            # timestamps still bound replays to max_age; the next accepted request rewrites the file
            _LOGGER.warning("bpo inbound replay memory could not be read, starting empty: %s", err)
            raw = None
        if file.recovered:
            _LOGGER.warning("bpo inbound replay memory: %s", file.recovered)
        self._file = file
        rows = raw["data"].get("seen", []) if raw is not None else []
        entries = [e for e in map(_entry, rows) if e is not None]
        for signature, expires, instances in sorted(entries, key=lambda e: e[1])[-MAX_REMEMBERED:]:
            self._items[signature] = (expires, instances)

    def get(self, signature: str, now: float) -> list[str] | None:
        found = self._items.get(signature)
        if found is None or found[0] <= now:
            return None
        return found[1]

    async def async_add(self, signature: str, now: float, ttl: float, instances: list[str]) -> None:
        """Remember ``signature``; durable on return (raises ``WriteFailed`` when it could not be)."""
        for key in [k for k, (expires, _) in self._items.items() if expires <= now]:
            del self._items[key]
        while len(self._items) >= MAX_REMEMBERED:
            del self._items[next(iter(self._items))]
        self._items[signature] = (now + ttl, instances)
        self._dirty = True
        await self.async_flush()

    async def async_flush(self) -> None:
        """Write what memory holds beyond the file; raises ``WriteFailed``, staying dirty for a retry."""
        if not self._dirty or self._file is None:
            return
        seen = [[signature, expires, instances] for signature, (expires, instances) in self._items.items()]
        await self._file.save(envelope(STORAGE_KEY, STORAGE_VERSION, {"seen": seen}))
        self._dirty = False
