"""The one timer heap that drives every deadline: task due dates, reminders, escalations,
step timeouts, waits and cron ticks.

Timers are plain data, keyed by a caller-chosen unique string (``"<instance>:<step>:timeout"``),
so re-arming a key replaces the old deadline and cancelling is by name. The heap itself
stores only ``(timestamp, seq, key)``; a stale heap entry (cancelled or re-armed) is skipped
when popped, which keeps cancel O(1).

Firing order is deterministic: by due instant, then by the order timers were scheduled.
A snapshot lists timers in that order, so a restore continues exactly as if never stopped.

Missed deadlines after a restore: the runtime restores the heap and calls
:meth:`TimerHeap.pop_due` with the current time; every overdue timer comes out exactly once
(late). Whether to act on it or drop it is the blueprint's catch-up policy, decided by the
runtime. Because a popped timer is gone from the heap, saving after firing means it can
never come out twice.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from .clock import ensure_utc


class Timer(NamedTuple):
    """One pending deadline.

    ``kind`` says what fires (``"timeout"``, ``"remind"``, ``"escalate"``, ``"due"``, ``"wait"``,
    ``"cron"``, ...); ``data`` is JSON-able detail for the handler (e.g. the reminder index).
    A NamedTuple rather than a frozen dataclass: fan-out creates one per task, and a tuple is
    about three times cheaper to build and smaller to keep.
    """

    key: str
    due: datetime
    kind: str
    instance_id: str | None = None
    data: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "due": self.due.isoformat(), "kind": self.kind}
        if self.instance_id is not None:
            out["instance_id"] = self.instance_id
        if self.data:
            out["data"] = dict(self.data)
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Timer:
        data = raw.get("data")
        return cls(
            key=str(raw["key"]),
            due=ensure_utc(datetime.fromisoformat(str(raw["due"]))),
            kind=str(raw["kind"]),
            instance_id=None if raw.get("instance_id") is None else str(raw["instance_id"]),
            data=dict(data) if data else None,
        )


class TimerHeap:
    """Pending timers ordered by due instant; see the module docstring for the guarantees."""

    __slots__ = ("_by_instance", "_heap", "_live", "_seq")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, str]] = []
        self._live: dict[str, tuple[int, Timer]] = {}  # key -> (seq of its valid heap entry, timer)
        self._by_instance: dict[str, list[str]] = {}
        self._seq = 0

    # -- arming and cancelling -------------------------------------------------

    def schedule(self, timer: Timer) -> None:
        """Arm ``timer``; a pending timer with the same key is replaced."""
        if timer.due.tzinfo is not UTC:  # normalise once so snapshots and comparisons agree
            timer = timer._replace(due=ensure_utc(timer.due))
        old = self._live.get(timer.key)
        if old is not None:
            self._unindex(old[1])
        self._seq += 1
        self._live[timer.key] = (self._seq, timer)
        if timer.instance_id is not None:
            self._by_instance.setdefault(timer.instance_id, []).append(timer.key)
        heapq.heappush(self._heap, (timer.due.timestamp(), self._seq, timer.key))
        self._compact_if_stale()

    def push(self, when: datetime, key: str, kind: str = "deadline", instance_id: str | None = None) -> None:
        """Shorthand for :meth:`schedule` when the key alone says what fires."""
        self.schedule(Timer(key, when, kind, instance_id))

    def cancel(self, key: str) -> Timer | None:
        """Disarm the timer with ``key``; returns it, or None when nothing was pending."""
        entry = self._live.pop(key, None)
        if entry is None:
            return None
        self._unindex(entry[1])
        self._compact_if_stale()
        return entry[1]

    def cancel_instance(self, instance_id: str) -> list[Timer]:
        """Disarm every timer of one instance (it ended or was cancelled)."""
        keys = self._by_instance.pop(instance_id, [])
        removed = [entry[1] for key in keys if (entry := self._live.pop(key, None)) is not None]
        self._compact_if_stale()
        return removed

    # -- reading ---------------------------------------------------------------

    def get(self, key: str) -> Timer | None:
        entry = self._live.get(key)
        return None if entry is None else entry[1]

    def __contains__(self, key: object) -> bool:
        return key in self._live

    def __len__(self) -> int:
        return len(self._live)

    def next_due(self) -> datetime | None:
        """Instant of the earliest pending timer (what the HA layer or simulator sleeps until)."""
        self._drop_stale_top()
        if not self._heap:
            return None
        return self._live[self._heap[0][2]][1].due

    def pending(self) -> Iterator[Timer]:
        """Pending timers in firing order (sorts a copy; for snapshots, views and tests)."""
        for _seq, timer in sorted(self._live.values(), key=lambda e: (e[1].due, e[0])):
            yield timer

    def for_instance(self, instance_id: str) -> list[Timer]:
        return [self._live[k][1] for k in self._by_instance.get(instance_id, ()) if k in self._live]

    # -- firing ----------------------------------------------------------------

    def pop_next(self, now: datetime) -> Timer | None:
        """Remove and return the earliest timer due at or before ``now``, if any.

        Fire one at a time: a handler may arm a new timer that is already due, and it must
        come out in order, before later ones.
        """
        limit = ensure_utc(now).timestamp()
        self._drop_stale_top()
        if not self._heap or self._heap[0][0] > limit:
            return None
        _ts, _seq, key = heapq.heappop(self._heap)
        timer = self._live.pop(key)[1]
        self._unindex(timer)
        return timer

    def pop_due(self, now: datetime) -> list[Timer]:
        """Remove and return every timer due at or before ``now``, in firing order."""
        out: list[Timer] = []
        while (timer := self.pop_next(now)) is not None:
            out.append(timer)
        return out

    # -- persistence -----------------------------------------------------------

    def snapshot(self) -> list[dict[str, Any]]:
        """JSON-able list in firing order; :meth:`restore` rebuilds an identical heap."""
        return [timer.to_dict() for timer in self.pending()]

    @classmethod
    def restore(cls, raw: Iterable[Mapping[str, Any]]) -> TimerHeap:
        heap = cls()
        for item in raw:
            timer = Timer.from_dict(item)
            old = heap._live.get(timer.key)
            if old is not None:  # a hand-edited snapshot may repeat a key: the later entry wins
                heap._unindex(old[1])
            heap._seq += 1
            heap._live[timer.key] = (heap._seq, timer)
            if timer.instance_id is not None:
                heap._by_instance.setdefault(timer.instance_id, []).append(timer.key)
            heap._heap.append((timer.due.timestamp(), heap._seq, timer.key))
        heap._heap = [entry for entry in heap._heap if not heap._is_stale(entry)]
        heapq.heapify(heap._heap)  # one O(n) build instead of n pushes
        return heap

    # -- internals -------------------------------------------------------------

    def _unindex(self, timer: Timer) -> None:
        if timer.instance_id is None:
            return
        keys = self._by_instance.get(timer.instance_id)
        if keys is None:
            return
        try:
            keys.remove(timer.key)
        except ValueError:
            return
        if not keys:
            del self._by_instance[timer.instance_id]

    def _is_stale(self, entry: tuple[float, int, str]) -> bool:
        live = self._live.get(entry[2])
        return live is None or live[0] != entry[1]

    def _drop_stale_top(self) -> None:
        while self._heap and self._is_stale(self._heap[0]):
            heapq.heappop(self._heap)

    def _compact_if_stale(self) -> None:
        # Lazy deletion leaves dead entries behind; rebuild once they outnumber the live ones
        # so a long run of re-arming (reminders, escalations) cannot grow memory without bound.
        if len(self._heap) > 2 * len(self._live) + 64:
            self._heap = [entry for entry in self._heap if not self._is_stale(entry)]
            heapq.heapify(self._heap)
