"""``call`` steps as seen from outside the engine (issue 16: mutation testing of ``steps/call.py`` found
these unchecked): a call inside a parallel branch, the history lines, a failed call closing the caller's
other branch, the result of a timed-out call, who moves on when several called instances end in one
operation, and a restart that finds one called instance still running and another ended. YAML
blueprints, public ``Engine`` API."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from custom_components.bpo.engine.clock import VirtualClock
from custom_components.bpo.engine.memory_store import MemoryStore
from custom_components.bpo.engine.runtime import Engine
from custom_components.bpo.engine.runtime_errors import StartFailed
from custom_components.bpo.engine.schema import parse_blueprint

from .test_mutants_action import Actions
from .test_mutants_tasks import T0
from .test_runtime import BERLIN, Sink


def process(key: str, steps: str, *, fields: str = "{}", extra: str = "") -> str:
    return (
        f"blueprint: {{name: {key}, domain: bpo}}\n"
        "process:\n"
        f"  key: {key}\n"
        "  start: [{manual: {}}]\n"
        f"  fields: {fields}\n"
        f"{extra}"
        "  steps:\n" + steps
    )


# the called process: one task, then it completes (or, for site "bad", fails at once)
VISIT = process(
    "visit",
    "    - {id: check, choose: [{when: \"{{ fields.site == 'bad' }}\", goto: broken}]}\n"
    "    - {id: inspect, task: {assignee: tec, title: 'Inspect {{ fields.site }}'}}\n"
    "    - {id: fine, end: completed}\n"
    "    - {id: broken, end: failed}\n",
    fields="{site: {type: text}}",
)


def engine_with(
    *texts: str, store: MemoryStore | None = None, **kw: Any
) -> tuple[Engine, VirtualClock, Sink]:
    clock, sink = VirtualClock(T0), Sink()
    engine = Engine(clock=clock, store=store or MemoryStore(), events=sink, tz=BERLIN, **kw)
    engine.set_blueprints([parse_blueprint(text, f"{n}.yaml") for n, text in enumerate(texts)])
    return engine, clock, sink


def lines(inst: Any, *what: str) -> list[tuple[str, str | None, Any]]:
    return [(h.what, h.step, h.details) for h in inst.history if h.what in what]


def open_steps(engine: Engine) -> list[tuple[str, str]]:
    return sorted((t.process, t.step) for t in engine.open_tasks())


def in_parallel(site: str = "'{{ fields.site }}'", *, task_first: bool = False, fields: str = "") -> str:
    """A call branch beside a task branch (``task_first``: the task opens first), then one more task."""
    branches = [
        f"        - {{id: go, call: {{process: visit, fields: {fields or '{site: ' + site + '}'}}}}}\n",
        "        - {id: paperwork, task: {assignee: ann}}\n",
    ]
    if task_first:
        branches.reverse()
    return process(
        "case",
        "    - id: both\n      parallel:\n" + "".join(branches) + "    - {id: after, task: {assignee: a}}\n",
        fields="{site: {type: text}, phone: {type: text, pii: true}}",
    )


async def test_a_call_in_a_parallel_branch_waits_for_the_other_branch_and_logs_its_ends() -> None:
    engine, _, _ = engine_with(in_parallel(), VISIT)
    await engine.restore()
    case = await engine.start("case", fields={"site": "Depot"})
    (child,) = engine.instances(process="visit")
    assert open_steps(engine) == [("case", "paperwork"), ("visit", "inspect")]
    (inspect,) = [t for t in engine.open_tasks() if t.step == "inspect"]
    await engine.complete_task(inspect.id)
    # the call's branch is done, the paperwork branch is not: the step after the parallel waits
    assert child.status == "completed"
    assert open_steps(engine) == [("case", "paperwork")]
    assert lines(case, "call_started", "call_done") == [
        ("call_started", "go", {"instance": child.id}),
        ("call_done", "go", {"instance": child.id, "status": "completed"}),
    ]
    await engine.complete_task(engine.open_tasks()[0].id)
    assert open_steps(engine) == [("case", "after")]


async def test_a_called_instance_failing_in_a_branch_cancels_the_other_branch_and_masks_the_caller() -> None:
    engine, _, sink = engine_with(in_parallel("bad"), VISIT)
    await engine.restore()
    case = await engine.start("case", fields={"site": "Depot", "phone": "0171 555"})
    assert (case.status, case.error) == ("failed", "step go: the called process failed")
    assert [(t.step, t.status) for t in case.tasks] == [("paperwork", "cancelled")]
    assert [e["step"] for e in sink.of("task_cancelled")] == ["paperwork"]
    assert engine.open_tasks() == []
    ended = [e for e in sink.of("instance_completed") if e["process"] == "case"]
    assert [(e["status"], e["fields"]) for e in ended] == [("failed", {"site": "Depot", "phone": "***"})]


LIMITED = process(
    "visit",
    "    - {id: inspect, task: {assignee: tec}}\n",
    fields="{site: {type: text}}",
    extra="  limits: {max_starts: 1, per: 1h}\n",
)


@pytest.mark.parametrize(
    ("texts", "fields", "error"),
    [
        ((), "", "step go: process 'visit' is not loaded"),
        ((VISIT,), "{site: x, room: '1', floor: '2'}", "step go: visit has no field(s) floor, room"),
        (
            (LIMITED,),
            "",
            "step go: process 'visit' is suspended (start limit reached); resume it first",
        ),
    ],
)
async def test_a_call_that_cannot_start_fails_the_caller_cancels_its_other_branch_and_masks_it(
    texts: tuple[str, ...], fields: str, error: str
) -> None:
    """The runtime checks: the called process missing, lacking a field (a folder refuses both up front,
    but ``set_blueprints`` takes any list) or suspended by its start limit (the first start fits)."""
    engine, _, sink = engine_with(in_parallel(task_first=True, fields=fields), *texts)
    await engine.restore()
    if texts == (LIMITED,):
        fine = await engine.start("case", fields={"site": "Depot"})
        assert fine.status == "running" and len(engine.instances(process="visit")) == 1
        sink.events.clear()
    case = await engine.start("case", fields={"site": "Depot", "phone": "0171 555"})
    assert (case.status, case.error, case.ended) == ("failed", error, T0)
    assert case.waits is None and case.joins is None
    assert [(t.step, t.status) for t in case.tasks] == [("paperwork", "cancelled")]
    assert [e["step"] for e in sink.of("task_cancelled")] == ["paperwork"]
    assert lines(case, "instance_failed") == [("instance_failed", None, {"error": error})]
    [ended] = sink.of("instance_completed")
    masked = {"site": "Depot", "phone": "***"}
    assert (ended["status"], ended["error"], ended["fields"]) == ("failed", error, masked)


async def test_a_timed_out_call_reports_no_status_and_no_data_and_tells_the_called_instance_why() -> None:
    caller = process(
        "case",
        "    - {id: go, timeout: 1h, on_timeout: complete, call: {process: visit, fields: {site: x}}}\n"
        "    - {id: after, task: {assignee: ann, title: '{{ steps.go.outcome }}'}}\n",
    )
    engine, clock, _ = engine_with(caller, VISIT)
    await engine.restore()
    case = await engine.start("case")
    (child,) = engine.instances(process="visit")
    clock.advance(3600)
    await engine.tick()
    assert case.results is not None
    assert case.results["go"] == {"outcome": "timeout", "status": None, "data": None}
    assert [t.title for t in engine.open_tasks()] == ["timeout"]
    error = "the calling step go ended (timeout)"
    assert (child.status, child.error) == ("cancelled", error)
    assert lines(child, "instance_cancelled") == [
        ("instance_cancelled", None, {"reason": "timeout", "error": error})
    ]


async def test_cancelling_a_caller_tells_its_called_instance_the_reason() -> None:
    caller = process("case", "    - {id: go, call: {process: visit, fields: {site: x}}}\n")
    engine, _, _ = engine_with(caller, VISIT)
    await engine.restore()
    case = await engine.start("case")
    (child,) = engine.instances(process="visit")
    await engine.cancel(case.id, user="boss")
    error = "the calling step go ended (cancelled)"
    assert lines(child, "instance_cancelled") == [
        ("instance_cancelled", None, {"reason": "cancelled", "error": error})
    ]


async def test_cancelling_a_middle_instance_moves_the_top_caller_on_in_the_same_operation() -> None:
    """The middle's own called instance ends first (its caller is no longer running) and must not hold
    up the middle's own result on its way to the top."""
    top = process(
        "top",
        "    - {id: go, call: {process: middle}}\n"
        "    - {id: after, task: {assignee: ann, title: '{{ steps.go.outcome }}'}}\n",
    )
    middle = process("middle", "    - {id: deeper, call: {process: visit, fields: {site: x}}}\n")
    engine, _, sink = engine_with(top, middle, VISIT)
    await engine.restore()
    first = await engine.start("top")
    (mid,) = engine.instances(process="middle")
    await engine.cancel(mid.id, user="boss")
    assert [i.status for i in engine.instances(process="visit")] == ["cancelled"]
    assert first.results is not None and first.results["go"]["outcome"] == "cancelled"
    assert [(t.process, t.title) for t in engine.open_tasks()] == [("top", "cancelled")]
    assert [e["step"] for e in sink.of("task_created") if e["process"] == "top"] == ["after"]


async def test_a_restart_finding_one_call_running_and_one_ended_resumes_the_ended_ones_caller() -> None:
    caller = process(
        "case",
        "    - {id: go, call: {process: visit, fields: {site: '{{ fields.site }}'}}}\n"
        "    - {id: after, task: {assignee: ann, title: 'After {{ fields.site }}'}}\n",
        fields="{site: {type: text}}",
    )
    engine, _, _ = engine_with(caller, VISIT)
    await engine.restore()
    first = await engine.start("case", fields={"site": "A"})
    second = await engine.start("case", fields={"site": "B"})
    store = engine.store
    assert isinstance(store, MemoryStore)
    before = store.copy()  # both callers waiting on their calls
    (inspect_b,) = [t for t in engine.open_tasks() if t.title == "Inspect B"]
    await engine.complete_task(inspect_b.id)
    child_b = engine.instances(process="visit")[1]
    assert child_b.status == "completed"
    crashed = before.copy()
    await crashed.save_instance(child_b.id, child_b.to_dict())  # only B's end reached disk
    later, _, _ = engine_with(caller, VISIT, store=crashed)
    await later.restore()
    # A's called instance still runs (its caller waits on); B's ended, so B's caller moved on at restore
    assert sorted(t.title for t in later.open_tasks()) == ["After B", "Inspect A"]
    assert later.instance(second.id).results["go"]["status"] == "completed"  # type: ignore[index,union-attr]
    assert later.instance(first.id).results is None  # type: ignore[union-attr]


async def test_a_parallel_any_of_calls_cancels_the_slower_and_a_next_call_ending_at_once_returns_too() -> (
    None
):
    """One operation ends three called instances: the one that answered, the slower one its join
    cancels (its caller holds no call token for it any more) and the next step's, which ends at once."""
    caller = process(
        "case",
        "    - id: both\n"
        "      join: any\n"
        "      parallel:\n"
        "        - {id: slow, call: {process: visit, fields: {site: slow}}}\n"
        "        - {id: fast, call: {process: visit, fields: {site: fast}}}\n"
        "    - {id: quick, call: {process: instant}}\n"
        "    - {id: after, task: {assignee: ann, title: '{{ steps.quick.status }}'}}\n",
    )
    instant = process("instant", "    - {id: stop, end: completed}\n")
    engine, _, _ = engine_with(caller, VISIT, instant)
    await engine.restore()
    case = await engine.start("case")
    (fast,) = [t for t in engine.open_tasks() if t.title == "Inspect fast"]
    await engine.complete_task(fast.id)
    assert [(i.fields["site"], i.status) for i in engine.instances(process="visit")] == [
        ("slow", "cancelled"),
        ("fast", "completed"),
    ]
    assert [i.status for i in engine.instances(process="instant")] == ["completed"]
    assert [(t.process, t.title) for t in engine.open_tasks()] == [("case", "completed")]
    assert case.waits is None and case.joins is None


class BrokenDirectory:
    """A directory whose lookups fail the way no template error does."""

    def supervisor_of(self, who: str) -> str | None:
        raise RuntimeError("directory down")

    def members(self, group: str) -> list[str]:
        return []

    def groups_of(self, who: str) -> list[str]:
        return []


async def test_an_unexpected_error_after_a_call_returned_fails_only_that_caller() -> None:
    caller = process(
        "case",
        "    - {id: go, call: {process: visit, fields: {site: x}}}\n"
        "    - {id: after, task: {assignee: \"{{ supervisor_of('ann') }}\"}}\n",
    )
    engine, clock, sink = engine_with(caller, VISIT, directory=BrokenDirectory())
    await engine.restore()
    case = await engine.start("case")
    other = await engine.start("case")
    clock.advance(60)
    (inspect, _) = sorted(engine.open_tasks(), key=lambda t: t.instance_id)
    await engine.complete_task(inspect.id)
    error = "after call: step after: internal error (RuntimeError)"
    assert (case.status, case.error, case.ended) == ("failed", error, clock.now())
    assert other.status == "running"
    assert [(e["instance_id"], e["step"], e["error"]) for e in sink.of("instance_error")] == [
        (case.id, "go", error)
    ]


async def test_a_start_failing_after_its_call_began_leaves_no_called_instance_behind() -> None:
    """Found while sorting the mutants: the failed start was undone, its called instance ran on (an open
    task, saved, its events sent) for a caller that never existed."""
    caller = process(
        "case",
        "    - id: both\n"
        "      parallel:\n"
        "        - {id: go, call: {process: visit, fields: {site: x}}}\n"
        "        - {id: boss, task: {assignee: \"{{ supervisor_of('ann') }}\"}}\n",
    )
    engine, _, sink = engine_with(caller, VISIT, directory=BrokenDirectory())
    await engine.restore()
    with pytest.raises(StartFailed, match="step boss: internal error"):
        await engine.start("case")
    assert engine.instances() == [] and engine.open_tasks() == []
    assert sink.events == []
    store = engine.store
    assert isinstance(store, MemoryStore) and store.snapshot()["instances"] == {}


async def test_a_call_timing_out_while_its_called_instance_starts_cancels_that_instance() -> None:
    """Found while sorting the mutants: the called instance's first step awaits an action, the call's
    timeout fires meanwhile (the step reports ``timeout`` as a call does) and the caller moves on; the
    called instance, unknown to the step until its start returned, then ran on for nobody."""
    caller = process(
        "case",
        "    - {id: go, timeout: 60, on_timeout: complete, call: {process: slow}}\n"
        "    - {id: after, task: {assignee: ann}}\n",
    )
    slow = process(
        "slow", "    - {id: ping, action: {service: office.print}}\n    - {id: work, task: {assignee: bob}}\n"
    )
    gate = asyncio.Event()
    actions = Actions({"ok": True}, gate=gate)
    engine, clock, _ = engine_with(caller, slow, actions=actions)
    await engine.restore()
    starting = asyncio.create_task(engine.start("case"))
    await actions.called.wait()
    clock.advance(60)
    await engine.tick()
    (case,) = engine.instances(process="case")
    assert case.results == {"go": {"outcome": "timeout", "status": None, "data": None}}
    gate.set()
    await starting
    (child,) = engine.instances(process="slow")
    assert (child.status, child.error) == ("cancelled", "the calling step go ended (while it was starting)")
    assert [(t.process, t.step) for t in engine.open_tasks()] == [("case", "after")]
    assert lines(case, "call_started") == []
