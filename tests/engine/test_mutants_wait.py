"""Waits as seen from outside the engine (issue 16: mutation testing of ``steps/wait.py`` found these
unchecked): history lines and results of each way a wait ends, a delay that meets its own timeout, waits
found again after a restart, empty correlation keys, two correlate templates on one event, and two
correlated waits of one instance on the same key (one timing out used to drop the other from the index).
YAML blueprints, public ``Engine`` API."""

from __future__ import annotations

from datetime import timedelta

from custom_components.bpo.engine.clock import VirtualClock
from custom_components.bpo.engine.memory_store import MemoryStore
from custom_components.bpo.engine.runtime import Engine
from custom_components.bpo.engine.schema import parse_blueprint

from .test_mutants_starts import Broken
from .test_mutants_tasks import T0, Directory, blueprint, engine_for
from .test_runtime import BERLIN, Sink

AFTER = "    - {id: after, task: {assignee: ann}}\n"
REPLY = "{event: reply, correlate: '{{ event.ticket }}'}"


def lines(inst: object, *what: str) -> list[tuple[str, str | None, object]]:
    return [(h.what, h.step, h.details) for h in inst.history if h.what in what]  # type: ignore[attr-defined]


async def test_each_way_a_wait_ends_is_logged_and_kept_as_its_result() -> None:
    steps = (
        "    - {id: hold, wait: {event: go}}\n"
        "    - {id: pause, wait: {delay: 1h}}\n"
        "    - {id: slow, timeout: 1h, on_timeout: complete, wait: {event: never}}\n" + AFTER
    )
    engine, clock, _ = engine_for(blueprint(steps))
    await engine.restore()
    inst = await engine.start("tasks")
    assert await engine.handle_event("go", {"n": 1}) == [inst]
    assert engine.state.waiting.get("go") == set()  # a finished wait leaves the event's index
    clock.advance(3600)
    await engine.tick()
    clock.advance(3600)
    await engine.tick()
    assert lines(inst, "waiting", "wait_done") == [
        ("waiting", "hold", {"event": "go", "until": None}),
        ("wait_done", "hold", {"outcome": "event"}),
        ("waiting", "pause", {"event": None, "until": (T0 + timedelta(hours=1)).isoformat()}),
        ("wait_done", "pause", {"outcome": "time"}),
        ("waiting", "slow", {"event": "never", "until": None}),
    ]
    assert inst.results == {
        "hold": {"outcome": "event", "data": {"n": 1}},
        "pause": {"outcome": "time", "data": None},
        "slow": {"outcome": "timeout", "data": None},
    }
    assert [t.step for t in inst.tasks] == ["after"]


async def test_a_delay_that_ends_with_its_own_timeout_finishes_once_by_time() -> None:
    engine, clock, _ = engine_for(
        blueprint("    - {id: pause, timeout: 1h, on_timeout: complete, wait: {delay: 1h}}\n" + AFTER)
    )
    await engine.restore()
    inst = await engine.start("tasks")
    clock.advance(3600)
    await engine.tick()
    assert inst.results == {"pause": {"outcome": "time", "data": None}}
    assert [t.step for t in inst.tasks] == ["after"] and lines(inst, "timeout") == []


async def test_a_wait_for_an_event_is_found_again_after_a_restart() -> None:
    store, clock, sink = MemoryStore(), VirtualClock(T0), Sink()
    text = blueprint("    - {id: hold, wait: {event: go}}\n" + AFTER)

    def fresh() -> Engine:
        engine = Engine(clock=clock, store=store, events=sink, tz=BERLIN, directory=Directory())
        engine.set_blueprints([parse_blueprint(text, "tasks.yaml")])
        return engine

    engine = fresh()
    await engine.restore()
    inst = await engine.start("tasks")
    later = fresh()
    await later.restore()
    [moved] = await later.handle_event("go", {})
    assert moved.id == inst.id and [t.step for t in later.open_tasks()] == ["after"]


async def test_an_empty_rendered_correlation_key_fails_the_instance() -> None:
    steps = (
        "    - id: hold\n"
        "      wait: {event: reply, correlate: '{{ event.ticket }}', key: '{{ fields.ref }}'}\n"
    )
    engine, _, _ = engine_for(blueprint(steps, fields="{ref: {type: text}}"))
    await engine.restore()
    inst = await engine.start("tasks", fields={"ref": ""})
    assert inst.status == "failed"
    assert inst.error == (
        "step hold: wait: the correlation key is empty (the instance has no key; set wait.key)"
    )


async def test_correlate_and_key_templates_see_local_time() -> None:
    steps = (
        "    - id: hold\n"
        "      wait:\n"
        "        event: reply\n"
        '        correlate: "{{ event.ticket }}@{{ now().hour }}"\n'
        '        key: "{{ instance.key }}@{{ now().hour }}"\n' + AFTER
    )
    engine, _, _ = engine_for(blueprint(steps))
    await engine.restore()
    inst = await engine.start("tasks", key="t1")
    [line] = lines(inst, "waiting")
    assert await engine.handle_event("reply", {"ticket": "t1"}) == [inst]  # 09:00 in Berlin on both sides
    assert line[1] == "hold" and [t.step for t in inst.tasks] == ["after"]


async def test_a_correlate_template_the_event_cannot_fill_does_not_hide_the_others() -> None:
    orders = blueprint(
        "    - {id: hold, wait: {event: reply, correlate: '{{ event.order.id }}'}}\n" + AFTER
    ).replace("key: tasks", "key: orders")
    tickets = blueprint(f"    - {{id: hold, wait: {REPLY}}}\n" + AFTER).replace("key: tasks", "key: tickets")
    engine, _, _ = engine_for(orders)
    engine.set_blueprints([parse_blueprint(orders, "orders.yaml"), parse_blueprint(tickets, "tickets.yaml")])
    await engine.restore()
    await engine.start("orders", key="o1")  # indexed first: its template is tried first
    ticket = await engine.start("tickets", key="t1")
    assert await engine.handle_event("reply", {"ticket": "t1"}) == [ticket]


async def test_one_instance_ending_its_wait_leaves_the_others_keys_waiting() -> None:
    engine, _, _ = engine_for(blueprint(f"    - {{id: hold, wait: {REPLY}}}\n" + AFTER))
    await engine.restore()
    one = await engine.start("tasks", key="1")
    two = await engine.start("tasks", key="2")
    assert await engine.handle_event("reply", {"ticket": "1"}) == [one]
    assert await engine.handle_event("reply", {"ticket": "2"}) == [two]


async def test_two_waits_on_one_key_in_parallel_both_get_their_reply() -> None:
    steps = (
        "    - id: p\n"
        "      parallel:\n"
        f"        - {{id: first, timeout: 1h, on_timeout: complete, wait: {REPLY}}}\n"
        f"        - {{id: second, wait: {REPLY}}}\n" + AFTER
    )
    engine, clock, _ = engine_for(blueprint(steps))
    await engine.restore()
    inst = await engine.start("tasks", key="t1")
    clock.advance(3600)
    await engine.tick()  # the first wait times out; the second still waits on the same key
    assert await engine.handle_event("reply", {"ticket": "t1"}) == [inst]
    assert inst.results == {
        "first": {"outcome": "timeout", "data": None},
        "second": {"outcome": "event", "data": {"ticket": "t1"}},
    }
    assert [t.step for t in inst.tasks] == ["after"] and engine.state.correlated == {}


# -- fourth session: several waits of one instance on one event, and an instance ended or failed meanwhile --
async def test_an_event_finishes_only_the_waits_for_it_whichever_branch_comes_first() -> None:
    steps = (
        "    - id: p\n"
        "      parallel:\n"
        "        - {id: stop, wait: {event: stop}}\n"
        "        - {id: go, wait: {event: go}}\n"
        "        - {id: run, call: {process: child}}\n" + AFTER
    )
    child = blueprint("    - {id: ask, task: {assignee: bob}}\n").replace("key: tasks", "key: child")
    engine, _, _ = engine_for(blueprint(steps))
    engine.set_blueprints(
        [parse_blueprint(blueprint(steps), "tasks.yaml"), parse_blueprint(child, "child.yaml")]
    )
    await engine.restore()
    inst = await engine.start("tasks")
    assert await engine.handle_event("go", {"n": 1}) == [inst]
    assert inst.results == {"go": {"outcome": "event", "data": {"n": 1}}}
    assert inst.status == "running" and sorted(w.step for w in inst.waits or ()) == ["run", "stop"]


async def test_plain_and_correlated_waits_of_one_instance_on_one_event_each_get_theirs() -> None:
    steps = (
        "    - id: p\n"
        "      parallel:\n"
        "        - {id: a, wait: {event: reply, match: {kind: a}}}\n"
        f"        - {{id: c, wait: {REPLY}}}\n"
        "        - {id: b, wait: {event: reply, match: {kind: b}}}\n" + AFTER
    )
    engine, _, _ = engine_for(blueprint(steps))
    await engine.restore()
    inst = await engine.start("tasks", key="t1")
    # a plain wait is found past a correlated one, and a correlated wait past a plain one
    assert await engine.handle_event("reply", {"kind": "b", "ticket": "other"}) == [inst]
    assert await engine.handle_event("reply", {"ticket": "t1"}) == [inst]
    assert inst.results == {
        "b": {"outcome": "event", "data": {"kind": "b", "ticket": "other"}},
        "c": {"outcome": "event", "data": {"ticket": "t1"}},
    }
    assert [w.step for w in inst.waits or ()] == ["a"]


async def test_a_match_template_sees_the_event() -> None:
    steps = "    - {id: hold, wait: {event: go, match: {n: '{{ event.m }}'}}}\n" + AFTER
    engine, _, _ = engine_for(blueprint(steps))
    await engine.restore()
    inst = await engine.start("tasks")
    assert await engine.handle_event("go", {"n": 1, "m": 2}) == []
    assert await engine.handle_event("go", {"n": 3, "m": 3}) == [inst]
    assert inst.status == "running" and [t.step for t in inst.tasks] == ["after"]


async def test_an_ended_instance_leaves_the_events_waiting_list_at_the_next_event() -> None:
    steps = (
        "    - id: p\n"
        "      join: any\n"
        "      parallel:\n"
        "        - {id: ask, task: {assignee: ann}}\n"
        "        - {id: hold, wait: {event: go}}\n"
    )
    engine, _, _ = engine_for(blueprint(steps))
    await engine.restore()
    inst = await engine.start("tasks")
    await engine.complete_task(inst.tasks[0].id)
    assert inst.status == "completed"
    assert await engine.handle_event("go", {}) == []
    assert engine.state.waiting.get("go") == set()


async def test_a_step_failing_after_a_wait_fails_the_instance_naming_that_step() -> None:
    steps = "    - {id: hold, wait: {event: go}}\n    - {id: ping, action: {service: office.print}}\n"
    engine, _, sink = engine_for(blueprint(steps), actions=Broken())
    await engine.restore()
    inst = await engine.start("tasks")
    assert await engine.handle_event("go", {}) == [inst]
    assert (inst.status, inst.error) == ("failed", "event go: step ping: internal error (RuntimeError)")
    [error] = sink.of("instance_error")
    assert (error["step"], error["error"]) == ("ping", inst.error)
    assert engine.state.waiting.get("go") == set()  # a failed instance leaves the event's list at once


async def test_a_correlate_template_that_fails_to_render_does_not_hide_the_next_one() -> None:
    orders = blueprint(
        "    - {id: hold, wait: {event: reply, correlate: '{{ 1 // event.n }}'}}\n" + AFTER
    ).replace("key: tasks", "key: orders")
    tickets = blueprint(f"    - {{id: hold, wait: {REPLY}}}\n" + AFTER).replace("key: tasks", "key: tickets")
    engine, _, _ = engine_for(orders)
    engine.set_blueprints([parse_blueprint(orders, "orders.yaml"), parse_blueprint(tickets, "tickets.yaml")])
    await engine.restore()
    await engine.start("orders", key="1")  # indexed first: its template is tried first, and fails here
    ticket = await engine.start("tickets", key="t1")
    assert await engine.handle_event("reply", {"ticket": "t1"}) == [ticket]


async def test_an_event_without_the_correlation_key_reaches_no_wait_not_even_one_keyed_none() -> None:
    engine, _, _ = engine_for(blueprint(f"    - {{id: hold, wait: {REPLY}}}\n" + AFTER))
    await engine.restore()
    inst = await engine.start("tasks", key="None")
    assert await engine.handle_event("reply", {"other": 1}) == []
    assert await engine.handle_event("reply", {"ticket": "None"}) == [inst]


async def test_a_wait_ended_by_another_templates_wait_is_skipped_when_the_event_reaches_it() -> None:
    # join any: the wait on the first template finishing cancels the wait on the second one, whose index
    # entry (and with it, without the third process, the event's) is gone when the same event comes to it
    steps = (
        "    - id: p\n"
        "      join: any\n"
        "      parallel:\n"
        f"        - {{id: one, wait: {REPLY}}}\n"
        "        - {id: two, wait: {event: reply, correlate: '{{ event.ref }}'}}\n" + AFTER
    )
    other = blueprint("    - {id: hold, wait: {event: reply, correlate: '{{ event.other }}'}}\n").replace(
        "key: tasks", "key: other"
    )
    for with_other in (False, True):
        engine, _, _ = engine_for(blueprint(steps))
        texts = [parse_blueprint(blueprint(steps), "tasks.yaml"), parse_blueprint(other, "other.yaml")]
        engine.set_blueprints(texts)
        await engine.restore()
        inst = await engine.start("tasks", key="t1")
        if with_other:
            await engine.start("other", key="o1")
        assert await engine.handle_event("reply", {"ticket": "t1", "ref": "t1"}) == [inst], with_other
        assert inst.results == {"one": {"outcome": "event", "data": {"ticket": "t1", "ref": "t1"}}}
        assert [t.step for t in inst.tasks] == ["after"]
        assert list(engine.state.correlated.get("reply", {})) == (["{{ event.other }}"] if with_other else [])
