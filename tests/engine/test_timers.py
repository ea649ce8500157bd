"""The timer heap: order, re-arming, cancelling, and snapshot/restore that continues exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.bpo.engine.timers import Timer, TimerHeap

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def keys(timers: list[Timer]) -> list[str]:
    return [t.key for t in timers]


def test_pops_in_due_order_then_scheduling_order() -> None:
    heap = TimerHeap()
    heap.push(at(10), "late")
    heap.push(at(5), "tie-1")
    heap.push(at(1), "early")
    heap.push(at(5), "tie-2")
    assert heap.next_due() == at(1)
    assert keys(heap.pop_due(at(5))) == ["early", "tie-1", "tie-2"]
    assert heap.pop_due(at(9)) == []
    assert keys(heap.pop_due(at(10))) == ["late"]
    assert len(heap) == 0 and heap.next_due() is None


def test_rearming_a_key_replaces_its_deadline() -> None:
    heap = TimerHeap()
    heap.push(at(1), "task-1")
    heap.push(at(30), "task-1")  # reminder sent; next deadline is later
    assert len(heap) == 1
    assert heap.pop_due(at(29)) == []
    assert keys(heap.pop_due(at(30))) == ["task-1"]
    assert heap.pop_due(at(60)) == []  # the stale entry never fires


def test_cancel_and_cancel_instance() -> None:
    heap = TimerHeap()
    heap.schedule(Timer("a:timeout", at(1), "timeout", "a"))
    heap.schedule(Timer("a:remind", at(2), "remind", "a", {"index": 0}))
    heap.schedule(Timer("b:timeout", at(3), "timeout", "b"))
    assert heap.cancel("missing") is None
    cancelled = heap.cancel("a:timeout")
    assert cancelled is not None and cancelled.kind == "timeout"
    assert "a:timeout" not in heap and "a:remind" in heap
    assert keys(heap.for_instance("a")) == ["a:remind"]
    assert keys(heap.cancel_instance("a")) == ["a:remind"]
    assert heap.for_instance("a") == []
    assert heap.next_due() == at(3)
    assert keys(heap.pop_due(at(100))) == ["b:timeout"]


def test_handler_arming_an_already_due_timer_fires_it_in_order() -> None:
    heap = TimerHeap()
    heap.push(at(1), "first")
    heap.push(at(5), "third")
    fired: list[str] = []
    while (timer := heap.pop_next(at(10))) is not None:
        fired.append(timer.key)
        if timer.key == "first":
            heap.push(at(2), "second")  # e.g. an escalation chain step that is already overdue
    assert fired == ["first", "second", "third"]


def test_due_times_are_normalised_to_utc_and_naive_is_refused() -> None:
    heap = TimerHeap()
    tokyo = timezone(timedelta(hours=9))
    heap.push(datetime(2025, 3, 1, 18, 0, tzinfo=tokyo), "x")
    timer = heap.get("x")
    assert timer is not None and timer.due == T0 and timer.due.tzinfo is UTC
    with pytest.raises(ValueError, match="naive"):
        heap.push(datetime(2025, 3, 1, 9, 0), "naive")
    with pytest.raises(ValueError, match="naive"):
        heap.pop_due(datetime(2025, 3, 1, 9, 0))


def test_missed_deadlines_after_restore_come_out_once() -> None:
    heap = TimerHeap()
    heap.push(at(1), "a")
    heap.push(at(2), "b")
    heap.push(at(90), "c")
    restored = TimerHeap.restore(heap.snapshot())
    late = restored.pop_due(at(60))  # we were down from 09:00 to 10:00
    assert keys(late) == ["a", "b"]
    assert restored.pop_due(at(60)) == []
    again = TimerHeap.restore(restored.snapshot())  # a second restart before c
    assert keys(again.pop_due(at(60))) == []
    assert keys(again.pop_due(at(90))) == ["c"]


def test_timer_dict_roundtrip() -> None:
    timer = Timer("i1:escalate", at(3), "escalate", "i1", {"level": 2})
    assert Timer.from_dict(timer.to_dict()) == timer
    bare = Timer("cron:x", at(3), "cron")
    assert bare.to_dict() == {"key": "cron:x", "due": "2025-03-01T09:03:00+00:00", "kind": "cron"}
    assert Timer.from_dict(bare.to_dict()) == bare


def test_heap_does_not_grow_without_bound_when_rearming() -> None:
    heap = TimerHeap()
    for i in range(10_000):
        heap.push(at(i % 50), f"k{i % 10}")
    assert len(heap) == 10
    assert len(heap._heap) <= 2 * len(heap) + 65  # stale entries are compacted away
    assert len(heap.pop_due(at(100))) == 10


# -- property: stopping, snapshotting and restoring anywhere changes nothing -----------------------

op = st.one_of(
    st.tuples(st.just("push"), st.integers(0, 9), st.integers(0, 120)),
    st.tuples(st.just("cancel"), st.integers(0, 9), st.just(0)),
    st.tuples(st.just("pop"), st.just(0), st.integers(0, 120)),
)


def run(heap: TimerHeap, ops: list[tuple[str, int, int]]) -> list[tuple[str, datetime]]:
    fired: list[tuple[str, datetime]] = []
    for name, n, minutes in ops:
        if name == "push":
            heap.schedule(Timer(f"k{n}", at(minutes), "deadline", f"i{n % 3}"))
        elif name == "cancel":
            heap.cancel(f"k{n}")
        else:
            fired.extend((t.key, t.due) for t in heap.pop_due(at(minutes)))
    return fired


@given(ops=st.lists(op, max_size=40), cut=st.integers(0, 40))
def test_restore_anywhere_gives_the_same_firings(ops: list[tuple[str, int, int]], cut: int) -> None:
    straight = TimerHeap()
    expected = run(straight, ops) + run(straight, [("pop", 0, 10**6)])
    first = TimerHeap()
    fired = run(first, ops[:cut])
    second = TimerHeap.restore(first.snapshot())
    fired += run(second, ops[cut:]) + run(second, [("pop", 0, 10**6)])
    assert fired == expected
    assert len(second) == 0


def test_restore_of_a_repeated_key_keeps_the_later_entry() -> None:
    first = Timer("k", at(1), "deadline", "i1").to_dict()
    later = Timer("k", at(9), "deadline", "i1").to_dict()
    heap = TimerHeap.restore([first, later])
    assert len(heap) == 1 and heap.next_due() == at(9)
    assert keys(heap.for_instance("i1")) == ["k"]
    assert heap.pop_due(at(5)) == [] and keys(heap.pop_due(at(9))) == ["k"]
