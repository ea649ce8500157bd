"""History lines, queued events, PII masking of event payloads and the commit that saves before it
announces, as seen from outside the engine (issue 16: mutation testing of ``engine/outbox.py`` found these
details unchecked).

Blueprints are YAML text and everything is read through the public ``Engine`` API and the ports (store,
event sink) the engine is given."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from custom_components.bpo.engine.clock import VirtualClock
from custom_components.bpo.engine.memory_store import MemoryStore, NullStore
from custom_components.bpo.engine.ports import EngineEvent
from custom_components.bpo.engine.runtime import Engine
from custom_components.bpo.engine.runtime_errors import BlueprintSuspended
from custom_components.bpo.engine.schema import parse_blueprint

from .test_mutants_tasks import T0, Directory, blueprint
from .test_runtime import BERLIN, Sink

FIELDS = "{who: {type: text}, ssn: {type: text, pii: true}, note: {type: text}}"
TWO_TASKS = "    - {id: first, task: {assignee: ann}}\n    - {id: second, task: {assignee: bob}}\n"


def engine_with(store: Any, events: Any, steps: str = TWO_TASKS, extra: str = "") -> Engine:
    engine = Engine(clock=VirtualClock(T0), store=store, events=events, tz=BERLIN, directory=Directory())
    engine.set_blueprints([parse_blueprint(blueprint(steps, fields=FIELDS, extra=extra), "tasks.yaml")])
    return engine


class SavingSink(Sink):
    """Notes, for every event, what the store held when it arrived, and each flush."""

    def __init__(self, store: MemoryStore) -> None:
        super().__init__()
        self.store = store
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self.flushes: list[int] = []

    def emit(self, event: EngineEvent) -> None:
        super().emit(event)
        self.seen.append((event.type, self.store.snapshot()))

    def flush(self) -> None:
        self.flushes.append(len(self.events))


class ManyStore:
    """A store with ``save_many`` but no ``commit`` (records and meta in two calls)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    async def save_many(self, records: Mapping[str, Mapping[str, Any] | None]) -> None:
        self.calls.append(("many", json.loads(json.dumps(records))))

    async def save_instance(self, instance_id: str, data: Mapping[str, Any]) -> None:
        raise AssertionError("save_many is offered")

    async def delete_instance(self, instance_id: str) -> None:
        return None

    async def save_meta(self, data: Mapping[str, Any]) -> None:
        self.calls.append(("meta", json.loads(json.dumps(data))))

    async def load(self) -> tuple[Mapping[str, Any] | None, Iterable[Mapping[str, Any]]]:
        return None, []


class PlainStore:
    """Only the required methods: one ``save_instance`` per record, then ``save_meta``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    async def save_instance(self, instance_id: str, data: Mapping[str, Any]) -> None:
        self.calls.append(("one", (instance_id, json.loads(json.dumps(data)))))

    async def delete_instance(self, instance_id: str) -> None:
        return None

    async def save_meta(self, data: Mapping[str, Any]) -> None:
        self.calls.append(("meta", json.loads(json.dumps(data))))

    async def load(self) -> tuple[Mapping[str, Any] | None, Iterable[Mapping[str, Any]]]:
        return None, []


class CountingNullStore(NullStore):
    """Discards everything but counts calls (a non-persistent store is never even written)."""

    def __init__(self) -> None:
        self.calls = 0

    async def save_instance(self, instance_id: str, data: Mapping[str, Any]) -> None:
        self.calls += 1

    async def save_meta(self, data: Mapping[str, Any]) -> None:
        self.calls += 1


async def test_pii_fields_are_masked_in_events_and_other_values_kept() -> None:
    sink = Sink()
    engine = engine_with(MemoryStore(), sink)
    await engine.restore()
    inst = await engine.start("tasks", fields={"who": "Bob", "ssn": "123-45-6789", "note": None})
    [started] = sink.of("instance_started")
    assert started["fields"] == {"who": "Bob", "ssn": "***", "note": None}
    assert inst.fields["ssn"] == "123-45-6789"  # only the event is masked

    blank = await engine.start("tasks", fields={"ssn": None})
    assert sink.of("instance_started")[1]["fields"] == {"ssn": None}  # nothing to hide
    await engine.cancel(blank.id)
    assert sink.of("instance_cancelled")[0]["fields"] == {"ssn": None}

    bare = await engine.start("tasks")
    assert sink.of("instance_started")[2]["fields"] == {}
    await engine.cancel(bare.id)
    assert sink.of("instance_cancelled")[1]["fields"] == {}


async def test_event_payloads_name_instance_task_and_process() -> None:
    sink = Sink()
    engine = engine_with(MemoryStore(), sink)
    await engine.restore()
    inst = await engine.start("tasks", key="k1", fields={"who": "Bob"}, user="uma")
    [started] = sink.of("instance_started")
    assert started == {
        "process": "tasks",
        "instance_id": inst.id,
        "key": "k1",
        "task_id": None,
        "step": None,
        "assignee": None,
        "group": None,
        "outcome": None,
        "source": "manual",
        "by": "uma",
        "item": None,
        "fields": {"who": "Bob"},
    }
    task = inst.tasks[0]
    [created] = sink.of("task_created")
    assert {k: created[k] for k in ("process", "instance_id", "key", "task_id", "step", "assignee")} == {
        "process": "tasks",
        "instance_id": inst.id,
        "key": "k1",
        "task_id": task.id,
        "step": "first",
        "assignee": "ann",
    }
    assert created["group"] is None and created["outcome"] is None
    await engine.complete_task(task.id, user="ann")
    [done] = sink.of("task_completed")
    assert (done["task_id"], done["step"], done["assignee"], done["key"]) == (task.id, "first", "ann", "k1")


async def test_an_event_of_no_instance_names_the_process_and_step_given() -> None:
    sink = Sink()
    steps = "    - {id: first, task: {assignee: ann}}\n"
    engine = engine_with(MemoryStore(), sink, steps, "  limits: {max_starts: 1, per: 1h}\n")
    await engine.restore()
    await engine.start("tasks")
    with pytest.raises(BlueprintSuspended):
        await engine.start("tasks")
    await engine.resume("tasks", user="uma")
    [resumed] = sink.of("blueprint_resumed")
    assert resumed == {
        "process": "tasks",
        "instance_id": None,
        "key": None,
        "task_id": None,
        "step": None,
        "assignee": None,
        "group": None,
        "outcome": None,
        "by": "uma",
    }


async def test_history_lines_keep_who_source_and_step_apart() -> None:
    sink = Sink()
    engine = engine_with(MemoryStore(), sink)
    await engine.restore()
    one = await engine.start("tasks", user="uma")
    two = await engine.start("tasks", user="vic", source="event")
    three = await engine.start("tasks", user="uma")  # same instant, same line: shared, still right
    for inst, who, source in ((one, "uma", "manual"), (two, "vic", "event"), (three, "uma", "manual")):
        [line] = [h for h in inst.history if h.what == "instance_started"]
        assert (line.at, line.who, line.source, line.step) == (T0, who, source, None)
    await engine.complete_task(one.tasks[0].id, user="ann")
    lines = [(h.what, h.who, h.step) for h in one.history]
    assert ("task_completed", "ann", "first") in lines
    assert lines[-1][0] == "task_created" and lines[-1][2] == "second"


async def test_commit_saves_before_it_announces_and_flushes_once() -> None:
    store = MemoryStore()
    sink = SavingSink(store)
    engine = engine_with(store, sink)
    await engine.restore()
    inst = await engine.start("tasks", fields={"who": "Bob"})
    assert [kind for kind, _ in sink.seen] == ["instance_started", "task_created"]
    for _, snapshot in sink.seen:  # every event came after the instance and the counter were saved
        assert inst.id in snapshot["instances"]
        assert snapshot["meta"] is not None
    assert sink.flushes == [2]
    saved = store.snapshot()["instances"][inst.id]
    assert saved["fields"]["who"] == "Bob"
    assert engine.stats("tasks")["open"] == 1

    await engine.complete_task(inst.tasks[0].id)
    assert sink.flushes == [2, 4]  # one flush per commit that had events
    await engine.tick()  # nothing due: no events, no flush
    assert sink.flushes == [2, 4]
    await engine.complete_task(inst.tasks[1].id)
    assert engine.stats("tasks")["open"] == 0 and engine.stats("tasks")["completed_period"] == 1
    last = store.snapshot()["instances"][inst.id]
    assert last["status"] == "completed"


async def test_a_store_without_commit_gets_records_then_meta() -> None:
    store = ManyStore()
    sink = Sink()
    engine = engine_with(store, sink)
    await engine.restore()
    inst = await engine.start("tasks")
    assert [kind for kind, _ in store.calls] == ["many", "meta"]
    records = store.calls[0][1]
    assert list(records) == [inst.id] and records[inst.id]["id"] == inst.id
    store.calls.clear()
    await engine.complete_task(inst.tasks[0].id)
    assert [kind for kind, _ in store.calls] == ["many"]  # the counter did not change

    plain = PlainStore()
    engine = engine_with(plain, Sink())
    await engine.restore()
    a = await engine.start("tasks")
    b = await engine.start("tasks")
    assert [kind for kind, _ in plain.calls] == ["one", "meta", "one", "meta"]
    assert [plain.calls[i][1][0] for i in (0, 2)] == [a.id, b.id]
    assert [plain.calls[i][1][1]["id"] for i in (0, 2)] == [a.id, b.id]
    assert plain.calls[3][1]["counter"] != plain.calls[1][1]["counter"]
    plain.calls.clear()
    await engine.save_all()
    assert sorted(c[1][0] for c in plain.calls if c[0] == "one") == sorted([a.id, b.id])
    assert plain.calls[-1][0] == "meta"


async def test_a_store_that_is_not_persistent_is_never_written() -> None:
    store = CountingNullStore()
    sink = Sink()
    engine = engine_with(store, sink)
    await engine.restore()
    inst = await engine.start("tasks")
    await engine.complete_task(inst.tasks[0].id)
    assert store.calls == 0
    assert [e.type for e in sink.events] == [
        "instance_started",
        "task_created",
        "task_completed",
        "task_created",
    ]


async def test_cancelling_an_instance_whose_blueprint_is_gone_still_masks_its_fields() -> None:
    store = MemoryStore()
    sink = Sink()
    engine = engine_with(store, sink)
    await engine.restore()
    inst = await engine.start("tasks", fields={"who": "Bob", "ssn": "123-45-6789"})
    later = Engine(clock=VirtualClock(T0), store=store, events=sink, tz=BERLIN, directory=Directory())
    later.set_blueprints([])  # the blueprint was deleted; its instance is still cancelled cleanly
    await later.restore()
    await later.cancel(inst.id)
    [cancelled] = sink.of("instance_cancelled")
    assert cancelled["fields"] == {"who": "Bob", "ssn": "***"}
    assert cancelled["status"] == "cancelled" and cancelled["instance_id"] == inst.id


async def test_equal_history_lines_at_one_instant_are_one_shared_line() -> None:
    sink = Sink()
    engine = engine_with(MemoryStore(), sink)
    await engine.restore()
    one = await engine.start("tasks", user="uma")
    two = await engine.start("tasks", user="uma")
    other = await engine.start("tasks", user="vic")
    assert one.history[0] == two.history[0] and one.history[0] is two.history[0]  # a fan-out's lines
    assert other.history[0] is not one.history[0] and other.history[0].who == "vic"


def version(note: str) -> Any:
    fields = "{who: {type: text}, note: " + note + "}"
    return parse_blueprint(blueprint(TWO_TASKS, fields=fields), "tasks.yaml")


async def test_event_values_are_checked_against_the_instances_own_blueprint_version() -> None:
    sink = Sink()
    engine = Engine(
        clock=VirtualClock(T0), store=MemoryStore(), events=sink, tz=BERLIN, directory=Directory()
    )
    engine.set_blueprints([version("{type: text}")])
    await engine.restore()
    inst = await engine.start("tasks", fields={"note": "write to bob@example.com"})
    assert sink.of("instance_started")[0]["fields"] == {"note": "***"}  # looks like an e-mail address
    # the new version marks note pii; the running instance keeps its own version, where note is plain
    # text, so its value is still found by what it looks like
    engine.set_blueprints([version("{type: text, pii: true}")])
    await engine.cancel(inst.id)
    [cancelled] = sink.of("instance_cancelled")
    assert cancelled["fields"] == {"note": "***"}


async def test_an_instance_whose_version_is_lost_is_checked_against_the_current_one() -> None:
    store = MemoryStore()
    sink = Sink()
    engine = Engine(clock=VirtualClock(T0), store=store, events=sink, tz=BERLIN, directory=Directory())
    engine.set_blueprints([version("{type: text, pii: true}")])
    await engine.restore()
    inst = await engine.start("tasks", fields={"note": "write to bob@example.com"})
    assert store.meta is not None
    store.meta["sources"] = {}  # a record from before blueprint sources were kept: the version is lost
    later = Engine(clock=VirtualClock(T0), store=store, events=sink, tz=BERLIN, directory=Directory())
    later.set_blueprints([version("{type: text}")])
    await later.restore()
    await later.cancel(inst.id)
    [cancelled] = sink.of("instance_cancelled")
    assert cancelled["fields"] == {"note": "***"}  # plain text in the current version: found by its look


async def test_after_a_full_save_only_changed_records_are_written() -> None:
    plain = PlainStore()
    engine = engine_with(plain, Sink())
    await engine.restore()
    inst = await engine.start("tasks")
    await engine.save_all()
    plain.calls.clear()
    await engine.complete_task(inst.tasks[0].id)
    assert [(kind, value[0]) for kind, value in plain.calls] == [("one", inst.id)]  # no meta again


async def test_an_instance_of_a_lost_blueprint_can_still_be_cancelled() -> None:
    store = MemoryStore()
    sink = Sink()
    engine = engine_with(store, sink)
    await engine.restore()
    inst = await engine.start("tasks", fields={"who": "Bob"})
    assert store.meta is not None
    store.meta["sources"] = {}  # neither a file nor a kept source holds its version any more
    later = Engine(clock=VirtualClock(T0), store=store, events=sink, tz=BERLIN, directory=Directory())
    later.set_blueprints([])
    await later.restore()
    cancelled = await later.cancel(inst.id)
    assert cancelled.status == "cancelled"
    [event] = sink.of("instance_cancelled")
    assert event["instance_id"] == inst.id
    # nothing tells which fields were personal data any more: every value is masked
    assert event["fields"] == {"who": "***"}


class QuotingActions:
    """An action port whose calls fail with a message quoting what they were sent (as another
    integration's error may)."""

    async def call(
        self, service: str | None, connector: str | None, op: str | None, data: Mapping[str, Any]
    ) -> Any:
        from custom_components.bpo.engine.runtime_errors import ActionFailed

        raise ActionFailed(f"{service} failed: no record for {data['who']} / {data['ssn']} / {data['note']}")


async def test_an_instance_error_quoting_field_values_is_masked_in_its_event_only_where_they_are_pii() -> (
    None
):
    """``error`` of ``instance_completed``: the ``pii`` value and free text that looks like personal data
    are masked, other values stay (the error must still say what failed); the instance keeps the whole
    text for those cleared."""
    sink = Sink()
    engine = Engine(
        clock=VirtualClock(T0),
        store=MemoryStore(),
        events=sink,
        tz=BERLIN,
        directory=Directory(),
        actions=QuotingActions(),
    )
    data = "{who: '{{ fields.who }}', ssn: '{{ fields.ssn }}', note: '{{ fields.note }}'}"
    steps = f"    - {{id: crm, action: {{service: crm.find, data: {data}}}}}\n"
    engine.set_blueprints([parse_blueprint(blueprint(steps, fields=FIELDS), "tasks.yaml")])
    inst = await engine.start(
        "tasks", key="k", fields={"who": "Kim", "ssn": "123-45-6789", "note": "mail kim@example.com"}
    )
    assert inst.status == "failed"
    assert "123-45-6789" in (inst.error or "") and "kim@example.com" in (inst.error or "")
    [event] = sink.of("instance_completed")
    assert "no record for Kim / *** / ***" in event["error"], event
