"""The write path is durable at the system-call level (issue 16): a commit is fsync'd before it returns,
and every whole-file write goes temp file -> fsync -> rename -> directory fsync; nothing is rewritten in
place. The calls are traced through the ``os`` module the file operations use."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from custom_components.bpo.durable import fileops
from custom_components.bpo.durable.journal import JOURNAL, LAST_GOOD, PREV_JOURNAL, SNAPSHOT, JournalStore

Trace = list[tuple[str, str]]


@pytest.fixture
def trace(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Trace:
    """(call, file name) for open/write/fsync/close/replace/ftruncate under ``tmp_path``; "<dir>" is the
    directory itself. Calls on other files (pytest's own) are not recorded."""
    calls: Trace = []
    names: dict[int, str] = {}
    real = {
        name: getattr(fileops.os, name)
        for name in ("open", "write", "fsync", "close", "replace", "ftruncate")
    }

    def name_of(path: Any) -> str | None:
        p = Path(os.fsdecode(path))
        if p == tmp_path:
            return "<dir>"
        return p.name if p.parent == tmp_path else None

    def spy_open(path: Any, flags: int, mode: int = 0o777, **kw: Any) -> int:
        fd: int = real["open"](path, flags, mode, **kw)
        name = name_of(path)
        if name is not None:
            names[fd] = name
            calls.append(("open-write" if flags & (os.O_WRONLY | os.O_RDWR) else "open-read", name))
        return fd

    def on_fd(call: str) -> Any:
        def spy(fd: int, *args: Any) -> Any:
            if fd in names:
                if call != "write" or not calls or calls[-1] != ("write", names[fd]):
                    calls.append((call, names[fd]))  # one entry for a run of partial writes
                if call == "close":
                    del names[fd]
            return real[call](fd, *args)

        return spy

    def spy_replace(src: Any, dst: Any, **kw: Any) -> None:
        real["replace"](src, dst, **kw)
        a, b = name_of(src), name_of(dst)
        if a is not None and b is not None:
            calls.append(("replace", f"{a}->{b}"))

    monkeypatch.setattr(fileops.os, "open", spy_open)
    for call in ("write", "fsync", "close", "ftruncate"):
        monkeypatch.setattr(fileops.os, call, on_fd(call))
    monkeypatch.setattr(fileops.os, "replace", spy_replace)
    return calls


async def test_a_commit_is_appended_and_fsynced_before_it_returns(tmp_path: Path, trace: Trace) -> None:
    store = JournalStore(tmp_path)
    await store.load()
    trace.clear()
    await store.commit({"i1": {"id": "i1", "step": 1}})
    assert trace == [
        ("open-write", JOURNAL),
        ("write", JOURNAL),
        ("fsync", JOURNAL),
        ("close", JOURNAL),
        ("open-read", "<dir>"),  # a new journal file: its name is made durable too
        ("fsync", "<dir>"),
        ("close", "<dir>"),
    ]
    trace.clear()
    await store.commit({"i1": {"id": "i1", "step": 2}})  # the file exists now: no directory fsync
    assert trace == [("open-write", JOURNAL), ("write", JOURNAL), ("fsync", JOURNAL), ("close", JOURNAL)]
    assert b'"step":2' in (tmp_path / JOURNAL).read_bytes()


async def test_snapshots_are_written_to_a_temp_file_fsynced_and_renamed(tmp_path: Path, trace: Trace) -> None:
    store = JournalStore(tmp_path)
    await store.commit({"i1": {"id": "i1", "step": 1}})
    trace.clear()
    await store.compact()
    tmp_good, tmp_snap = LAST_GOOD + fileops.TMP_SUFFIX, SNAPSHOT + fileops.TMP_SUFFIX

    def atomic(tmp: str, final: str) -> Trace:
        return [
            ("open-write", tmp),
            ("write", tmp),
            ("fsync", tmp),
            ("close", tmp),
            ("replace", f"{tmp}->{final}"),
            ("open-read", "<dir>"),
            ("fsync", "<dir>"),
            ("close", "<dir>"),
        ]

    dir_sync = [("open-read", "<dir>"), ("fsync", "<dir>"), ("close", "<dir>")]
    assert trace == [("replace", f"{JOURNAL}->{PREV_JOURNAL}"), *dir_sync, *atomic(tmp_snap, SNAPSHOT)]

    await store.commit({"i1": {"id": "i1", "step": 2}})
    trace.clear()
    await store.compact()  # now a snapshot exists: it is kept as the last-good copy first
    assert trace == [
        ("replace", f"{tmp_good}->{LAST_GOOD}"),
        *dir_sync,
        ("replace", f"{JOURNAL}->{PREV_JOURNAL}"),
        *dir_sync,
        *atomic(tmp_snap, SNAPSHOT),
    ]
    # nothing was ever opened for writing under its final name
    assert not {name for call, name in trace if call == "open-write"} & {SNAPSHOT, LAST_GOOD, JOURNAL}
    assert not list(tmp_path.glob("*" + fileops.TMP_SUFFIX))
    meta, records = await JournalStore(tmp_path).load()
    assert list(records) == [{"id": "i1", "step": 2}]


async def test_a_torn_tail_is_cut_and_the_cut_fsynced(tmp_path: Path, trace: Trace) -> None:
    ops = fileops.RealFileOps()
    (tmp_path / JOURNAL).write_bytes(b"whole line\ntorn")
    trace.clear()
    ops.truncate(tmp_path / JOURNAL, 11)
    assert trace == [("open-write", JOURNAL), ("ftruncate", JOURNAL), ("fsync", JOURNAL), ("close", JOURNAL)]
    assert (tmp_path / JOURNAL).read_bytes() == b"whole line\n"
