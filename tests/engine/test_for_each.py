"""``for_each`` on a task or action step — the docs example validated and simulated, item in templates,
concurrency, join all / any / N, per-item outcomes, the list bound, instant actions that must not nest,
cancellation, restarts mid-way, and the graph."""

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
    Escalation,
    FieldDef,
    ForEachSpec,
    JoinMode,
    ManualStart,
    Step,
    TaskSpec,
)
from custom_components.bpo.engine.runtime import Engine
from custom_components.bpo.engine.scenario import Scenario, ScenarioStart
from custom_components.bpo.engine.schema import parse_blueprint
from custom_components.bpo.engine.simulate import simulate_async
from custom_components.bpo.engine.stepschema import FOR_EACH_MAX

from .test_docs_examples import BLOCKS, wrap
from .test_runtime import Sink, make, simple

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 3, 2, 7, tzinfo=UTC)
SITES = ["north", "south", "east"]


def doc_example() -> Blueprint:
    block = next(b for b in BLOCKS if "id: site_jobs" in b.text)
    return parse_blueprint(wrap(block), "docs/blueprint-language.md")


async def simulate_doc(answers: dict[str, Any]) -> tuple[list[Any], dict[str, int]]:
    timeline = await simulate_async(
        doc_example(),
        start=T0,
        days=2,
        tz=BERLIN,
        answers=answers,
        scenario=Scenario(starts=[ScenarioStart(T0, manual={"key": "round-1", "fields": {"sites": SITES}})]),
    )
    return list(timeline.lines), dict(timeline.summary)


async def test_doc_example_opens_two_jobs_at_a_time_and_repairs_the_broken_sites() -> None:
    lines, summary = await simulate_doc(
        {"site_jobs": {"outcome": "broken", "delay": "1h"}, "repairs": {"delay": "1h"}}
    )
    jobs = [line for line in lines if " task site_jobs for technicians" in line.text]
    assert [line.at.hour for line in jobs] == [8, 8, 9]  # two at 08:00 Berlin, the third when one is done
    assert any(" task repairs for workshop" in line.text for line in lines)
    assert summary["tasks created"] == 4 and summary["instances completed"] == 1


async def test_doc_example_ends_without_repairs_when_every_site_is_ok() -> None:
    lines, summary = await simulate_doc({"site_jobs": {"outcome": "ok", "delay": "1h"}})
    assert not any(" task repairs " in line.text for line in lines)
    assert summary["tasks created"] == 3 and summary["instances completed"] == 1


def jobs(join: JoinMode = "all", join_n: int = 0, concurrency: int | None = None) -> Blueprint:
    return simple(
        "jobs",
        Step(
            id="job",
            for_each=ForEachSpec(
                items="{{ fields.sites }}", join=join, join_n=join_n, concurrency=concurrency
            ),
            task=TaskSpec(group="techs", title="Check {{ item }}", outcomes=("ok", "broken")),
        ),
        Step(id="after", task=TaskSpec(group="desk", title="{{ steps.job.data.done }} done")),
        fields={"sites": FieldDef("sites")},
        starts=(ManualStart(),),
    )


def titles(engine: Engine, step: str = "job") -> list[str]:
    return sorted(t.title for t in engine.open_tasks() if t.step == step)


async def answer(engine: Engine, title: str, outcome: str) -> None:
    task = next(t for t in engine.open_tasks() if t.title == title)
    await engine.complete_task(task.id, outcome=outcome)


async def test_concurrency_opens_items_in_order_as_others_finish() -> None:
    engine, _, _, _ = make(jobs(concurrency=2), start=T0)
    inst = await engine.start("jobs", fields={"sites": SITES})
    assert titles(engine) == ["Check north", "Check south"]
    await answer(engine, "Check south", "broken")
    assert titles(engine) == ["Check east", "Check north"]
    await answer(engine, "Check east", "ok")
    await answer(engine, "Check north", "ok")
    assert titles(engine, "after") == ["3 done"]
    assert inst.results is not None and inst.results["job"] == {
        "outcome": "done",
        "data": {
            "outcomes": [
                {"item": "north", "outcome": "ok"},
                {"item": "south", "outcome": "broken"},
                {"item": "east", "outcome": "ok"},
            ],
            "done": 3,
        },
    }


async def test_join_any_cancels_the_other_items() -> None:
    engine, _, sink, _ = make(jobs(join="any"), start=T0)
    inst = await engine.start("jobs", fields={"sites": SITES})
    assert titles(engine) == ["Check east", "Check north", "Check south"]
    await answer(engine, "Check east", "ok")
    assert titles(engine) == [] and titles(engine, "after") == ["1 done"]
    assert [e["reason"] for e in sink.of("task_cancelled")] == ["join", "join"]
    outcomes = inst.results["job"]["data"]["outcomes"]  # type: ignore[index]
    assert [o["outcome"] for o in outcomes] == [None, None, "ok"]


async def test_join_n_with_concurrency_stops_opening_once_enough_are_done() -> None:
    engine, _, _, _ = make(jobs(join="n_of_m", join_n=2, concurrency=1), start=T0)
    await engine.start("jobs", fields={"sites": SITES})
    await answer(engine, "Check north", "ok")
    await answer(engine, "Check south", "ok")
    assert titles(engine) == [] and titles(engine, "after") == ["2 done"]  # east never opened


async def test_an_empty_list_finishes_at_once_and_a_non_list_or_too_long_one_fails() -> None:
    engine, _, _, _ = make(jobs(), start=T0)
    empty = await engine.start("jobs", key="a", fields={"sites": []})
    assert titles(engine, "after") == ["0 done"] and empty.is_running
    text = await engine.start("jobs", key="b", fields={"sites": "north"})
    assert (text.status, text.error) == ("failed", "step job: for_each: expected a list, got str")
    many = await engine.start("jobs", key="c", fields={"sites": list(range(FOR_EACH_MAX + 1))})
    assert many.error == f"step job: for_each: {FOR_EACH_MAX + 1} items, at most {FOR_EACH_MAX}"


async def test_actions_get_their_item_and_500_run_without_nesting() -> None:
    seen: list[tuple[Any, int]] = []

    class Port:
        async def call(self, service: str | None, connector: str | None, op: str | None, data: Any) -> Any:
            depth, frame = 0, sys._getframe()
            while frame.f_back is not None:
                depth, frame = depth + 1, frame.f_back
            seen.append((data["site"], depth))
            return None

    bp = simple(
        "mailer",
        Step(
            id="job",
            for_each=ForEachSpec(items="{{ range(500) | list }}"),
            action=ActionSpec(connector="fleet", call="schedule", data={"site": "{{ item }}"}),
        ),
        Step(id="after", task=TaskSpec(group="desk", title="{{ item }} / {{ steps.job.data.done }}")),
        starts=(ManualStart(),),
    )
    engine, _, _, _ = make(bp, start=T0, actions=Port())
    inst = await engine.start("mailer", item="the instance item")
    assert [site for site, _ in seen] == list(range(500))  # each action's data rendered with its own item
    assert len({depth for _, depth in seen}) == 1  # item 500 runs no deeper than item 1
    assert titles(engine, "after") == ["the instance item / 500"]  # past the step, item is the instance's
    assert inst.results is not None and inst.results["job"]["data"]["outcomes"][7] == {
        "item": 7,
        "outcome": "done",
    }


async def test_cancelling_the_instance_cancels_every_open_item() -> None:
    engine, _, sink, _ = make(jobs(concurrency=2), start=T0)
    inst = await engine.start("jobs", fields={"sites": SITES})
    await engine.cancel(inst.id)
    assert engine.open_tasks() == [] and inst.joins is None
    assert [e["reason"] for e in sink.of("task_cancelled")] == ["cancelled", "cancelled"]


async def test_restart_mid_way_continues_the_same_items() -> None:
    engine, clock, _, store = make(jobs(concurrency=2), start=T0)
    inst = await engine.start("jobs", fields={"sites": SITES})
    await answer(engine, "Check north", "broken")
    later, _, _, _ = make(jobs(concurrency=2), start=T0, store=store)
    later.clock = clock
    await later.restore()
    assert later.instance(inst.id).to_dict() == inst.to_dict()  # type: ignore[union-attr]
    assert titles(later) == ["Check east", "Check south"]
    await answer(later, "Check east", "ok")
    await answer(later, "Check south", "ok")
    done = later.instance(inst.id).results["job"]["data"]["outcomes"]  # type: ignore[index,union-attr]
    assert [o["outcome"] for o in done] == ["broken", "ok", "ok"]


async def drive(restart_every_step: bool) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    clock = VirtualClock(T0)
    store, sink, bp = MemoryStore(), Sink(), jobs(concurrency=2)

    async def fresh() -> Engine:
        engine = Engine(clock=clock, store=store, events=sink, tz=BERLIN)
        engine.set_blueprints([bp])
        await engine.restore()
        return engine

    engine = await fresh()
    await engine.start("jobs", key="r", fields={"sites": [*SITES, "west"]})
    outcomes = iter(["ok", "broken", "ok", "broken", "ok"])
    while engine.open_tasks():
        if restart_every_step:
            engine = await fresh()
        clock.advance_to(clock.now() + timedelta(hours=1))
        task = min(engine.open_tasks(), key=lambda t: t.id)
        await engine.complete_task(task.id, outcome=next(outcomes) if task.step == "job" else None)
    return store.snapshot(), [(e.type, e.data) for e in sink.events]


async def test_restore_at_every_step_boundary_of_a_for_each_equals_uninterrupted_run() -> None:
    straight = await drive(restart_every_step=False)
    restarted = await drive(restart_every_step=True)
    assert restarted == straight
    assert [d["step"] for k, d in straight[1] if k == "task_created"] == ["job"] * 4 + ["after"]


def test_graph_labels_the_step_with_its_list_and_join() -> None:
    chart = to_mermaid(doc_example())
    assert "for each of {{ fields.sites }}, join all, 2 at once" in chart


async def test_escalations_of_an_item_task_render_with_its_own_item() -> None:
    bp = simple(
        "jobs",
        Step(
            id="job",
            for_each=ForEachSpec(items="{{ ['north', 'south'] }}"),
            task=TaskSpec(
                group="techs",
                title="Check {{ item }}",
                escalate=(Escalation(after=3600.0, reassign="{{ item }}-lead"),),
            ),
        ),
        starts=(ManualStart(),),
    )
    engine, clock, sink, _ = make(bp, start=T0)
    await engine.start("jobs", item="instance-item")
    clock.advance_to(T0 + timedelta(hours=1))
    await engine.tick()
    assert sorted(e["reassign"] for e in sink.of("escalated")) == ["north-lead", "south-lead"]
