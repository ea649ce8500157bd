"""Blueprint problems: every mistake in a file, each with file, line and key path.

Admins edit YAML by hand, so the loader collects *all* problems before raising,
and each renders as one plain line: ``file.yaml:14: process.steps[0].task.due: <what was expected>``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

KeyPath = tuple[str | int, ...]


def format_path(path: KeyPath) -> str:
    """``("process", "steps", 0, "task")`` -> ``process.steps[0].task``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int | None  # 1-based; None when the position is unknown (e.g. unreadable file)
    path: str  # dotted key path, "" for the whole file
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class BlueprintError(Exception):
    """A blueprint file is invalid; ``problems`` lists every mistake found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = sorted(problems, key=lambda p: (p.file, p.line or 0))
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


@dataclass
class Collector:
    """Accumulates problems for one file; knows the line of every key path it was given."""

    file: str
    lines: dict[KeyPath, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # paths whose value is an input nobody supplied: that was reported once; stay quiet below them
    muted: set[KeyPath] = field(default_factory=set)
    # things that are probably wrong but do not make the file invalid (``bpo validate`` prints them)
    warnings: list[Problem] = field(default_factory=list)

    def line(self, path: KeyPath) -> int | None:
        """Line of ``path`` or of its nearest ancestor (values substituted from ``!input`` have none)."""
        for end in range(len(path), -1, -1):
            found = self.lines.get(path[:end])
            if found is not None:
                return found
        return None

    def add(self, path: KeyPath, message: str) -> None:
        if any(path[: len(prefix)] == prefix for prefix in self.muted):
            return
        problem = Problem(self.file, self.line(path), format_path(path), message)
        if problem not in self.problems:
            self.problems.append(problem)

    def warn(self, path: KeyPath, message: str) -> None:
        warning = Problem(self.file, self.line(path), format_path(path), f"warning: {message}")
        if warning not in self.warnings:
            self.warnings.append(warning)

    def raise_if_any(self) -> None:
        if self.problems:
            raise BlueprintError(self.problems)
