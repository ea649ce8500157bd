"""The one timer heap that drives every deadline: task due dates, reminders, escalations,
step timeouts, waits and cron ticks.

Timers are keyed by a caller-chosen unique string (a token id, a schedule key), so re-arming a
key replaces the old deadline and cancelling is by name. The heap itself stores only
``(order, key)`` where ``order`` is one integer: the due instant in microseconds since the epoch
times ``SEQ_SPAN`` plus a scheduling sequence number. A stale heap entry (cancelled or re-armed)
is one whose order no longer matches the live map, and is skipped when popped, which keeps
cancel O(1).

Memory: a pending timer costs one 2-tuple, one int and one dict slot (~120 B). The common timer
(kind ``"token"``, no instance id, no data: every task/wait/join deadline) stores nothing else;
``Timer`` objects are only built when a caller asks for one (``get``, ``pop_next``, snapshots).

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
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from .clock import ensure_utc

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICRO = timedelta(microseconds=1)
SEQ_SPAN = 1 << 40  # sequence numbers per microsecond slot: far more than a process ever schedules
TOKEN = "token"  # the default kind; timers of this kind with no instance/data carry no extras


def to_micros(when: datetime) -> int:
    """Exact microseconds since the epoch of an aware datetime (no float rounding)."""
    return (when - EPOCH) // MICRO


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


class Timer(NamedTuple):
    """One pending deadline, as handed to and returned by the heap.

    ``kind`` says what fires (``"token"``, ``"timeout"``, ``"remind"``, ``"cron"``, ...); ``data`` is
    JSON-able detail for the handler (e.g. the reminder index).
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


Extra = tuple[str, str | None, Mapping[str, Any] | None]  # kind, instance id, data


class TimerHeap:
    """Pending timers ordered by due instant; see the module docstring."""

    __slots__ = ("_by_instance", "_extra", "_heap", "_live", "_seq")

    def __init__(self) -> None:
        self._heap: list[tuple[int, str]] = []
        self._live: dict[str, int] = {}  # key -> order of its valid heap entry
        self._extra: dict[str, Extra] = {}  # only for timers that are not plain token timers
        self._by_instance: dict[str, list[str]] = {}
        self._seq = 0

    # -- arming and cancelling -------------------------------------------------

    def arm(self, key: str, due_micros: int) -> None:
        """Fast path for a plain token timer (kind ``"token"``, no instance id, no data)."""
        if key in self._extra:
            self._forget_extra(key)
        self._seq += 1
        order = due_micros * SEQ_SPAN + self._seq
        self._live[key] = order
        heapq.heappush(self._heap, (order, key))
        self._compact_if_stale()

    def schedule(self, timer: Timer) -> None:
        """Arm ``timer``; a pending timer with the same key is replaced."""
        due = ensure_utc(timer.due) if timer.due.tzinfo is not UTC else timer.due
        key = timer.key
        if key in self._extra:
            self._forget_extra(key)
        if timer.kind != TOKEN or timer.instance_id is not None or timer.data:
            self._extra[key] = (timer.kind, timer.instance_id, timer.data or None)
            if timer.instance_id is not None:
                self._by_instance.setdefault(timer.instance_id, []).append(key)
        self._seq += 1
        order = to_micros(due) * SEQ_SPAN + self._seq
        self._live[key] = order
        heapq.heappush(self._heap, (order, key))
        self._compact_if_stale()

    def push(self, when: datetime, key: str, kind: str = "deadline", instance_id: str | None = None) -> None:
        """Shorthand for :meth:`schedule` when the key alone says what fires."""
        self.schedule(Timer(key, when, kind, instance_id))

    def cancel(self, key: str) -> Timer | None:
        """Disarm the timer with ``key``; returns it, or None when nothing was pending."""
        order = self._live.pop(key, None)
        if order is None:
            return None
        timer = self._timer(key, order)
        if key in self._extra:
            self._forget_extra(key)
        self._compact_if_stale()
        return timer

    def discard(self, key: str) -> None:
        """Like :meth:`cancel` without building the returned Timer (the runtime's hot path)."""
        if self._live.pop(key, None) is not None:
            if key in self._extra:
                self._forget_extra(key)
            self._compact_if_stale()

    def cancel_instance(self, instance_id: str) -> list[Timer]:
        """Disarm every timer of one instance (it ended or was cancelled)."""
        removed: list[Timer] = []
        for key in list(self._by_instance.get(instance_id, ())):
            timer = self.cancel(key)
            if timer is not None:
                removed.append(timer)
        self._by_instance.pop(instance_id, None)
        return removed

    # -- reading ---------------------------------------------------------------

    def get(self, key: str) -> Timer | None:
        order = self._live.get(key)
        return None if order is None else self._timer(key, order)

    def __contains__(self, key: object) -> bool:
        return key in self._live

    def __len__(self) -> int:
        return len(self._live)

    def next_due(self) -> datetime | None:
        """Instant of the earliest pending timer (what the HA layer or simulator sleeps until)."""
        self._drop_stale_top()
        if not self._heap:
            return None
        return from_micros(self._heap[0][0] // SEQ_SPAN)

    def pending(self) -> Iterator[Timer]:
        """Pending timers in firing order (sorts a copy; for snapshots, views and tests)."""
        for key, order in sorted(self._live.items(), key=lambda kv: kv[1]):
            yield self._timer(key, order)

    def for_instance(self, instance_id: str) -> list[Timer]:
        return [
            self._timer(k, self._live[k]) for k in self._by_instance.get(instance_id, ()) if k in self._live
        ]

    # -- firing ----------------------------------------------------------------

    def pop_next_key(self, now: datetime) -> str | None:
        """Remove the earliest timer due at or before ``now`` and return its key, if any.

        Fire one at a time: a handler may arm a new timer that is already due, and it must
        come out in order, before later ones.
        """
        limit = (to_micros(ensure_utc(now)) + 1) * SEQ_SPAN
        self._drop_stale_top()
        if not self._heap or self._heap[0][0] >= limit:
            return None
        _order, key = heapq.heappop(self._heap)
        del self._live[key]
        if key in self._extra:
            self._forget_extra(key)
        return key

    def pop_next(self, now: datetime) -> Timer | None:
        """Like :meth:`pop_next_key` but returns the whole Timer."""
        self._drop_stale_top()
        if not self._heap:
            return None
        order, key = self._heap[0]
        timer = self._timer(key, order)
        return timer if self.pop_next_key(now) is not None else None

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
            heap.schedule(Timer.from_dict(item))  # a repeated key: the later entry wins
        heap._heap = [entry for entry in heap._heap if not heap._is_stale(entry)]
        heapq.heapify(heap._heap)
        return heap

    # -- internals -------------------------------------------------------------

    def _timer(self, key: str, order: int) -> Timer:
        kind, instance_id, data = self._extra.get(key, (TOKEN, None, None))
        return Timer(key, from_micros(order // SEQ_SPAN), kind, instance_id, data)

    def _forget_extra(self, key: str) -> None:
        _kind, instance_id, _data = self._extra.pop(key)
        if instance_id is None:
            return
        keys = self._by_instance.get(instance_id)
        if keys is None:
            return
        try:
            keys.remove(key)
        except ValueError:
            return
        if not keys:
            del self._by_instance[instance_id]

    def _is_stale(self, entry: tuple[int, str]) -> bool:
        return self._live.get(entry[1]) != entry[0]

    def _drop_stale_top(self) -> None:
        heap = self._heap
        live = self._live
        while heap and live.get(heap[0][1]) != heap[0][0]:
            heapq.heappop(heap)

    def _compact_if_stale(self) -> None:
        # Lazy deletion leaves dead entries behind; rebuild once they outnumber the live ones
        # so a long run of re-arming (reminders, escalations) cannot grow memory without bound.
        if len(self._heap) > 2 * len(self._live) + 64:
            self._heap = [entry for entry in self._heap if not self._is_stale(entry)]
            heapq.heapify(self._heap)
