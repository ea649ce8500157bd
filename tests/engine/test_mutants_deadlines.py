"""Step timeouts and failing deadlines as seen from outside the engine (issue 16: after the engine split,
mutation testing of ``engine/deadlines.py`` with the engine tests found these payloads unchecked): the
``timeout`` and ``escalated`` events and history line, late by more than five minutes only, each
``on_timeout`` action, and a schedule or deadline whose handler raises. YAML blueprints, public Engine API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.bpo.engine.schema import parse_blueprint

from .test_mutants_call import BrokenDirectory
from .test_mutants_tasks import T0, blueprint, engine_for

FIVE = timedelta(minutes=5)


def timing_out(action: str) -> str:
    return (
        f"    - {{id: check, timeout: 2h, on_timeout: {action}, task: {{assignee: ann}}}}\n"
        "    - {id: after, task: {assignee: ann}}\n"
        "    - {id: other, task: {assignee: bob}}\n"
    )


async def test_timeout_that_escalates_reports_and_keeps_the_task_open() -> None:
    engine, clock, sink = engine_for(blueprint(timing_out("escalate")))
    await engine.restore()
    inst = await engine.start("tasks")
    [task] = inst.tasks
    clock.advance_to(T0 + timedelta(hours=2) + FIVE)  # exactly five minutes late: not yet "late"
    await engine.tick()
    [timeout] = sink.of("timeout")
    assert (timeout["task_id"], timeout["step"], timeout["action"], timeout["late"]) == (
        task.id,
        "check",
        "escalate",
        False,
    )
    [escalated] = sink.of("escalated")
    assert (escalated["task_id"], escalated["step"], escalated["reason"], escalated["level"]) == (
        task.id,
        "check",
        "timeout",
        0,
    )
    assert (escalated["notify"], escalated["reassign"], escalated["late"]) == ([], None, False)
    [line] = [h for h in inst.history if h.what == "timeout"]
    assert (line.step, line.details) == ("check", {"action": "escalate", "token": task.id})
    assert task.is_open and inst.is_running

    late = await engine.start("tasks")
    clock.advance(2 * 3600 + FIVE.total_seconds() + 1)
    await engine.tick()
    assert [e["late"] for e in sink.of("timeout") if e["instance_id"] == late.id] == [True]
    assert [e["late"] for e in sink.of("escalated") if e["instance_id"] == late.id] == [True]


async def test_each_timeout_action_closes_the_task_and_moves_on() -> None:
    for action, status, open_steps, error in (
        ("fail", "failed", [], "step check timed out"),
        ("complete", "running", ["after"], None),
        ("{goto: other}", "running", ["other"], None),
    ):
        engine, clock, sink = engine_for(blueprint(timing_out(action)))
        await engine.restore()
        inst = await engine.start("tasks")
        clock.advance_to(T0 + timedelta(hours=2))
        await engine.tick()
        assert inst.tasks[0].status == "timed_out", action
        assert (inst.status, inst.error) == (status, error), action
        assert [t.step for t in engine.open_tasks()] == open_steps, action
        assert sink.of("escalated") == []


async def test_a_wait_that_times_out_names_its_step_and_no_task() -> None:
    steps = (
        "    - {id: hold, timeout: 1h, on_timeout: complete, wait: {event: go}}\n"
        "    - {id: after, task: {assignee: ann}}\n"
    )
    engine, clock, sink = engine_for(blueprint(steps))
    await engine.restore()
    inst = await engine.start("tasks")
    clock.advance(3600)
    await engine.tick()
    [timeout] = sink.of("timeout")
    assert (timeout["task_id"], timeout["step"], timeout["action"]) == (None, "hold", "complete")
    assert [t.step for t in inst.tasks] == ["after"]


async def test_a_wait_that_escalates_on_timeout_names_its_step() -> None:
    engine, clock, sink = engine_for(
        blueprint("    - {id: hold, timeout: 1h, on_timeout: escalate, wait: {event: go}}\n")
    )
    await engine.restore()
    inst = await engine.start("tasks")
    clock.advance(3600)
    await engine.tick()
    [escalated] = sink.of("escalated")
    assert (escalated["task_id"], escalated["step"], escalated["reason"]) == (None, "hold", "timeout")
    assert inst.is_running


async def test_a_schedule_whose_tick_raises_is_reported_and_the_others_still_start() -> None:
    # the for_each template divides by zero only when it is rendered, at the tick
    broken = (
        "blueprint: {name: Nightly, domain: bpo}\n"
        "process:\n"
        "  key: nightly\n"
        "  start:\n"
        "    - schedule: '0 10 * * *'\n"
        '      for_each: "{{ [1] if 1 // (now().hour - now().hour) else [] }}"\n'
        "  steps:\n"
        "    - {id: ask, task: {assignee: ann}}\n"
    )
    fine = blueprint("    - {id: ask, task: {assignee: ann}}\n").replace(
        "start: [{manual: {}}]", "start: [{schedule: '0 10 * * *'}]"
    )
    engine, clock, sink = engine_for(fine)
    engine.set_blueprints([parse_blueprint(broken, "nightly.yaml"), parse_blueprint(fine, "tasks.yaml")])
    await engine.restore()
    ten = datetime(2025, 1, 6, 9, tzinfo=UTC)  # 10:00 in Berlin
    clock.advance_to(ten)
    await engine.tick()
    [failed] = sink.of("schedule_failed")
    assert failed["process"] == "nightly" and "ZeroDivisionError" in failed["error"]
    assert failed["instance_id"] is None
    assert [i.process for i in engine.instances()] == ["tasks"]  # the other schedule started
    assert engine.next_deadline() == ten + timedelta(days=1)


async def test_a_deadline_whose_handler_raises_fails_only_its_instance_at_its_step() -> None:
    steps = (
        "    - id: report\n"
        "      task:\n"
        "        assignee: ann\n"
        '        escalate: [{after: 1h, notify: ["{{ 1 // (now().hour - now().hour) }}"]}]\n'
    )
    engine, clock, sink = engine_for(blueprint(steps))
    await engine.restore()
    broken = await engine.start("tasks")
    clock.advance(3600)
    assert await engine.tick() is None  # the tick goes on; nothing else is pending
    assert broken.status == "failed" and broken.error is not None
    assert broken.error.startswith("deadline failed: ")
    [error] = sink.of("instance_error")
    assert (error["instance_id"], error["step"]) == (broken.id, "report")


async def test_a_deadline_failing_with_an_error_of_no_step_names_its_tokens_step() -> None:
    """A directory lookup that raises is no template error (which names its step itself): the failure
    is put on the step of the token whose deadline it was."""
    steps = (
        "    - {id: first, task: {assignee: ann}}\n"
        "    - id: report\n"
        "      task:\n"
        "        assignee: ann\n"
        "        escalate: [{after: 1h, notify: [\"{{ supervisor_of('ann') }}\"]}]\n"
    )
    engine, clock, sink = engine_for(blueprint(steps), directory=BrokenDirectory())
    await engine.restore()
    broken = await engine.start("tasks")
    await engine.complete_task(broken.tasks[0].id)
    fine = await engine.start("tasks")
    clock.advance(3600)
    await engine.tick()
    error = "deadline failed: internal error (RuntimeError)"
    assert (broken.status, broken.error, broken.ended) == ("failed", error, clock.now())
    assert fine.is_running
    [event] = sink.of("instance_error")
    assert (event["instance_id"], event["step"], event["error"]) == (broken.id, "report", error)


async def test_a_deadline_failing_after_its_token_was_dropped_fails_the_instance_at_no_step() -> None:
    """The task timed out (its token is gone), then the loop's ``until`` raised an error of no step: the
    instance fails without a step to name, and the tick goes on."""
    steps = (
        "    - id: loop\n"
        "      repeat:\n"
        "        max: 3\n"
        "        until: \"{{ supervisor_of('ann') == 'x' }}\"\n"
        "        steps:\n"
        "          - {id: ask, timeout: 1h, on_timeout: complete, task: {assignee: ann}}\n"
    )
    engine, clock, sink = engine_for(blueprint(steps), directory=BrokenDirectory())
    await engine.restore()
    inst = await engine.start("tasks")
    clock.advance(3600)
    assert await engine.tick() is None
    error = "deadline failed: internal error (RuntimeError)"
    assert (inst.status, inst.error) == ("failed", error)
    assert [(t.step, t.status) for t in inst.tasks] == [("ask", "timed_out")]
    [event] = sink.of("instance_error")
    assert (event["instance_id"], event["step"], event["error"]) == (inst.id, None, error)


async def test_a_step_timing_out_with_fail_cancels_the_other_branch_and_masks_the_fields() -> None:
    steps = (
        "    - id: p\n"
        "      parallel:\n"
        "        - {id: check, timeout: 2h, on_timeout: fail, task: {assignee: ann}}\n"
        "        - {id: other, task: {assignee: bob}}\n"
    )
    fields = "{who: {type: text}, ssn: {type: text, pii: true}}"
    engine, clock, sink = engine_for(blueprint(steps, fields=fields))
    await engine.restore()
    inst = await engine.start("tasks", fields={"who": "Bob", "ssn": "123"})
    clock.advance(7200)
    await engine.tick()
    assert (inst.status, inst.error) == ("failed", "step check timed out")
    assert [(t.step, t.status) for t in inst.tasks] == [("check", "timed_out"), ("other", "cancelled")]
    assert [(e["step"], e["reason"]) for e in sink.of("task_cancelled")] == [("other", "failed")]
    [done] = sink.of("instance_completed")
    assert done["fields"] == {"who": "Bob", "ssn": "***"}
