"""Where BYOD device records live: ``.storage/bpo.devices``, written by bpo's own durable path.

The file keeps Home Assistant's store envelope (``version``, ``minor_version``, ``key``, ``data``), so
installs that wrote it through HA's ``Store`` read it unchanged; writes are atomic with a last-good copy.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.core import HomeAssistant

from .const import DOMAIN
from .durable.errors import Corrupted, VersionTooNew, WriteFailed
from .storage import StoreCorrupted, StoreVersionError, StoreWriteError
from .store_document import envelope, store_file

STORAGE_KEY: Final = f"{DOMAIN}.devices"
STORAGE_VERSION: Final = 1
STORAGE_MINOR_VERSION: Final = 1


class DeviceStore:
    """Load and save the records document; errors become translated HA errors."""

    def __init__(self, hass: HomeAssistant) -> None:
        self._file = store_file(hass, STORAGE_KEY, version=STORAGE_VERSION, list_field="devices")

    @property
    def recovered(self) -> str | None:
        return self._file.recovered

    async def async_load(self) -> dict[str, Any] | None:
        try:
            raw = await self._file.load()
        except Corrupted as err:
            raise StoreCorrupted(err.problems) from None
        except VersionTooNew as err:
            raise StoreVersionError(str(err)) from None
        return None if raw is None else dict(raw["data"])

    async def async_save(self, data: dict[str, Any]) -> None:
        try:
            await self._file.save(envelope(STORAGE_KEY, STORAGE_VERSION, data, STORAGE_MINOR_VERSION))
        except WriteFailed as err:
            raise StoreWriteError(str(err)) from None

    async def async_remove(self) -> None:
        await self._file.remove()
