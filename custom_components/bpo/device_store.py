"""Where BYOD device records live: ``.storage/bpo.devices``, written by bpo's own durable path.

The file keeps Home Assistant's store envelope (``version``, ``minor_version``, ``key``, ``data``), so
installs that wrote it through HA's ``Store`` read it unchanged; writes are atomic with a last-good copy.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import STORAGE_DIR

from .const import DOMAIN
from .durable.document import DocumentFile
from .durable.errors import Corrupted, VersionTooNew, WriteFailed
from .storage import StoreCorrupted, StoreVersionError, StoreWriteError

STORAGE_KEY: Final = f"{DOMAIN}.devices"
STORAGE_VERSION: Final = 1
STORAGE_MINOR_VERSION: Final = 1


def _check(raw: Any) -> str | None:
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("version"), int)
        or not isinstance(raw.get("data"), dict)
    ):
        return "not a Home Assistant store file"
    if raw["version"] > STORAGE_VERSION:
        raise VersionTooNew(f"{STORAGE_KEY} has version {raw['version']}; this bpo reads {STORAGE_VERSION}")
    if not isinstance(raw["data"].get("devices", []), list):
        return "unexpected content"
    return None  # minor versions only add optional keys: the record reader fills defaults


class DeviceStore:
    """Load and save the records document; errors become translated HA errors."""

    def __init__(self, hass: HomeAssistant) -> None:
        self._hass = hass
        path = Path(hass.config.path(STORAGE_DIR, STORAGE_KEY))
        self._file = DocumentFile(path, check=_check, run=self._run)

    def _run(self, fn: Callable[[], Any]) -> Any:
        return self._hass.async_add_executor_job(fn)

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
        envelope = {
            "version": STORAGE_VERSION,
            "minor_version": STORAGE_MINOR_VERSION,
            "key": STORAGE_KEY,
            "data": data,
        }
        try:
            await self._file.save(envelope)
        except WriteFailed as err:
            raise StoreWriteError(str(err)) from None

    async def async_remove(self) -> None:
        await self._file.remove()
