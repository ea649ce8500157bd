"""A task's own deadlines as seen from outside the engine (issue 16: mutation testing found their history
lines and event payloads checked only through HA): reminders (collapsed after downtime, ``late`` past five
minutes), escalation levels (who is notified, reassignment, the ``task`` names in their templates), the
overdue mark and reassignment by hand. Blueprints are YAML text, read through the public ``Engine``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.bpo.engine.business_time import calendar_from_config

from .test_mutants_tasks import T0, blueprint, engine_for

DAY = timedelta(days=1)
REPORT = "    - id: report\n      task:\n        assignee: ann\n        due: 3d\n        remind: [1d, 2d]\n"


async def test_reminders_name_the_task_count_collapsed_ones_and_say_when_late() -> None:
    engine, clock, sink = engine_for(blueprint(REPORT))
    await engine.restore()
    inst = await engine.start("tasks")
    [task] = inst.tasks
    clock.advance_to(T0 + DAY)
    await engine.tick()
    clock.advance_to(T0 + 2 * DAY + timedelta(minutes=5))  # exactly five minutes late: not yet "late"
    await engine.tick()
    first, second = sink.of("task_reminded")
    for event in (first, second):
        assert (event["task_id"], event["title"], event["count"]) == (task.id, "Report", 1)
        assert event["due"] == (T0 + 3 * DAY).isoformat() and event["late"] is False
    lines = [h for h in inst.history if h.what == "task_reminded"]
    assert [(h.step, h.details) for h in lines] == [("report", {"task": task.id, "count": 1})] * 2

    # down for both reminders: one event counting two, late by the last one's lateness
    late = await engine.start("tasks")
    clock.advance(2 * DAY + timedelta(minutes=5, seconds=1))
    await engine.tick()
    [collapsed] = [e for e in sink.of("task_reminded") if e["instance_id"] == late.id]
    assert (collapsed["count"], collapsed["late"]) == (2, True)
    [line] = [h for h in late.history if h.what == "task_reminded"]
    assert line.details == {"task": late.tasks[0].id, "count": 2}


async def test_a_reminder_of_a_task_without_due_date_says_so() -> None:
    engine, clock, sink = engine_for(blueprint("    - {id: report, task: {assignee: ann, remind: [1h]}}\n"))
    await engine.restore()
    await engine.start("tasks")
    clock.advance(3600)
    await engine.tick()
    [event] = sink.of("task_reminded")
    assert event["due"] is None and event["count"] == 1


async def test_overdue_is_marked_once_with_title_due_and_lateness() -> None:
    engine, clock, sink = engine_for(blueprint(REPORT))
    await engine.restore()
    inst = await engine.start("tasks")
    [task] = inst.tasks
    clock.advance_to(T0 + 3 * DAY + timedelta(minutes=6))  # handled six minutes late
    await engine.tick()
    [event] = sink.of("task_overdue")
    assert (event["task_id"], event["title"], event["due"], event["late"]) == (
        task.id,
        "Report",
        (T0 + 3 * DAY).isoformat(),
        True,
    )
    [line] = [h for h in inst.history if h.what == "task_overdue"]
    assert (line.step, line.details) == ("report", {"task": task.id})
    assert task.overdue and task.is_open and engine.next_deadline() is None
    on_time = await engine.start("tasks")  # due at now + 3d; handled exactly five minutes after that
    clock.advance(3 * DAY + timedelta(minutes=5))
    await engine.tick()
    assert [e["late"] for e in sink.of("task_overdue") if e["instance_id"] == on_time.id] == [False]


async def test_escalation_templates_see_the_task_group() -> None:
    steps = (
        "    - id: triage\n"
        "      task: {group: desk, escalate: [{after: 1h, notify: ['{{ task.group }}-lead']}]}\n"
    )
    engine, clock, sink = engine_for(blueprint(steps))
    await engine.restore()
    await engine.start("tasks")
    clock.advance(3600)
    await engine.tick()
    assert [e["notify"] for e in sink.of("escalated")] == [["desk-lead"]]


async def test_a_step_timeout_counts_working_time_only_for_business_time_tasks() -> None:
    office = calendar_from_config({"time_zone": "Europe/Berlin", "hours": {"mon-fri": "09:00-17:00"}})
    steps = (
        "    - id: p\n"
        "      parallel:\n"
        "        - id: office\n"
        "          timeout: 10h\n"
        "          on_timeout: complete\n"
        "          task: {assignee: ann, business_time: true}\n"
        "        - {id: plain, timeout: 10h, on_timeout: complete, task: {assignee: ann}}\n"
    )
    engine, clock, _ = engine_for(
        blueprint(steps, extra="  calendar: office\n"), calendars={"office": office}
    )
    await engine.restore()
    inst = await engine.start("tasks")
    clock.advance_to(T0 + timedelta(hours=10))
    await engine.tick()
    assert {t.step: t.status for t in inst.tasks} == {"office": "open", "plain": "timed_out"}
    clock.advance_to(datetime(2025, 1, 7, 10, tzinfo=UTC))  # 11:00 Tuesday in Berlin: ten working hours
    await engine.tick()
    assert {t.step: t.status for t in inst.tasks} == {"office": "timed_out", "plain": "timed_out"}


ESCALATING = (
    "    - id: report\n"
    "      task:\n"
    "        title: Weekly report\n"
    "        assignee: ann\n"
    "        escalate:\n"
    "          - after: 1d\n"
    "            notify:\n"
    "              - '{{ task.id }}'\n"
    "              - 'lead-of-{{ task.assignee }}'\n"
    "              - '{{ task.group }}'\n"
    "              - '{{ supervisor_of(fields.nobody) }}'\n"
    "              - '{{ fields.nobody }}'\n"
    "            reassign: '{{ supervisor_of(task.assignee) }}'\n"
    "          - after: 2d\n"
    "            notify: ['{{ task.assignee }}']\n"
    "            reassign: '{{ supervisor_of(task.assignee) }}'\n"
)


async def test_escalation_levels_notify_reassign_and_record_what_they_did() -> None:
    engine, clock, sink = engine_for(blueprint(ESCALATING, fields="{nobody: {type: text}}"))
    await engine.restore()
    inst = await engine.start("tasks")
    [task] = inst.tasks
    clock.advance_to(T0 + DAY + timedelta(minutes=5))  # exactly five minutes late: not yet "late"
    await engine.tick()
    clock.advance_to(T0 + 2 * DAY + timedelta(minutes=5, microseconds=1))
    await engine.tick()
    first, second = sink.of("escalated")
    # level 1: empty and "None" renders are nobody; ann's supervisor (sue) takes the task over
    assert (first["level"], first["reason"], first["title"], first["late"]) == (
        1,
        "escalation",
        "Weekly report",
        False,
    )
    assert (first["notify"], first["reassign"]) == ([task.id, "lead-of-ann"], "sue")
    # level 2 renders with the new assignee; sue has no supervisor, so nobody takes it over
    assert (second["level"], second["notify"], second["reassign"], second["late"]) == (2, ["sue"], None, True)
    assert task.assignee == "sue"
    lines = [h for h in inst.history if h.what == "escalated"]
    assert [(h.step, h.details) for h in lines] == [
        ("report", {"task": task.id, "level": 1, "notify": [task.id, "lead-of-ann"], "reassign": "sue"}),
        ("report", {"task": task.id, "level": 2, "notify": ["sue"], "reassign": None}),
    ]
    [moved] = sink.of("task_reassigned")
    assert (moved["previous"], moved["assignee"], moved["by"], moved["title"]) == (
        "ann",
        "sue",
        None,
        "Weekly report",
    )
    [line] = [h for h in inst.history if h.what == "task_reassigned"]
    assert (line.who, line.source, line.step) == (None, "escalation", "report")
    assert line.details == {"task": task.id, "from": "ann", "to": "sue"}


async def test_reassigning_by_hand_records_who_did_it() -> None:
    engine, _, sink = engine_for(blueprint(REPORT))
    await engine.restore()
    inst = await engine.start("tasks")
    [task] = inst.tasks
    await engine.reassign(task.id, "bob", user="boss")
    await engine.reassign(task.id, "bob", user="boss")  # already bob's: nothing happens
    [event] = sink.of("task_reassigned")
    assert (event["previous"], event["assignee"], event["by"], event["title"]) == (
        "ann",
        "bob",
        "boss",
        "Report",
    )
    [line] = [h for h in inst.history if h.what == "task_reassigned"]
    assert (line.who, line.source, line.step) == ("boss", "service", "report")
    assert line.details == {"task": task.id, "from": "ann", "to": "bob"}


WORDS = "        escalate: [{after: 1h, notify: [assignee, supervisor, 'group:desk', assignee]}]\n"


async def test_escalation_notify_words_name_who_holds_the_task_and_their_supervisor() -> None:
    """``assignee`` is who holds the task (assignee, else group, else candidates) and ``supervisor`` the
    supervisor of the assignee, else of the instance's item; an entry named twice is notified once."""
    steps = (
        "    - id: own\n      task:\n        assignee: '{{ item }}'\n"
        + WORDS
        + "    - id: queue\n      task:\n"
        "        group: desk\n"
        + WORDS
        + "    - id: pick\n      task:\n        candidates: [bob, cy]\n"
        + WORDS
    )
    engine, clock, sink = engine_for(blueprint(steps))
    await engine.restore()

    async def notified(item: str | None) -> list[list[str]]:
        inst = await engine.start("tasks", item=item)
        seen = []
        for _ in range(3):
            clock.advance(3600)
            await engine.tick()
            [event] = [e for e in sink.of("escalated") if e["instance_id"] == inst.id][len(seen) :]
            seen.append(event["notify"])
            await engine.complete_task(inst.tasks[-1].id)
        return seen

    # the assignee ann (supervisor sue); the group task and the candidates' one: sue as ann is the item
    assert await notified("ann") == [
        ["ann", "sue", "group:desk"],
        ["group:desk", "sue"],
        ["bob", "cy", "sue", "group:desk"],
    ]
    # nobody's supervisor is known for zoe: supervisor reaches nobody, and is not written as a name
    assert await notified("zoe") == [["zoe", "group:desk"], ["group:desk"], ["bob", "cy", "group:desk"]]
