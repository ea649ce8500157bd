"""Visit details that mutation testing found unchecked (issue 16): an empty render is no visit and no
problem; a bad one is recorded on its step with a bounded excerpt; no location means none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.bpo.engine.model import FieldDef, Step, TaskSpec

from .test_runtime import make, simple

T0 = datetime(2025, 3, 3, 8, tzinfo=UTC)


def _onsite(location: str | None) -> object:
    spec = TaskSpec(assignee="tech", visit="{{ fields.appointment }}", visit_location=location)
    return simple("onsite", Step(id="work", task=spec), fields={"appointment": FieldDef("appointment")})


async def test_empty_visit_is_no_visit_and_no_problem() -> None:
    engine, _, _, _ = make(_onsite(None), start=T0)  # type: ignore[arg-type]
    await engine.restore()
    inst = await engine.start("onsite", fields={"appointment": "   "})
    assert inst.tasks[0].visit is None
    assert "visit_invalid" not in [h.what for h in inst.history]


async def test_bad_visit_problem_names_step_task_and_an_80_character_excerpt() -> None:
    engine, _, _, _ = make(_onsite(None), start=T0)  # type: ignore[arg-type]
    await engine.restore()
    value = "x" * 79 + "yz" + "!" * 100
    inst = await engine.start("onsite", fields={"appointment": value})
    [problem] = [h for h in inst.history if h.what == "visit_invalid"]
    assert problem.step == "work"
    assert problem.details == {
        "task": inst.tasks[0].id,
        "error": f"visit: {'x' * 79 + 'y'!r} is not an ISO date/time",
    }


async def test_visit_without_location_has_none_and_lists_its_instance() -> None:
    engine, _, _, _ = make(_onsite(None), start=T0)  # type: ignore[arg-type]
    await engine.restore()
    inst = await engine.start("onsite", fields={"appointment": "2025-03-05T10:00:00+00:00"})
    visit = inst.tasks[0].visit
    assert visit is not None and visit.location is None
    [entry] = engine.upcoming(T0, T0 + timedelta(days=7))
    assert (entry.kind, entry.instance_id, entry.task_id, entry.location) == (
        "visit",
        inst.id,
        inst.tasks[0].id,
        None,
    )


async def test_a_visit_whose_blueprint_is_gone_is_not_listed() -> None:
    """After a restart without the blueprint the task is kept, but its visit length is unknown: not listed."""
    engine, _, _, store = make(_onsite(None), start=T0)  # type: ignore[arg-type]
    await engine.restore()
    inst = await engine.start("onsite", fields={"appointment": "2025-03-05T10:00:00+00:00"})
    again, _, _, _ = make([], start=T0, store=store)
    await again.restore()
    assert again.task(inst.tasks[0].id).visit is not None  # type: ignore[union-attr]
    assert again.upcoming(T0, T0 + timedelta(days=7)) == []
