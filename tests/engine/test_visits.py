"""Visits: a task's ``visit:`` appointment is rendered once, stored on the task, survives a restore and
shows in ``Engine.upcoming()``; a render that is not a date-time is recorded as a problem."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.bpo.engine.errors import BlueprintError
from custom_components.bpo.engine.model import FieldDef, Step, TaskSpec
from custom_components.bpo.engine.schema import parse_blueprint
from custom_components.bpo.engine.state import Instance, Visit

from .test_runtime import make, simple

T0 = datetime(2025, 3, 3, 8, tzinfo=UTC)


def onsite(**task: object) -> object:
    spec = TaskSpec(
        title="Repair at {{ fields.customer }}",
        assignee="tech",
        visit="{{ fields.appointment }}",
        visit_location="{{ fields.address }}",
        **task,  # type: ignore[arg-type]
    )
    return simple(
        "onsite",
        Step(id="work", task=spec),
        fields={n: FieldDef(n) for n in ("appointment", "address", "customer")},
    )


async def test_visit_is_stored_listed_and_restored() -> None:
    engine, clock, _, store = make(onsite(visit_duration=5400.0), start=T0)  # type: ignore[arg-type]
    await engine.restore()
    inst = await engine.start(
        "onsite", fields={"appointment": "2025-03-05T10:00", "address": "1 Main St", "customer": "ACME"}
    )
    [task] = inst.tasks
    at = datetime(2025, 3, 5, 9, tzinfo=UTC)  # 10:00 in Berlin (naive times are local)
    assert task.visit == Visit(at, "1 Main St")
    assert task.to_dict()["visit"] == at.isoformat()

    [entry] = [u for u in engine.upcoming(T0, T0 + timedelta(days=7)) if u.kind == "visit"]
    assert (entry.at, entry.end, entry.title, entry.location) == (
        at,
        at + timedelta(minutes=90),
        "Repair at ACME",
        "1 Main St",
    )
    assert (entry.task_id, entry.assignee) == (task.id, "tech")
    # a visit that is already going on overlaps a range that starts during it
    assert [u.kind for u in engine.upcoming(at + timedelta(minutes=30), at + timedelta(hours=1))] == ["visit"]
    assert engine.upcoming(at + timedelta(minutes=90), at + timedelta(days=1)) == []

    again, _, _, _ = make(onsite(visit_duration=5400.0), start=T0, store=store)  # type: ignore[arg-type]
    await again.restore()
    assert again.task(task.id).visit == task.visit  # type: ignore[union-attr]
    assert Instance.from_dict(inst.to_dict()).to_dict() == inst.to_dict()

    await engine.complete_task(task.id)  # a done task has no upcoming visit
    assert [u for u in engine.upcoming(T0, T0 + timedelta(days=7)) if u.kind == "visit"] == []


async def test_missing_visit_is_none_and_a_bad_one_is_a_history_problem() -> None:
    engine, _, _, _ = make(onsite(), start=T0)  # type: ignore[arg-type]
    await engine.restore()
    none = await engine.start("onsite", fields={"customer": "A"})
    assert none.tasks[0].visit is None and "visit" not in none.tasks[0].to_dict()
    bad = await engine.start("onsite", fields={"appointment": "next tuesday", "customer": "B"})
    assert bad.tasks[0].visit is None and bad.is_running
    [problem] = [h for h in bad.history if h.what == "visit_invalid"]
    assert problem.details is not None and "next tuesday" in problem.details["error"]
    assert engine.upcoming(T0, T0 + timedelta(days=30)) == []


YAML = """\
blueprint: {name: Onsite, domain: bpo}
process:
  key: onsite
  start: [{manual: {}}]
  fields: {appointment: {type: text}}
  steps:
    - id: work
      task:
        assignee: tech
        visit: "{{ fields.appointment }}"
        visit_duration: 2h
"""


def test_visit_keys_parse_and_validate() -> None:
    spec = parse_blueprint(YAML, "bp.yaml").process.steps[0].task
    assert spec is not None and spec.visit == "{{ fields.appointment }}" and spec.visit_duration == 7200.0
    cases = {
        YAML.replace(
            "visit_duration: 2h", "visit_duration: soon"
        ): "bp.yaml:11: process.steps[0].task.visit_duration",
        YAML.replace("fields.appointment", "fields.apointment"): "unknown field 'apointment'",
        YAML.replace('visit: "{{ fields.appointment }}"', 'visit: "{{ fields.appointment"'): "template",
        YAML.replace('        visit: "{{ fields.appointment }}"\n', ""): "visit_duration needs visit",
        YAML.replace("2h", "0s"): "longer than zero",
    }
    for text, fragment in cases.items():
        with pytest.raises(BlueprintError) as caught:
            parse_blueprint(text, "bp.yaml")
        assert fragment in str(caught.value), (fragment, str(caught.value))
