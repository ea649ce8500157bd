"""The engine's ``StateStore`` on HA's ``helpers.storage.Store``: ``bpo.meta`` + N ``bpo.shard_07`` files.

An instance lives in shard ``crc32(id) % N`` (not ``hash()``: Python salts it per process). A save rewrites
only the shards it touches and awaits the write, so acknowledged work is on disk when the call returns.
Every write keeps the previous good file as ``<file>.last_good`` (hard link + rename: the main file is never
missing). HA's Store renames an unparsable file to ``.corrupt.<time>`` and returns None (start empty), so
this module reads the files itself and restores a bad one from ``.last_good``, reporting it in ``recovered``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import zlib
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import STORAGE_DIR, Store
from homeassistant.util import dt as dt_util
from homeassistant.util.file import WriteError, write_utf8_file_atomic
from homeassistant.util.json import JSON_DECODE_EXCEPTIONS, SerializationError, json_loads

from .const import DOMAIN

_LOGGER = logging.getLogger(__name__)

STORAGE_VERSION: Final = 1
STORAGE_MINOR_VERSION: Final = 1
DEFAULT_SHARDS: Final = 32
LAST_GOOD_SUFFIX: Final = ".last_good"
ISSUE_STORE_RECOVERED: Final = "store_recovered"

_Data = dict[str, Any]


class StoreCorrupted(HomeAssistantError):
    """Neither a store file nor its last-good copy could be read; refusing to start empty."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.files = sorted(problems)
        detail = "; ".join(f"{name}: {why}" for name, why in sorted(problems.items()))
        super().__init__(f"bpo storage unreadable and no usable {LAST_GOOD_SUFFIX} copy: {detail}")


class StoreVersionError(HomeAssistantError):
    """A store file has a major version this code cannot read (e.g. written by a newer bpo)."""


class StoreWriteError(HomeAssistantError):
    """A save did not reach the disk; the operation must not be acknowledged."""


def shard_of(instance_id: str, shards: int) -> int:
    """Stable across processes and Python versions."""
    return zlib.crc32(instance_id.encode("utf-8")) % shards


@dataclass(slots=True)
class _FileRead:
    """What one file held: ``envelope`` when readable, ``error`` when not, both None when missing."""

    envelope: _Data | None = None
    error: str | None = None
    size: int = 0


def _read_envelope(path: Path, *, shard: bool) -> _FileRead:
    """Read and validate one store file (executor)."""
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return _FileRead()
    except OSError as err:
        return _FileRead(error=f"unreadable ({err})")
    try:
        raw: Any = json_loads(content)  # shape checked below
    except JSON_DECODE_EXCEPTIONS as err:
        return _FileRead(error=f"invalid JSON ({err})", size=len(content))
    data = raw.get("data") if isinstance(raw, dict) else None
    if not isinstance(data, dict) or not isinstance(raw.get("version"), int):
        return _FileRead(error="not a Home Assistant store file", size=len(content))
    # Only the current major's shape is known here; older majors are reshaped by the migration.
    inner = data.get("instances") if shard else data.get("meta", {})
    if raw["version"] == STORAGE_VERSION and not isinstance(inner, dict if shard else (dict, type(None))):
        return _FileRead(error="unexpected content", size=len(content))
    return _FileRead(envelope=raw, size=len(content))


def _link_or_copy(src: Path, dst: Path) -> None:
    with suppress(FileNotFoundError):
        dst.unlink()
    try:
        dst.hardlink_to(src)
    except OSError:  # file systems without hard links (some network shares)
        shutil.copy2(src, dst)


class _FileStore(Store[_Data]):
    """One bpo file: HA's Store (format, atomic fsync'd writes, migrations) plus a last-good copy."""

    def __init__(self, hass: HomeAssistant, key: str, *, shard: bool) -> None:
        # private: records hold names of people; atomic_writes: fsync, acknowledged work survives power loss.
        super().__init__(
            hass, STORAGE_VERSION, key, True, atomic_writes=True, minor_version=STORAGE_MINOR_VERSION
        )
        self.shard = shard
        # True once the main file is known good (we parsed or wrote it); otherwise it is re-checked before
        # being promoted, so a corrupt file never replaces a good last-good copy.
        self.verified = False
        self.size = 0

    @property
    def file(self) -> Path:
        return Path(self.path)

    @property
    def last_good(self) -> Path:
        return self.file.with_name(self.file.name + LAST_GOOD_SUFFIX)

    async def async_save(self, data: _Data) -> None:
        """Write now, even while HA is stopping (Store would defer that to the final write)."""
        self._data = dict(version=self.version, minor_version=self.minor_version, key=self.key, data=data)
        await self._async_handle_write_data()

    async def _async_write_data(self, path: str, data: dict[str, Any]) -> None:
        # Store logs and swallows SerializationError/WriteError; re-raised as StoreWriteError (not a
        # subclass of either) so a failed save reaches the caller instead of being acknowledged.
        try:
            await self.hass.async_add_executor_job(self._write_keeping_last_good, Path(path), data)
        except (SerializationError, WriteError, OSError) as err:
            raise StoreWriteError(f"Could not write {path}: {err}") from err
        self.verified = True

    def _write_keeping_last_good(self, path: Path, data: dict[str, Any]) -> None:
        if path.exists() and (self.verified or _read_envelope(path, shard=self.shard).error is None):
            tmp = self.last_good.with_name(self.last_good.name + ".tmp")
            _link_or_copy(path, tmp)
            tmp.replace(self.last_good)
        self._write_data(str(path), data)
        self.size = path.stat().st_size

    async def _async_migrate_func(self, old_major: int, old_minor: int, old_data: _Data) -> _Data:
        if old_major != STORAGE_VERSION:
            # No other major exists yet; a newer one must not be read (and rewritten) by older code.
            raise StoreVersionError(
                f"{self.key} has storage version {old_major}.{old_minor}; this bpo reads {STORAGE_VERSION}.x"
            )
        # Minor versions only add fields (HA's convention), so any 1.x data is read as it is.
        return old_data

    async def async_load_envelope(self, envelope: _Data) -> _Data:
        """Store's version check and migration, applied to a file this module has read itself."""
        major, minor = envelope["version"], envelope.get("minor_version", 1)
        if major == self.version and minor == self.minor_version:
            return envelope["data"]  # type: ignore[no-any-return]
        _LOGGER.info(
            "Migrating %s from %s.%s to %s.%s", self.key, major, minor, self.version, self.minor_version
        )
        data = await self._async_migrate_func(major, minor, envelope["data"])
        await self.async_save(data)  # the pre-migration file becomes the last-good copy
        return data

    def restore_from_last_good(self) -> int:
        """Rewrite the main file from its last-good copy, keeping the bad one aside (executor)."""
        content = self.last_good.read_bytes()
        if self.file.exists():
            aside = self.file.with_name(f"{self.file.name}.corrupt.{dt_util.utcnow():%Y%m%dT%H%M%S}")
            try:
                _link_or_copy(self.file, aside)
            except OSError as err:  # an unreadable file cannot be copied; the restore matters more
                _LOGGER.warning("Could not keep a copy of corrupt %s: %s", self.file, err)
        write_utf8_file_atomic(str(self.file), content, private=True, mode="wb")
        return len(content)


class BpoStore:
    """Sharded, last-good-protected ``StateStore`` for the bpo engine."""

    def __init__(
        self, hass: HomeAssistant, *, shards: int = DEFAULT_SHARDS, key_prefix: str = DOMAIN
    ) -> None:
        if shards < 1:
            raise ValueError("shards must be >= 1")
        self.hass = hass
        self.shards = shards
        self.key_prefix = key_prefix
        self.recovered: list[str] = []
        self._width = max(2, len(str(shards - 1)))
        self._meta_store = _FileStore(hass, f"{key_prefix}.meta", shard=False)
        self._stores = [self._shard_store(i) for i in range(shards)]
        self._meta: _Data | None = None
        self._records: list[_Data] = [{} for _ in range(shards)]
        self._loaded = False
        self._load_lock = asyncio.Lock()
        self._file_re = re.compile(
            rf"^{re.escape(key_prefix)}\.(meta|shard_(\d+))({re.escape(LAST_GOOD_SUFFIX)}(\.tmp)?|\.corrupt\..+)?$"
        )

    def _shard_store(self, index: int) -> _FileStore:
        return _FileStore(self.hass, f"{self.key_prefix}.shard_{index:0{self._width}d}", shard=True)

    @property
    def storage_dir(self) -> Path:
        return Path(self.hass.config.path(STORAGE_DIR))

    # -- StateStore ---------------------------------------------------------------------------------
    async def load(self) -> tuple[Mapping[str, Any] | None, Iterable[Mapping[str, Any]]]:
        await self._ensure_loaded()
        return self._meta, [rec for shard in self._records for rec in shard.values()]

    async def save_instance(self, instance_id: str, data: Mapping[str, Any]) -> None:
        await self.save_many({instance_id: data})

    async def delete_instance(self, instance_id: str) -> None:
        await self.save_many({instance_id: None})

    async def save_meta(self, data: Mapping[str, Any]) -> None:
        await self._ensure_loaded()
        previous, self._meta = self._meta, dict(data)
        try:
            await self._meta_store.async_save({"meta": self._meta})
        except StoreWriteError:
            self._meta = previous  # memory must not run ahead of the disk
            raise

    async def save_many(self, records: Mapping[str, Mapping[str, Any] | None]) -> None:
        """Apply saves (a mapping) and deletes (``None``), writing each touched shard once."""
        await self._ensure_loaded()
        touched: set[int] = set()
        undo: dict[str, tuple[int, _Data | None]] = {}
        for instance_id, data in records.items():
            index = shard_of(instance_id, self.shards)
            undo.setdefault(instance_id, (index, self._records[index].get(instance_id)))
            # Records are replaced whole, never mutated here; the shallow copy detaches the caller's dict.
            if data is not None:
                self._records[index][instance_id] = dict(data)
            elif self._records[index].pop(instance_id, None) is None:
                continue
            touched.add(index)
        order = sorted(touched)
        results = await asyncio.gather(*(self._write_shard(i) for i in order), return_exceptions=True)
        if failed := {i: r for i, r in zip(order, results, strict=True) if isinstance(r, BaseException)}:
            # Roll back the failed shards: a record that cannot be written (e.g. not JSON-able) left in
            # memory would make every later save of its shard fail too.
            for instance_id, (index, old) in undo.items():
                if index in failed and old is None:
                    self._records[index].pop(instance_id, None)
                elif index in failed and old is not None:
                    self._records[index][instance_id] = old
            raise next(iter(failed.values()))

    async def _write_shard(self, index: int) -> None:
        # A snapshot of the outer dict: the executor serialises it while the loop may add records.
        await self._stores[index].async_save({"instances": dict(self._records[index])})

    # -- loading and recovery -----------------------------------------------------------------------
    async def _ensure_loaded(self) -> None:
        async with self._load_lock:  # uncontended acquire does not yield
            if not self._loaded:
                await self._load()
                self._loaded = True

    def _scan_extra_shards(self) -> list[int]:
        """Shard files beyond ``shards`` (left by a larger shard count), so their records are kept."""
        try:
            names = [p.name for p in self.storage_dir.iterdir()]
        except FileNotFoundError:
            return []
        found = {int(m.group(2)) for n in names if (m := self._file_re.match(n)) and m.group(2) is not None}
        return sorted(i for i in found if i >= self.shards)

    @staticmethod
    def _read_all(stores: Sequence[_FileStore]) -> list[tuple[_FileRead, _FileRead]]:
        """Read every main file, and the last-good copy where the main one is missing or bad (executor)."""
        mains = [_read_envelope(s.file, shard=s.shard) for s in stores]
        return [
            (m, _FileRead() if m.envelope else _read_envelope(s.last_good, shard=s.shard))
            for s, m in zip(stores, mains, strict=True)
        ]

    async def _load(self) -> None:
        extra_idx = await self.hass.async_add_executor_job(self._scan_extra_shards)
        extra = [self._shard_store(i) for i in extra_idx]
        stores = [self._meta_store, *self._stores, *extra]
        reads = await self.hass.async_add_executor_job(self._read_all, stores)
        problems: dict[str, str] = {}
        envelopes: list[_Data | None] = []
        for store, (main, backup) in zip(stores, reads, strict=True):
            store.size = main.size
            envelope = main.envelope
            if envelope is None and backup.envelope is not None:
                # Main missing or bad but a last-good copy exists: restore it rather than start empty.
                _LOGGER.warning("%s: %s; restoring its last-good copy", store.file, main.error or "missing")
                store.size = await self.hass.async_add_executor_job(store.restore_from_last_good)
                self.recovered.append(store.file.name)
                envelope = backup.envelope
            elif main.error or backup.error:
                # A bad last-good copy next to a missing main file is lost data too, not a fresh start.
                problems[store.file.name] = (
                    f"{main.error or 'missing'}; last-good copy {backup.error or 'missing'}"
                )
                continue
            store.verified = envelope is not None
            envelopes.append(envelope)
        if problems:
            raise StoreCorrupted(problems)
        datas: list[_Data | None] = []
        for store, envelope in zip(stores, envelopes, strict=True):
            datas.append(await store.async_load_envelope(envelope) if envelope is not None else None)
        meta = datas[0]
        self._meta = meta.get("meta") if meta is not None else None
        await self._place_records(datas[1:], len(extra))
        if extra:
            await self.hass.async_add_executor_job(self._remove_files, {s.file.name for s in extra})

    async def _place_records(self, shard_datas: Sequence[_Data | None], n_extra: int) -> None:
        """Put each record in its home shard; rewrite shards whose files held records of other shards."""
        home_found: set[str] = set()
        dirty: set[int] = set()
        for index, data in enumerate(shard_datas):
            for instance_id, record in (data or {}).get("instances", {}).items():
                home = shard_of(instance_id, self.shards)
                if home != index:
                    dirty.add(home)
                    if index < self.shards:
                        dirty.add(index)
                    if instance_id in home_found:
                        continue  # a resharding was interrupted: the copy in the home shard is newer
                else:
                    home_found.add(instance_id)
                self._records[home][instance_id] = record
        if dirty:
            _LOGGER.info("Resharding bpo storage into %s shards (%s extra files)", self.shards, n_extra)
            await asyncio.gather(*(self._write_shard(i) for i in sorted(dirty)))

    # -- lifecycle and diagnostics ---------------------------------------------------------------------
    def _remove_files(self, only: set[str] | None = None) -> None:
        """Delete our files (or only those whose main file is named in ``only``), main files last (executor).

        Main files go last so an interrupted removal never leaves a stale last-good copy without its main.
        """
        try:
            found = [(m, p) for p in self.storage_dir.iterdir() if (m := self._file_re.match(p.name))]
        except FileNotFoundError:
            return
        for m, path in sorted(found, key=lambda mp: mp[0].group(3) is None):
            if only is None or path.name.removesuffix(m.group(3) or "") in only:
                with suppress(FileNotFoundError):
                    path.unlink()

    async def async_remove(self) -> None:
        """Delete every bpo store file (the config entry was removed)."""
        async with self._load_lock:
            await self.hass.async_add_executor_job(self._remove_files)
            for store in (self._meta_store, *self._stores):
                # Files are gone already; this drops HA's cached view of each key.
                await Store.async_remove(store)
            self._meta = None
            self._records = [{} for _ in range(self.shards)]
            self._loaded = False

    def stats(self) -> dict[str, Any]:
        """Sizes for diagnostics (no I/O: sizes are those last read or written)."""
        counts = [len(s) for s in self._records]
        sizes = [s.size for s in self._stores]
        return {
            "shards": self.shards,
            "instances": sum(counts),
            "instances_per_shard": {"min": min(counts), "max": max(counts)},
            "meta_bytes": self._meta_store.size,
            "shard_bytes": sum(sizes),
            "largest_shard_bytes": max(sizes),
            "recovered": list(self.recovered),
        }


@callback
def async_raise_recovery_issue(hass: HomeAssistant, recovered: Sequence[str]) -> None:
    """Tell the admin that files were restored from last-good copies (recent changes may be missing)."""
    if not recovered:
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        ISSUE_STORE_RECOVERED,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_STORE_RECOVERED,
        translation_placeholders={"files": ", ".join(recovered)},
    )
