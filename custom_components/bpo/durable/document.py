"""One small JSON document written whole and atomically, with a last-good copy (e.g. device records)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from .codec import DecodeError, EncodeError, dumps, loads
from .errors import Corrupted, WriteFailed
from .fileops import TMP_SUFFIX, FileOps, RealFileOps
from .journal import Runner, run_inline

LAST_GOOD_SUFFIX = ".last_good"


class DocumentFile:
    """``load`` validates with ``check``, else reads the last-good copy; ``save`` is durable on return."""

    def __init__(
        self,
        path: Path,
        *,
        check: Any = None,
        run: Runner = run_inline,
        ops: FileOps | None = None,
    ) -> None:
        self.path = path
        self.last_good = path.with_name(path.name + LAST_GOOD_SUFFIX)
        # check(data) -> problem text or None; raises VersionTooNew for files of a newer bpo
        self._check = check
        self._run = run
        self._ops: FileOps = ops if ops is not None else RealFileOps()
        self._good = False  # the main file is known good (read or written by us)
        self.recovered: str | None = None

    async def load(self) -> Any:
        """The document, or None when there is none yet."""
        data: Any = await self._run(self._load)
        return data

    def _read(self, path: Path) -> tuple[Any, str | None, bool]:
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            return None, None, False
        except OSError as err:
            return None, f"unreadable ({err.strerror})", True
        try:
            data = loads(content)
        except DecodeError as err:
            return None, f"invalid JSON ({err})", True
        problem = self._check(data) if self._check is not None else None
        return (None, problem, True) if problem else (data, None, True)

    def _load(self) -> Any:
        for path in (self.path, self.last_good):  # left by a write a kill interrupted
            self._ops.unlink(path.with_name(path.name + TMP_SUFFIX))
        data, why, exists = self._read(self.path)
        if why is None:
            self._good = exists
            return data
        backup, backup_why, _ = self._read(self.last_good)
        if backup is None:
            raise Corrupted({self.path.name: f"{why}; last-good copy {backup_why or 'missing'}"})
        self._ops.rename(self.path, self.path.with_name(self.path.name + ".corrupt"))
        self._ops.write_atomic(self.path, dumps(backup))
        self._good = True
        self.recovered = f"{self.path.name}: {why}; restored from {self.last_good.name}"
        return backup

    async def save(self, data: Any) -> None:
        try:
            content = dumps(data)
        except EncodeError as err:
            raise WriteFailed(f"{self.path.name}: not serialisable ({type(err).__name__})") from None
        try:
            await self._run(partial(self._write, content))
        except OSError as err:
            raise WriteFailed(f"could not write {self.path.name}: {err.strerror or err}") from None

    def _write(self, content: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self._good and self.path.exists():
            self._ops.keep_copy(self.path, self.last_good)
        self._ops.write_atomic(self.path, content)
        self._good = True

    async def remove(self) -> None:
        await self._run(self._remove)

    def _remove(self) -> None:
        for path in (self.path, self.last_good):
            self._ops.unlink(path)
        self._good = False
