"""Small documents of bpo in ``.storage/<key>``, in Home Assistant's store envelope, on the durable path.

The envelope (``version``, ``minor_version``, ``key``, ``data``) keeps files HA's ``Store`` once wrote
readable unchanged; writes go through ``durable.document.DocumentFile`` in the executor.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import STORAGE_DIR

from .durable.document import DocumentFile
from .durable.errors import VersionTooNew


def store_file(hass: HomeAssistant, key: str, *, version: int, list_field: str) -> DocumentFile:
    """The document ``key``, checked on read: an envelope of at most ``version`` whose data's
    ``list_field`` is a list (minor versions only add optional keys)."""

    def check(raw: Any) -> str | None:
        if (
            not isinstance(raw, dict)
            or not isinstance(raw.get("version"), int)
            or not isinstance(raw.get("data"), dict)
        ):
            return "not a Home Assistant store file"
        if raw["version"] > version:
            raise VersionTooNew(f"{key} has version {raw['version']}; this bpo reads {version}")
        if not isinstance(raw["data"].get(list_field, []), list):
            return "unexpected content"
        return None

    def run(fn: Callable[[], Any]) -> Any:
        return hass.async_add_executor_job(fn)

    return DocumentFile(Path(hass.config.path(STORAGE_DIR, key)), check=check, run=run)


def envelope(key: str, version: int, data: dict[str, Any], minor_version: int = 1) -> dict[str, Any]:
    return {"version": version, "minor_version": minor_version, "key": key, "data": data}
