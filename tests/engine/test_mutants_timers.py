"""Timer heap details that mutation testing found unchecked (issue 16): ties fire in scheduling order
whatever the keys are called, due instants are exact to the microsecond even centuries ahead, a timer's
kind, instance and data come back as scheduled, every way of disarming works for every kind of timer,
and stale entries are compacted exactly at the documented bound.

Written against the heap's public methods (``TimerHeap`` is the engine's one timer heap and its own unit);
the one exception is the compaction bound, which is about memory and can only be seen in the heap list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.bpo.engine.timers import Timer, TimerHeap, to_micros

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
US = timedelta(microseconds=1)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def keys(timers: list[Timer]) -> list[str]:
    return [t.key for t in timers]


def test_ties_fire_in_scheduling_order_not_key_order() -> None:
    heap = TimerHeap()
    heap.schedule(Timer("zulu", at(5), "token"))
    heap.arm("yankee", to_micros(at(5)))
    heap.schedule(Timer("alpha", at(5), "remind", "i1"))
    heap.arm("bravo", to_micros(at(5)))
    heap.arm("able", to_micros(at(5)))
    assert keys(list(heap.pending())) == ["zulu", "yankee", "alpha", "bravo", "able"]
    assert keys(heap.pop_due(at(5))) == ["zulu", "yankee", "alpha", "bravo", "able"]


def test_due_instants_are_exact_to_the_microsecond_far_ahead() -> None:
    # beyond 2**53 microseconds since 1970 (the year 2255) a float would round an odd microsecond away
    far = datetime(2400, 1, 1, 0, 0, 0, 1, tzinfo=UTC)
    assert to_micros(far) == (far - datetime(1970, 1, 1, tzinfo=UTC)) // US
    heap = TimerHeap()
    heap.push(far, "far")
    heap.arm("armed", to_micros(far + US))
    assert heap.next_due() == far
    assert heap.get("far") == Timer("far", far, "deadline")
    assert heap.get("armed") == Timer("armed", far + US, "token")
    assert [t.due for t in heap.pending()] == [far, far + US]
    assert keys(heap.pop_due(far)) == ["far"]


def test_a_timer_due_one_microsecond_after_now_waits() -> None:
    heap = TimerHeap()
    heap.push(T0 + US, "next")
    assert heap.pop_next(T0) is None and heap.pop_next_key(T0) is None and heap.pop_due(T0) == []
    assert heap.pop_next_key(T0 + US) == "next"


def test_kind_instance_and_data_come_back_as_scheduled() -> None:
    heap = TimerHeap()
    heap.schedule(Timer("owned", at(1), "token", "i1"))  # a plain kind that still belongs to an instance
    heap.schedule(Timer("detail", at(2), "token", None, {"index": 1}))  # a plain kind with data
    heap.schedule(Timer("remind", at(3), "remind", "i1", {"index": 0}))
    assert heap.get("owned") == Timer("owned", at(1), "token", "i1")
    assert heap.get("detail") == Timer("detail", at(2), "token", None, {"index": 1})
    assert heap.snapshot() == [
        {"key": "owned", "due": at(1).isoformat(), "kind": "token", "instance_id": "i1"},
        {"key": "detail", "due": at(2).isoformat(), "kind": "token", "data": {"index": 1}},
        {
            "key": "remind",
            "due": at(3).isoformat(),
            "kind": "remind",
            "instance_id": "i1",
            "data": {"index": 0},
        },
    ]
    assert keys(heap.for_instance("i1")) == ["owned", "remind"]
    assert heap.pop_next(at(9)) == Timer("owned", at(1), "token", "i1")
    assert heap.pop_next(at(9)) == Timer("detail", at(2), "token", None, {"index": 1})
    assert keys(heap.cancel_instance("i1")) == ["remind"]
    assert len(heap) == 0


def test_every_way_of_disarming_works_for_plain_and_detailed_timers() -> None:
    heap = TimerHeap()
    heap.schedule(Timer("plain", at(1), "token"))
    heap.arm("armed", to_micros(at(2)))
    heap.schedule(Timer("remind", at(3), "remind", "i1", {"index": 0}))
    heap.schedule(Timer("timeout", at(4), "timeout", "i1"))
    assert heap.cancel("plain") == Timer("plain", at(1), "token")
    heap.discard("armed")
    heap.discard("remind")
    heap.discard("never-armed")
    assert keys(list(heap.pending())) == ["timeout"]
    assert keys(heap.for_instance("i1")) == ["timeout"]
    assert keys(heap.cancel_instance("i1")) == ["timeout"]
    assert len(heap) == 0 and heap.next_due() is None and heap.pop_due(at(100)) == []


def test_re_arming_a_detailed_key_as_plain_forgets_its_details() -> None:
    heap = TimerHeap()
    heap.schedule(Timer("k", at(1), "remind", "i1", {"index": 0}))
    heap.arm("k", to_micros(at(2)))  # the runtime's fast path for a plain token timer
    assert heap.get("k") == Timer("k", at(2), "token")
    assert heap.for_instance("i1") == [] and heap.cancel_instance("i1") == []
    assert heap.pop_due(at(1)) == [] and heap.pop_due(at(2)) == [Timer("k", at(2), "token")]


def test_stale_entries_are_compacted_exactly_past_twice_the_live_count_plus_64() -> None:
    heap = TimerHeap()

    def entries() -> int:
        return len(heap._heap)  # memory shows only in the heap list

    live = 10
    peak = 0
    for i in range(2_000):
        heap.push(at(i % 50), f"k{i % live}")
        peak = max(peak, entries())
    assert len(heap) == live
    assert peak == 2 * live + 64  # reached, never passed: then every stale entry is dropped at once
    assert len(heap.pop_due(at(100))) == live

    # disarming many timers compacts as well: cancel, and the runtime's discard, of any kind of timer
    for n in range(100):
        heap.schedule(Timer(f"d{n}", at(n), "remind" if n % 2 else "token", f"i{n % 3}" if n % 2 else None))
    for n in range(90):
        if n % 3:
            heap.discard(f"d{n}")
        else:
            heap.cancel(f"d{n}")
        assert entries() <= 2 * len(heap) + 64
    assert len(heap) == 10 and keys(heap.pop_due(at(100))) == [f"d{n}" for n in range(90, 100)]
