"""The journal store's edge cases that the mutation run showed untested (issue 16): which lines and snapshots
count as damage, when a commit writes nothing, when a compaction happens, and what a failed cut-off leaves."""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import pytest

from custom_components.bpo.durable.errors import Corrupted, WriteFailed
from custom_components.bpo.durable.fileops import RealFileOps
from custom_components.bpo.durable.journal import JOURNAL, LAST_GOOD, PREV_JOURNAL, SNAPSHOT, JournalStore


def rec(iid: str, step: int = 0) -> dict[str, Any]:
    return {"id": iid, "process": "p", "step": step}


def line(body: bytes) -> bytes:
    """A journal line with a correct checksum, whatever the body says."""
    return b"%08x %s\n" % (zlib.crc32(body), body)


async def records_of(directory: Path) -> tuple[Any, dict[str, Any]]:
    meta, records = await JournalStore(directory).load()
    return meta, {r["id"]: r for r in records}


class RecordingOps(RealFileOps):
    """The real file system, with a log of the operations and switches to make appends or cuts fail."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []
        self.created: list[bool] = []  # the ``new`` flag of each append: a new file's name is fsynced too
        self.fail_append = False
        self.fail_truncate = False

    def append(self, path: Path, data: bytes, *, new: bool) -> None:
        self.log.append(("append", path.name))
        self.created.append(new)
        if self.fail_append:
            super().append(path, data[:5], new=new)  # part of the line reached the disk
            raise OSError(5, "Input/output error")
        super().append(path, data, new=new)

    def truncate(self, path: Path, size: int) -> None:
        self.log.append(("truncate", path.name))
        if self.fail_truncate:
            raise OSError(5, "Input/output error")
        super().truncate(path, size)

    def write_atomic(self, path: Path, data: bytes) -> None:
        self.log.append(("write_atomic", path.name))
        super().write_atomic(path, data)

    def keep_copy(self, src: Path, dst: Path) -> None:
        self.log.append(("keep_copy", dst.name))
        super().keep_copy(src, dst)

    def rename(self, src: Path, dst: Path) -> None:
        self.log.append(("rename", f"{src.name}->{dst.name}"))
        super().rename(src, dst)


# -- journal lines -----------------------------------------------------------------------------------------


async def journal_of_three(directory: Path) -> list[bytes]:
    store = JournalStore(directory)
    for n, name in enumerate(("a", "b", "c"), start=1):
        await store.commit({name: rec(name)}, {"counter": n})
    return (directory / JOURNAL).read_bytes().split(b"\n")[:-1]


async def test_an_empty_line_inside_the_journal_is_damage(tmp_path: Path) -> None:
    lines = await journal_of_three(tmp_path)
    (tmp_path / JOURNAL).write_bytes(lines[0] + b"\n\n" + b"\n".join(lines[1:]) + b"\n")
    with pytest.raises(Corrupted) as err:
        await JournalStore(tmp_path).load()
    assert err.value.problems == {JOURNAL: "unreadable line(s) 2"}


@pytest.mark.parametrize(
    "body",
    [
        b"[1]",  # not an object
        b'{"seq":"2","put":{}}',  # seq not a number
        b'{"put":{}}',  # no seq
        b'{"seq":2,"put":[]}',  # put not an object
        b'{"seq":2}',  # no put
        b'{"seq":2,"put":{"b":1}}',  # a record that is not an object
        b'{"seq":2,"put":{"b":{"id":"b"},"c":"x"}}',  # one good record does not excuse a bad one
    ],
)
async def test_a_line_with_a_right_checksum_but_the_wrong_shape_is_damage(
    tmp_path: Path, body: bytes
) -> None:
    lines = await journal_of_three(tmp_path)
    (tmp_path / JOURNAL).write_bytes(lines[0] + b"\n" + line(body) + lines[2] + b"\n")
    with pytest.raises(Corrupted) as err:
        await JournalStore(tmp_path).load()
    assert err.value.problems == {JOURNAL: "unreadable line(s) 2"}


async def test_a_good_line_written_by_hand_is_read(tmp_path: Path) -> None:
    lines = await journal_of_three(tmp_path)
    body = b'{"seq":2,"put":{"x":{"id":"x","step":7}},"del":["a"],"meta":{"counter":9}}'
    (tmp_path / JOURNAL).write_bytes(lines[0] + b"\n" + line(body))
    meta, records = await records_of(tmp_path)
    assert meta == {"counter": 9}
    assert records == {"x": {"id": "x", "step": 7}}


@pytest.mark.parametrize(
    "raw",
    [
        b"0000000",  # shorter than a checksum and a space
        b"00000000 {",  # one byte of body: no object fits
        b"zzzzzzzz {}",  # the checksum is not hex
    ],
)
async def test_short_or_unreadable_checksums_are_damage(tmp_path: Path, raw: bytes) -> None:
    lines = await journal_of_three(tmp_path)
    (tmp_path / JOURNAL).write_bytes(lines[0] + b"\n" + raw + b"\n" + lines[2] + b"\n")
    with pytest.raises(Corrupted) as err:
        await JournalStore(tmp_path).load()
    assert err.value.problems == {JOURNAL: "unreadable line(s) 2"}


async def test_a_checksum_needs_its_separating_space(tmp_path: Path) -> None:
    lines = await journal_of_three(tmp_path)
    glued = lines[1][:8] + b"_" + lines[1][9:]  # the same checksum and body, no space between
    (tmp_path / JOURNAL).write_bytes(lines[0] + b"\n" + glued + b"\n" + lines[2] + b"\n")
    with pytest.raises(Corrupted):
        await JournalStore(tmp_path).load()


async def test_the_damage_report_names_the_first_five_lines(tmp_path: Path) -> None:
    lines = await journal_of_three(tmp_path)
    bad = b"garbage\n" * 7
    (tmp_path / JOURNAL).write_bytes(lines[0] + b"\n" + bad + lines[1] + b"\n")
    with pytest.raises(Corrupted) as err:
        await JournalStore(tmp_path).load()
    assert err.value.problems == {JOURNAL: "unreadable line(s) 2, 3, 4, 5, 6"}


async def test_missing_entries_are_reported_and_the_files_made_whole(tmp_path: Path) -> None:
    store = JournalStore(tmp_path)
    for n in range(1, 6):
        await store.commit({f"i{n}": rec(f"i{n}")}, {"counter": n})
    lines = (tmp_path / JOURNAL).read_bytes().split(b"\n")
    (tmp_path / JOURNAL).write_bytes(b"\n".join([lines[0], *lines[3:]]))  # entries 2 and 3 lost
    again = JournalStore(tmp_path)
    meta, records = await again.load()
    assert sorted(r["id"] for r in records) == ["i1", "i4", "i5"] and meta == {"counter": 5}
    assert again.recovered == [f"{JOURNAL}: entries 2..3 missing"]
    assert (tmp_path / SNAPSHOT).exists() and not (tmp_path / JOURNAL).exists()  # compacted at once
    third = JournalStore(tmp_path)
    await third.load()
    assert third.recovered == [] and third.stats()["seq"] == 5


# -- snapshots ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"[]", "not a bpo state file"),
        (b'{"format":"other","version":2,"seq":1,"meta":null,"instances":{}}', "not a bpo state file"),
        (b'{"version":2,"seq":1,"meta":null,"instances":{}}', "not a bpo state file"),
        (b'{"format":"bpo-state","version":"2","seq":1,"meta":null,"instances":{}}', "not a bpo state file"),
        (b'{"format":"bpo-state","seq":1,"meta":null,"instances":{}}', "not a bpo state file"),
        (b'{"format":"bpo-state","version":2,"seq":"1","meta":null,"instances":{}}', "unexpected content"),
        (b'{"format":"bpo-state","version":2,"meta":null,"instances":{}}', "unexpected content"),
        (b'{"format":"bpo-state","version":2,"seq":1,"meta":null,"instances":[]}', "unexpected content"),
        (b'{"format":"bpo-state","version":2,"seq":1,"meta":null}', "unexpected content"),
        (b'{"format":"bpo-state","version":2,"seq":1,"meta":[],"instances":{}}', "unexpected content"),
        (b'{"format":"bpo-state","version":2,"seq":1,"meta":null,"instances":{"a":1}}', "unexpected content"),
        (
            b'{"format":"bpo-state","version":2,"seq":1,"meta":null,"instances":{"a":{"id":"a"},"b":2}}',
            "unexpected content",
        ),
    ],
)
async def test_a_snapshot_of_the_wrong_shape_is_refused_with_the_reason(
    tmp_path: Path, content: bytes, why: str
) -> None:
    (tmp_path / SNAPSHOT).write_bytes(content)
    with pytest.raises(Corrupted) as err:
        await JournalStore(tmp_path).load()
    assert err.value.problems == {SNAPSHOT: why}


async def test_snapshots_of_this_version_without_meta_or_with_it_are_read(tmp_path: Path) -> None:
    (tmp_path / SNAPSHOT).write_bytes(
        b'{"format":"bpo-state","version":2,"seq":4,"meta":null,"instances":{"a":{"id":"a"}}}'
    )
    store = JournalStore(tmp_path)
    assert await store.load() == (None, [{"id": "a"}])
    assert store.recovered == [] and store.stats()["seq"] == 4 and store.fresh is False
    (tmp_path / SNAPSHOT).write_bytes(
        b'{"format":"bpo-state","version":1,"seq":4,"meta":{"counter":1},"instances":{}}'
    )
    assert await JournalStore(tmp_path).load() == ({"counter": 1}, [])


async def test_an_unreadable_snapshot_falls_back_to_the_last_good_copy(tmp_path: Path) -> None:
    store = JournalStore(tmp_path, compact_min_bytes=0, compact_ratio=0)
    await store.commit({"a": rec("a")}, {"counter": 1})
    await store.commit({"b": rec("b")}, {"counter": 2})
    (tmp_path / SNAPSHOT).unlink()
    (tmp_path / SNAPSHOT).mkdir()  # reading it fails with an OSError, not with bad content
    again = JournalStore(tmp_path)
    meta, records = await again.load()
    assert meta == {"counter": 2} and sorted(r["id"] for r in records) == ["a", "b"]
    [note] = again.recovered
    assert note.startswith(f"{SNAPSHOT}: unreadable (") and note.endswith(f"restored from {LAST_GOOD}")


async def test_a_lost_snapshot_is_rebuilt_from_the_last_good_copy_and_the_journals(tmp_path: Path) -> None:
    store = JournalStore(tmp_path, compact_min_bytes=0, compact_ratio=0)
    await store.commit({"a": rec("a")}, {"counter": 1})
    await store.commit({"b": rec("b")}, {"counter": 2})
    (tmp_path / SNAPSHOT).unlink()
    again = JournalStore(tmp_path)
    meta, records = await again.load()
    assert meta == {"counter": 2} and sorted(r["id"] for r in records) == ["a", "b"]
    assert again.recovered == [f"{SNAPSHOT}: missing; restored from {LAST_GOOD}"]
    assert not (tmp_path / f"{SNAPSHOT}.corrupt").exists()  # nothing there to keep aside
    assert (tmp_path / SNAPSHOT).exists()


async def test_a_journal_alone_is_a_clean_start(tmp_path: Path) -> None:
    store = JournalStore(tmp_path)
    await store.commit({"a": rec("a")}, {"counter": 1})
    again = JournalStore(tmp_path)
    assert await again.load() == ({"counter": 1}, [rec("a")])
    assert again.recovered == [] and again.fresh is False
    assert sorted(p.name for p in tmp_path.iterdir()) == [JOURNAL]  # no compaction needed
    assert again.stats() == {
        "instances": 1,
        "seq": 1,
        "snapshot_bytes": 0,
        "journal_bytes": (tmp_path / JOURNAL).stat().st_size,
        "recovered": [],
    }


async def test_an_empty_directory_is_fresh(tmp_path: Path) -> None:
    store = JournalStore(tmp_path / "new" / "bpo")  # its parent is created too
    assert store.fresh and not store.loaded
    assert await store.load() == (None, [])
    assert store.fresh and store.loaded and store.recovered == []


async def test_the_stats_follow_compactions(tmp_path: Path) -> None:
    store = JournalStore(tmp_path)
    await store.commit({"a": rec("a"), "b": rec("b")}, {"counter": 2})
    await store.compact()
    snap = (tmp_path / SNAPSHOT).stat().st_size
    assert store.stats() == {
        "instances": 2,
        "seq": 1,
        "snapshot_bytes": snap,
        "journal_bytes": 0,
        "recovered": [],
    }
    await store.commit({"a": None})
    assert store.stats()["journal_bytes"] == (tmp_path / JOURNAL).stat().st_size > 0
    assert store.stats()["instances"] == 1 and store.stats()["seq"] == 2
    again = JournalStore(tmp_path)
    await again.load()
    assert again.stats() == store.stats()


# -- commits -----------------------------------------------------------------------------------------------


async def test_a_commit_that_changes_nothing_writes_nothing(tmp_path: Path) -> None:
    ops = RecordingOps()
    store = JournalStore(tmp_path, ops=ops)
    await store.commit({})
    await store.commit({"never-saved": None})
    assert ops.log == [] and store.stats()["seq"] == 0
    await store.commit({}, {"counter": 1})  # meta alone is a change
    await store.delete_instance("never-saved")
    assert ops.log == [("append", JOURNAL)] and store.stats()["seq"] == 1
    assert await JournalStore(tmp_path).load() == ({"counter": 1}, [])


async def test_the_port_methods_commit(tmp_path: Path) -> None:
    store = JournalStore(tmp_path)
    await store.save_instance("a", rec("a"))
    await store.save_many({"b": rec("b"), "c": rec("c")})
    await store.save_meta({"counter": 3})
    await store.delete_instance("b")
    await store.save_many({"c": None, "d": rec("d")})
    meta, records = await records_of(tmp_path)
    assert meta == {"counter": 3} and records == {"a": rec("a"), "d": rec("d")}


async def test_a_commit_loads_first_and_keeps_what_was_on_disk(tmp_path: Path) -> None:
    first = JournalStore(tmp_path)
    await first.commit({"a": rec("a")}, {"counter": 1})
    second = JournalStore(tmp_path)  # not loaded: its first commit reads the files
    await second.commit({"b": rec("b")})
    assert second.loaded
    await second.compact()
    meta, records = await records_of(tmp_path)
    assert meta == {"counter": 1} and sorted(records) == ["a", "b"]


async def test_compact_on_a_store_not_yet_loaded_keeps_the_state(tmp_path: Path) -> None:
    first = JournalStore(tmp_path)
    await first.commit({"a": rec("a")}, {"counter": 1})
    second = JournalStore(tmp_path)
    await second.compact()
    assert not (tmp_path / JOURNAL).exists()
    (tmp_path / PREV_JOURNAL).unlink()  # the new snapshot alone holds everything
    assert await records_of(tmp_path) == ({"counter": 1}, {"a": rec("a")})


async def size_of_one_commit(directory: Path) -> int:
    probe = JournalStore(directory)
    await probe.commit({"a": rec("a")})
    return (directory / JOURNAL).stat().st_size


async def test_a_journal_exactly_at_the_floor_is_not_compacted(tmp_path: Path) -> None:
    size = await size_of_one_commit(tmp_path / "probe")
    ops = RecordingOps()
    store = JournalStore(tmp_path / "s", ops=ops, compact_min_bytes=size, compact_ratio=0)
    await store.commit({"a": rec("a")})
    assert ops.log == [("append", JOURNAL)]
    await store.commit({"a": rec("a", 1)})  # over the floor now
    assert ("write_atomic", SNAPSHOT) in ops.log
    assert not (tmp_path / "s" / JOURNAL).exists()


async def test_the_ratio_compares_the_journal_with_the_snapshot(tmp_path: Path) -> None:
    store = JournalStore(tmp_path, compact_min_bytes=0, compact_ratio=3)
    await store.commit({f"i{n}": rec(f"i{n}") for n in range(10)})  # no snapshot yet: compacted at once
    snap = (tmp_path / SNAPSHOT).stat().st_size
    sizes = []
    for step in range(1, 100):
        await store.commit({"i0": rec("i0", step)})
        if not (tmp_path / JOURNAL).exists():
            break  # this commit compacted
        sizes.append((tmp_path / JOURNAL).stat().st_size)
    # every journal left in place was at most three snapshots long, and the next line would pass that
    assert sizes and sizes[-1] <= 3 * snap < sizes[-1] + sizes[0]
    assert (await records_of(tmp_path))[1]["i0"] == rec("i0", step)


async def test_a_failed_append_whose_cut_also_failed_is_compacted_away(tmp_path: Path) -> None:
    ops = RecordingOps()
    store = JournalStore(tmp_path, ops=ops)
    await store.commit({"a": rec("a")}, {"counter": 1})
    ops.fail_append = ops.fail_truncate = True
    with pytest.raises(WriteFailed, match="could not write journal.log: Input/output error"):
        await store.commit({"b": rec("b")}, {"counter": 2})
    ops.fail_append = ops.fail_truncate = False
    ops.log.clear()
    await store.commit({"c": rec("c")}, {"counter": 3})
    # the torn bytes are still in the journal, so a snapshot is written before the next append
    assert ops.log[0] == ("rename", f"{JOURNAL}->{PREV_JOURNAL}")
    assert ops.log[-1] == ("append", JOURNAL)
    assert await records_of(tmp_path) == ({"counter": 3}, {"a": rec("a"), "c": rec("c")})
    ops.log.clear()
    await store.commit({"d": rec("d")})
    assert ops.log == [("append", JOURNAL)]  # once the snapshot is written, appends go on as usual


async def test_a_failed_append_that_was_cut_needs_no_compaction(tmp_path: Path) -> None:
    ops = RecordingOps()
    store = JournalStore(tmp_path, ops=ops)
    await store.commit({"a": rec("a")}, {"counter": 1})
    ops.fail_append = True
    with pytest.raises(WriteFailed):
        await store.commit({"b": rec("b")}, {"counter": 2})
    assert ops.log[-1] == ("truncate", JOURNAL)
    ops.fail_append = False
    ops.log.clear()
    await store.commit({"c": rec("c")}, {"counter": 3})
    assert ops.log == [("append", JOURNAL)]
    assert await records_of(tmp_path) == ({"counter": 3}, {"a": rec("a"), "c": rec("c")})


# -- compaction --------------------------------------------------------------------------------------------


async def test_the_first_compaction_after_a_rebuild_writes_the_last_good_copy_itself(tmp_path: Path) -> None:
    store = JournalStore(tmp_path, compact_min_bytes=0, compact_ratio=0)
    await store.commit({"a": rec("a")}, {"counter": 1})
    (tmp_path / SNAPSHOT).write_bytes(b"\x00")
    ops = RecordingOps()
    again = JournalStore(tmp_path, ops=ops)
    await again.load()  # rebuilt from the journal and compacted
    # the damaged snapshot was moved aside, never kept as the last-good copy
    assert ("keep_copy", LAST_GOOD) not in ops.log
    assert ("write_atomic", LAST_GOOD) in ops.log
    assert (tmp_path / LAST_GOOD).read_bytes() == (tmp_path / SNAPSHOT).read_bytes()
    assert (tmp_path / f"{SNAPSHOT}.corrupt").read_bytes() == b"\x00"
    ops.log.clear()
    await again.compact()  # now the current snapshot is good: it becomes the last-good copy
    assert ops.log[0] == ("keep_copy", LAST_GOOD)


async def test_a_snapshot_holds_the_state_and_its_sequence(tmp_path: Path) -> None:
    store = JournalStore(tmp_path)
    await store.commit({"a": rec("a")}, {"counter": 1})
    await store.commit({"b": rec("b")})
    await store.compact()
    (tmp_path / PREV_JOURNAL).unlink()  # the snapshot alone must be enough
    again = JournalStore(tmp_path)
    assert await again.load() == ({"counter": 1}, [rec("a"), rec("b")])
    assert again.stats()["seq"] == 2
    await again.commit({"c": rec("c")})
    assert b'"seq":3' in (tmp_path / JOURNAL).read_bytes()


async def test_import_state_replaces_everything(tmp_path: Path) -> None:
    store = JournalStore(tmp_path)
    await store.commit({"old": rec("old")}, {"counter": 1})
    await store.import_state({"counter": 5}, [rec("x"), rec("y")])
    assert store.loaded
    assert await records_of(tmp_path) == ({"counter": 5}, {"x": rec("x"), "y": rec("y")})
    await store.import_state(None, [])
    assert await records_of(tmp_path) == (None, {})
    with pytest.raises(WriteFailed, match=r"^state is not serialisable: TypeError$"):
        await store.import_state(None, [{"id": "z", "bad": object()}])
    with pytest.raises(WriteFailed, match=r"^state is not serialisable: TypeError$"):
        await store.commit({"z": {"id": "z", "bad": object()}})


async def test_remove_leaves_a_directory_holding_something_else(tmp_path: Path) -> None:
    store = JournalStore(tmp_path)
    await store.commit({"a": rec("a")}, {"counter": 1})
    (tmp_path / "keep").mkdir()
    await store.remove()
    assert [p.name for p in tmp_path.iterdir()] == ["keep"]
    assert store.stats() == {
        "instances": 0,
        "seq": 0,
        "snapshot_bytes": 0,
        "journal_bytes": 0,
        "recovered": [],
    }
    assert store.loaded is False
    await store.commit({"b": rec("b")})  # loads again, from nothing
    assert await records_of(tmp_path) == (None, {"b": rec("b")})
    await JournalStore(tmp_path / "never-created").remove()  # no directory: nothing to do


class FailingSnapshots(RecordingOps):
    """Snapshots cannot be written (a full disk, say); appends still work."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_snapshots = True

    def write_atomic(self, path: Path, data: bytes) -> None:
        if self.fail_snapshots:
            raise OSError(28, "No space left on device")
        super().write_atomic(path, data)


async def test_a_failed_compaction_after_a_commit_is_logged_and_retried(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ops = FailingSnapshots()
    store = JournalStore(tmp_path, ops=ops, compact_min_bytes=0, compact_ratio=0)
    await store.commit(
        {"a": rec("a")}, {"counter": 1}
    )  # acknowledged: the compaction failing does not undo it
    assert [r.getMessage() for r in caplog.records] == [
        "bpo state compaction failed (will retry): [Errno 28] No space left on device"
    ]
    assert caplog.records[0].levelname == "WARNING"
    assert not (tmp_path / SNAPSHOT).exists()
    ops.fail_snapshots = False
    await store.commit({"b": rec("b")})
    assert (tmp_path / SNAPSHOT).exists()
    assert await records_of(tmp_path) == ({"counter": 1}, {"a": rec("a"), "b": rec("b")})


async def test_an_explicit_compaction_reports_its_failure(tmp_path: Path) -> None:
    ops = FailingSnapshots()
    store = JournalStore(tmp_path, ops=ops)
    await store.commit({"a": rec("a")})
    with pytest.raises(OSError, match="No space left"):
        await store.compact()
    assert await records_of(tmp_path) == (None, {"a": rec("a")})


async def test_the_default_thresholds_keep_small_journals(tmp_path: Path) -> None:
    store = JournalStore(tmp_path)
    for n in range(50):
        await store.commit({f"i{n}": rec(f"i{n}")}, {"counter": n})
    assert sorted(p.name for p in tmp_path.iterdir()) == [JOURNAL]  # far below 1 MiB: never compacted
    assert store.stats()["seq"] == 50


async def test_a_new_store_reports_nothing_before_it_loads(tmp_path: Path) -> None:
    store = JournalStore(tmp_path)
    assert store.loaded is False and store.fresh is True
    assert store.recovered == [] and store.removed_temp_files == []
    assert store.stats() == {
        "instances": 0,
        "seq": 0,
        "snapshot_bytes": 0,
        "journal_bytes": 0,
        "recovered": [],
    }


async def test_importing_into_a_new_directory_numbers_from_the_start(tmp_path: Path) -> None:
    store = JournalStore(tmp_path)
    await store.import_state({"counter": 2}, [rec("a")])
    # nothing was known good before the import, so the first snapshot is its own last-good copy
    assert {p.name for p in tmp_path.iterdir()} == {LAST_GOOD, SNAPSHOT}
    assert (tmp_path / LAST_GOOD).read_bytes() == (tmp_path / SNAPSHOT).read_bytes()
    await store.commit({"b": rec("b")})
    assert b'{"seq":1,' in (tmp_path / JOURNAL).read_bytes()
    again = JournalStore(tmp_path)
    await again.load()
    assert again.stats()["seq"] == 1 and again.recovered == []


async def test_by_default_the_journal_may_grow_to_the_snapshot_size(tmp_path: Path) -> None:
    store = JournalStore(tmp_path, compact_min_bytes=0)  # the ratio is left at its default
    await store.commit({f"i{n}": rec(f"i{n}") for n in range(10)})
    snap = (tmp_path / SNAPSHOT).stat().st_size
    sizes = []
    for step in range(1, 100):
        await store.commit({"i0": rec("i0", step)})
        if not (tmp_path / JOURNAL).exists():
            break
        sizes.append((tmp_path / JOURNAL).stat().st_size)
    assert sizes and sizes[-1] <= snap < sizes[-1] + sizes[0]


async def test_appends_fsync_the_directory_only_for_a_new_journal_file(tmp_path: Path) -> None:
    ops = RecordingOps()
    store = JournalStore(tmp_path, ops=ops)
    await store.commit({"a": rec("a")})
    await store.commit({"b": rec("b")})
    await store.compact()  # the journal was renamed away: the next append creates it again
    await store.commit({"c": rec("c")})
    assert ops.created == [True, False, True]
    again_ops = RecordingOps()
    again = JournalStore(tmp_path, ops=again_ops)
    await again.load()
    await again.commit({"d": rec("d")})  # the journal is there already
    assert again_ops.created == [False]
    assert ("truncate", JOURNAL) not in again_ops.log  # a whole journal is not cut at load


async def test_a_trailing_empty_line_is_not_damage_and_is_cut(tmp_path: Path) -> None:
    lines = await journal_of_three(tmp_path)
    whole = b"".join(x + b"\n" for x in lines)
    (tmp_path / JOURNAL).write_bytes(whole + b"\n")
    store = JournalStore(tmp_path)
    meta, records = await store.load()
    assert meta == {"counter": 3} and len(records) == 3 and store.recovered == []
    assert (tmp_path / JOURNAL).read_bytes() == whole


async def test_a_delete_of_a_record_whose_save_is_missing_still_loads(tmp_path: Path) -> None:
    store = JournalStore(tmp_path)
    await store.commit({"a": rec("a")}, {"counter": 1})
    await store.commit({"x": rec("x")}, {"counter": 2})
    await store.commit({"x": None, "b": rec("b")})
    lines = (tmp_path / JOURNAL).read_bytes().split(b"\n")
    (tmp_path / JOURNAL).write_bytes(b"\n".join([lines[0], *lines[2:]]))  # the save of x is lost
    again = JournalStore(tmp_path)
    meta, records = await again.load()
    assert sorted(r["id"] for r in records) == ["a", "b"] and meta == {"counter": 1}
    assert again.recovered == [f"{JOURNAL}: entries 2..2 missing"]


async def test_entries_a_snapshot_already_holds_are_skipped_and_later_ones_applied(tmp_path: Path) -> None:
    store = JournalStore(tmp_path)
    await store.commit({"a": rec("a")}, {"counter": 1})
    await store.commit({"b": rec("b")}, {"counter": 2})
    old = (tmp_path / JOURNAL).read_bytes()
    await store.compact()  # snapshot at entry 2
    await store.commit({"c": rec("c")}, {"counter": 3})
    # a journal that still starts with entries 1 and 2 (say, put back from a backup) before entry 3
    (tmp_path / JOURNAL).write_bytes(old + (tmp_path / JOURNAL).read_bytes())
    again = JournalStore(tmp_path)
    meta, records = await again.load()
    assert meta == {"counter": 3} and sorted(r["id"] for r in records) == ["a", "b", "c"]
    assert again.recovered == [] and again.stats()["seq"] == 3


async def test_a_lost_snapshot_with_only_its_last_good_copy_left_is_reported(tmp_path: Path) -> None:
    store = JournalStore(tmp_path, compact_min_bytes=0, compact_ratio=0)
    await store.commit({"a": rec("a")}, {"counter": 1})
    await store.commit({"b": rec("b")}, {"counter": 2})
    (tmp_path / SNAPSHOT).unlink()
    (tmp_path / PREV_JOURNAL).unlink()
    again = JournalStore(tmp_path)
    meta, records = await again.load()
    assert meta == {"counter": 1} and [r["id"] for r in records] == ["a"]  # what the last-good copy held
    assert again.recovered == [f"{SNAPSHOT}: missing; restored from {LAST_GOOD}"]


async def test_a_damaged_first_snapshot_beside_a_journal_is_set_aside(tmp_path: Path) -> None:
    store = JournalStore(tmp_path)
    await store.commit({"a": rec("a")}, {"counter": 1})
    (tmp_path / SNAPSHOT).write_bytes(b"{")  # no last-good copy and no older journal beside it
    ops = RecordingOps()
    again = JournalStore(tmp_path, ops=ops)
    assert await again.load() == ({"counter": 1}, [rec("a")])
    [note] = again.recovered
    assert note.startswith(f"{SNAPSHOT}: invalid JSON") and note.endswith("; restored from the journal")
    assert (tmp_path / f"{SNAPSHOT}.corrupt").read_bytes() == b"{"
    assert ("keep_copy", LAST_GOOD) not in ops.log  # the damaged file never becomes the last-good copy
