"""The journal store on real files: round trips, refused writes, corruption, recovery, O(change) commits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from custom_components.bpo.durable.errors import Corrupted, VersionTooNew, WriteFailed
from custom_components.bpo.durable.fileops import RealFileOps
from custom_components.bpo.durable.journal import JOURNAL, LAST_GOOD, PREV_JOURNAL, SNAPSHOT, JournalStore


def rec(iid: str, step: int = 0) -> dict[str, Any]:
    return {"id": iid, "process": "p", "step": step, "vars": {"who": "ana", "n": [1, 2]}}


async def state(directory: Path) -> tuple[Any, dict[str, Any]]:
    meta, records = await JournalStore(directory).load()
    return meta, {r["id"]: r for r in records}


class FailingOps(RealFileOps):
    """Appends fail like a full disk: part of the data reaches the file, then an OSError."""

    def __init__(self) -> None:
        self.fail = False

    def append(self, path: Path, data: bytes, *, new: bool) -> None:
        if self.fail:
            super().append(path, data[:7], new=new)
            raise OSError(28, "No space left on device")
        super().append(path, data, new=new)


async def test_round_trip_saves_deletes_and_meta(tmp_path: Path) -> None:
    store = JournalStore(tmp_path)
    assert await store.load() == (None, [])
    await store.commit({"a": rec("a"), "b": rec("b")}, {"counter": 2})
    await store.commit({"a": rec("a", 1), "b": None})
    meta, records = await state(tmp_path)
    assert meta == {"counter": 2}
    assert records == {"a": rec("a", 1)}


async def test_a_commit_appends_only_what_changed(tmp_path: Path) -> None:
    store = JournalStore(tmp_path)
    await store.commit({f"i{n}": rec(f"i{n}") for n in range(1000)}, {"counter": 1000})
    before = (tmp_path / JOURNAL).stat().st_size
    await store.commit({"i500": rec("i500", 1)})
    grew = (tmp_path / JOURNAL).stat().st_size - before
    assert grew < 2 * len(str(rec("i500", 1)))  # one record, not the other 999


async def test_refused_write_is_not_acknowledged_and_leaves_a_clean_journal(tmp_path: Path) -> None:
    ops = FailingOps()
    store = JournalStore(tmp_path, ops=ops)
    await store.commit({"a": rec("a")}, {"counter": 1})
    ops.fail = True
    with pytest.raises(WriteFailed, match="No space left"):
        await store.commit({"b": rec("b")}, {"counter": 2})
    ops.fail = False
    await store.commit({"c": rec("c")}, {"counter": 3})
    meta, records = await state(tmp_path)
    assert sorted(records) == ["a", "c"] and meta == {"counter": 3}
    assert store.stats()["instances"] == 2  # memory did not run ahead of the disk


async def test_unserialisable_record_refused_and_others_go_on(tmp_path: Path) -> None:
    store = JournalStore(tmp_path)
    with pytest.raises(WriteFailed, match="not serialisable"):
        await store.commit({"bad": {"id": "bad", "when": object()}})
    await store.commit({"a": rec("a")})
    assert sorted((await state(tmp_path))[1]) == ["a"]


async def compacted_history(directory: Path) -> JournalStore:
    """Three snapshots: last-good, current, each with journal entries after it."""
    store = JournalStore(directory, compact_min_bytes=0, compact_ratio=0)
    await store.commit({"a": rec("a")}, {"counter": 1})  # snapshot 1
    await store.commit({"b": rec("b")}, {"counter": 2})  # snapshot 2, last-good = 1
    store = JournalStore(directory)  # the default threshold: the next commit stays in the journal
    await store.commit({"c": rec("c")}, {"counter": 3})
    return store


async def test_corrupt_snapshot_restored_from_last_good_and_journals(tmp_path: Path) -> None:
    await compacted_history(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {SNAPSHOT, LAST_GOOD, PREV_JOURNAL, JOURNAL}
    (tmp_path / SNAPSHOT).write_bytes(b'{"format": "bpo-state", "vers')  # torn by a non-atomic copy
    store = JournalStore(tmp_path)
    meta, records = await store.load()
    assert sorted(r["id"] for r in records) == ["a", "b", "c"] and meta == {"counter": 3}
    [note] = store.recovered
    assert note.startswith(f"{SNAPSHOT}: invalid JSON") and note.endswith(f"restored from {LAST_GOOD}")
    assert (tmp_path / f"{SNAPSHOT}.corrupt").read_bytes().startswith(b'{"format"')  # kept for the admin
    # the main snapshot was rewritten whole, so the next start is clean
    again = JournalStore(tmp_path)
    assert sorted(r["id"] for r in (await again.load())[1]) == ["a", "b", "c"] and again.recovered == []


async def test_first_snapshot_corrupt_rebuilt_from_the_journal(tmp_path: Path) -> None:
    store = JournalStore(tmp_path, compact_min_bytes=0, compact_ratio=0)
    await store.commit({"a": rec("a")}, {"counter": 1})  # first snapshot: no last-good yet
    (tmp_path / SNAPSHOT).write_bytes(b"\x00" * 10)
    again = JournalStore(tmp_path)
    _, records = await again.load()
    assert [r["id"] for r in records] == ["a"]
    assert "restored from the journal" in again.recovered[0]


async def test_unrecoverable_refuses_to_start_and_touches_nothing(tmp_path: Path) -> None:
    await compacted_history(tmp_path)
    (tmp_path / SNAPSHOT).write_bytes(b"garbage")
    (tmp_path / LAST_GOOD).write_bytes(b"garbage")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(Corrupted) as err:
        await JournalStore(tmp_path).load()
    assert set(err.value.problems) == {SNAPSHOT, LAST_GOOD}
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


async def test_unreadable_line_refuses_to_start_but_a_torn_last_line_is_dropped(tmp_path: Path) -> None:
    store = JournalStore(tmp_path)
    for name in ("a", "b", "c"):
        await store.commit({name: rec(name)})
    journal = tmp_path / JOURNAL
    whole = journal.read_bytes()
    journal.write_bytes(whole + whole.split(b"\n")[0][:20])  # a crash cut the next line short
    again = JournalStore(tmp_path)
    assert sorted(r["id"] for r in (await again.load())[1]) == ["a", "b", "c"]
    assert journal.read_bytes() == whole and again.recovered == []

    lines = whole.split(b"\n")
    lines[1] = lines[1].replace(b'"b"', b'"x"')  # bit rot: the checksum no longer matches
    journal.write_bytes(b"\n".join(lines))
    with pytest.raises(Corrupted) as err:
        await JournalStore(tmp_path).load()
    assert err.value.problems == {JOURNAL: "unreadable line(s) 2"}
    assert journal.read_bytes() == b"\n".join(lines)  # left for the admin


async def test_newer_format_refused(tmp_path: Path) -> None:
    (tmp_path / SNAPSHOT).write_bytes(
        b'{"format":"bpo-state","version":99,"seq":1,"meta":null,"instances":{}}'
    )
    with pytest.raises(VersionTooNew, match="99"):
        await JournalStore(tmp_path).load()


async def test_temp_files_of_a_killed_write_are_removed(tmp_path: Path) -> None:
    (tmp_path / f"{SNAPSHOT}.tmp").write_bytes(b"half")
    (tmp_path / f"{LAST_GOOD}.tmp").write_bytes(b"half")
    (tmp_path / "admin-notes.txt").write_text("mine")
    store = JournalStore(tmp_path)
    await store.load()
    assert store.removed_temp_files == sorted([f"{LAST_GOOD}.tmp", f"{SNAPSHOT}.tmp"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["admin-notes.txt"]


async def test_remove_deletes_every_file(tmp_path: Path) -> None:
    directory = tmp_path / "bpo"
    await compacted_history(directory)
    store = JournalStore(directory)
    await store.load()
    await store.remove()
    assert not directory.exists()
    assert await JournalStore(directory).load() == (None, [])
