"""A stand-in for the file system that dies at a chosen write boundary, as a kill -9 would."""

from __future__ import annotations

from pathlib import Path

from custom_components.bpo.durable.fileops import TMP_SUFFIX, RealFileOps

MODES = ("before", "torn", "after")  # die before the operation, halfway through its data, or right after it


class Killed(BaseException):
    """The process died (BaseException, so no ``except Exception`` in the code under test hides it)."""


class CrashingOps:
    """Counts write boundaries; at boundary ``crash_at`` dies in ``mode``; dead, it refuses everything."""

    def __init__(self, crash_at: int | None = None, mode: str = "before") -> None:
        self.real = RealFileOps()
        self.crash_at = crash_at
        self.mode = mode
        self.calls = 0
        self.dead = False
        self.log: list[tuple[str, str]] = []

    def _boundary(self, op: str, path: Path) -> bool:
        """True when this call is the one to die at."""
        if self.dead:
            raise Killed
        self.calls += 1
        self.log.append((op, path.name))
        return self.calls == self.crash_at

    def _die(self) -> None:
        self.dead = True
        raise Killed

    def append(self, path: Path, data: bytes, *, new: bool) -> None:
        if not self._boundary("append", path):
            self.real.append(path, data, new=new)
            return
        if self.mode == "torn":
            self.real.append(path, data[: len(data) // 2], new=new)
        elif self.mode == "after":
            self.real.append(path, data, new=new)
        self._die()

    def truncate(self, path: Path, size: int) -> None:
        if not self._boundary("truncate", path):
            self.real.truncate(path, size)
            return
        if self.mode == "after":
            self.real.truncate(path, size)
        self._die()

    def write_atomic(self, path: Path, data: bytes) -> None:
        if not self._boundary("write_atomic", path):
            self.real.write_atomic(path, data)
            return
        if self.mode == "torn":  # the temp file is half written when the process dies
            path.with_name(path.name + TMP_SUFFIX).write_bytes(data[: len(data) // 2])
        elif self.mode == "after":
            self.real.write_atomic(path, data)
        self._die()

    def keep_copy(self, src: Path, dst: Path) -> None:
        if not self._boundary("keep_copy", dst):
            self.real.keep_copy(src, dst)
            return
        if self.mode == "after":
            self.real.keep_copy(src, dst)
        self._die()

    def rename(self, src: Path, dst: Path) -> None:
        if not self._boundary("rename", dst):
            self.real.rename(src, dst)
            return
        if self.mode == "after":
            self.real.rename(src, dst)
        self._die()

    def unlink(self, path: Path) -> None:
        if not self._boundary("unlink", path):
            self.real.unlink(path)
            return
        if self.mode == "after":
            self.real.unlink(path)
        self._die()
