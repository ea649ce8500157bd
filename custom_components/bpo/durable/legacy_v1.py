"""Reading the version-1 state files (bpo 0.1 on HA's Store): ``bpo.meta`` and ``bpo.shard_NN``.

Each is a Home Assistant store envelope ``{"version": 1, "minor_version": 1, "key": ..., "data": ...}``
with a ``.last_good`` copy beside it. Read once, imported into the journal, then moved into a backup
folder (see storage.py); nothing here writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .codec import DecodeError, loads
from .errors import VersionTooNew

LAST_GOOD_SUFFIX = ".last_good"


@dataclass(slots=True)
class LegacyState:
    """What the version-1 files held."""

    meta: dict[str, Any] | None = None
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)  # every file of the old format, for the backup
    problems: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _envelope(path: Path, *, shard: bool) -> tuple[dict[str, Any] | None, str | None]:
    try:
        raw: Any = loads(path.read_bytes())
    except FileNotFoundError:
        return None, None
    except OSError as err:
        return None, f"unreadable ({err.strerror})"
    except DecodeError as err:
        return None, f"invalid JSON ({err})"
    data = raw.get("data") if isinstance(raw, dict) else None
    if not isinstance(data, dict) or not isinstance(raw.get("version"), int):
        return None, "not a Home Assistant store file"
    if raw["version"] > 1:
        raise VersionTooNew(f"{path.name} has storage version {raw['version']}; this bpo reads 1 here")
    inner = data.get("instances") if shard else data.get("meta")
    if not isinstance(inner, dict if shard else dict | None):
        return None, "unexpected content"
    return data, None


def legacy_files(storage_dir: Path, prefix: str) -> list[Path]:
    pattern = re.compile(rf"^{re.escape(prefix)}\.(meta|shard_\d+)(\.last_good(\.tmp)?|\.corrupt\..+)?$")
    try:
        return sorted(p for p in storage_dir.iterdir() if pattern.match(p.name) and p.is_file())
    except FileNotFoundError:
        return []


def read_legacy(storage_dir: Path, prefix: str) -> LegacyState:
    """Every record of the old format: main files, or their last-good copies where a main one is bad."""
    out = LegacyState(files=legacy_files(storage_dir, prefix))
    mains = [p for p in out.files if re.fullmatch(rf"{re.escape(prefix)}\.(meta|shard_\d+)", p.name)]
    shard_datas: list[dict[str, Any]] = []
    for path in mains:
        shard = path.name != f"{prefix}.meta"
        data, why = _envelope(path, shard=shard)
        if data is None:
            backup = path.with_name(path.name + LAST_GOOD_SUFFIX)
            data, backup_why = _envelope(backup, shard=shard)
            if data is None:
                out.problems[path.name] = f"{why or 'missing'}; last-good copy {backup_why or 'missing'}"
                continue
            out.notes.append(f"{path.name}: {why}; restored from {backup.name}")
        if shard:
            shard_datas.append(data["instances"])
        else:
            out.meta = data.get("meta")
    for instances in shard_datas:
        for instance_id, record in instances.items():
            key = str(instance_id)
            if not isinstance(record, dict):
                out.notes.append(f"instance {key}: not a record; left in the version-1 files only")
                continue
            # the shard's key is the id: a record that lost its own must not stop the whole import
            out.records[key] = record if "id" in record else {**record, "id": key}
    return out
