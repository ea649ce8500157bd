"""``choose`` and ``end`` as seen from outside the engine (issue 16: mutation testing of ``steps/choose.py``
and ``steps/end.py`` found these unchecked): the ``chose`` history line and the fields an ``end`` step
reports. YAML blueprints, public API."""

from __future__ import annotations

from .test_mutants_tasks import blueprint, engine_for


def choosing(option: str) -> str:
    return blueprint(
        f"    - {{id: pick, choose: [{option}]}}\n"
        "    - {id: a, task: {assignee: ann}}\n"
        "    - {id: escape, task: {assignee: ann}}\n"
    )


async def test_a_choose_logs_where_it_went() -> None:
    for when, goto, first in (("false", None, "a"), ("true", "escape", "escape")):
        engine, _, _ = engine_for(choosing(f"{{when: '{{{{ {when} }}}}', goto: escape}}"))
        await engine.restore()
        inst = await engine.start("tasks")
        assert [(h.step, h.details) for h in inst.history if h.what == "chose"] == [("pick", {"goto": goto})]
        assert [t.step for t in inst.tasks] == [first]


async def test_an_end_step_reports_its_step_and_masks_only_pii_fields() -> None:
    steps = "    - {id: stop, end: completed}\n"
    engine, _, sink = engine_for(blueprint(steps, fields="{who: {type: text}, ssn: {type: text, pii: true}}"))
    await engine.restore()
    inst = await engine.start("tasks", fields={"who": "Bob", "ssn": "123"})
    assert inst.status == "completed" and inst.tasks == []
    assert [(h.what, h.details) for h in inst.history][-1] == ("instance_completed", {"step": "stop"})
    [done] = sink.of("instance_completed")
    assert (done["status"], done["fields"]) == ("completed", {"who": "Bob", "ssn": "***"})
