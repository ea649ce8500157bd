"""Parallel branches that are step sequences (``- id: x, steps: [...]``) — the docs example validated and
simulated, order inside a branch, joins, cancellation of a branch's open step, restarts, and the graph."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from custom_components.bpo.engine.clock import VirtualClock
from custom_components.bpo.engine.graph import to_mermaid
from custom_components.bpo.engine.memory_store import MemoryStore
from custom_components.bpo.engine.model import Blueprint
from custom_components.bpo.engine.runtime import Engine
from custom_components.bpo.engine.scenario import Scenario, ScenarioStart
from custom_components.bpo.engine.schema import parse_blueprint
from custom_components.bpo.engine.simulate import simulate_async

from .test_docs_examples import BLOCKS, wrap
from .test_runtime import Sink, make

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 3, 2, 7, tzinfo=UTC)


def doc_example() -> Blueprint:
    block = next(b for b in BLOCKS if "id: paperwork" in b.text and "invalid" not in b.markers)
    return parse_blueprint(wrap(block), "docs/blueprint-language.md")


def onboarding(join: str = "all") -> Blueprint:
    text = f"""
blueprint: {{name: Onboarding, domain: bpo}}
process:
  key: onboarding
  start: [{{manual: {{}}}}]
  steps:
    - id: prepare
      join: {join}
      parallel:
        - id: paperwork
          steps:
            - id: draft_contract
              task: {{group: hr}}
            - id: pause
              wait: {{delay: 1h}}
            - id: sign_contract
              task: {{group: managers}}
        - id: laptop
          task: {{group: it}}
    - id: welcome
      task: {{group: hr}}
"""
    return parse_blueprint(text, "onboarding.yaml")


def open_steps(engine: Engine) -> list[str]:
    return sorted(t.step for t in engine.open_tasks())


async def finish(engine: Engine, step: str) -> None:
    await engine.complete_task(next(t for t in engine.open_tasks() if t.step == step).id)


async def test_doc_example_signs_after_drafting_and_welcomes_after_both_branches() -> None:
    timeline = await simulate_async(
        doc_example(),
        start=T0,
        days=2,
        tz=BERLIN,
        answers={
            "draft_contract": {"delay": "1h"},
            "sign_contract": {"delay": "1h"},
            "laptop": {"delay": "30m"},
            "welcome": {"delay": "1h"},
        },
        scenario=Scenario(starts=[ScenarioStart(T0, manual={"key": "new-hire"})]),
    )
    created = [
        (line.at.strftime("%H:%M"), line.text.split(" task ")[1].split()[0])
        for line in timeline.lines
        if " task " in line.text and " for " in line.text
    ]
    assert created == [
        ("08:00", "draft_contract"),
        ("08:00", "laptop"),
        ("09:00", "sign_contract"),
        ("10:00", "welcome"),  # after the sequence's last step, although the laptop was ready at 08:30
    ]
    assert timeline.summary["instances completed"] == 1


async def test_a_branch_runs_its_steps_in_order_and_the_join_waits_for_its_last() -> None:
    engine, clock, _, _ = make(onboarding(), start=T0)
    await engine.start("onboarding", key="h1")
    assert open_steps(engine) == ["draft_contract", "laptop"]
    await finish(engine, "laptop")
    await finish(engine, "draft_contract")
    assert open_steps(engine) == []  # pausing 1h inside the branch
    clock.advance_to(T0 + timedelta(hours=1))
    await engine.tick()
    assert open_steps(engine) == ["sign_contract"]
    await finish(engine, "sign_contract")
    assert open_steps(engine) == ["welcome"]


async def test_join_any_cancels_the_open_step_of_the_other_branch_sequence() -> None:
    engine, _, sink, _ = make(onboarding(join="any"), start=T0)
    inst = await engine.start("onboarding", key="h1")
    await finish(engine, "laptop")
    assert open_steps(engine) == ["welcome"] and inst.joins is None
    assert [(e["step"], e["reason"]) for e in sink.of("task_cancelled")] == [("draft_contract", "join")]


async def test_cancelling_mid_sequence_leaves_nothing_open() -> None:
    engine, _, _, _ = make(onboarding(), start=T0)
    inst = await engine.start("onboarding", key="h1")
    await finish(engine, "draft_contract")
    await engine.cancel(inst.id)
    assert engine.open_tasks() == [] and inst.joins is None and inst.waits is None
    assert engine.next_deadline() is None


async def drive(restart_every_step: bool) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    clock = VirtualClock(T0)
    store, sink, bp = MemoryStore(), Sink(), onboarding()

    async def fresh() -> Engine:
        engine = Engine(clock=clock, store=store, events=sink, tz=BERLIN)
        engine.set_blueprints([bp])
        await engine.restore()
        return engine

    engine = await fresh()
    await engine.start("onboarding", key="h1")
    while True:
        if restart_every_step:
            engine = await fresh()
        tasks = sorted(engine.open_tasks(), key=lambda t: t.id)
        deadline = engine.next_deadline()
        if tasks:
            clock.advance_to(clock.now() + timedelta(minutes=20))
            await engine.complete_task(tasks[0].id)
        elif deadline is not None:
            clock.advance_to(deadline)
            await engine.tick()
        else:
            break
    return store.snapshot(), [(e.type, e.data) for e in sink.events]


async def test_restore_at_every_step_boundary_of_a_branch_sequence_equals_uninterrupted_run() -> None:
    straight = await drive(restart_every_step=False)
    restarted = await drive(restart_every_step=True)
    assert restarted == straight
    created = [d["step"] for k, d in straight[1] if k == "task_created"]
    assert created == ["draft_contract", "laptop", "sign_contract", "welcome"]


def test_graph_chains_the_branch_steps_into_the_join() -> None:
    chart = to_mermaid(doc_example())
    assert "s_onboarding --> s_paperwork" in chart
    assert "s_paperwork --> s_draft_contract" in chart
    assert "s_draft_contract --> s_sign_contract" in chart
    assert "s_sign_contract --> s_onboarding_join" in chart
