"""``repeat``: the bounded loop step — its doc example validated and simulated, its rounds, its result,
cancellation, timeout, restore mid-loop, and instant rounds that must not nest."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from custom_components.bpo.engine.clock import VirtualClock
from custom_components.bpo.engine.graph import to_mermaid
from custom_components.bpo.engine.memory_store import MemoryStore
from custom_components.bpo.engine.model import (
    ActionSpec,
    Blueprint,
    ManualStart,
    RepeatSpec,
    Step,
    TaskSpec,
    Timeout,
    WaitSpec,
)
from custom_components.bpo.engine.runtime import Engine
from custom_components.bpo.engine.scenario import Scenario, ScenarioStart
from custom_components.bpo.engine.schema import parse_blueprint
from custom_components.bpo.engine.simulate import simulate_async

from .test_docs_examples import BLOCKS, wrap
from .test_runtime import Sink, make, simple

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 3, 2, 7, tzinfo=UTC)
HOUR = 3600.0


def doc_example() -> Blueprint:
    block = next(b for b in BLOCKS if "call_attempts" in b.text and "invalid" not in b.markers)
    return parse_blueprint(wrap(block), "docs/blueprint-language.md")


async def simulate_doc(answers: dict[str, Any]) -> tuple[list[str], dict[str, int]]:
    timeline = await simulate_async(
        doc_example(),
        start=T0,
        days=2,
        tz=BERLIN,
        answers=answers,
        scenario=Scenario(starts=[ScenarioStart(T0 + timedelta(hours=1), manual={"key": "cust-1"})]),
    )
    return [line.text for line in timeline.lines], dict(timeline.summary)


async def test_doc_example_calls_three_times_then_gives_up() -> None:
    lines, summary = await simulate_doc({"call": {"outcome": "no_answer", "delay": "1h"}})
    assert sum(" task call for agents" in text for text in lines) == 3
    assert summary["tasks created"] == 3  # three calls, no send_offer
    assert summary["instances failed"] == 1  # route: steps.call_attempts.outcome == 'max' -> give_up


async def test_doc_example_stops_calling_once_reached() -> None:
    lines, summary = await simulate_doc(
        {"call": {"outcome": "reached", "delay": "1h"}, "send_offer": {"delay": "1h"}}
    )
    assert sum(" task call for agents" in text for text in lines) == 1
    assert any(" task send_offer for sales" in text for text in lines)
    assert summary["instances completed"] == 1


def call_back(**repeat: Any) -> Blueprint:
    loop = Step(
        id="attempts",
        repeat=RepeatSpec(
            max=repeat.pop("max", 3),
            until=repeat.pop("until", "{{ steps.call.outcome == 'reached' }}"),
            steps=(
                Step(id="call", task=TaskSpec(group="agents", outcomes=("reached", "no_answer"))),
                Step(id="pause", wait=WaitSpec(delay=4 * HOUR)),
            ),
        ),
        **repeat,
    )
    return simple("call_back", loop, Step(id="after", task=TaskSpec(group="sales")), starts=(ManualStart(),))


def open_steps(engine: Any) -> list[str]:
    return sorted(t.step for t in engine.open_tasks())


async def test_until_ends_the_loop_and_the_result_counts_the_rounds() -> None:
    engine, clock, sink, _ = make(call_back(), start=T0)
    await engine.restore()
    inst = await engine.start("call_back", key="c1")
    first = engine.open_tasks()[0]
    await engine.complete_task(first.id, outcome="no_answer")
    assert open_steps(engine) == []  # pausing 4h
    clock.advance_to(T0 + timedelta(hours=4))
    await engine.tick()
    second = engine.open_tasks()[0]
    assert (second.step, second.id != first.id) == ("call", True)
    await engine.complete_task(second.id, outcome="reached")
    clock.advance_to(T0 + timedelta(hours=8))
    await engine.tick()
    assert open_steps(engine) == ["after"]  # until held after round 2: no third call
    assert inst.results is not None and inst.results["attempts"] == {
        "outcome": "until",
        "data": {"rounds": 2},
    }
    assert [e["step"] for e in sink.of("task_created")] == ["call", "call", "after"]


async def test_max_rounds_end_the_loop_with_outcome_max() -> None:
    engine, clock, _, _ = make(call_back(max=2), start=T0)
    await engine.restore()
    inst = await engine.start("call_back", key="c1")
    for _ in range(2):
        await engine.complete_task(engine.open_tasks()[0].id, outcome="no_answer")
        clock.advance_to(clock.now() + timedelta(hours=4))
        await engine.tick()
    assert open_steps(engine) == ["after"]
    assert inst.results is not None and inst.results["attempts"] == {"outcome": "max", "data": {"rounds": 2}}


async def test_instant_rounds_run_max_times_without_nesting() -> None:
    """100 rounds of an action (the documented bound) finish in one call, each at the same stack depth."""
    calls: list[int] = []

    class Port:
        async def call(self, service: str | None, connector: str | None, op: str | None, data: Any) -> Any:
            depth, frame = 0, sys._getframe()
            while frame.f_back is not None:
                depth, frame = depth + 1, frame.f_back
            calls.append(depth)
            return len(calls)

    loop = Step(
        id="poll",
        repeat=RepeatSpec(
            max=100,
            steps=(Step(id="ping", action=ActionSpec(connector="fleet", call="status", result="n")),),
        ),
    )
    bp = simple("poller", loop, starts=(ManualStart(),))
    engine, _, _, _ = make(bp, start=T0, actions=Port())
    inst = await engine.start("poller")
    assert len(calls) == 100
    assert set(calls) == {calls[0]}  # round 100 runs no deeper than round 1
    assert inst.status == "completed" and inst.results == {
        "poll": {"outcome": "max", "data": {"rounds": 100}}
    }


async def test_until_on_a_field_stops_instant_rounds() -> None:
    class Port:
        n = 0

        async def call(self, service: str | None, connector: str | None, op: str | None, data: Any) -> Any:
            Port.n += 1
            return Port.n

    loop = Step(
        id="poll",
        repeat=RepeatSpec(
            max=10,
            until="{{ fields.n >= 4 }}",
            steps=(Step(id="ping", action=ActionSpec(connector="fleet", call="status", result="n")),),
        ),
    )
    engine, _, _, _ = make(simple("poller", loop, starts=(ManualStart(),)), start=T0, actions=Port())
    inst = await engine.start("poller")
    assert (Port.n, inst.status, inst.fields["n"]) == (4, "completed", 4)


async def test_cancel_mid_loop_cancels_the_open_body_task() -> None:
    engine, _, sink, _ = make(call_back(), start=T0)
    inst = await engine.start("call_back", key="c1")
    await engine.cancel(inst.id, user="boss")
    assert engine.open_tasks() == [] and inst.joins is None and engine.next_deadline() is None
    assert [e["reason"] for e in sink.of("task_cancelled")] == ["cancelled"]


async def test_timeout_on_the_loop_cancels_its_round_and_moves_on() -> None:
    engine, clock, sink, _ = make(call_back(timeout=Timeout(2 * HOUR, "complete")), start=T0)
    inst = await engine.start("call_back", key="c1")
    clock.advance_to(T0 + timedelta(hours=2))
    await engine.tick()
    assert [e["reason"] for e in sink.of("task_cancelled")] == ["timeout"]
    assert open_steps(engine) == ["after"] and inst.joins is None


async def test_restart_mid_loop_continues_the_same_round() -> None:
    engine, clock, _, store = make(call_back(), start=T0)
    inst = await engine.start("call_back", key="c1")
    await engine.complete_task(engine.open_tasks()[0].id, outcome="no_answer")  # round 1 pauses 4h
    later, _, _, _ = make(call_back(), start=T0, store=store)
    later.clock = clock
    await later.restore()
    assert later.instance(inst.id) is not None and later.instance(inst.id).to_dict() == inst.to_dict()
    clock.advance_to(T0 + timedelta(hours=4))
    await later.tick()
    call = later.open_tasks()[0]
    assert call.step == "call" and call.parent == later.instance(inst.id).joins[0].id  # type: ignore[union-attr]
    await later.complete_task(call.id, outcome="reached")
    clock.advance_to(T0 + timedelta(hours=8))
    await later.tick()
    assert later.instance(inst.id).results["attempts"]["data"] == {"rounds": 2}  # type: ignore[index,union-attr]


async def drive_call_back(restart_every_step: bool) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """Two unanswered calls, then a reached one, 1h after each call opens; optionally restarting the
    engine (only the store survives) at every step boundary."""
    clock = VirtualClock(T0)
    store, sink, bp = MemoryStore(), Sink(), call_back()

    async def fresh() -> Engine:
        engine = Engine(clock=clock, store=store, events=sink, tz=BERLIN)
        engine.set_blueprints([bp])
        await engine.restore()
        return engine

    engine = await fresh()
    await engine.start("call_back", key="c1")
    outcomes = iter(["no_answer", "no_answer", "reached"])
    while True:
        if restart_every_step:
            engine = await fresh()
        calls = [t for t in engine.open_tasks() if t.step == "call"]
        deadline = engine.next_deadline()
        if calls and (deadline is None or calls[0].created + timedelta(hours=1) < deadline):
            clock.advance_to(calls[0].created + timedelta(hours=1))
            await engine.complete_task(calls[0].id, outcome=next(outcomes))
        elif deadline is not None:
            clock.advance_to(deadline)
            await engine.tick()
        else:
            break
    return store.snapshot(), [(e.type, e.data) for e in sink.events]


async def test_restore_at_every_step_boundary_of_a_loop_equals_uninterrupted_run() -> None:
    straight_state, straight_events = await drive_call_back(restart_every_step=False)
    restarted_state, restarted_events = await drive_call_back(restart_every_step=True)
    assert restarted_state == straight_state
    assert restarted_events == straight_events
    assert [d["step"] for k, d in straight_events if k == "task_created"] == ["call", "call", "call", "after"]


async def test_a_repeat_inside_parallel_finishes_its_branch() -> None:
    text = """
blueprint: {name: Retry in a branch, domain: bpo}
process:
  key: branchy
  start: [{manual: {}}]
  steps:
    - id: both
      parallel:
        - id: tries
          repeat:
            max: 2
            steps:
              - id: attempt
                task: {group: desk}
        - id: other
          task: {group: desk}
    - id: last
      task: {group: desk}
"""
    engine, _, _, _ = make(parse_blueprint(text, "branchy.yaml"), start=T0)
    await engine.start("branchy")
    for step in ("attempt", "attempt", "other"):
        task = next(t for t in engine.open_tasks() if t.step == step)
        await engine.complete_task(task.id)
    assert open_steps(engine) == ["last"]


def test_graph_draws_the_loop_back_edge() -> None:
    chart = to_mermaid(doc_example())
    assert "s_call_attempts_until{" in chart
    assert 's_call_attempts_until -.->|"again"| s_call_attempts' in chart
    assert "s_call_attempts --> s_call" in chart
