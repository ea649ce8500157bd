"""Starting instances as seen from outside the engine (issue 16: mutation testing of ``engine/starts.py``
found these unchecked): event-start keys and templates, several event starts of one process, an event
start that fails, a fan-out over a single rendered value, the start limit's window and event, and a start
that fails part-way leaving nothing behind. YAML blueprints, public ``Engine`` API."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest

from custom_components.bpo.engine.runtime_errors import BlueprintSuspended, StartFailed

from .test_mutants_tasks import T0, blueprint, engine_for

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
