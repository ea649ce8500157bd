"""Starting instances as seen from outside the engine (issue 16: mutation testing of ``engine/starts.py``
found these unchecked): event-start keys and templates, several event starts of one process, an event
start that fails, a fan-out over a single rendered value, the start limit's window and event, and a start
that fails part-way leaving nothing behind. YAML blueprints, public ``Engine`` API."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest

from custom_components.bpo.engine.memory_store import MemoryStore
from custom_components.bpo.engine.runtime import Engine
from custom_components.bpo.engine.runtime_errors import BlueprintSuspended, InvalidForm, StartFailed
from custom_components.bpo.engine.schema import parse_blueprint

from .test_mutants_tasks import T0, Directory, blueprint, engine_for
from .test_runtime import BERLIN, Sink

ASK = "    - {id: ask, task: {assignee: ann}}\n"


def process(starts: str, steps: str = ASK, fields: str = "{who: {type: text}}", extra: str = "") -> str:
    return blueprint(steps, fields=fields, extra=extra).replace("  start: [{manual: {}}]\n", starts)


async def test_an_event_start_keys_by_the_events_id_and_its_templates_see_item_and_local_time() -> None:
    starts = (
        "  start:\n"
        "    - event: seen\n"
        "      match: {kind: a}\n"
        "    - event: seen\n"
        "      match: {kind: b}\n"
        '      key: "{{ item.serial }}@{{ now().hour }}"\n'
        '      fields: {who: "{{ item.owner }}"}\n'
    )
    engine, _, sink = engine_for(process(starts))
    await engine.restore()
    [by_id] = await engine.handle_event("seen", {"kind": "a", "id": 7})
    assert by_id.key == "7"
    [no_id] = await engine.handle_event("seen", {"kind": "a"})
    assert no_id.key is None
    # the first start does not match kind b: the second one of the same process still does
    [templated] = await engine.handle_event("seen", {"kind": "b", "serial": "S1", "owner": "ann"})
    assert (templated.key, templated.fields["who"]) == ("S1@9", "ann")  # 09:00 in Berlin
    assert templated.source == "event" and templated.item == {"kind": "b", "serial": "S1", "owner": "ann"}


class Broken:
    """An action port whose call breaks (not an ActionFailed: an unexpected error)."""

    async def call(
        self, service: str | None, connector: str | None, op: str | None, data: Mapping[str, Any]
    ) -> Any:
        raise RuntimeError("port broke")


FAILS_PART_WAY = (
    "    - id: p\n"
    "      parallel:\n"
    "        - {id: ask, task: {assignee: ann, due: 1h}}\n"
    "        - {id: hold, wait: {event: go}}\n"
    "        - {id: reply, wait: {event: reply, correlate: '{{ event.ticket }}'}}\n"
    "        - {id: ping, action: {service: office.print}}\n"
)


async def test_an_event_start_that_fails_is_reported_and_leaves_nothing() -> None:
    starts = "  start:\n    - manual: {}\n    - event: seen\n"
    engine, _, sink = engine_for(process(starts, FAILS_PART_WAY), actions=Broken())
    await engine.restore()
    assert await engine.handle_event("seen", {"id": "k1"}) == []
    [failed] = sink.of("start_failed")
    assert (failed["process"], failed["key"], failed["source"]) == ("tasks", "k1", "event")
    assert failed["error"] == "step ping: internal error (RuntimeError)"
    assert engine.instances() == [] and engine.open_tasks() == [] and engine.next_deadline() is None
    assert sink.of("instance_started") == [] and sink.of("task_created") == []


async def test_a_manual_start_that_fails_leaves_no_index_behind() -> None:
    engine, _, sink = engine_for(process("  start: [{manual: {}}]\n", FAILS_PART_WAY), actions=Broken())
    await engine.restore()
    with pytest.raises(StartFailed, match=r"could not start: step ping: internal error \(RuntimeError\)"):
        await engine.start("tasks", key="k1")
    assert engine.instances() == [] and engine.open_tasks() == [] and engine.next_deadline() is None
    assert all(not ids for ids in engine.state.waiting.values())
    assert engine.state.correlated == {} or all(
        not ids for t in engine.state.correlated.values() for k in t.values() for ids in k.values()
    )
    assert engine.state.dedupe.get("tasks", {}) == {}


async def test_a_schedule_over_a_single_value_starts_one_instance_for_it() -> None:
    for value, key in (("7", "7"), ("'abc'", "abc"), ("{'a': 1}", "{'a': 1}")):
        starts = f"  start:\n    - schedule: '0 10 * * *'\n      for_each: \"{{{{ {value} }}}}\"\n"
        engine, clock, _ = engine_for(process(starts))
        await engine.restore()
        clock.advance_to(T0 + timedelta(hours=2))  # 10:00 in Berlin
        await engine.tick()
        assert [i.key for i in engine.instances()] == [key], value


async def test_the_start_limit_suspends_reports_and_its_window_slides() -> None:
    extra = "  limits: {max_starts: 2, per: 1h}\n"
    engine, clock, sink = engine_for(process("  start: [{manual: {}}]\n", extra=extra))
    await engine.restore()
    await engine.start("tasks")
    clock.advance(1800)
    await engine.start("tasks")
    clock.advance(1801)  # the first start left the window: one more fits
    await engine.start("tasks")
    with pytest.raises(BlueprintSuspended):
        await engine.start("tasks")
    [event] = sink.of("blueprint_suspended")
    at = T0 + timedelta(seconds=3601)
    assert (event["process"], event["max_starts"], event["window"], event["at"]) == (
        "tasks",
        2,
        3600.0,
        at.isoformat(),
    )
    clock.advance(7200)  # the window is empty again, but suspended stays suspended
    with pytest.raises(BlueprintSuspended):
        await engine.start("tasks")
    assert len(engine.instances()) == 3 and len(sink.of("blueprint_suspended")) == 1


# -- fourth session: schedule templates, batches and catch-up, refused event starts ---------------------
SIZED = "blueprint: {name: Tasks, domain: bpo, input: {size: {name: Size, default: 3}}}\n"


async def test_a_schedules_for_each_sees_local_time_and_inputs_and_item_is_none_there() -> None:
    starts = (
        "  start:\n"
        "    - schedule: '0 10 * * *'\n"
        '      for_each: "{{ [now().hour, inputs.size] if item is none else [] }}"\n'
    )
    text = process(starts).replace("blueprint: {name: Tasks, domain: bpo}\n", SIZED)
    engine, clock, _ = engine_for(text)
    await engine.restore()
    clock.advance_to(T0 + timedelta(hours=1))  # 10:00 in Berlin, 09:00 UTC
    await engine.tick()
    assert sorted(i.key for i in engine.instances()) == ["10", "3"]


async def test_a_schedule_without_for_each_starts_one_instance_keyed_by_its_tick() -> None:
    engine, clock, _ = engine_for(process("  start:\n    - schedule: '0 10 * * *'\n"))
    await engine.restore()
    clock.advance_to(T0 + timedelta(hours=1))
    await engine.tick()
    [inst] = engine.instances()
    assert (inst.key, inst.item, inst.source) == ("20250106T0900Z", None, "schedule")


async def test_a_big_fan_out_is_saved_a_hundred_starts_at_a_time() -> None:
    starts = "  start:\n    - schedule: '0 10 * * *'\n      for_each: \"{{ range(150) | list }}\"\n"
    engine, clock, _ = engine_for(process(starts))
    store = engine.store
    await engine.restore()
    saved: list[int] = []  # instance records in the store, each time the loop runs other work
    running = True

    async def other_work() -> None:
        while running:
            saved.append(len(store.records))  # type: ignore[attr-defined]
            await asyncio.sleep(0)

    other = asyncio.ensure_future(other_work())
    clock.advance_to(T0 + timedelta(hours=1))
    await engine.tick()
    running = False
    await other
    assert 100 in saved and len(store.records) == 150  # type: ignore[attr-defined]


async def test_a_skipped_catch_up_still_fires_a_tick_exactly_five_minutes_late() -> None:
    starts = "  start:\n    - schedule: '0 10 * * *'\n"
    for late, fired in ((300, 1), (301, 0)):
        engine, clock, _ = engine_for(process(starts, extra="  catch_up: skip\n"))
        await engine.restore()
        clock.advance_to(T0 + timedelta(hours=1, seconds=late))
        await engine.tick()
        assert len(engine.instances()) == fired, late


async def test_an_event_start_refused_for_its_data_is_reported_as_an_event_start() -> None:
    starts = "  start:\n    - event: seen\n      fields: {n: '{{ event.n }}'}\n"
    engine, _, sink = engine_for(process(starts, fields="{n: {type: number}}"))
    await engine.restore()
    assert await engine.handle_event("seen", {"id": "k1", "n": "abc"}) == []
    [failed] = sink.of("start_failed")
    shown = {k: failed[k] for k in ("process", "key", "source", "error")}
    assert shown == {
        "process": "tasks",
        "key": None,
        "source": "event",
        "error": "process 'tasks': n: expected a number",
    }


async def test_a_schedules_key_and_fields_templates_see_each_item() -> None:
    starts = (
        "  start:\n"
        "    - schedule: '0 10 * * *'\n"
        "      for_each: \"{{ ['ann', 'bob'] }}\"\n"
        "      key: 'for-{{ item }}'\n"
        "      fields: {who: '{{ item }}'}\n"
    )
    engine, clock, _ = engine_for(process(starts))
    await engine.restore()
    clock.advance_to(T0 + timedelta(hours=1))
    await engine.tick()
    started = sorted((i.key, i.item, i.fields["who"]) for i in engine.instances())
    assert started == [("for-ann", "ann", "ann"), ("for-bob", "bob", "bob")]


async def test_a_failed_start_with_only_correlated_waits_leaves_them_unindexed() -> None:
    steps = (
        "    - id: p\n"
        "      parallel:\n"
        "        - {id: reply, wait: {event: reply, correlate: '{{ event.ticket }}'}}\n"
        "        - {id: ping, action: {service: office.print}}\n"
    )
    engine, _, _ = engine_for(process("  start: [{manual: {}}]\n", steps), actions=Broken())
    await engine.restore()
    with pytest.raises(StartFailed):
        await engine.start("tasks", key="t1")
    left = [ids for t in engine.state.correlated.values() for k in t.values() for ids in k.values()]
    assert all(not ids for ids in left)


async def test_the_webhook_names_every_refused_start_at_once() -> None:
    starts = "  start:\n    - event: seen\n      fields: {n: '{{ event.n }}'}\n"
    one = process(starts, fields="{n: {type: number}}")
    two = one.replace("key: tasks", "key: other")
    engine, _, _ = engine_for(one)
    engine.set_blueprints([parse_blueprint(one, "one.yaml"), parse_blueprint(two, "two.yaml")])
    await engine.restore()
    with pytest.raises(InvalidForm) as caught:
        await engine.handle_event("seen", {"n": "abc"}, strict=True)
    assert str(caught.value) == (
        "process 'tasks': n: expected a number; process 'other': n: expected a number"
    )


async def test_an_event_start_key_may_be_255_characters_long() -> None:
    engine, _, sink = engine_for(process("  start:\n    - event: seen\n"))
    await engine.restore()
    [inst] = await engine.handle_event("seen", {"id": "k" * 255})
    assert inst.key == "k" * 255
    assert await engine.handle_event("seen", {"id": "k" * 256}) == []
    [failed] = sink.of("start_failed")
    assert failed["error"] == "process 'tasks': key: expected at most 255 characters"


async def test_an_event_start_with_more_than_a_hundred_values_is_refused() -> None:
    declared = "{" + ", ".join(f"f{i}: {{type: text}}" for i in range(101)) + "}"
    values = "{" + ", ".join(f"f{i}: x" for i in range(101)) + "}"
    engine, _, sink = engine_for(
        process(f"  start:\n    - event: seen\n      fields: {values}\n", fields=declared)
    )
    await engine.restore()
    assert await engine.handle_event("seen", {}) == []
    [failed] = sink.of("start_failed")
    assert failed["error"] == "process 'tasks': fields: more than 100 values"


async def test_a_suspended_process_starts_nothing_from_events_even_after_its_window() -> None:
    starts = "  start:\n    - manual: {}\n    - event: seen\n"
    engine, clock, sink = engine_for(process(starts, extra="  limits: {max_starts: 1, per: 1h}\n"))
    await engine.restore()
    await engine.start("tasks", key="a")
    suspended = r"process 'tasks' is suspended \(start limit reached\); resume it first"
    with pytest.raises(BlueprintSuspended, match=suspended):  # this start trips the limit
        await engine.start("tasks", key="b")
    assert await engine.handle_event("seen", {"id": "c"}) == []
    clock.advance(7200)  # the window is empty again: the suspension alone refuses
    assert await engine.handle_event("seen", {"id": "d"}) == []
    assert [i.key for i in engine.instances()] == ["a"] and len(sink.of("blueprint_suspended")) == 1


async def test_a_key_whose_instance_ended_starts_a_new_one() -> None:
    engine, _, _ = engine_for(process("  start: [{manual: {}}]\n"))
    await engine.restore()
    first = await engine.start("tasks", key="k")
    assert await engine.start("tasks", key="k") is first  # still running: the same one
    await engine.complete_task(first.tasks[0].id)
    second = await engine.start("tasks", key="k")
    assert first.status == "completed" and second.id != first.id and second.status == "running"


async def test_a_fan_out_cut_short_by_a_crash_starts_only_the_missing_items_on_restart() -> None:
    # the instances end at once (their only step is skipped): a re-fired tick must still not restart them
    starts = "  start:\n    - schedule: '0 10 * * *'\n      for_each: \"{{ range(150) | list }}\"\n"
    steps = "    - {id: ask, when: '{{ false }}', task: {assignee: ann}}\n"
    engine, clock, _ = engine_for(process(starts, steps))
    store = engine.store
    await engine.restore()
    crashed: list[MemoryStore] = []  # the store as the first batch of 100 left it

    async def watch() -> None:
        while not crashed:
            if len(store.records) == 100:  # type: ignore[attr-defined]
                crashed.append(copy.deepcopy(store))  # type: ignore[arg-type]
            await asyncio.sleep(0)

    watcher = asyncio.ensure_future(watch())
    clock.advance_to(T0 + timedelta(hours=1))
    await engine.tick()
    await watcher
    again = Engine(clock=clock, store=crashed[0], events=Sink(), tz=BERLIN, directory=Directory())
    again.set_blueprints([parse_blueprint(process(starts, steps), "tasks.yaml")])
    await again.restore()
    await again.tick()  # the tick fires again: its cursor was not moved before the crash
    assert len(again.instances()) == 150
    assert sorted(int(i.key) for i in again.instances()) == list(range(150))
    assert all(i.status == "completed" for i in again.instances())


async def test_manual_field_defaults_apply_to_manual_starts_only() -> None:
    starts = (
        "  start:\n"
        "    - manual: {}\n"
        "      fields: {who: by-hand}\n"
        "    - event: seen\n"
        "      fields: {where: '{{ event.where }}'}\n"
        "    - schedule: '0 10 * * *'\n"
    )
    fields = "{who: {type: text}, where: {type: text}}"
    engine, clock, _ = engine_for(process(starts, fields=fields))
    await engine.restore()
    manual = await engine.start("tasks", key="m")
    [event] = await engine.handle_event("seen", {"id": "e", "where": "here"})
    clock.advance_to(T0 + timedelta(hours=1))
    await engine.tick()
    [scheduled] = [i for i in engine.instances() if i.source == "schedule"]
    assert dict(manual.fields) == {"who": "by-hand"}
    assert dict(event.fields) == {"where": "here"}
    assert dict(scheduled.fields) == {}


async def test_who_started_an_instance_is_kept_and_a_scheduled_persons_item_is_announced() -> None:
    starts = "  start:\n    - manual: {}\n    - schedule: '0 10 * * *'\n      for_each: \"{{ ['ann'] }}\"\n"
    engine, clock, sink = engine_for(process(starts))
    await engine.restore()
    inst = await engine.start("tasks", key="m", user="bob")
    clock.advance_to(T0 + timedelta(hours=1))
    await engine.tick()
    assert inst.user == "bob"
    assert [(e["source"], e["by"], e["item"]) for e in sink.of("instance_started")] == [
        ("manual", "bob", None),
        ("schedule", None, "ann"),
    ]


async def test_a_schedule_dropped_from_the_blueprints_is_no_longer_armed() -> None:
    scheduled = process("  start:\n    - manual: {}\n    - schedule: '0 10 * * *'\n")
    engine, clock, _ = engine_for(scheduled)
    await engine.restore()
    assert [(t.kind, t.due) for t in engine.state.timers.pending()] == [("cron", T0 + timedelta(hours=1))]
    engine.set_blueprints([parse_blueprint(process("  start: [{manual: {}}]\n"), "tasks.yaml")])
    assert engine.next_deadline() is None
    clock.advance_to(T0 + timedelta(hours=1))
    await engine.tick()
    assert engine.instances() == []


async def test_a_right_that_renders_no_name_is_reported_for_its_instance() -> None:
    extra = "  viewers: ['{{ fields.who }}']\n"
    engine, _, sink = engine_for(process("  start: [{manual: {}}]\n", extra=extra))
    await engine.restore()
    inst = await engine.start("tasks", fields={"who": ""})
    [event] = sink.of("rights_invalid")
    shown = {k: event[k] for k in ("instance_id", "process", "key", "step", "error")}
    assert shown == {
        "instance_id": inst.id,
        "process": "tasks",
        "key": None,
        "step": None,
        "error": "viewers[0] rendered no name",
    }
