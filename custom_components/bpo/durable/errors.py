"""Errors of the durable layer; the HA glue maps them to translated Home Assistant errors."""

from __future__ import annotations

from collections.abc import Mapping


class DurableError(Exception):
    """Base of every error raised by this package."""


class WriteFailed(DurableError):
    """A write did not reach the disk; the operation it carried must not be acknowledged."""


class Unserialisable(WriteFailed):
    """The data itself cannot be written (not JSON): retrying the same write can never succeed."""


class VersionTooNew(DurableError):
    """A file was written by a newer bpo whose format this code cannot read."""


class Corrupted(DurableError):
    """Files are unreadable and no last-good copy recovers them; starting empty would lose data."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(sorted(problems.items()))
        super().__init__("; ".join(f"{name}: {why}" for name, why in self.problems.items()))
