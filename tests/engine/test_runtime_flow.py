"""Step kinds other than plain tasks: choose, when, goto, wait, action, end, timeout actions, event starts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from custom_components.bpo.engine.model import (
    ActionSpec,
    ChooseOption,
    EventStart,
    FieldDef,
    Step,
    TaskSpec,
    Timeout,
    WaitSpec,
)
from custom_components.bpo.engine.runtime_errors import ActionFailed

from .test_runtime import make, run_until, simple


class Actions:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[str | None, Mapping[str, Any]]] = []
        self.fail = fail

    async def call(
        self, service: str | None, connector: str | None, op: str | None, data: Mapping[str, Any]
    ) -> Any:
        self.calls.append((service, dict(data)))
        if self.fail:
            raise ActionFailed("mdm said no")
        return {"wiped": True, "n": data.get("n")}


async def test_choose_goto_loops_back_until_accepted() -> None:
    bp = simple(
        "accept",
        Step(id="deliver", task=TaskSpec(assignee="vendor")),
        Step(id="check", task=TaskSpec(assignee="client", outcomes=("accept", "reject"))),
        Step(
            id="route", choose=(ChooseOption(when="{{ steps.check.outcome == 'reject' }}", goto="deliver"),)
        ),
        Step(id="done", end="completed"),
    )
    engine, _, _, _ = make(bp)
    await engine.restore()
    inst = await engine.start("accept")
    await engine.complete_task(inst.tasks[-1].id)
    await engine.complete_task(inst.tasks[-1].id, outcome="reject")
    assert inst.tasks[-1].step == "deliver" and inst.is_running
    await engine.complete_task(inst.tasks[-1].id)
    await engine.complete_task(inst.tasks[-1].id, outcome="accept")
    assert inst.status == "completed"
    assert [t.step for t in inst.tasks] == ["deliver", "check", "deliver", "check"]


async def test_when_false_skips_and_next_overrides_fall_through() -> None:
    bp = simple(
        "skip",
        Step(id="a", task=TaskSpec(assignee="x"), next="c"),
        Step(id="b", task=TaskSpec(assignee="never")),
        Step(id="c", when="{{ fields.amount > 100 }}", task=TaskSpec(assignee="boss")),
        Step(id="d", task=TaskSpec(assignee="clerk")),
        fields={"amount": FieldDef("amount", "number")},
    )
    engine, _, _, _ = make(bp)
    await engine.restore()
    small = await engine.start("skip", fields={"amount": 5})
    await engine.complete_task(small.tasks[0].id)
    assert [t.step for t in small.tasks] == ["a", "d"]
    assert "step_skipped" in [h.what for h in small.history]
    big = await engine.start("skip", fields={"amount": 500})
    await engine.complete_task(big.tasks[0].id)
    assert [t.step for t in big.tasks] == ["a", "c"]


async def test_wait_for_matching_event_then_delay() -> None:
    bp = simple(
        "w",
        Step(id="enrolled", wait=WaitSpec(event="mdm_enrolled", match={"device": "{{ fields.device }}"})),
        Step(id="settle", wait=WaitSpec(delay=3600)),
        Step(id="t", task=TaskSpec(assignee="x")),
        fields={"device": FieldDef("device")},
    )
    engine, clock, _, _ = make(bp)
    await engine.restore()
    inst = await engine.start("w", fields={"device": "d1"})
    assert await engine.handle_event("mdm_enrolled", {"device": "d2"}) == []
    assert await engine.handle_event("mdm_enrolled", {"device": "d1", "os": "ios"}) == [inst]
    assert inst.results is not None and inst.results["enrolled"]["data"]["os"] == "ios"
    assert engine.next_deadline() == clock.now() + timedelta(hours=1)
    await run_until(engine, clock, clock.now() + timedelta(hours=1))
    assert inst.tasks[0].step == "t"


async def test_wait_until_template_in_local_time() -> None:
    bp = simple("u", Step(id="w", wait=WaitSpec(until="2025-01-02T09:00:00")), Step(id="t", task=TaskSpec()))
    engine, _, _, _ = make(bp)
    await engine.restore()
    await engine.start("u")
    assert engine.next_deadline() == datetime(2025, 1, 2, 8, tzinfo=UTC)  # 09:00 Berlin


async def test_action_result_stored_and_failure_fails_instance() -> None:
    bp = simple(
        "act",
        Step(
            id="wipe",
            action=ActionSpec(
                connector="intune", call="wipe", data={"n": "{{ fields.n }}"}, result="wipe_result"
            ),
        ),
        fields={"n": FieldDef("n", "number"), "wipe_result": FieldDef("wipe_result")},
    )
    ok = Actions()
    engine, _, _, _ = make(bp, actions=ok)
    await engine.restore()
    inst = await engine.start("act", fields={"n": 3})
    assert ok.calls == [(None, {"n": 3})]  # native type kept
    assert inst.status == "completed" and inst.fields["wipe_result"] == {"wiped": True, "n": 3}
    engine2, _, sink2, _ = make(bp, actions=Actions(fail=True))
    await engine2.restore()
    bad = await engine2.start("act", fields={"n": 1})
    assert bad.status == "failed" and "mdm said no" in (bad.error or "")
    assert sink2.of("instance_completed")[0]["status"] == "failed"


async def test_timeout_fail_escalate_and_goto() -> None:
    bp = simple(
        "tmo",
        Step(id="a", task=TaskSpec(assignee="x"), timeout=Timeout(60, "escalate")),
        Step(id="b", task=TaskSpec(assignee="y"), timeout=Timeout(60, "goto", goto="c")),
        Step(id="never", task=TaskSpec()),
        Step(id="c", task=TaskSpec(assignee="z"), timeout=Timeout(60, "fail")),
    )
    engine, clock, sink, _ = make(bp)
    await engine.restore()
    inst = await engine.start("tmo")
    await run_until(engine, clock, clock.now() + timedelta(minutes=5))
    assert inst.tasks[0].is_open and sink.of("escalated")[0]["reason"] == "timeout"
    await engine.complete_task(inst.tasks[0].id)
    await run_until(engine, clock, clock.now() + timedelta(minutes=2))
    assert [t.step for t in inst.tasks] == ["a", "b", "c"] and inst.tasks[1].status == "timed_out"
    await run_until(engine, clock, clock.now() + timedelta(minutes=2))
    assert inst.status == "failed" and inst.error == "step c timed out"
    assert [e["action"] for e in sink.of("timeout")] == ["escalate", "goto", "fail"]


async def test_event_start_with_match_and_key_template() -> None:
    bp = simple(
        "reg",
        Step(id="approve", task=TaskSpec(assignee="{{ item.owner }}")),
        starts=(EventStart(event="device_seen", match={"kind": "byod"}, key="{{ event.serial }}"),),
    )
    engine, _, sink, _ = make(bp)
    await engine.restore()
    assert await engine.handle_event("device_seen", {"kind": "corp", "serial": "A"}) == []
    started = await engine.handle_event("device_seen", {"kind": "byod", "serial": "B", "owner": "ann"})
    again = await engine.handle_event("device_seen", {"kind": "byod", "serial": "B", "owner": "ann"})
    assert started == again and started[0].key == "B" and started[0].tasks[0].assignee == "ann"
    assert len(sink.of("instance_started")) == 1


async def test_failing_template_fails_the_instance_with_a_clear_error() -> None:
    bp = simple("bad", Step(id="t", task=TaskSpec(assignee="{{ 1 / 0 }}")))
    engine, _, _, _ = make(bp)
    await engine.restore()
    inst = await engine.start("bad")
    assert inst.status == "failed" and "step t" in (inst.error or "")
