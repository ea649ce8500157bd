"""File operations details that mutation testing found unchecked (issue 16): private file modes, the copy
fallback where hard links are refused, and temp-file clean-up."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from custom_components.bpo.durable.fileops import TMP_SUFFIX, RealFileOps, remove_temp_files


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_state_files_are_private_to_the_owner(tmp_path: Path) -> None:
    """The state holds personal data: journal and snapshots are created rw for the owner only."""
    old = os.umask(0)  # so the mode we see is the one the code asked for
    try:
        ops = RealFileOps()
        ops.append(tmp_path / "journal.log", b"a\n", new=True)
        ops.write_atomic(tmp_path / "snapshot.json", b"{}")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "journal.log") == 0o600
    assert _mode(tmp_path / "snapshot.json") == 0o600


def test_append_adds_and_write_atomic_replaces(tmp_path: Path) -> None:
    ops = RealFileOps()
    log = tmp_path / "journal.log"
    ops.append(log, b"one\n", new=True)
    ops.append(log, b"two\n" * 5000, new=False)  # larger than one write() may take
    assert log.read_bytes() == b"one\n" + b"two\n" * 5000
    snap = tmp_path / "snapshot.json"
    ops.write_atomic(snap, b"x" * 100_000)
    ops.write_atomic(snap, b"short")
    assert snap.read_bytes() == b"short"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal.log", "snapshot.json"]


def test_keep_copy_falls_back_to_copying_without_hard_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, dst = tmp_path / "snapshot.json", tmp_path / "snapshot.last_good.json"
    src.write_bytes(b"good")
    dst.write_bytes(b"older")
    (tmp_path / (dst.name + TMP_SUFFIX)).write_bytes(b"left over by a crash")

    def refuse(self: Path, target: Path) -> None:
        raise OSError(1, "Operation not permitted")  # e.g. a network share

    monkeypatch.setattr(Path, "hardlink_to", refuse)
    RealFileOps().keep_copy(src, dst)
    assert dst.read_bytes() == b"good"
    assert not src.samefile(dst)  # a real copy: rewriting the snapshot leaves it intact
    assert sorted(p.name for p in tmp_path.iterdir()) == [src.name, dst.name]


def test_keep_copy_links_where_it_can(tmp_path: Path) -> None:
    src, dst = tmp_path / "snapshot.json", tmp_path / "snapshot.last_good.json"
    src.write_bytes(b"good")
    RealFileOps().keep_copy(src, dst)
    assert dst.read_bytes() == b"good" and src.samefile(dst)


def test_rename_unlink_and_temp_clean_up(tmp_path: Path) -> None:
    ops = RealFileOps()
    (tmp_path / "journal.log").write_bytes(b"j")
    ops.rename(tmp_path / "journal.log", tmp_path / "journal.prev.log")
    assert (tmp_path / "journal.prev.log").read_bytes() == b"j" and not (tmp_path / "journal.log").exists()
    ops.unlink(tmp_path / "journal.prev.log")
    ops.unlink(tmp_path / "journal.prev.log")  # already gone: no error
    assert list(tmp_path.iterdir()) == []

    (tmp_path / ("b.json" + TMP_SUFFIX)).write_bytes(b"")
    (tmp_path / ("a.json" + TMP_SUFFIX)).write_bytes(b"")
    (tmp_path / "keep.json").write_bytes(b"")
    (tmp_path / ("dir" + TMP_SUFFIX)).mkdir()
    assert remove_temp_files(tmp_path) == ["a.json.tmp", "b.json.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.tmp", "keep.json"]
    assert remove_temp_files(tmp_path / "missing") == []
