"""The engine's ``StateStore`` in Home Assistant: the durable journal in ``<config>/.storage/bpo/``.

No HA ``Store`` underneath: its write hooks are private and changed in 2025.12 (every save failed). The
journal (durable/journal.py) writes through the executor with fsync, renames and directory fsyncs;
this module maps its errors to translated HA errors and migrates the version-1 files (``bpo.meta`` and
``bpo.shard_NN`` in ``.storage``) once: their records are imported into one snapshot, then the old
files are moved into ``.storage/bpo/legacy_v1/`` (kept as a backup, never read again).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import STORAGE_DIR

from .const import DOMAIN
from .durable.errors import Corrupted, Unserialisable, VersionTooNew, WriteFailed
from .durable.journal import JournalStore
from .durable.legacy_v1 import legacy_files, read_legacy

_LOGGER = logging.getLogger(__name__)

ISSUE_STORE_RECOVERED: Final = "store_recovered"
LEGACY_BACKUP: Final = "legacy_v1"


class StoreCorrupted(HomeAssistantError):
    """State files and their last-good copies are unreadable; refusing to start empty."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.files = sorted(problems)
        super().__init__(
            translation_domain=DOMAIN,
            translation_key="store_corrupted",
            translation_placeholders={"files": ", ".join(self.files)},
        )


class StoreVersionError(HomeAssistantError):
    """A state file was written by a newer bpo."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            translation_domain=DOMAIN,
            translation_key="store_too_new",
            translation_placeholders={"detail": detail},
        )


class StoreWriteError(HomeAssistantError):
    """A save did not reach the disk; the operation is not acknowledged."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            translation_domain=DOMAIN,
            translation_key="save_failed",
            translation_placeholders={"detail": detail},
        )


class BpoStore:
    """The engine's state: journal + snapshot, durable before each operation is acknowledged."""

    def __init__(self, hass: HomeAssistant, *, key_prefix: str = DOMAIN) -> None:
        self.hass = hass
        self.key_prefix = key_prefix
        self.storage_dir = Path(hass.config.path(STORAGE_DIR))
        self.journal = JournalStore(self.storage_dir / key_prefix, run=self._run)
        self.migrated: int | None = None  # records imported from version-1 files, if this start did
        self._ready = False  # loaded (and migrated) once; a write never comes before that
        # Group commit (see hold/release): records held for one write, and records whose write failed,
        # which the next write carries (memory already has them; the disk must catch up).
        self._held: dict[str, Mapping[str, Any] | None] | None = None
        self._held_meta: Mapping[str, Any] | None = None
        self._owed: dict[str, Mapping[str, Any] | None] = {}
        self._owed_meta: Mapping[str, Any] | None = None

    def _run(self, fn: Callable[[], Any]) -> Any:
        return self.hass.async_add_executor_job(fn)

    @property
    def recovered(self) -> list[str]:
        return list(self.journal.recovered)

    # -- StateStore ---------------------------------------------------------------------------------
    async def load(self) -> tuple[Mapping[str, Any] | None, Iterable[Mapping[str, Any]]]:
        try:
            meta, records = await self.journal.load()
            if self.journal.fresh:
                meta, records = await self._migrate_v1()
            await self.hass.async_add_executor_job(self._backup_v1)  # an interrupted migration's leftovers
        except Corrupted as err:
            raise StoreCorrupted(err.problems) from None
        except VersionTooNew as err:
            raise StoreVersionError(str(err)) from None
        finally:
            self._ready = self.journal.loaded
        return meta, records

    async def commit(
        self, records: Mapping[str, Mapping[str, Any] | None], meta: Mapping[str, Any] | None = None
    ) -> None:
        if self._held is not None:
            self._held.update(records)  # a later record of the same instance supersedes the earlier
            if meta is not None:
                self._held_meta = meta
            return
        if not self._ready:
            await self.load()  # the version-1 files must be imported before anything is appended
        if self._owed or self._owed_meta is not None:
            records = {**self._owed, **records}
            meta = meta if meta is not None else self._owed_meta
        try:
            await self.journal.commit(records, meta)
        except Unserialisable as err:
            raise StoreWriteError(str(err)) from None  # retrying the same data cannot succeed
        except WriteFailed as err:
            self._owed, self._owed_meta = dict(records), meta  # a disk error: the next write retries
            raise StoreWriteError(str(err)) from None
        self._owed, self._owed_meta = {}, None

    @callback
    def hold(self) -> None:
        """Collect the commits that follow into one write (group commit), made by ``release``."""
        self._held, self._held_meta = {}, None

    async def release(self) -> None:
        """Write what ``hold`` collected in one durable commit; if it fails, the next commit retries it."""
        records, meta = self._held or {}, self._held_meta
        self._held, self._held_meta = None, None
        if records or meta is not None:
            await self.commit(records, meta)

    async def save_instance(self, instance_id: str, data: Mapping[str, Any]) -> None:
        await self.commit({instance_id: data})

    async def save_many(self, records: Mapping[str, Mapping[str, Any] | None]) -> None:
        await self.commit(records)

    async def delete_instance(self, instance_id: str) -> None:
        await self.commit({instance_id: None})

    async def save_meta(self, data: Mapping[str, Any]) -> None:
        await self.commit({}, data)

    # -- migration from version 1 -------------------------------------------------------------------
    async def _migrate_v1(self) -> tuple[Mapping[str, Any] | None, Iterable[Mapping[str, Any]]]:
        legacy = await self.hass.async_add_executor_job(read_legacy, self.storage_dir, self.key_prefix)
        if not legacy.files:
            return None, []
        if legacy.problems:
            raise Corrupted(legacy.problems)
        _LOGGER.info("Migrating %s bpo instances from the version-1 files", len(legacy.records))
        await self.journal.import_state(legacy.meta, legacy.records.values())
        await self.hass.async_add_executor_job(self._backup_v1)
        self.journal.recovered.extend(legacy.notes)
        self.migrated = len(legacy.records)
        return legacy.meta, list(legacy.records.values())

    def _backup_v1(self) -> None:
        """Move version-1 files out of HA's folder once their records are in the snapshot (executor)."""
        files = legacy_files(self.storage_dir, self.key_prefix)
        if not files:
            return
        backup = self.journal.directory / LEGACY_BACKUP
        backup.mkdir(parents=True, exist_ok=True)
        for path in files:
            path.replace(backup / path.name)

    # -- lifecycle and diagnostics ---------------------------------------------------------------------
    async def async_remove(self) -> None:
        """Delete every bpo state file, the version-1 backup included (the config entry was removed)."""
        await self.hass.async_add_executor_job(self._remove_backup)
        await self.journal.remove()

    def _remove_backup(self) -> None:
        for path in [*legacy_files(self.storage_dir, self.key_prefix)]:
            path.unlink(missing_ok=True)
        backup = self.journal.directory / LEGACY_BACKUP
        if backup.is_dir():
            for path in backup.iterdir():
                path.unlink(missing_ok=True)
            backup.rmdir()

    def stats(self) -> dict[str, Any]:
        """Sizes for diagnostics (no I/O)."""
        return {**self.journal.stats(), "migrated_from_v1": self.migrated}


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
