"""Which to-do list shows which task, kept up to date from the tasks each engine commit touched.

A list is ``person:<entity id>`` (assignee and candidates) or ``queue:<group>``. Open tasks are on the lists
of their assignee, candidates and group; a completed task stays on them, ticked, for the retention period
(as HA's local to-do lists keep done items), so to-do triggers and the user's own history see it. Cancelled
and timed-out tasks leave at once. Each update costs O(tasks touched), never O(all tasks): lists are
refreshed only when one of their tasks changed.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Final

from .engine.runtime import Engine
from .engine.state import COMPLETED, Task

DEFAULT_RETENTION: Final = timedelta(days=7)


def person_list(entity_id: str) -> str:
    return f"person:{entity_id}"


def queue_list(group: str) -> str:
    return f"queue:{group}"


def lists_of(task: Task) -> frozenset[str]:
    keys = {person_list(p) for p in (task.assignee, *task.candidates) if p}
    if task.group:
        keys.add(queue_list(task.group))
    return frozenset(keys)


class TaskLists:
    """Task ids per list; ``update`` answers which lists changed."""

    def __init__(self, engine: Engine, retention: timedelta = DEFAULT_RETENTION) -> None:
        self.engine = engine
        self.retention = retention
        self._lists: dict[str, dict[str, Task]] = {}
        self._where: dict[str, frozenset[str]] = {}
        self._expiry: list[tuple[datetime, str]] = []  # (drop after, task id), a heap

    def _shown(self, task: Task, now: datetime) -> bool:
        if task.is_open:
            return True
        done = task.completed_at
        return task.status == COMPLETED and done is not None and done + self.retention > now

    def rebuild(self, now: datetime) -> None:
        """Every list from scratch: at set-up and after a reload (the only full scans)."""
        self._lists, self._where, self._expiry = {}, {}, []
        for inst in self.engine.instances():
            for task in inst.tasks:
                self._place(task, now)

    def _place(self, task: Task, now: datetime) -> frozenset[str]:
        """Put ``task`` where it belongs now; returns the lists it left or joined (or changed on)."""
        old = self._where.pop(task.id, frozenset())
        for key in old:
            items = self._lists.get(key)
            if items is not None:
                items.pop(task.id, None)
        if not self._shown(task, now):
            return old
        new = lists_of(task)
        for key in new:
            self._lists.setdefault(key, {})[task.id] = task
        if new:
            self._where[task.id] = new
        if not task.is_open and task.completed_at is not None:
            heapq.heappush(self._expiry, (task.completed_at + self.retention, task.id))
        return old | new

    def update(self, task_ids: Iterable[str], now: datetime) -> set[str]:
        """Re-place the tasks an operation touched; the lists whose content changed."""
        changed: set[str] = set()
        for task_id in task_ids:
            task = self.engine.task(task_id)
            if task is None:  # the instance is gone
                changed |= self._drop(task_id)
            else:
                changed |= self._place(task, now)
        return changed

    def _drop(self, task_id: str) -> frozenset[str]:
        old = self._where.pop(task_id, frozenset())
        for key in old:
            self._lists.get(key, {}).pop(task_id, None)
        return old

    def expire(self, now: datetime) -> set[str]:
        """Drop completed tasks past the retention period; the lists that changed."""
        changed: set[str] = set()
        while self._expiry and self._expiry[0][0] <= now:
            _, task_id = heapq.heappop(self._expiry)
            task = self.engine.task(task_id)
            if task is None or not self._shown(task, now):
                changed |= self._drop(task_id)
        return changed

    def next_expiry(self) -> datetime | None:
        return self._expiry[0][0] if self._expiry else None

    def tasks(self, key: str) -> list[Task]:
        return list(self._lists.get(key, {}).values())
