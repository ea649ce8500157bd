"""``call``: a process run as a sub-process — the docs example validated and simulated, results usable in
``choose``, failure and cancellation (flowing down), timeouts, the nesting bound, restarts mid-call, the
cross-blueprint checks of ``bpo validate`` and the graph."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.bpo.engine import calls
from custom_components.bpo.engine.cli import main
from custom_components.bpo.engine.clock import VirtualClock
from custom_components.bpo.engine.graph import to_mermaid
from custom_components.bpo.engine.memory_store import MemoryStore
from custom_components.bpo.engine.model import (
    ActionSpec,
    Blueprint,
    CallSpec,
    ChooseOption,
    FieldDef,
    ManualStart,
    Step,
    TaskSpec,
    Timeout,
)
from custom_components.bpo.engine.runtime import Engine
from custom_components.bpo.engine.scenario import Scenario, ScenarioStart
from custom_components.bpo.engine.schema import load_directory, parse_blueprint
from custom_components.bpo.engine.simulate import called_blueprints, simulate_async
from custom_components.bpo.engine.steps.call import CALL_DEPTH_MAX

from .test_docs_examples import BLOCKS, wrap
from .test_runtime import Sink, make, simple

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 3, 2, 7, tzinfo=UTC)
DOC = "docs/blueprint-language.md"


def doc_blueprints() -> tuple[Blueprint, Blueprint]:
    caller = next(b for b in BLOCKS if "key: support_case" in b.text)
    called = next(b for b in BLOCKS if "key: onsite_visit" in b.text)
    return parse_blueprint(wrap(caller), DOC), parse_blueprint(wrap(called), DOC)


def test_doc_example_is_valid_together() -> None:
    caller, called = doc_blueprints()
    assert calls.problems({"support_case": caller, "onsite_visit": called}) == {}
    assert calls.problems({"support_case": caller})["support_case"][0].message == (
        "calls process 'onsite_visit', which is not loaded"
    )


async def simulate_doc(answers: dict[str, Any]) -> tuple[list[str], dict[str, int]]:
    caller, called = doc_blueprints()
    timeline = await simulate_async(
        caller,
        start=T0,
        days=7,
        tz=BERLIN,
        answers=answers,
        called=[called],
        scenario=Scenario(
            starts=[
                ScenarioStart(
                    T0 + timedelta(hours=1), manual={"key": "case-123", "fields": {"site": "Depot"}}
                )
            ]
        ),
    )
    return [line.text for line in timeline.lines], dict(timeline.summary)


async def test_doc_example_escalates_when_the_visit_did_not_fix_it() -> None:
    lines, summary = await simulate_doc(
        {
            "triage": {"outcome": "onsite", "delay": "1h"},
            "visit": {"outcome": "not_fixed", "delay": "1d", "form": {"report": "pump worn"}},
            "second_level": {"delay": "1h"},
        }
    )
    assert any(" task visit for technicians" in text for text in lines)
    assert any(" task second_level for experts" in text for text in lines)
    assert not any(" task close " in text for text in lines)
    assert summary["instances started"] == 2  # the case and its visit
    assert summary["instances completed"] == 2


async def test_doc_example_closes_remote_cases_without_a_visit() -> None:
    lines, summary = await simulate_doc(
        {"triage": {"outcome": "remote", "delay": "1h"}, "close": {"delay": "1h"}}
    )
    assert not any(" task visit " in text for text in lines)
    assert any(" task close for support" in text for text in lines)
    assert summary["instances started"] == 1


def onsite(**task: Any) -> Blueprint:
    return simple(
        "onsite",
        Step(
            id="visit",
            task=TaskSpec(group="techs", outcomes=("fixed", "not_fixed"), form=("report",), **task),
        ),
        Step(id="route", choose=()),
        fields={
            "site": FieldDef("site", type="text"),
            "report": FieldDef("report", type="text"),
            "secret": FieldDef("secret", pii=True),
        },
        starts=(ManualStart(),),
    )


def case(*after: Step, timeout: Timeout | None = None) -> Blueprint:
    go = Step(
        id="go",
        call=CallSpec(process="onsite", fields={"site": "{{ fields.site }}", "secret": "{{ fields.site }}!"}),
        timeout=timeout,
    )
    rest = after or (Step(id="close", task=TaskSpec(group="desk", title="{{ steps.go.data.report }}")),)
    return simple("case", go, *rest, fields={"site": FieldDef("site", type="text")}, starts=(ManualStart(),))


def only_open(engine: Engine) -> list[tuple[str, str]]:
    return sorted((t.process, t.step) for t in engine.open_tasks())


async def test_the_caller_waits_and_gets_outcome_status_and_fields_back() -> None:
    engine, _, sink, _ = make([case(), onsite()], start=T0)
    parent = await engine.start("case", key="case-123", fields={"site": "Depot"})
    (child,) = engine.instances(process="onsite")
    assert (child.parent, child.key, child.source, child.fields["site"]) == (
        parent.id,
        "case-123",
        "call",
        "Depot",
    )
    assert parent.waits is not None and parent.waits[0].child == child.id
    assert only_open(engine) == [("onsite", "visit")]
    await engine.complete_task(engine.open_tasks()[0].id, outcome="fixed", form={"report": "new pump"})
    assert child.status == "completed"
    assert parent.results is not None and parent.results["go"] == {
        "outcome": "completed",  # ran past its last step
        "status": "completed",
        "data": {"site": "Depot", "report": "new pump"},  # the pii field stays in the called instance
    }
    assert only_open(engine) == [("case", "close")]
    assert engine.open_tasks()[0].title == "new pump"
    assert parent.waits is None


async def test_choose_routes_on_the_end_step_the_called_process_reached() -> None:
    called = simple(
        "onsite",
        Step(id="visit", task=TaskSpec(group="techs", outcomes=("fixed", "not_fixed"))),
        Step(id="route", choose=(ChooseOption("{{ steps.visit.outcome == 'not_fixed' }}", "unresolved"),)),
        Step(id="resolved", end="completed"),
        Step(id="unresolved", end="completed"),
        fields={"site": FieldDef("site", type="text"), "secret": FieldDef("secret", pii=True)},
        starts=(ManualStart(),),
    )
    after = (
        Step(id="route", choose=(ChooseOption("{{ steps.go.outcome == 'unresolved' }}", "experts"),)),
        Step(id="close", task=TaskSpec(group="desk"), next="done"),
        Step(id="experts", task=TaskSpec(group="experts")),
        Step(id="done", end="completed"),
    )
    engine, _, _, _ = make([case(*after), called], start=T0)
    parent = await engine.start("case", key="c1", fields={"site": "Depot"})
    await engine.complete_task(engine.open_tasks()[0].id, outcome="not_fixed")
    assert parent.results is not None and parent.results["go"]["outcome"] == "unresolved"
    assert only_open(engine) == [("case", "experts")]


async def test_a_failed_called_instance_fails_the_caller() -> None:
    called = simple(
        "onsite",
        Step(id="boom", end="failed"),
        fields={"site": FieldDef("site", "site"), "secret": FieldDef("secret", "secret")},
    )
    engine, _, sink, _ = make([case(), called], start=T0)
    parent = await engine.start("case", key="c1", fields={"site": "x"})
    assert (parent.status, parent.error) == ("failed", "step go: the called process failed")
    assert parent.results is not None and parent.results["go"]["status"] == "failed"
    assert [e["status"] for e in sink.of("instance_completed")] == ["failed", "failed"]


async def test_cancelling_the_caller_cancels_the_called_instance_and_what_it_called() -> None:
    middle = simple(
        "middle",
        Step(id="deeper", call=CallSpec(process="onsite", fields={"site": "{{ fields.site }}"})),
        fields={"site": FieldDef("site", "site"), "secret": FieldDef("secret", "secret")},
        starts=(ManualStart(),),
    )
    top = simple(
        "case",
        Step(id="go", call=CallSpec(process="middle", fields={"site": "{{ fields.site }}"})),
        fields={"site": FieldDef("site", "site")},
        starts=(ManualStart(),),
    )
    engine, _, sink, _ = make([top, middle, onsite()], start=T0)
    parent = await engine.start("case", key="c1", fields={"site": "x"})
    assert only_open(engine) == [("onsite", "visit")]
    await engine.cancel(parent.id, user="boss")
    assert {i.process: i.status for i in engine.instances()} == {
        "case": "cancelled",
        "middle": "cancelled",
        "onsite": "cancelled",
    }
    assert engine.open_tasks() == [] and engine.next_deadline() is None
    assert [e["reason"] for e in sink.of("task_cancelled")] == ["cancelled"]


async def test_an_admin_cancelling_the_called_instance_lets_the_caller_continue() -> None:
    engine, _, _, _ = make([case(), onsite()], start=T0)
    parent = await engine.start("case", key="c1", fields={"site": "x"})
    (child,) = engine.instances(process="onsite")
    await engine.cancel(child.id, user="boss")
    assert parent.results is not None and parent.results["go"]["outcome"] == "cancelled"
    assert only_open(engine) == [("case", "close")]


async def test_a_call_timeout_cancels_the_called_instance() -> None:
    engine, clock, _, _ = make([case(timeout=Timeout(3600.0, "complete")), onsite()], start=T0)
    parent = await engine.start("case", key="c1", fields={"site": "x"})
    clock.advance_to(T0 + timedelta(hours=1))
    await engine.tick()
    (child,) = engine.instances(process="onsite")
    assert child.status == "cancelled" and child.error == "the calling step go ended (timeout)"
    assert parent.results is not None and parent.results["go"]["outcome"] == "timeout"
    assert only_open(engine) == [("case", "close")]


async def test_a_process_that_is_not_loaded_fails_the_step() -> None:
    engine, _, _, _ = make([case()], start=T0)
    parent = await engine.start("case", key="c1", fields={"site": "x"})
    assert (parent.status, parent.error) == ("failed", "step go: process 'onsite' is not loaded")


async def test_calls_nest_at_most_the_documented_depth() -> None:
    chain = [
        simple(
            f"p{n}",
            Step(id="next", call=CallSpec(process=f"p{n + 1}")),
            starts=(ManualStart(),),
        )
        for n in range(CALL_DEPTH_MAX + 1)
    ]
    chain.append(
        simple(f"p{CALL_DEPTH_MAX + 1}", Step(id="work", task=TaskSpec(group="g")), starts=(ManualStart(),))
    )
    engine, _, _, _ = make(chain, start=T0)
    await engine.start("p0")
    status = {i.process: (i.status, i.error) for i in engine.instances()}
    deepest = f"p{CALL_DEPTH_MAX}"
    assert status[deepest] == ("failed", f"step next: calls nest deeper than {CALL_DEPTH_MAX}")
    assert all(s == "failed" for s, _ in status.values())  # the failure travels back up every caller
    assert engine.open_tasks() == []


async def test_a_called_instance_ending_at_once_returns_in_the_same_start() -> None:
    class Port:
        async def call(self, service: str | None, connector: str | None, op: str | None, data: Any) -> Any:
            return "ok"

    quick = simple(
        "onsite",
        Step(id="ping", action=ActionSpec(connector="fleet", call="status", result="report")),
        fields={
            "site": FieldDef("site", "site"),
            "report": FieldDef("report", "report"),
            "secret": FieldDef("secret", "secret"),
        },
    )
    engine, _, _, _ = make([case(), quick], start=T0, actions=Port())
    parent = await engine.start("case", key="c1", fields={"site": "x"})
    assert parent.results is not None and parent.results["go"]["data"]["report"] == "ok"
    assert only_open(engine) == [("case", "close")]


async def test_restart_mid_call_continues_both_sides() -> None:
    engine, clock, _, store = make([case(), onsite()], start=T0)
    parent = await engine.start("case", key="c1", fields={"site": "x"})
    later, _, _, _ = make([case(), onsite()], start=T0, store=store)
    later.clock = clock
    await later.restore()
    assert later.instance(parent.id).to_dict() == parent.to_dict()  # type: ignore[union-attr]
    await later.complete_task(later.open_tasks()[0].id, outcome="fixed", form={"report": "done"})
    assert only_open(later) == [("case", "close")]
    assert later.instance(parent.id).results["go"]["data"]["report"] == "done"  # type: ignore[index,union-attr]


async def test_a_called_instance_that_ended_before_a_restart_hands_its_result_over_after_it() -> None:
    """The crash window: the called instance's end was saved, the caller's step was not."""
    engine, clock, _, store = make([case(), onsite()], start=T0)
    parent = await engine.start("case", key="c1", fields={"site": "x"})
    before = store.copy()  # the caller still waiting on its call
    await engine.complete_task(engine.open_tasks()[0].id, outcome="fixed", form={"report": "done"})
    (child,) = engine.instances(process="onsite")
    crashed = before.copy()
    await crashed.save_instance(child.id, child.to_dict())  # only the called instance's end reached disk
    later, _, sink, _ = make([case(), onsite()], start=T0, store=crashed)
    later.clock = clock
    await later.restore()
    assert only_open(later) == [("case", "close")]
    assert later.instance(parent.id).results["go"]["data"]["report"] == "done"  # type: ignore[index,union-attr]
    assert crashed.snapshot() == store.snapshot()  # the same records as never crashing
    assert [e.type for e in sink.events] == ["task_created"]


async def drive(restart_every_step: bool) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    clock = VirtualClock(T0)
    store, sink, bps = MemoryStore(), Sink(), [case(), onsite()]

    async def fresh() -> Engine:
        engine = Engine(clock=clock, store=store, events=sink, tz=BERLIN)
        engine.set_blueprints(bps)
        await engine.restore()
        return engine

    engine = await fresh()
    await engine.start("case", key="c1", fields={"site": "x"})
    answers = iter([("fixed", {"report": "r"}), (None, None)])
    while engine.open_tasks():
        if restart_every_step:
            engine = await fresh()
        clock.advance_to(clock.now() + timedelta(hours=1))
        outcome, form = next(answers)
        await engine.complete_task(engine.open_tasks()[0].id, outcome=outcome, form=form)
    return store.snapshot(), [(e.type, e.data) for e in sink.events]


async def test_restore_at_every_step_boundary_of_a_call_equals_uninterrupted_run() -> None:
    straight = await drive(restart_every_step=False)
    restarted = await drive(restart_every_step=True)
    assert restarted == straight
    assert [d["process"] for k, d in straight[1] if k == "instance_completed"] == ["onsite", "case"]


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


CALLER = """blueprint: {name: Caller, domain: bpo}
process:
  key: caller
  start: [{manual: {}}]
  steps:
    - id: first
      task: {group: desk}
    - id: go
      call:
        process: %s
        fields: {site: "x"}
"""
CALLED = """blueprint: {name: Called, domain: bpo}
process:
  key: %s
  start: [{manual: {}}]
  fields: {%s: {type: text}}
  steps:
    - id: back
      call: {process: %s}
"""


def test_a_folder_refuses_unknown_called_processes_with_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "caller.yaml", CALLER % "onsite_vist")
    write(
        tmp_path,
        "onsite.yaml",
        "blueprint: {name: O, domain: bpo}\nprocess:\n  key: onsite_visit\n  start: [{manual: {}}]\n"
        "  fields: {site: {type: text}}\n  steps:\n    - {id: v, task: {group: t}}\n",
    )
    found, errors = load_directory(tmp_path)
    assert sorted(found) == ["onsite_visit"]
    assert [str(p) for e in errors for p in e.problems] == [
        f"{tmp_path / 'caller.yaml'}:8: step go: call.process: "
        "calls process 'onsite_vist', which is not loaded; did you mean 'onsite_visit'?"
    ]


def test_a_folder_refuses_call_cycles_and_unknown_fields(tmp_path: Path) -> None:
    write(tmp_path, "caller.yaml", CALLER % "back_and_forth")
    write(tmp_path, "called.yaml", CALLED % ("back_and_forth", "place", "caller"))
    found, errors = load_directory(tmp_path)
    assert found == {}
    reported = [str(p) for e in errors for p in e.problems]
    assert (
        f"{tmp_path / 'caller.yaml'}:8: step go: call.fields: process 'back_and_forth' has no field(s) site"
        in reported
    )
    assert (
        f"{tmp_path / 'called.yaml'}:7: step back: call.process: "
        "calls itself through back_and_forth -> caller -> back_and_forth; "
        "a process may not call itself, directly or not"
    ) in reported


SITE_CHECK = """blueprint: {name: Site check, domain: bpo}
process:
  key: site_check
  start: [{manual: {}}]
  steps:
    - id: inspect
      task: {group: technicians, outcomes: [ok, broken]}
    - id: route
      choose:
        - when: "{{ steps.inspect.outcome == 'broken' }}"
          goto: broken
    - id: fine
      end: completed
    - id: broken
      end: completed
"""
VISIT = """blueprint: {name: Visit, domain: bpo}
process:
  key: visit
  start: [{manual: {}}]
  steps:
    - id: visit
      call: {process: %s}
      timeout: 2d
    - id: route
      choose:
        - when: "{{ steps.visit.outcome %s }}"
          goto: fix
      default: close
    - id: fix
      task: {group: workshop}
    - id: close
      end: completed
"""


@pytest.mark.parametrize(
    "test",
    [
        "== 'fine'",
        "== 'broken'",
        "in ['broken', 'cancelled', 'completed']",
        "is eq 'timeout'",
        "!= 'completed'",
    ],
)
def test_a_folder_accepts_every_outcome_a_called_process_can_give(tmp_path: Path, test: str) -> None:
    """Either end step, the statuses and a timed-out call's 'timeout' are all outcomes the caller can read:
    a check that knew only one end step, or only the called process's task outcomes, refuses one. Beside
    it a caller with a misspelt outcome is refused, so the check did run on this folder; a caller of a
    missing process is refused for that alone (its outcomes are unknown, so none is refused as well)."""
    write(tmp_path, "site_check.yaml", SITE_CHECK)
    write(tmp_path, "visit.yaml", VISIT % ("site_check", test))
    for name, called in (("misspelt", "site_check"), ("lost", "site_chek")):
        write(
            tmp_path, f"{name}.yaml", (VISIT % (called, "== 'brokn'")).replace("key: visit", f"key: {name}")
        )
    found, errors = load_directory(tmp_path)
    assert sorted(found) == ["site_check", "visit"]
    assert [(Path(p.file).name, p.message[:36]) for e in errors for p in e.problems] == [
        ("lost.yaml", "calls process 'site_chek', which is "),
        ("misspelt.yaml", "step 'visit' has no outcome 'brokn' "),
    ]


@pytest.mark.parametrize(
    ("test", "word"),
    [("== 'brokn'", "brokn"), ("in ['fine', 'ok']", "ok"), ("is eq 'failed'", "failed")],
)
def test_a_folder_refuses_a_call_outcome_the_called_process_cannot_give(
    tmp_path: Path, test: str, word: str
) -> None:
    """'ok' is an outcome of the called process's task, not of the call; 'failed' fails the caller before any
    choose could read it. The caller is refused at the line and field of its template, the called process
    still loads."""
    write(tmp_path, "site_check.yaml", SITE_CHECK)
    write(tmp_path, "visit.yaml", VISIT % ("site_check", test))
    found, errors = load_directory(tmp_path)
    assert sorted(found) == ["site_check"]
    assert [str(p) for e in errors for p in e.problems] == [
        f"{tmp_path / 'visit.yaml'}:11: process.steps[1].choose[0].when: step 'visit' has no outcome "
        f"'{word}' (its outcomes: fine, broken, completed, cancelled, timeout)"
        + {"brokn": "; did you mean 'broken'?", "failed": "; did you mean 'fine'?"}.get(word, "")
    ]


def test_a_call_without_timeout_has_no_timeout_outcome(tmp_path: Path) -> None:
    """Only a call step with a timeout can end with the outcome 'timeout' (steps/call.py expire)."""
    write(tmp_path, "site_check.yaml", SITE_CHECK)
    write(tmp_path, "visit.yaml", (VISIT % ("site_check", "== 'timeout'")).replace("      timeout: 2d\n", ""))
    found, errors = load_directory(tmp_path)
    assert sorted(found) == ["site_check"]
    assert "(its outcomes: fine, broken, completed, cancelled)" in str(errors[0])


def test_validating_one_file_warns_that_its_calls_are_unchecked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "caller.yaml", CALLER % "onsite_visit")
    assert main(["validate", str(tmp_path / "caller.yaml")]) == 0
    out = capsys.readouterr().out
    assert (
        f"{tmp_path / 'caller.yaml'}:8: step go: call.process: warning: "
        "calls process 'onsite_visit', which is not checked here; "
        "validate the folder holding both to check it"
    ) in out


def test_simulate_loads_the_called_blueprints_from_the_folder(tmp_path: Path) -> None:
    write(tmp_path, "caller.yaml", CALLER % "middle")
    write(tmp_path, "middle.yaml", CALLED % ("middle", "site", "leaf"))
    write(
        tmp_path,
        "leaf.yaml",
        CALLED.replace("      call: {process: %s}\n", "      task: {group: t}\n") % ("leaf", "x"),
    )
    write(tmp_path, "unrelated.yaml", "not: [valid")
    caller = parse_blueprint((tmp_path / "caller.yaml").read_text(), str(tmp_path / "caller.yaml"))
    assert sorted(bp.process.key for bp in called_blueprints(caller, tmp_path)) == ["leaf", "middle"]


def test_graph_draws_a_call_as_a_flag_naming_the_process() -> None:
    caller, _ = doc_blueprints()
    chart = to_mermaid(caller)
    assert 's_go_onsite>"go_onsite: call onsite_visit' in chart
    assert "s_triage --> s_go_onsite" in chart
