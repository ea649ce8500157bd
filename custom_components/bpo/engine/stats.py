"""Per-process counts kept from the instances each commit touched, so ``Engine.stats`` never scans.

Each instance contributes (running?, overdue open tasks, completion time); a commit re-derives the
contribution of the instances it changed and applies the difference: O(changed), one place, whatever
code path changed the instance.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import Counter
from datetime import datetime
from typing import NamedTuple

from .state import COMPLETED, Instance


class _Contribution(NamedTuple):
    process: str
    running: bool
    overdue: int
    completed_at: float | None  # epoch seconds, completed instances only


def _contribution(inst: Instance) -> _Contribution:
    running = inst.is_running
    overdue = sum(1 for t in inst.tasks if t.is_open and t.overdue) if running else 0
    done = inst.ended.timestamp() if inst.status == COMPLETED and inst.ended is not None else None
    return _Contribution(inst.process, running, overdue, done)


class ProcessStats:
    """Running instances, overdue open tasks and completion times, per process."""

    def __init__(self) -> None:
        self._of: dict[str, _Contribution] = {}
        self._running: Counter[str] = Counter()
        self._overdue: Counter[str] = Counter()
        self._completed: dict[str, list[float]] = {}  # sorted completion times

    def clear(self) -> None:
        self.__init__()  # type: ignore[misc]

    def update(self, instance_id: str, inst: Instance | None) -> None:
        """Re-derive one instance's share (``None``: the instance is gone)."""
        new = _contribution(inst) if inst is not None else None
        old = self._of.pop(instance_id, None)
        if old == new:
            if new is not None:
                self._of[instance_id] = new
            return
        if old is not None:
            self._running[old.process] -= old.running
            self._overdue[old.process] -= old.overdue
            if old.completed_at is not None:
                times = self._completed[old.process]
                del times[bisect_left(times, old.completed_at)]
        if new is not None:
            self._of[instance_id] = new
            self._running[new.process] += new.running
            self._overdue[new.process] += new.overdue
            if new.completed_at is not None:
                insort(self._completed.setdefault(new.process, []), new.completed_at)

    def query(self, process: str, since: datetime) -> dict[str, int]:
        times = self._completed.get(process, [])
        return {
            "open": self._running[process],
            "overdue": self._overdue[process],
            "completed_period": len(times) - bisect_left(times, since.timestamp()),
        }
