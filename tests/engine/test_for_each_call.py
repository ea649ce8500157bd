"""``for_each`` on a ``call`` step: one called instance per element — keys and items of the called
instances, join all / any / N with cancellation of the rest, concurrency, the empty and the too long list, a
failed called instance, cancelling the caller, restarts mid-way (restore equivalence and the crash window
that must not start a duplicate), the docs example and the ``bpo validate`` errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.bpo.engine.cli import main
from custom_components.bpo.engine.clock import VirtualClock
from custom_components.bpo.engine.memory_store import MemoryStore
from custom_components.bpo.engine.model import (
    Blueprint,
    CallSpec,
    ChooseOption,
    FieldDef,
    ForEachSpec,
    JoinMode,
    ManualStart,
    Step,
    TaskSpec,
)
from custom_components.bpo.engine.runtime import Engine
from custom_components.bpo.engine.schema import load_directory, parse_blueprint
from custom_components.bpo.engine.stepschema import FOR_EACH_MAX

from .test_docs_examples import BLOCKS
from .test_runtime import Sink, make, simple

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 3, 2, 7, tzinfo=UTC)
PEOPLE = [{"name": "Aiko"}, {"name": "Ben"}, {"name": "Chen"}]


def prospect() -> Blueprint:
    """The called process: one call per prospect, ending at ``signed`` or ``declined``."""
    return simple(
        "prospect",
        Step(id="talk", task=TaskSpec(group="sales", title="Call {{ fields.name }}", outcomes=("yes", "no"))),
        Step(id="route", choose=(ChooseOption("{{ steps.talk.outcome == 'no' }}", "declined"),)),
        Step(id="signed", end="completed"),
        Step(id="declined", end="completed"),
        Step(id="broken", end="failed"),
        fields={"name": FieldDef("name", type="text")},
        starts=(ManualStart(),),
    )


def campaign(join: JoinMode = "all", join_n: int = 0, concurrency: int | None = None) -> Blueprint:
    return simple(
        "campaign",
        Step(
            id="reach",
            for_each=ForEachSpec(
                items="{{ fields.prospects }}", join=join, join_n=join_n, concurrency=concurrency
            ),
            call=CallSpec(process="prospect", fields={"name": "{{ item.name }}"}),
        ),
        Step(
            id="report",
            task=TaskSpec(
                group="desk",
                title="{{ steps.reach.data.outcomes | map(attribute='outcome') | join(',') }}",
            ),
        ),
        fields={"prospects": FieldDef("prospects", type="text")},
        starts=(ManualStart(),),
    )


def calls(engine: Engine) -> list[tuple[str | None, str]]:
    """(key, status) of every called instance, in start order."""
    return [(i.key, i.status) for i in engine.instances(process="prospect")]


def open_titles(engine: Engine) -> list[str]:
    return sorted(t.title for t in engine.open_tasks())


async def answer(engine: Engine, name: str, outcome: str) -> None:
    (task,) = [t for t in engine.open_tasks() if t.title == f"Call {name}"]
    await engine.complete_task(task.id, outcome=outcome)


def outcomes(engine: Engine, inst_id: str) -> list[tuple[str, Any]]:
    inst = engine.instance(inst_id)
    assert inst is not None and inst.results is not None
    return [(o["item"]["name"], o["outcome"]) for o in inst.results["reach"]["data"]["outcomes"]]


async def test_one_called_instance_per_element_with_derived_keys_items_and_outcomes() -> None:
    engine, _, sink, _ = make([campaign(concurrency=2), prospect()], start=T0)
    inst = await engine.start("campaign", key="spring", fields={"prospects": PEOPLE})
    assert calls(engine) == [("spring/reach/0", "running"), ("spring/reach/1", "running")]
    first, second = engine.instances(process="prospect")
    assert (first.item, first.parent, first.source, first.fields["name"]) == (
        PEOPLE[0],
        inst.id,
        "call",
        "Aiko",
    )
    assert second.item == PEOPLE[1]
    assert open_titles(engine) == ["Call Aiko", "Call Ben"]
    await answer(engine, "Ben", "no")  # a finished item opens the next one
    assert calls(engine)[2] == ("spring/reach/2", "running")
    await answer(engine, "Aiko", "yes")
    await answer(engine, "Chen", "yes")
    assert outcomes(engine, inst.id) == [("Aiko", "signed"), ("Ben", "declined"), ("Chen", "signed")]
    assert inst.results is not None and inst.results["reach"]["data"]["done"] == 3
    assert open_titles(engine) == ["signed,declined,signed"]
    assert [e["process"] for e in sink.of("instance_completed")] == ["prospect"] * 3
    assert inst.waits is None and inst.joins is None


async def test_an_element_never_goes_on_the_bus_as_the_called_instances_item() -> None:
    """An element comes from the caller's data, which may be personal (an e-mail address here)."""
    caller = simple(
        "campaign",
        Step(
            id="reach",
            for_each=ForEachSpec(items="{{ fields.prospects }}"),
            call=CallSpec(process="prospect", fields={"name": "{{ item }}"}),
        ),
        fields={"prospects": FieldDef("prospects", type="text")},
    )
    engine, _, sink, _ = make([caller, prospect()], start=T0)
    await engine.start("campaign", key="c", fields={"prospects": ["ann@example.com"]})
    (child,) = engine.instances(process="prospect")
    assert child.item == "ann@example.com"  # its templates see it
    started = [e for e in sink.of("instance_started") if e["process"] == "prospect"]
    assert [e["item"] for e in started] == [None]


async def test_a_caller_without_key_derives_the_keys_from_its_id() -> None:
    engine, _, _, _ = make([campaign(), prospect()], start=T0)
    inst = await engine.start("campaign", fields={"prospects": PEOPLE[:1]})
    assert calls(engine) == [(f"{inst.id}/reach/0", "running")]


async def test_join_any_cancels_the_other_called_instances() -> None:
    engine, _, _, _ = make([campaign(join="any"), prospect()], start=T0)
    inst = await engine.start("campaign", key="c", fields={"prospects": PEOPLE})
    await answer(engine, "Ben", "yes")
    assert calls(engine) == [
        ("c/reach/0", "cancelled"),
        ("c/reach/1", "completed"),
        ("c/reach/2", "cancelled"),
    ]
    cancelled = engine.instances(process="prospect")[0]
    assert cancelled.error == "the calling step reach ended (join)"
    assert outcomes(engine, inst.id) == [("Aiko", None), ("Ben", "signed"), ("Chen", None)]
    assert open_titles(engine) == ["None,signed,None"]


async def test_join_n_with_concurrency_stops_starting_once_enough_have_ended() -> None:
    engine, _, _, _ = make([campaign(join="n_of_m", join_n=2, concurrency=2), prospect()], start=T0)
    inst = await engine.start("campaign", key="c", fields={"prospects": [*PEOPLE, {"name": "Dana"}]})
    await answer(engine, "Aiko", "no")
    assert calls(engine)[-1] == ("c/reach/2", "running")
    await answer(engine, "Chen", "yes")  # two ended: Ben's call is cancelled, Dana's never started
    assert calls(engine) == [
        ("c/reach/0", "completed"),
        ("c/reach/1", "cancelled"),
        ("c/reach/2", "completed"),
    ]
    assert outcomes(engine, inst.id) == [
        ("Aiko", "declined"),
        ("Ben", None),
        ("Chen", "signed"),
        ("Dana", None),
    ]


async def test_an_empty_list_finishes_at_once_and_a_too_long_one_fails_the_caller() -> None:
    engine, _, _, _ = make([campaign(), prospect()], start=T0)
    empty = await engine.start("campaign", key="e", fields={"prospects": []})
    assert calls(engine) == [] and open_titles(engine) == [""]
    assert empty.results is not None and empty.results["reach"]["data"] == {"outcomes": [], "done": 0}
    many = [{"name": str(n)} for n in range(FOR_EACH_MAX + 1)]
    too_long = await engine.start("campaign", key="l", fields={"prospects": many})
    assert too_long.status == "failed" and f"at most {FOR_EACH_MAX}" in (too_long.error or "")
    assert calls(engine) == []


async def test_a_failed_called_instance_is_its_item_outcome_and_the_others_go_on() -> None:
    called = prospect()
    steps = called.process.steps
    failing = simple(
        "prospect",
        Step(id="check", choose=(ChooseOption("{{ fields.name == 'Ben' }}", "broken"),)),
        *steps,
        fields=dict(called.process.fields),
        starts=(ManualStart(),),
    )
    engine, _, _, _ = make([campaign(), failing], start=T0)
    inst = await engine.start("campaign", key="c", fields={"prospects": PEOPLE})
    assert calls(engine)[1] == ("c/reach/1", "failed")
    await answer(engine, "Aiko", "yes")
    await answer(engine, "Chen", "no")
    assert inst.status == "running"
    # as a single call reports it: the end step the called instance reached (its status without one)
    assert outcomes(engine, inst.id) == [("Aiko", "signed"), ("Ben", "broken"), ("Chen", "declined")]


async def test_cancelling_the_caller_cancels_every_running_called_instance() -> None:
    engine, _, sink, _ = make([campaign(concurrency=2), prospect()], start=T0)
    inst = await engine.start("campaign", key="c", fields={"prospects": PEOPLE})
    await engine.cancel(inst.id, user="boss")
    assert calls(engine) == [("c/reach/0", "cancelled"), ("c/reach/1", "cancelled")]
    assert engine.open_tasks() == [] and inst.joins is None and inst.waits is None
    assert [e["reason"] for e in sink.of("task_cancelled")] == ["cancelled", "cancelled"]


async def test_restart_mid_way_continues_with_the_same_called_instances() -> None:
    engine, clock, _, store = make([campaign(concurrency=2), prospect()], start=T0)
    inst = await engine.start("campaign", key="c", fields={"prospects": PEOPLE})
    await answer(engine, "Aiko", "yes")
    later, _, _, _ = make([campaign(concurrency=2), prospect()], start=T0, store=store)
    later.clock = clock
    await later.restore()
    assert later.instance(inst.id).to_dict() == inst.to_dict()  # type: ignore[union-attr]
    await answer(later, "Ben", "no")
    await answer(later, "Chen", "yes")
    assert outcomes(later, inst.id) == [("Aiko", "signed"), ("Ben", "declined"), ("Chen", "signed")]
    assert len(later.instances(process="prospect")) == 3


async def test_a_crash_that_saved_the_called_instance_but_not_the_caller_starts_no_duplicate() -> None:
    """The crash window: the next item's called instance reached disk, the caller's join did not."""
    engine, clock, _, store = make([campaign(concurrency=1), prospect()], start=T0)
    inst = await engine.start("campaign", key="c", fields={"prospects": PEOPLE[:2]})
    before = store.copy()  # Aiko's call running, Ben's not started
    await answer(engine, "Aiko", "yes")
    ben = engine.instances(process="prospect")[1]
    crashed = before.copy()
    await crashed.save_instance(ben.id, ben.to_dict())  # only Ben's new instance reached disk
    crashed.meta = store.copy().meta  # with the id counter past it
    later, _, _, _ = make([campaign(concurrency=1), prospect()], start=T0, store=crashed)
    later.clock = clock
    await later.restore()
    await answer(later, "Aiko", "yes")  # done again: Ben's item opens again and finds his instance
    assert calls(later) == [("c/reach/0", "completed"), ("c/reach/1", "running")]
    await answer(later, "Ben", "no")
    assert outcomes(later, inst.id) == [("Aiko", "signed"), ("Ben", "declined")]


async def drive(restart_every_step: bool) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    clock = VirtualClock(T0)
    store, sink, bps = MemoryStore(), Sink(), [campaign(concurrency=2), prospect()]

    async def fresh() -> Engine:
        engine = Engine(clock=clock, store=store, events=sink, tz=BERLIN)
        engine.set_blueprints(bps)
        await engine.restore()
        return engine

    engine = await fresh()
    await engine.start("campaign", key="r", fields={"prospects": [*PEOPLE, {"name": "Dana"}]})
    answers = iter(["yes", "no", "yes", "no", None])
    while engine.open_tasks():
        if restart_every_step:
            engine = await fresh()
        clock.advance_to(clock.now() + timedelta(hours=1))
        task = min(engine.open_tasks(), key=lambda t: (t.created, t.id))
        await engine.complete_task(task.id, outcome=next(answers))
    return store.snapshot(), [(e.type, e.data) for e in sink.events]


async def test_restore_at_every_step_boundary_equals_an_uninterrupted_run() -> None:
    straight = await drive(restart_every_step=False)
    restarted = await drive(restart_every_step=True)
    assert restarted == straight
    ended = [d["process"] for k, d in straight[1] if k == "instance_completed"]
    assert ended == ["prospect"] * 4 + ["campaign"]


def doc_blocks() -> tuple[str, str]:
    called = next(b.text for b in BLOCKS if "key: mailing_prospect" in b.text)
    caller = next(b.text for b in BLOCKS if "key: mailing_campaign" in b.text)
    return called, caller


def test_the_docs_example_is_valid_together(tmp_path: Path) -> None:
    called, caller = doc_blocks()
    (tmp_path / "prospect.yaml").write_text(called, encoding="utf-8")
    (tmp_path / "campaign.yaml").write_text(caller, encoding="utf-8")
    found, errors = load_directory(tmp_path)
    assert errors == [] and set(found) == {"mailing_prospect", "mailing_campaign"}


def test_validate_names_file_line_and_field_of_a_for_each_call_with_a_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "blueprint: {name: Bad, domain: bpo}\n"
        "process:\n"
        "  key: bad\n"
        "  start: [{manual: {}}]\n"
        "  steps:\n"
        "    - id: reach\n"
        '      for_each: "{{ [1, 2] }}"\n'
        "      timeout: 1d\n"
        "      call: {process: other}\n",
        encoding="utf-8",
    )
    assert main(["validate", str(path)]) != 0
    out = capsys.readouterr()
    assert (
        f"{path}:8: process.steps[0].timeout: a for_each step has no timeout; "
        "give the called process its own timeouts"
    ) in out.out + out.err


async def test_the_docs_example_hands_the_interested_prospects_to_sales() -> None:
    called, caller = (parse_blueprint(text, "docs/blueprint-language.md") for text in doc_blocks())
    engine, _, _, _ = make([caller, called], start=T0)
    prospects = [{"company": c, "contact": f"{c} desk"} for c in ("Acme", "Bolt", "Cobra", "Delta")]
    await engine.start("mailing_campaign", key="spring", fields={"prospects": prospects})
    assert open_titles(engine) == [
        f"Call {c} about the mailing ({c} desk)" for c in ("Acme", "Bolt", "Cobra")
    ]
    for task in sorted(engine.open_tasks(), key=lambda t: t.title):
        await engine.complete_task(
            task.id, outcome="not_interested" if "Bolt" in task.title else "interested"
        )
    (delta,) = engine.open_tasks()  # the fourth opened once one of the first three ended
    await engine.complete_task(delta.id, outcome="interested")
    assert open_titles(engine) == ["Interested: Acme, Cobra, Delta"]
