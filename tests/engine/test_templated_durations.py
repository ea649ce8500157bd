"""Durations written as templates (a task's due, a wait's delay): rendered when the deadline is computed,
checked statically where the text allows it, and a bad rendered value fails only its own instance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.bpo.engine.durations import DurationError, rendered_duration, template_duration_problem
from custom_components.bpo.engine.errors import BlueprintError
from custom_components.bpo.engine.memory_store import MemoryStore
from custom_components.bpo.engine.schema import parse_blueprint

from .test_business_calendars import BAVARIA
from .test_docs_examples import BLOCKS
from .test_runtime import make, run_until

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)  # a Monday


def _doc() -> str:
    [block] = [b for b in BLOCKS if b.markers.get("example") == "templated_durations"]
    return block.text


async def test_doc_example_due_and_delay_follow_the_case() -> None:
    bp = parse_blueprint(_doc(), "docs/blueprint-language.md")
    engine, clock, sink, _ = make(bp, start=T0)
    await engine.restore()
    urgent = await engine.start("support_sla", key="urgent", fields={"priority": "urgent", "sla_hours": 4})
    normal = await engine.start("support_sla", key="normal")  # the start's defaults: normal, 8 h
    assert urgent.tasks[0].due == T0 + timedelta(hours=4)
    assert normal.tasks[0].due == T0 + timedelta(hours=8)

    # the due was rendered when the task opened: changing the field later does not move it
    urgent.fields["sla_hours"] = 1
    await run_until(engine, clock, T0 + timedelta(hours=2))
    assert sink.of("task_overdue") == []
    await run_until(engine, clock, T0 + timedelta(hours=4))
    assert [e["task_id"] for e in sink.of("task_overdue")] == [urgent.tasks[0].id]

    await engine.complete_task(urgent.tasks[0].id, user=None)
    await engine.complete_task(normal.tasks[0].id, user=None)
    done_at = clock.now()
    await run_until(engine, clock, done_at + timedelta(minutes=59))
    assert [t.step for t in engine.open_tasks()] == []
    await run_until(engine, clock, done_at + timedelta(hours=1))
    assert [(engine.instance(t.instance_id).key, t.step) for t in engine.open_tasks()] == [
        ("urgent", "feedback")
    ]
    await run_until(engine, clock, done_at + timedelta(days=1))
    assert sorted(engine.instance(t.instance_id).key for t in engine.open_tasks()) == ["normal", "urgent"]


async def test_templated_due_counts_business_time() -> None:
    text = BAVARIA.replace("due: 2h", 'due: "{{ fields.hours }}h"').replace(
        "  steps:", "  fields: {hours: {type: number}}\n  steps:"
    )
    engine, _, _, _ = make(parse_blueprint(text, "x.yaml"), start=datetime(2026, 4, 2, 16, tzinfo=BERLIN))
    await engine.restore()
    inst = await engine.start("munich_office", fields={"hours": 3})
    # Thursday 16-17, then Easter: Tuesday 09-11
    assert inst.tasks[0].due == datetime(2026, 4, 7, 11, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("hours", "why"),
    [
        (10**7, "longer than 3650 days"),  # "10000000h"
        ("soon", "it rendered a text, not a duration"),  # "soonh"
        (None, "it rendered a text, not a duration"),  # "h"
    ],
)
async def test_a_bad_rendered_due_fails_that_instance_only(hours: object, why: str) -> None:
    bp = parse_blueprint(_doc(), "x.yaml")
    store = MemoryStore()
    engine, clock, sink, _ = make(bp, start=T0, store=store)
    await engine.restore()
    good = await engine.start("support_sla", key="good")
    bad = await engine.start("support_sla", key="bad", fields={"sla_hours": hours})
    assert bad.status == "failed"
    [failed] = [e for e in sink.of("instance_completed") if e["instance_id"] == bad.id]
    assert failed["status"] == "failed" and why in failed["error"]
    assert "soon" not in failed["error"] and "10000000" not in failed["error"]  # values are never quoted
    assert why in bad.history[-1].details["error"]
    # the other instance's timers still fire
    await run_until(engine, clock, T0 + timedelta(hours=8))
    assert [e["task_id"] for e in sink.of("task_overdue")] == [good.tasks[0].id]


PAUSE = """
blueprint: {name: Pause, domain: bpo}
process:
  key: pause
  start: [{manual: {}}]
  fields: {pause: {type: number}}
  steps:
    - id: first
      task: {group: desk}
    - id: rest
      wait: {delay: "{{ fields.pause }}"}
    - id: last
      task: {group: desk}
"""


async def test_a_bad_rendered_delay_fails_that_instance_when_the_wait_starts() -> None:
    engine, clock, sink, _ = make(parse_blueprint(PAUSE, "pause.yaml"), start=T0)
    await engine.restore()
    ok = await engine.start("pause", key="ok", fields={"pause": 120})
    bad = await engine.start("pause", key="bad", fields={"pause": 10**12})
    await engine.complete_task(ok.tasks[0].id, user=None)
    await engine.complete_task(bad.tasks[0].id, user=None)  # the wait starts: its delay is rendered now
    assert bad.status == "failed" and ok.status == "running"
    [failed] = sink.of("instance_completed")
    assert failed["instance_id"] == bad.id and "longer than 3650 days" in failed["error"]
    await run_until(engine, clock, T0 + timedelta(seconds=119))
    assert [t.step for t in engine.open_tasks()] == []
    await run_until(engine, clock, T0 + timedelta(seconds=120))
    assert [t.step for t in engine.open_tasks()] == ["last"]


async def test_restart_keeps_the_rendered_due() -> None:
    bp = parse_blueprint(_doc(), "x.yaml")
    store = MemoryStore()
    engine, _, _, _ = make(bp, start=T0, store=store)
    await engine.restore()
    inst = await engine.start("support_sla", fields={"sla_hours": 5})
    inst_id = inst.id
    again, clock, sink, _ = make(bp, start=T0 + timedelta(hours=1), store=store)
    await again.restore()
    restored = again.instance(inst_id)
    restored.fields["sla_hours"] = 100  # what the template would render now: ignored
    assert restored.tasks[0].due == T0 + timedelta(hours=5)
    assert again.next_deadline() == T0 + timedelta(hours=5)
    await run_until(again, clock, T0 + timedelta(hours=5))
    assert len(sink.of("task_overdue")) == 1


@pytest.mark.parametrize(
    ("source", "ok"),
    [
        ("{{ fields.h }}h", True),
        ("{{ fields.h }}", True),
        ("{{ fields.d }}d {{ fields.h }}h", True),
        ("PT{{ fields.h }}H", True),
        ("{% if fields.x %}1h{% else %}2h{% endif %}", True),  # only the run can tell
        ("{{ fields.h }} hours", False),
        ("in {{ fields.h }}h", False),
    ],
)
def test_static_check_of_duration_templates(source: str, ok: bool) -> None:
    assert (template_duration_problem(source) is None) is ok


def test_rendered_duration_accepts_numbers_and_texts() -> None:
    assert rendered_duration(90) == 90.0
    assert rendered_duration(" 8h ") == 8 * 3600.0
    assert rendered_duration("1d 2h") == 26 * 3600.0
    with pytest.raises(DurationError, match="it rendered a negative duration"):
        rendered_duration(-5)
    with pytest.raises(DurationError, match="it rendered nothing"):
        rendered_duration(None)
    with pytest.raises(DurationError, match="it rendered a bool"):
        rendered_duration(True)


def test_templates_elsewhere_are_refused_with_the_line() -> None:
    text = _doc().replace("due: 3d}", 'due: 3d}\n      timeout: "{{ fields.sla_hours }}h"')
    with pytest.raises(BlueprintError) as caught:
        parse_blueprint(text, "sla.yaml")
    [problem] = caught.value.problems
    assert str(problem) == (
        "sla.yaml:17: process.steps[2].timeout: a duration can be a template only in a task's due, "
        "remind and escalate.after, and a wait's delay; write a fixed one here"
    )


def test_unknown_field_in_a_duration_template_is_reported() -> None:
    text = _doc().replace("fields.sla_hours }}h", "fields.sla_hour }}h")
    with pytest.raises(
        BlueprintError, match=r"sla.yaml:12: process.steps\[0\].task.due: unknown field 'sla_hour'"
    ):
        parse_blueprint(text, "sla.yaml")


def test_graph_shows_a_templated_delay_as_written() -> None:
    from custom_components.bpo.engine.graph import to_mermaid

    chart = to_mermaid(parse_blueprint(PAUSE, "pause.yaml")).splitlines()
    assert '    s_rest{{"rest: wait {{ fields.pause }}"}}' in chart  # not "0s"
