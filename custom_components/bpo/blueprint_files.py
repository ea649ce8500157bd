"""Blueprint files on disk: ship them into the config folder, then load what is there.

HACS installs only ``custom_components/bpo``, so the shipped blueprints travel inside the package
(``blueprints/`` at the repository root links to them) and are copied into ``<config>/blueprints``.
A record of what was copied (file -> content hash) lets an upgrade refresh an untouched copy while
an admin's edited or deleted copy is left exactly as the admin left it.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import BLUEPRINT_FOLDER, DIRECTORY_FILE, DOMAIN
from .engine.directory import StaticDirectory, parse_directory
from .engine.errors import BlueprintError, Problem
from .engine.model import Blueprint
from .engine.schema import load_directory

SHIPPED = Path(__file__).parent / "blueprints"
RECORD_VERSION = 1


@dataclass(slots=True)
class Loaded:
    blueprints: dict[str, Blueprint] = field(default_factory=dict)
    errors: list[BlueprintError] = field(default_factory=list)
    directory: StaticDirectory | None = None


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def install_shipped(config_dir: Path, record: dict[str, str]) -> dict[str, str]:
    """Copy shipped blueprints that are new or untouched since we copied them; returns the new record."""
    target_root = config_dir / "blueprints"
    new_record = dict(record)
    for src in sorted(SHIPPED.rglob("*.yaml")):
        rel = src.relative_to(SHIPPED).as_posix()
        dst = target_root / rel
        shipped = _digest(src)
        if not dst.exists():
            if rel in record:
                continue  # we copied it once and the admin deleted it: respect that
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            new_record[rel] = shipped
            continue
        current = _digest(dst)
        if current == shipped:
            new_record[rel] = shipped
        elif record.get(rel) == current:
            shutil.copyfile(src, dst)  # our older copy, never edited: upgrade it
            new_record[rel] = shipped
        # else: edited by the admin, never overwritten
    return new_record


async def async_install_shipped(hass: HomeAssistant) -> None:
    store: Store[dict[str, str]] = Store(hass, RECORD_VERSION, f"{DOMAIN}.shipped_blueprints")
    record = await store.async_load() or {}
    updated = await hass.async_add_executor_job(install_shipped, Path(hass.config.config_dir), record)
    if updated != record:
        await store.async_save(updated)


def load_all(config_dir: Path, prefer: Mapping[str, str] | None = None) -> Loaded:
    """Blueprints from ``<config>/blueprints/bpo`` and the people directory (runs in the executor).
    ``prefer``: process key -> the file defining it now, which keeps it when another file has its key."""
    folder = config_dir / "blueprints" / BLUEPRINT_FOLDER
    loaded = Loaded()
    if folder.is_dir():
        loaded.blueprints, loaded.errors = load_directory(folder, prefer)
    directory_file = config_dir / DIRECTORY_FILE
    if directory_file.exists():
        try:
            loaded.directory = parse_directory(
                directory_file.read_text(encoding="utf-8"), str(directory_file)
            )
        except BlueprintError as err:
            loaded.errors.append(err)
        except (OSError, UnicodeDecodeError) as err:
            loaded.errors.append(
                BlueprintError([Problem(str(directory_file), None, "", f"unreadable: {err}")])
            )
    else:
        loaded.directory = StaticDirectory()
    return loaded
