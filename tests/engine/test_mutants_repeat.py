"""Repeat loops as seen from outside the engine (issue 16: mutation testing of ``steps/repeat.py`` found
these unchecked): the history lines of a loop, and a loop inside a parallel branch that is cancelled by
the join or times out. YAML blueprints, public ``Engine`` API."""

from __future__ import annotations

from datetime import timedelta

from .test_mutants_tasks import T0, blueprint, engine_for

LOOP = "      repeat:\n        max: 2\n        steps:\n          - {id: ask, task: {assignee: ann}}\n"


async def test_a_loop_logs_its_start_and_its_end_with_outcome_and_rounds() -> None:
    engine, _, _ = engine_for(
        blueprint("    - id: loop\n" + LOOP + "    - {id: after, task: {assignee: ann}}\n")
    )
    await engine.restore()
    inst = await engine.start("tasks")
    for _ in range(2):
        await engine.complete_task(inst.tasks[-1].id)
    assert [(h.what, h.step, h.details) for h in inst.history if h.what.startswith("repeat")] == [
        ("repeat_started", "loop", None),
        ("repeat_done", "loop", {"outcome": "max", "rounds": 2}),
    ]
    assert inst.results is not None and inst.results["loop"] == {"outcome": "max", "data": {"rounds": 2}}
    assert [t.step for t in inst.tasks] == ["ask", "ask", "after"]


def branch_loop(join: str, limit: str = "") -> str:
    return blueprint(
        "    - id: p\n"
        f"      join: {join}\n"
        "      parallel:\n"
        "        - {id: x, task: {assignee: bob}}\n"
        "        - id: loop\n"
        f"{limit}"
        + LOOP.replace("      ", "          ", 1).replace("\n      ", "\n          ")
        + "    - {id: after, task: {assignee: ann}}\n"
    )


async def test_a_loop_in_a_branch_is_cancelled_with_its_open_round_when_the_join_completes() -> None:
    engine, clock, sink = engine_for(branch_loop("any"))
    await engine.restore()
    inst = await engine.start("tasks")
    clock.advance(60)
    await engine.complete_task(inst.tasks[0].id)  # x
    assert [(t.step, t.status) for t in inst.tasks] == [
        ("x", "completed"),
        ("ask", "cancelled"),
        ("after", "open"),
    ]
    assert inst.tasks[1].completed_at == T0 + timedelta(minutes=1)
    assert [(e["step"], e["reason"]) for e in sink.of("task_cancelled")] == [("ask", "join")]


async def test_a_loop_in_a_branch_that_times_out_ends_only_its_branch() -> None:
    engine, clock, sink = engine_for(
        branch_loop("all", "          timeout: 1h\n          on_timeout: complete\n")
    )
    await engine.restore()
    inst = await engine.start("tasks")
    clock.advance(3600)
    await engine.tick()
    assert [(t.step, t.status) for t in inst.tasks] == [("x", "open"), ("ask", "cancelled")]
    assert [(e["step"], e["reason"]) for e in sink.of("task_cancelled")] == [("ask", "timeout")]
    await engine.complete_task(inst.tasks[0].id)
    assert [t.step for t in inst.tasks if t.is_open] == ["after"]
