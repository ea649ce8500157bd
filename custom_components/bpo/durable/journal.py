"""The engine's state on disk: a snapshot plus an append-only journal, one fsync'd line per commit.

Files in one directory:

- ``snapshot.json`` — every instance record and the meta record as of journal entry ``seq``;
- ``snapshot.last_good.json`` — the snapshot before that, read when the current one is unreadable;
- ``journal.prev.log`` — the entries between the two snapshots (so the last-good copy loses nothing);
- ``journal.log`` — entries after the current snapshot.

A commit is one line ``<crc32 hex> <json>\\n`` holding every record it changed and, when it changed, the
meta record (the id counter lives there): an instance and what allocated it become durable together, in
O(size of the change). A line is acknowledged only after its fsync returns, so a torn last line is an
unacknowledged commit and is cut off at load. When the journal outgrows the snapshot, a compaction
writes a new snapshot (amortised O(1) per commit). Crash-safe order of a compaction, checked by a test
that stops at every boundary: keep the current snapshot as last-good, rename the journal to
``journal.prev.log``, write the new snapshot atomically.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Final, cast

from .codec import DecodeError, EncodeError, dumps, loads
from .errors import Corrupted, Unserialisable, VersionTooNew, WriteFailed
from .fileops import FileOps, RealFileOps, remove_temp_files

_LOGGER = logging.getLogger(__name__)

SNAPSHOT: Final = "snapshot.json"
LAST_GOOD: Final = "snapshot.last_good.json"
JOURNAL: Final = "journal.log"
PREV_JOURNAL: Final = "journal.prev.log"
FORMAT: Final = "bpo-state"
VERSION: Final = 2  # version 1 is the HA-Store shard format read by the migration in storage.py
COMPACT_MIN_BYTES: Final = 1 << 20

Runner = Callable[[Callable[[], Any]], Awaitable[Any]]


async def run_inline(fn: Callable[[], Any]) -> Any:
    """A runner for tests and tools without an executor."""
    return fn()


def _line(body: bytes) -> bytes:
    return b"%08x %s\n" % (zlib.crc32(body), body)


def _entry(seq: int, puts: Mapping[str, bytes], dels: Iterable[str], meta: bytes | None) -> bytes:
    """One journal line, assembled from records serialised once (never re-encoded)."""
    parts = [b'{"seq":%d,"put":{' % seq, b",".join(dumps(k) + b":" + v for k, v in puts.items()), b"}"]
    if dels:
        parts.append(b',"del":' + dumps(list(dels)))
    if meta is not None:
        parts.append(b',"meta":' + meta)
    parts.append(b"}")
    return _line(b"".join(parts))


def _snapshot(seq: int, meta: bytes | None, records: Mapping[str, bytes]) -> bytes:
    head = b'{"format":"%s","version":%d,"seq":%d,"meta":%s,"instances":{' % (
        FORMAT.encode(),
        VERSION,
        seq,
        meta if meta is not None else b"null",
    )
    return head + b",".join(dumps(k) + b":" + v for k, v in records.items()) + b"}}"


@dataclass(slots=True)
class _Journal:
    """What one journal file held."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    good_bytes: int = 0  # length of the valid prefix
    size: int = 0
    bad_lines: list[int] = field(default_factory=list)  # complete lines that do not read back
    bad_next: list[int] = field(default_factory=list)  # per bad line: index in entries of the next good one


def _parse_journal(content: bytes) -> _Journal:
    """Every readable entry; the one unfinished last line a crash can leave is not an error."""
    out = _Journal(size=len(content))
    offset = 0
    for number, raw in enumerate(content.split(b"\n"), start=1):
        end = offset + len(raw) + 1
        if end > len(content):  # the piece after the last newline: a write cut short, never acknowledged
            break
        entry = _parse_line(raw)
        if entry is not None:
            out.entries.append(entry)
            out.good_bytes = end
        elif raw or end < len(content):
            out.bad_lines.append(number)  # a whole line that does not read back: real damage
            out.bad_next.append(len(out.entries))
        offset = end
    return out


def _parse_line(raw: bytes) -> dict[str, Any] | None:
    if len(raw) < 10 or raw[8:9] != b" ":
        return None
    body = raw[9:]
    try:
        if int(raw[:8], 16) != zlib.crc32(body):
            return None
        entry = loads(body)
    except DecodeError:
        return None
    if not (
        isinstance(entry, dict) and isinstance(entry.get("seq"), int) and isinstance(entry.get("put"), dict)
    ):
        return None
    if not all(isinstance(r, dict) for r in entry["put"].values()):
        return None
    return cast(dict[str, Any], entry)


def _parse_snapshot(content: bytes) -> tuple[dict[str, Any] | None, str | None]:
    try:
        snap = loads(content)
    except DecodeError as err:
        return None, f"invalid JSON ({err})"
    if not isinstance(snap, dict) or snap.get("format") != FORMAT or not isinstance(snap.get("version"), int):
        return None, "not a bpo state file"
    if snap["version"] > VERSION:
        raise VersionTooNew(
            f"written by a newer bpo (format version {snap['version']}; this bpo reads {VERSION})"
        )
    instances = snap.get("instances")
    meta = snap.get("meta")
    if (
        not isinstance(snap.get("seq"), int)
        or not isinstance(instances, dict)
        or not isinstance(meta, dict | None)
    ):
        return None, "unexpected content"
    if not all(isinstance(r, dict) for r in instances.values()):
        return None, "unexpected content"
    return cast(dict[str, Any], snap), None


@dataclass(slots=True)
class _Loaded:
    seq: int = 0
    meta: Any = None
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    snapshot_bytes: int = 0
    snapshot_good: bool = False
    journal_bytes: int = 0
    journal_exists: bool = False
    notes: list[str] = field(default_factory=list)  # recoveries the admin should hear about
    clean: bool = True  # False: compact right away so the files are whole again
    fresh: bool = True  # no state files at all


class JournalStore:
    """The engine's ``StateStore``: durable before a commit returns, O(change) per commit."""

    def __init__(
        self,
        directory: Path,
        *,
        run: Runner = run_inline,
        ops: FileOps | None = None,
        compact_min_bytes: int = COMPACT_MIN_BYTES,
        compact_ratio: float = 1.0,
    ) -> None:
        self.directory = directory
        self._run = run
        self._ops: FileOps = ops if ops is not None else RealFileOps()
        # Compact once the journal is larger than both the floor and ratio x the snapshot.
        self._compact_min = compact_min_bytes
        self._compact_ratio = compact_ratio
        self._records: dict[str, bytes] = {}
        self._meta: bytes | None = None
        self._seq = 0
        self._snapshot_bytes = 0
        self._snapshot_good = False
        self._journal_bytes = 0
        self._journal_exists = False
        self._tail_unknown = False  # a failed append could not be cut off: compact before appending
        self._loaded = False
        self._lock = asyncio.Lock()
        self.recovered: list[str] = []
        self.removed_temp_files: list[str] = []
        self.fresh = True

    # -- reading ------------------------------------------------------------------------------------
    async def load(self) -> tuple[Mapping[str, Any] | None, Iterable[Mapping[str, Any]]]:
        async with self._lock:
            loaded = await self._load_locked()
        return loaded.meta, list(loaded.records.values())

    @property
    def loaded(self) -> bool:
        return self._loaded

    async def _load_locked(self) -> _Loaded:
        loaded: _Loaded = await self._run(self._read)
        self._records = {k: dumps(v) for k, v in loaded.records.items()}
        self._meta = dumps(loaded.meta) if loaded.meta is not None else None
        self._seq = loaded.seq
        self._snapshot_bytes = loaded.snapshot_bytes
        self._snapshot_good = loaded.snapshot_good
        self._journal_bytes = loaded.journal_bytes
        self._journal_exists = loaded.journal_exists
        self.recovered = list(loaded.notes)
        self.fresh = loaded.fresh
        self._loaded = True
        if not loaded.clean:
            await self._compact_locked()
        return loaded

    def _read(self) -> _Loaded:
        """Snapshot (or its last-good copy) plus the journal entries after it (executor)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.removed_temp_files = remove_temp_files(self.directory)
        out = _Loaded()
        problems: dict[str, str] = {}
        snap: dict[str, Any] | None = None
        for name in (SNAPSHOT, LAST_GOOD):
            path = self.directory / name
            try:
                content = path.read_bytes()
            except FileNotFoundError:
                continue
            except OSError as err:
                problems[name] = f"unreadable ({err.strerror})"
                continue
            out.fresh = False
            snap, why = _parse_snapshot(content)
            if snap is not None:
                if name == SNAPSHOT:
                    out.snapshot_bytes, out.snapshot_good = len(content), True
                break
            problems[name] = why or "unreadable"
        if snap is not None:
            out.seq, out.meta, out.records = snap["seq"], snap["meta"], snap["instances"]
        gaps = self._replay(out)
        if problems and (snap is None and (gaps or out.seq == 0)):
            raise Corrupted(problems)  # nothing left to rebuild from: starting empty would lose data
        expected = bool(problems) or snap is not None or (self.directory / PREV_JOURNAL).exists()
        if not expected:
            out.snapshot_good = True  # no snapshot yet: nothing that must not become the last-good copy
        elif not out.snapshot_good:
            source = LAST_GOOD if snap is not None else "the journal"
            why = problems.get(SNAPSHOT, "missing")
            out.notes.append(f"{SNAPSHOT}: {why}; restored from {source}")
            out.clean = False
            if SNAPSHOT in problems:
                # Kept aside for the admin; never promoted to last-good by a later compaction.
                self._ops.rename(self.directory / SNAPSHOT, self.directory / f"{SNAPSHOT}.corrupt")
        return out

    def _replay(self, out: _Loaded) -> int:
        """Apply journal entries after ``out.seq``; returns how many gaps were found."""
        gaps = 0
        expected = out.seq + 1
        for name in (PREV_JOURNAL, JOURNAL):
            path = self.directory / name
            try:
                content = path.read_bytes()
            except FileNotFoundError:
                continue
            out.fresh = False
            journal = _parse_journal(content)
            # A bad line followed by an entry the snapshot already holds is older than that entry, so the
            # snapshot holds it too. Any other could be an acknowledged operation (or the id counter):
            # skipping it would lose it, so refuse instead.
            bad_before: dict[int, list[int]] = {}
            for number, after in zip(journal.bad_lines, journal.bad_next, strict=True):
                bad_before.setdefault(after, []).append(number)
            covered = all(
                index < len(journal.entries) and journal.entries[index]["seq"] < expected
                for index in bad_before
            )
            if not covered:
                lines = ", ".join(map(str, journal.bad_lines[:5]))
                raise Corrupted({name: f"unreadable line(s) {lines}"})
            if journal.bad_lines:
                lines = ", ".join(map(str, journal.bad_lines[:5]))
                out.notes.append(f"{name}: unreadable line(s) {lines} already in {SNAPSHOT}; dropped")
                out.clean = False  # the compaction replaces the damaged file
            for entry in journal.entries:
                seq = entry["seq"]
                if seq < expected:
                    continue  # already in the snapshot
                if seq > expected:
                    gaps += 1
                    out.notes.append(f"{name}: entries {expected}..{seq - 1} missing")
                    out.clean = False
                for key in entry.get("del") or ():
                    out.records.pop(key, None)
                out.records.update(entry["put"])
                if "meta" in entry:
                    out.meta = entry["meta"]
                out.seq, expected = seq, seq + 1
            if name == JOURNAL:
                out.journal_exists = True
                out.journal_bytes = journal.good_bytes
                if journal.good_bytes < journal.size:
                    # A commit torn by a crash was never acknowledged: drop it so appends start clean.
                    self._ops.truncate(path, journal.good_bytes)
        return gaps

    # -- writing ------------------------------------------------------------------------------------
    async def commit(
        self, records: Mapping[str, Mapping[str, Any] | None], meta: Mapping[str, Any] | None = None
    ) -> None:
        """Make saves (mappings), deletes (``None``) and the meta record durable together."""
        async with self._lock:
            if not self._loaded:
                await self._load_locked()
            try:
                for key in records:  # checked here: a bad key written into a line would make it unreadable
                    if not isinstance(key, str):
                        raise TypeError("instance ids are strings")
                    dumps(key)
                puts = {k: dumps(v) for k, v in records.items() if v is not None}
                meta_bytes = dumps(meta) if meta is not None else None
            except EncodeError as err:
                raise Unserialisable(f"state is not serialisable: {type(err).__name__}") from None
            dels = [k for k, v in records.items() if v is None and k in self._records]
            if not puts and not dels and meta_bytes is None:
                return
            if self._tail_unknown:
                try:
                    await self._compact_locked()
                except OSError as err:  # still a refused write: the caller keeps the records to retry
                    raise WriteFailed(f"could not write {SNAPSHOT}: {err.strerror or err}") from None
            seq = self._seq + 1
            line = _entry(seq, puts, dels, meta_bytes)
            path = self.directory / JOURNAL
            try:
                await self._run(partial(self._ops.append, path, line, new=not self._journal_exists))
            except OSError as err:
                await self._cut_tail(path)
                raise WriteFailed(f"could not write {path.name}: {err.strerror or err}") from None
            self._journal_exists = True
            self._journal_bytes += len(line)
            self._seq = seq
            for key in dels:
                del self._records[key]
            self._records.update(puts)
            if meta_bytes is not None:
                self._meta = meta_bytes
            if self._journal_bytes > max(self._compact_min, self._compact_ratio * self._snapshot_bytes):
                await self._compact_quietly()

    async def _cut_tail(self, path: Path) -> None:
        try:
            await self._run(partial(self._ops.truncate, path, self._journal_bytes))
        except OSError:
            self._tail_unknown = True
            # The refused line may be whole on disk and end up in journal.prev.log: its seq is spent, so
            # the next acknowledged commit never shares it (a replay would keep the first and skip ours).
            self._seq += 1

    async def compact(self) -> None:
        """Write a snapshot now (maintenance and tests; commits compact by themselves)."""
        async with self._lock:
            if not self._loaded:
                await self._load_locked()
            await self._compact_locked()

    async def _compact_quietly(self) -> None:
        """Compaction after an acknowledged commit: a failure is retried later, never reported as lost."""
        try:
            await self._compact_locked()
        except (OSError, WriteFailed) as err:
            _LOGGER.warning("bpo state compaction failed (will retry): %s", err)

    async def _compact_locked(self) -> None:
        records, meta, seq, good = dict(self._records), self._meta, self._seq, self._snapshot_good
        try:
            size = await self._run(partial(self._write_snapshot, records, meta, seq, promote=good))
        except OSError:
            # The journal may be journal.prev.log already: the next append starts a new file, and a cut
            # must not stretch that file to the old length (zeros would make the next line unreadable).
            if not await self._run((self.directory / JOURNAL).exists):
                self._journal_bytes, self._journal_exists = 0, False
            raise
        self._snapshot_bytes, self._snapshot_good = size, True
        self._journal_bytes, self._journal_exists, self._tail_unknown = 0, False, False

    def _write_snapshot(
        self, records: Mapping[str, bytes], meta: bytes | None, seq: int, *, promote: bool
    ) -> int:
        data = _snapshot(seq, meta, records)
        directory, ops = self.directory, self._ops
        if promote and (directory / SNAPSHOT).exists():
            ops.keep_copy(directory / SNAPSHOT, directory / LAST_GOOD)
        elif not promote:
            ops.write_atomic(directory / LAST_GOOD, data)  # the current snapshot is not known good
        renamed = (directory / JOURNAL).exists()
        if renamed:
            ops.rename(directory / JOURNAL, directory / PREV_JOURNAL)
        try:
            ops.write_atomic(directory / SNAPSHOT, data)
        except OSError:
            if renamed:
                # Put the journal back: the next compaction would rename the new journal over this one,
                # and a crash before its snapshot lands would then lose these entries.
                with suppress(OSError):
                    ops.rename(directory / PREV_JOURNAL, directory / JOURNAL)
            raise
        return len(data)

    async def import_state(
        self, meta: Mapping[str, Any] | None, records: Iterable[Mapping[str, Any]]
    ) -> None:
        """Replace everything by ``meta`` and ``records`` in one snapshot (migration from older formats)."""
        async with self._lock:
            try:
                self._records = {str(r["id"]): dumps(r) for r in records}
                self._meta = dumps(meta) if meta is not None else None
            except EncodeError as err:
                raise Unserialisable(f"state is not serialisable: {type(err).__name__}") from None
            await self._compact_locked()
            self._loaded = True

    # -- the rest of the StateStore port ------------------------------------------------------------
    async def save_instance(self, instance_id: str, data: Mapping[str, Any]) -> None:
        await self.commit({instance_id: data})

    async def save_many(self, records: Mapping[str, Mapping[str, Any] | None]) -> None:
        await self.commit(records)

    async def delete_instance(self, instance_id: str) -> None:
        await self.commit({instance_id: None})

    async def save_meta(self, data: Mapping[str, Any]) -> None:
        await self.commit({}, data)

    async def remove(self) -> None:
        """Delete every file of this store (the integration was removed)."""
        async with self._lock:
            await self._run(self._remove_files)
            self._records, self._meta, self._seq = {}, None, 0
            self._journal_bytes, self._journal_exists, self._snapshot_bytes = 0, False, 0
            self._loaded = False

    def _remove_files(self) -> None:
        if not self.directory.is_dir():
            return
        for path in self.directory.iterdir():
            if path.is_file():
                self._ops.unlink(path)
        with suppress(OSError):  # something of the admin's is in there: leave it
            self.directory.rmdir()

    def stats(self) -> dict[str, Any]:
        """Sizes for diagnostics (no I/O)."""
        return {
            "instances": len(self._records),
            "seq": self._seq,
            "snapshot_bytes": self._snapshot_bytes,
            "journal_bytes": self._journal_bytes,
            "recovered": list(self.recovered),
        }
