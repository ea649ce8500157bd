"""File operations of the durable layer, each durable when it returns (blocking: run in an executor).

Every write boundary is one method here, so a test can stand in for this class and stop the "process"
before, during or after any of them, then check what a restart finds on disk.
"""

from __future__ import annotations

import os
import shutil
from contextlib import suppress
from pathlib import Path
from typing import Protocol

TMP_SUFFIX = ".tmp"


class FileOps(Protocol):
    """What the journal and the document files need from the file system."""

    def append(self, path: Path, data: bytes, *, new: bool) -> None:
        """Append ``data`` and fsync; ``new``: the file is being created (so the directory is fsynced)."""

    def truncate(self, path: Path, size: int) -> None:
        """Cut a torn or refused tail off ``path``."""

    def write_atomic(self, path: Path, data: bytes) -> None:
        """Replace ``path`` by ``data`` all at once: temp file, fsync, rename, directory fsync."""

    def keep_copy(self, src: Path, dst: Path) -> None:
        """Make ``dst`` a copy of ``src`` (hard link where possible), atomically replacing ``dst``."""

    def rename(self, src: Path, dst: Path) -> None:
        """Rename and fsync the directory."""

    def unlink(self, path: Path) -> None:
        """Delete if present."""


def fsync_dir(directory: Path) -> None:
    """Make renames and new names in ``directory`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on directories; the rename itself still happened
        pass
    finally:
        os.close(fd)


class RealFileOps:
    """The file system as it is."""

    def append(self, path: Path, data: bytes, *, new: bool) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if new:
            fsync_dir(path.parent)

    def truncate(self, path: Path, size: int) -> None:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.ftruncate(fd, size)
            os.fsync(fd)
        finally:
            os.close(fd)

    def write_atomic(self, path: Path, data: bytes) -> None:
        tmp = path.with_name(path.name + TMP_SUFFIX)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        tmp.replace(path)
        fsync_dir(path.parent)

    def keep_copy(self, src: Path, dst: Path) -> None:
        tmp = dst.with_name(dst.name + TMP_SUFFIX)
        with suppress(FileNotFoundError):
            tmp.unlink()
        try:
            tmp.hardlink_to(src)
        except OSError:  # file systems without hard links (some network shares)
            shutil.copyfile(src, tmp)
        tmp.replace(dst)
        fsync_dir(dst.parent)

    def rename(self, src: Path, dst: Path) -> None:
        src.replace(dst)
        fsync_dir(dst.parent)

    def unlink(self, path: Path) -> None:
        with suppress(FileNotFoundError):
            path.unlink()


def remove_temp_files(directory: Path) -> list[str]:
    """Delete temp files a killed process left behind; returns their names."""
    removed: list[str] = []
    with suppress(FileNotFoundError):
        for path in directory.iterdir():
            if path.name.endswith(TMP_SUFFIX) and path.is_file():
                path.unlink()
                removed.append(path.name)
    return sorted(removed)
