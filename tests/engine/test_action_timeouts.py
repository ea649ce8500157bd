"""An action step whose call outlasts its ``timeout`` ends by ``on_timeout`` (fail, goto, complete)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from custom_components.bpo.engine.model import ActionSpec, Step, TaskSpec, Timeout

from .test_runtime import make, simple


class SlowActions:
    """A service that answers long after any timeout (real seconds: ``asyncio.wait_for`` bounds it)."""

    def __init__(self) -> None:
        self.started = 0

    async def call(
        self, service: str | None, connector: str | None, op: str | None, data: Mapping[str, Any]
    ) -> Any:
        self.started += 1
        await asyncio.sleep(30)
        return None


def _blueprint(timeout: Timeout) -> Any:
    return simple(
        "slow",
        Step(id="call", action=ActionSpec(service="office.print"), timeout=timeout),
        Step(id="next", task=TaskSpec(assignee="alice")),
        Step(id="skipped", task=TaskSpec(assignee="bob")),
        Step(id="target", task=TaskSpec(assignee="carol")),
    )


@pytest.mark.parametrize(
    ("limit", "open_step"),
    [
        (Timeout(0.01, "complete"), "next"),
        (Timeout(0.01, "escalate"), "next"),
        (Timeout(0.01, "goto", goto="target"), "target"),
    ],
)
async def test_a_slow_action_moves_on_by_its_timeout(limit: Timeout, open_step: str) -> None:
    actions = SlowActions()
    engine, _, sink, _ = make(_blueprint(limit), actions=actions)
    await engine.restore()
    inst = await engine.start("slow")
    assert actions.started == 1
    assert inst.is_running and [t.step for t in inst.tasks if t.is_open] == [open_step]
    assert [e["action"] for e in sink.of("timeout")] == [limit.action]
    assert [e["reason"] for e in sink.of("escalated")] == (["timeout"] if limit.action == "escalate" else [])


async def test_a_slow_action_with_fail_fails_the_instance() -> None:
    engine, _, sink, _ = make(_blueprint(Timeout(0.01, "fail")), actions=SlowActions())
    await engine.restore()
    inst = await engine.start("slow")
    assert (inst.status, inst.error) == ("failed", "step call timed out")
    assert inst.tasks == [] and sink.of("timeout")[0]["step"] == "call"
