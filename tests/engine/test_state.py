"""State records: JSON round trips are exact and compact."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from custom_components.bpo.engine.history import HistoryEntry
from custom_components.bpo.engine.state import Instance, Join, Meta, Task, Wait

T0 = datetime(2025, 1, 1, 8, tzinfo=UTC)


def full_instance() -> Instance:
    inst = Instance(
        "i7",
        "proc",
        "v1",
        "alice",
        T0,
        item={"who": "alice"},
        fields={"n": 1},
        source="schedule",
        dedupe="alice@20250101T0800Z",
        seq=5,
    )
    inst.tasks = [
        Task(
            "i7.1",
            "i7",
            "proc",
            "a",
            "A",
            T0,
            assignee="alice",
            status="completed",
            outcome="ok",
            form={"n": 1},
            by="alice",
            completed_at=T0 + timedelta(hours=1),
            reminders=1,
            overdue=True,
        ),
        Task(
            "i7.3",
            "i7",
            "proc",
            "b",
            "B",
            T0,
            group="ops",
            candidates=("x", "y"),
            due=T0 + timedelta(days=1),
            parent="i7.2",
            escalations=2,
            timed_out=True,
        ),
    ]
    inst.joins = [Join("i7.2", "p", T0, done=["c"])]
    inst.waits = [Wait("i7.4", "w", T0, parent="i7.2", until=T0 + timedelta(hours=2))]
    inst.results = {"w0": {"outcome": "event", "data": {"k": 1}}}
    inst.history = [
        HistoryEntry(T0, "instance_started", "boss", "manual"),
        HistoryEntry(T0, "task_completed", "alice", "service", "a", {"outcome": "ok"}),
    ]
    return inst


def test_instance_round_trip_is_exact_through_json() -> None:
    inst = full_instance()
    record = json.loads(json.dumps(inst.to_dict()))
    again = Instance.from_dict(record)
    assert again.to_dict() == inst.to_dict()
    assert again.tasks[1].candidates == ("x", "y") and again.tasks[1].due == T0 + timedelta(days=1)
    assert again.tasks[0].instance_id == "i7" and again.tokens()[0].id == "i7.3"


def test_records_omit_defaults() -> None:
    inst = Instance("i1", "proc", "1", "k", T0)
    inst.tasks = [Task("i1.1", "i1", "proc", "a", "A", T0, assignee="ann")]
    record = inst.to_dict()
    assert "waits" not in record and "ended" not in record and "fields" not in record
    assert record["tasks"] == [
        {"id": "i1.1", "step": "a", "title": "A", "created": T0.isoformat(), "assignee": "ann"}
    ]
    assert len(json.dumps(record)) < 400


def test_meta_round_trip() -> None:
    meta = Meta(4, {"s|p|0|0 9 1 * *": T0.isoformat()}, {"p": T0.isoformat()}, {"p": [1.0, 2.5]})
    assert Meta.from_dict(json.loads(json.dumps(meta.to_dict()))) == meta
