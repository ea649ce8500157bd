"""Reminder and escalation times written as templates, and ``inputs`` inside templates: rendered when the task
opens (calendar and business time), kept across a restart and field changes, fired in the order of their
rendered times, bad values failing only their instance, and what ``bpo validate`` reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.bpo.connectors import notify as n
from custom_components.bpo.engine.errors import BlueprintError
from custom_components.bpo.engine.memory_store import MemoryStore
from custom_components.bpo.engine.runtime import Engine
from custom_components.bpo.engine.schema import parse_blueprint

from .test_docs_examples import BLOCKS
from .test_runtime import Sink, make, run_until

TOKYO = ZoneInfo("Asia/Tokyo")
MONDAY = datetime(2026, 3, 2, 10, tzinfo=TOKYO)  # a working Monday, 10:00 in Tokyo
T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


def doc(inputs: dict[str, Any] | None = None) -> Any:
    [block] = [b for b in BLOCKS if b.markers.get("example") == "templated_escalation"]
    return parse_blueprint(block.text, "docs/blueprint-language.md", inputs)


def fired(sink: Sink, kind: str) -> list[str]:
    return [e["task_id"] for e in sink.of(kind)]


async def at(engine: Engine, clock: Any, when: datetime) -> None:
    await run_until(engine, clock, when.astimezone(UTC))


@pytest.mark.parametrize(
    ("inputs", "urgent_h", "normal_h"),
    [(None, 2, 8), ({"urgent_hours": 1, "normal_hours": 4}, 1, 4)],
)
async def test_doc_example_remind_and_escalate_follow_priority_and_inputs_in_working_hours(
    inputs: dict[str, Any] | None, urgent_h: int, normal_h: int
) -> None:
    engine, clock, sink, _ = make(doc(inputs), start=MONDAY.astimezone(UTC))
    await engine.restore()
    urgent = await engine.start("helpdesk_targets", key="u", fields={"priority": "urgent"})
    normal = await engine.start("helpdesk_targets", key="n")
    u, m = urgent.tasks[0].id, normal.tasks[0].id
    # working hours 09-18: the halves and the targets fall on Monday, or roll over to Tuesday morning
    opens = [MONDAY + timedelta(hours=h) for h in (urgent_h / 2, urgent_h)]
    assert urgent.tasks[0].due == opens[1]
    await at(engine, clock, opens[0] - timedelta(minutes=1))
    assert fired(sink, "task_reminded") == []
    await at(engine, clock, opens[0])
    assert fired(sink, "task_reminded") == [u]
    await at(engine, clock, opens[1] - timedelta(minutes=1))
    assert fired(sink, "escalated") == []
    await at(engine, clock, opens[1])
    assert fired(sink, "escalated") == [u]
    assert sink.of("escalated")[0]["notify"] == ["group:leads"]
    normal_due = MONDAY + timedelta(hours=normal_h)  # within Monday for both
    await at(engine, clock, normal_due)
    assert fired(sink, "escalated") == [u, m] and fired(sink, "task_reminded") == [u, m]


ORDER = """
blueprint:
  name: Order
  domain: bpo
  input:
    first_call: {name: First call, default: 30m}
process:
  key: order
  start: [{manual: {}}]
  fields:
    late: {type: number}
  steps:
    - id: answer
      task:
        group: desk
        title: "within {{ inputs.first_call }}"
        remind: [2h, "{{ inputs.first_call }}"]
        escalate:
          - after: "{{ fields.late }}h"
            notify: [person.boss]
          - after: 1h
            notify: [person.lead]
"""


async def test_templated_levels_fire_in_the_order_of_their_rendered_times_and_survive_a_restart() -> None:
    bp = parse_blueprint(ORDER, "order.yaml")
    store = MemoryStore()
    engine, _, _, _ = make(bp, start=T0, store=store)
    await engine.restore()
    inst = await engine.start("order", fields={"late": 3})
    task = inst.tasks[0]
    assert task.title == "within 30m"
    assert (task.remind_after, task.escalate_after) == ((1800.0, 7200.0), (10800.0, 3600.0))
    again, clock, sink, _ = make(bp, start=T0, store=store)
    await again.restore()
    again.instance(inst.id).fields["late"] = 0.5  # type: ignore[union-attr]  # rendered already: ignored
    await run_until(again, clock, T0 + timedelta(minutes=30))
    assert len(sink.of("task_reminded")) == 1 and sink.of("escalated") == []
    await run_until(again, clock, T0 + timedelta(hours=1))
    assert [e["notify"] for e in sink.of("escalated")] == [["person.lead"]]
    await run_until(again, clock, T0 + timedelta(hours=3))
    assert [e["notify"] for e in sink.of("escalated")] == [["person.lead"], ["person.boss"]]
    assert len(sink.of("task_reminded")) == 2


@pytest.mark.parametrize(
    ("late", "why"),
    [(10**7, "longer than 3650 days"), ("soon", "it rendered a text, not a duration")],
)
async def test_a_bad_rendered_escalation_time_fails_that_instance_only(late: object, why: str) -> None:
    engine, clock, sink, _ = make(parse_blueprint(ORDER, "order.yaml"), start=T0)
    await engine.restore()
    good = await engine.start("order", key="good", fields={"late": 2})
    bad = await engine.start("order", key="bad", fields={"late": late})
    assert bad.status == "failed" and good.status == "running"
    [failed] = sink.of("instance_completed")
    assert why in failed["error"] and "soon" not in failed["error"]
    await run_until(engine, clock, T0 + timedelta(hours=2))
    assert [e["task_id"] for e in sink.of("escalated")] == [good.tasks[0].id] * 2


async def test_a_bad_rendered_reminder_time_fails_that_instance_only() -> None:
    bp = parse_blueprint(ORDER, "order.yaml", {"first_call": "soonish"})
    engine, _, sink, _ = make(bp, start=T0)
    await engine.restore()
    inst = await engine.start("order", fields={"late": 2})
    assert inst.status == "failed" and "soonish" not in (inst.error or "")
    assert "it rendered a text, not a duration" in sink.of("instance_completed")[0]["error"]


async def test_item_tasks_of_a_for_each_render_their_times_with_their_own_item() -> None:
    text = """
blueprint: {name: Sites, domain: bpo}
process:
  key: sites
  start: [{manual: {}}]
  fields:
    sites: {type: text}
  steps:
    - id: check
      for_each: "{{ fields.sites }}"
      task:
        group: techs
        title: "{{ item.name }}"
        escalate:
          - after: "{{ item.hours }}h"
            notify: [group:leads]
"""
    engine, _, _, _ = make(parse_blueprint(text, "sites.yaml"), start=T0)
    await engine.restore()
    sites = [{"name": "a", "hours": 1}, {"name": "b", "hours": 5}]
    inst = await engine.start("sites", fields={"sites": sites})
    assert {t.title: t.escalate_after for t in inst.tasks} == {"a": (3600.0,), "b": (18000.0,)}


def problems(text: str) -> list[str]:
    with pytest.raises(BlueprintError) as caught:
        parse_blueprint(text, "order.yaml")
    return [str(p) for p in caught.value.problems]


def test_validate_reports_unknown_inputs_and_task_in_escalation_times_with_file_line_and_field() -> None:
    text = ORDER.replace('remind: [2h, "{{ inputs.first_call }}"]', 'remind: [2h, "{{ inputs.frist_call }}"]')
    assert problems(text) == [
        "order.yaml:17: process.steps[0].task.remind[1]: unknown input 'frist_call' (declare it under "
        "blueprint.input); did you mean 'first_call'?"
    ]
    text = ORDER.replace('after: "{{ fields.late }}h"', 'after: "{{ task.assignee }}"')
    [problem] = problems(text)
    assert problem.startswith("order.yaml:19: process.steps[0].task.escalate[0].after: ")
    assert "unknown name 'task'" in problem
    text = ORDER.replace('after: "{{ fields.late }}h"', 'after: "{{ fields.late }} hours"')
    [problem] = problems(text)
    assert problem.startswith("order.yaml:19: process.steps[0].task.escalate[0].after: this template cannot")


async def test_inputs_are_read_only_in_templates() -> None:
    changing = "title: \"{% set i = inputs %}{{ i.pop('first_call') }}\""
    text = ORDER.replace('title: "within {{ inputs.first_call }}"', changing)
    bp = parse_blueprint(text, "order.yaml")
    engine, _, _, _ = make(bp, start=T0)
    await engine.restore()
    inst = await engine.start("order", fields={"late": 2})
    assert inst.status == "failed"
    assert dict(bp.input_values()) == {"first_call": "30m"}
    again = await engine.start("order", fields={"late": 2})  # the next instance sees the same inputs
    assert again.status == "failed" and dict(bp.input_values()) == {"first_call": "30m"}


def test_notify_texts_see_the_inputs() -> None:
    view = n.TaskView(
        task_id="i1.1",
        title="Answer",
        process="Order",
        title_template="{{ task.title }} within {{ inputs.first_call }}",
        inputs={"first_call": "30m"},
    )
    note = n.build(view, kind="task", lang="en", cleared=True, can_act=True)
    assert note.title == "Answer within 30m"
