"""Action steps as seen from outside the engine (issue 16: mutation testing of ``steps/action.py`` found
these unchecked): the history lines, a missing action port, a timeout inside a parallel branch, and an
answer that arrives after the instance was cancelled. YAML blueprints, public ``Engine`` API."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from .test_mutants_tasks import T0, blueprint, engine_for

FIELDS = "{who: {type: text}, ssn: {type: text, pii: true}, answer: {type: text}}"


class Actions:
    """Answers ``result`` at once, or (``gate``) once the test opens the gate; ``fail`` raises OSError."""

    def __init__(self, result: Any = None, *, gate: asyncio.Event | None = None, slow: bool = False) -> None:
        self.result, self.gate, self.slow = result, gate, slow
        self.calls: list[tuple[str | None, str | None, str | None, dict[str, Any]]] = []
        self.called = asyncio.Event()

    async def call(
        self, service: str | None, connector: str | None, op: str | None, data: Mapping[str, Any]
    ) -> Any:
        self.calls.append((service, connector, op, dict(data)))
        self.called.set()
        if self.slow:
            await asyncio.sleep(30)
        if self.gate is not None:
            await self.gate.wait()
        return self.result


def lines(inst: Any, *what: str) -> list[tuple[str, str | None, Any]]:
    return [(h.what, h.step, h.details) for h in inst.history if h.what in what]


async def test_an_action_logs_the_call_and_its_end_under_its_step() -> None:
    steps = (
        "    - {id: ping, action: {service: office.print, data: {who: '{{ fields.who }}'}, result: answer}}\n"
        "    - {id: after, task: {assignee: ann}}\n"
    )
    actions = Actions({"ok": True})
    engine, _, _ = engine_for(blueprint(steps, fields=FIELDS), actions=actions)
    await engine.restore()
    inst = await engine.start("tasks", fields={"who": "Bob"})
    assert actions.calls == [("office.print", None, None, {"who": "Bob"})]
    assert lines(inst, "action_called", "action_done") == [
        ("action_called", "ping", {"service": "office.print", "connector": None, "call": None}),
        ("action_done", "ping", None),
    ]
    assert inst.fields["answer"] == {"ok": True}
    assert [t.step for t in inst.tasks] == ["after"]


def in_parallel(limit: str = "") -> str:
    """A task branch, then an action branch (``limit``: its timeout keys), then one more task."""
    steps = (
        "    - id: p\n"
        "      parallel:\n"
        "        - {id: a, task: {assignee: ann}}\n"
        f"        - {{id: ping, {limit}action: {{service: office.print}}}}\n"
        "    - {id: after, task: {assignee: ann}}\n"
    )
    return blueprint(steps, fields=FIELDS)


async def test_without_an_action_port_the_instance_fails_and_its_tasks_are_cancelled() -> None:
    engine, _, sink = engine_for(in_parallel())
    await engine.restore()
    inst = await engine.start("tasks", fields={"who": "Bob", "ssn": "123"})
    assert (inst.status, inst.error, inst.ended) == ("failed", "step ping: no action port configured", T0)
    assert [(t.step, t.status) for t in inst.tasks] == [("a", "cancelled")]
    [done] = sink.of("instance_completed")
    assert (done["status"], done["fields"]) == ("failed", {"who": "Bob", "ssn": "***"})


async def test_an_action_timing_out_with_fail_cancels_the_other_branch() -> None:
    engine, _, sink = engine_for(in_parallel("timeout: 0.01, on_timeout: fail, "), actions=Actions(slow=True))
    await engine.restore()
    inst = await engine.start("tasks", fields={"who": "Bob", "ssn": "123"})
    assert (inst.status, inst.error) == ("failed", "step ping timed out")
    assert [(t.step, t.status) for t in inst.tasks] == [("a", "cancelled")]
    assert lines(inst, "timeout") == [("timeout", "ping", {"action": "fail"})]
    [timeout] = sink.of("timeout")
    assert (timeout["instance_id"], timeout["step"], timeout["action"]) == (inst.id, "ping", "fail")
    [done] = sink.of("instance_completed")
    assert done["fields"] == {"who": "Bob", "ssn": "***"}


async def test_an_action_timing_out_inside_a_branch_finishes_only_its_branch() -> None:
    for action in ("complete", "escalate"):
        engine, _, sink = engine_for(
            in_parallel(f"timeout: 0.01, on_timeout: {action}, "), actions=Actions(slow=True)
        )
        await engine.restore()
        inst = await engine.start("tasks")
        assert inst.is_running, action
        assert [(t.step, t.status) for t in inst.tasks] == [("a", "open")], action
        assert lines(inst, "timeout") == [("timeout", "ping", {"action": action})]
        await engine.complete_task(inst.tasks[0].id)  # the join now has both branches
        assert [t.step for t in inst.tasks] == ["a", "after"], action
        escalated = [
            (e["instance_id"], e["step"], e["reason"], e["notify"], e["reassign"])
            for e in sink.of("escalated")
        ]
        assert escalated == ([(inst.id, "ping", "timeout", [], None)] if action == "escalate" else []), action


async def test_an_answer_after_the_instance_was_cancelled_is_dropped() -> None:
    gate = asyncio.Event()
    steps = (
        "    - {id: ping, action: {service: office.print, result: answer}}\n"
        "    - {id: after, task: {assignee: ann}}\n"
    )
    actions = Actions({"ok": True}, gate=gate)
    engine, _, _ = engine_for(blueprint(steps, fields=FIELDS), actions=actions)
    await engine.restore()
    starting = asyncio.create_task(engine.start("tasks"))
    await actions.called.wait()
    [inst] = engine.instances()
    await engine.cancel(inst.id)
    gate.set()
    await starting
    assert inst.status == "cancelled"
    assert "answer" not in inst.fields and inst.tasks == []
    assert lines(inst, "action_done") == []


async def test_a_timeout_after_the_instance_was_cancelled_is_dropped() -> None:
    steps = "    - {id: ping, timeout: 0.05, on_timeout: escalate, action: {service: office.print}}\n" + (
        "    - {id: after, task: {assignee: ann}}\n"
    )
    actions = Actions(slow=True)
    engine, _, sink = engine_for(blueprint(steps), actions=actions)
    await engine.restore()
    starting = asyncio.create_task(engine.start("tasks"))
    await actions.called.wait()
    [inst] = engine.instances()
    await engine.cancel(inst.id)
    await starting
    assert inst.status == "cancelled" and inst.tasks == []
    assert lines(inst, "timeout") == [] and sink.of("timeout") == [] and sink.of("escalated") == []


async def test_an_answer_still_counts_when_another_branch_moved_on_meanwhile() -> None:
    """While a branch's action is awaited, the other branch goes on (a new task opens); the action's answer
    must still finish its own branch, or the join would wait for ever."""
    gate = asyncio.Event()
    steps = (
        "    - id: p\n"
        "      parallel:\n"
        "        - id: paperwork\n"
        "          steps:\n"
        "            - {id: draft, task: {assignee: ann}}\n"
        "            - {id: sign, task: {assignee: ann}}\n"
        "        - {id: ping, action: {service: office.print, result: answer}}\n"
        "    - {id: after, task: {assignee: ann}}\n"
    )
    actions = Actions({"ok": True}, gate=gate)
    engine, _, _ = engine_for(blueprint(steps, fields=FIELDS), actions=actions)
    await engine.restore()
    starting = asyncio.create_task(engine.start("tasks"))
    await actions.called.wait()
    [inst] = engine.instances()
    await engine.complete_task(inst.tasks[0].id)  # draft done: sign opens (a new token)
    assert [t.step for t in inst.tasks if t.is_open] == ["sign"]
    gate.set()
    await starting
    assert inst.fields["answer"] == {"ok": True}
    assert lines(inst, "action_done") == [("action_done", "ping", None)]
    await engine.complete_task(inst.tasks[1].id)  # sign done: both branches have finished
    assert [t.step for t in inst.tasks if t.is_open] == ["after"]


async def test_a_timeout_still_counts_when_another_branch_moved_on_meanwhile() -> None:
    """Like a late answer, a branch's timeout must still finish its branch after the other branch opened a
    new task while the action was awaited, or the join would wait for ever."""
    steps = (
        "    - id: p\n"
        "      parallel:\n"
        "        - id: paperwork\n"
        "          steps:\n"
        "            - {id: draft, task: {assignee: ann}}\n"
        "            - {id: sign, task: {assignee: ann}}\n"
        "        - {id: ping, timeout: 0.3, on_timeout: complete, action: {service: office.print}}\n"
        "    - {id: after, task: {assignee: ann}}\n"
    )
    actions = Actions(slow=True)
    engine, _, _ = engine_for(blueprint(steps, fields=FIELDS), actions=actions)
    await engine.restore()
    starting = asyncio.create_task(engine.start("tasks"))
    await actions.called.wait()
    [inst] = engine.instances()
    await engine.complete_task(inst.tasks[0].id)  # draft done: sign opens (a new token)
    await starting
    assert lines(inst, "timeout") == [("timeout", "ping", {"action": "complete"})]
    await engine.complete_task(inst.tasks[1].id)  # sign done: both branches have finished
    assert [t.step for t in inst.tasks if t.is_open] == ["after"]


class Failing(Actions):
    """Raises OSError (a connector that cannot be reached), at once or once the gate opens."""

    async def call(
        self, service: str | None, connector: str | None, op: str | None, data: Mapping[str, Any]
    ) -> Any:
        await super().call(service, connector, op, data)
        raise OSError("printer offline")


async def test_a_failing_action_in_a_branch_fails_the_instance_and_cancels_the_other_branch() -> None:
    engine, clock, sink = engine_for(in_parallel(), actions=Failing())
    await engine.restore()
    inst = await engine.start("tasks", fields={"who": "Bob", "ssn": "123"})
    assert (inst.status, inst.error, inst.ended) == ("failed", "step ping: printer offline", clock.now())
    assert [(t.step, t.status) for t in inst.tasks] == [("a", "cancelled")]
    assert [(e["step"], e["reason"]) for e in sink.of("task_cancelled")] == [("a", "failed")]
    [done] = sink.of("instance_completed")
    assert done["fields"] == {"who": "Bob", "ssn": "***"}


async def test_a_failure_still_counts_when_another_branch_moved_on_meanwhile() -> None:
    gate = asyncio.Event()
    steps = (
        "    - id: p\n"
        "      parallel:\n"
        "        - id: paperwork\n"
        "          steps:\n"
        "            - {id: draft, task: {assignee: ann}}\n"
        "            - {id: sign, task: {assignee: ann}}\n"
        "        - {id: ping, action: {service: office.print}}\n"
        "    - {id: after, task: {assignee: ann}}\n"
    )
    actions = Failing(gate=gate)
    engine, _, _ = engine_for(blueprint(steps, fields=FIELDS), actions=actions)
    await engine.restore()
    starting = asyncio.create_task(engine.start("tasks"))
    await actions.called.wait()
    [inst] = engine.instances()
    await engine.complete_task(inst.tasks[0].id)  # draft done: sign opens (a new token)
    gate.set()
    await starting
    assert (inst.status, inst.error) == ("failed", "step ping: printer offline")
    assert [(t.step, t.status) for t in inst.tasks] == [("draft", "completed"), ("sign", "cancelled")]
