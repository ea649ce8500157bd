"""``bpo simulate`` on the shipped device security report blueprint."""

from __future__ import annotations

from argparse import Namespace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from custom_components.bpo.engine.errors import Collector
from custom_components.bpo.engine.scenario import check_scenario
from custom_components.bpo.engine.schema import load_blueprint, parse_blueprint
from custom_components.bpo.engine.simulate import run_cli, simulate

BLUEPRINT = Path(__file__).parents[2] / "blueprints" / "bpo" / "device_security_report.yaml"
TOKYO = ZoneInfo("Asia/Tokyo")
PEOPLE = {"employees": ["alice", "bob", "carol"]}
START = datetime(2026, 3, 2, 8, tzinfo=UTC)


def timeline_of(steps: str, answers: str = "{}", *, extra: str = "", days: int = 1) -> list[str]:
    """The rendered lines of a one-instance run (key ``k``, started at 09:00) of a blueprint with ``steps``
    (YAML of the ``steps:`` list, indented four spaces) and ``extra`` process keys."""
    text = (
        "blueprint: {name: T, domain: bpo}\nprocess:\n  key: t\n  start: [{manual: {}}]\n"
        f"{extra}  steps:\n{steps}"
    )
    bp = parse_blueprint(text, "t.yaml")
    scenario = check_scenario(
        {"starts": [{"at": "1h", "manual": {"key": "k"}}]}, bp, START, Collector("scenario.yaml")
    )
    answered = yaml.safe_load(answers)
    timeline = simulate(bp, start=START, days=days, tz=UTC, answers=answered, scenario=scenario)
    return [line.render() for line in timeline.lines]


def test_two_months_for_three_employees_auto() -> None:
    bp = load_blueprint(BLUEPRINT, inputs=PEOPLE)
    timeline = simulate(bp, start=datetime(2026, 1, 1, tzinfo=TOKYO), days=59, tz=TOKYO, auto=True)
    text = [line.render() for line in timeline.lines]
    started = [t for t in text if "started (" in t]
    assert [t[:16] for t in started] == ["2026-01-01 09:00"] * 3 + ["2026-02-01 09:00"] * 3
    assert sum("alice" in t for t in started) == 2
    # report answered after 1 h, then both reviews; the supervisor check closes itself 24 h later
    assert (
        "2026-01-01 10:00  task completed device_security_report alice task report completed by alice: done"
        in text
    )
    assert (
        "2026-01-01 10:00  task created device_security_report alice task supervisor_check "
        "for alice-supervisor" in text
    )
    assert (
        "2026-01-02 10:00  timeout      device_security_report alice step supervisor_check "
        "timed out -> complete" in text
    )
    assert "2026-01-02 10:00  instance completed device_security_report alice ended: completed" in text
    s = timeline.summary
    assert s["instances started"] == 6 and s["instances completed"] == 6
    assert s["tasks created"] == 18 and s["tasks completed"] == 12 and s["timeouts"] == 6
    assert s["instances running at end"] == 0 and s["reminders"] == 0


def test_answers_script_leaves_report_open_so_reminders_show() -> None:
    bp = load_blueprint(BLUEPRINT, inputs={"employees": ["dan"]})
    timeline = simulate(
        bp, start=datetime(2026, 1, 1, tzinfo=TOKYO), days=10, tz=TOKYO, answers={"report": None}
    )
    kinds = [line.kind for line in timeline.lines]
    # "action called": the MDM pre-fill step (bpo_mdm), right after the start it belongs to
    assert kinds == [
        "instance started",
        "action called",
        "task created",
        "task reminded",
        "task reminded",
        "task overdue",
    ]
    assert [line.at.day for line in timeline.lines[3:]] == [4, 7, 8]


def test_a_year_of_monthly_reports_completes_every_instance() -> None:
    """Twelve monthly starts per employee, all answered: nothing is lost or doubled over a year.

    How fast a year of 1,000 employees runs is measured by benchmarks/engine.py, not asserted here.
    """
    bp = load_blueprint(BLUEPRINT, inputs=PEOPLE)
    timeline = simulate(
        bp, start=datetime(2026, 1, 1, tzinfo=TOKYO), days=365, tz=TOKYO, auto=True, employees=50
    )
    summary = timeline.summary
    assert summary["instances started"] == summary["instances completed"] == 50 * 12
    assert summary["tasks created"] == 3 * 50 * 12  # the report, then two reviews in parallel
    assert summary["instances running at end"] == summary["tasks open at end"] == 0


def test_run_cli_prints_timeline_and_summary(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    inputs = tmp_path / "inputs.yaml"
    inputs.write_text("employees: [erin]\n", encoding="utf-8")
    ns = Namespace(
        blueprint=str(BLUEPRINT),
        inputs=str(inputs),
        start="2026-01-01",
        days=3,
        answers=None,
        auto=True,
        tz="Europe/Berlin",
        employees=None,
    )
    assert run_cli(ns) == 0
    out = capsys.readouterr().out
    assert "2026-01-01 09:00  instance started device_security_report erin started" in out
    assert "instances completed" in out
    bad = Namespace(**{**vars(ns), "tz": "Mars/Olympus"})
    assert run_cli(bad) == 1


def test_a_goto_timeout_names_the_step_it_goes_to() -> None:
    """``on_timeout: {goto: x}`` printed only "-> goto": the reader could not tell where the run went on."""
    steps = """\
    - id: wait_here
      task: {group: desk}
      timeout: 1h
      on_timeout: {goto: fallback}
    - id: skipped
      task: {group: desk}
    - id: fallback
      task: {group: desk}
"""
    lines = timeline_of(steps, "wait_here: null\nfallback: null\n")
    assert "2026-03-02 10:00  timeout      t k step wait_here timed out -> goto fallback" in lines


def test_a_candidates_task_names_its_candidates() -> None:
    """A task for ``candidates`` printed "for -" (and its reminder "to -"), as if it were for nobody; one
    with a group as well named only the group."""
    steps = """\
    - id: go
      task: {candidates: [person.a, person.b], due: 2h, remind: [1h]}
    - id: either
      task: {group: desk, candidates: [person.c]}
"""
    lines = timeline_of(steps, "go: {delay: 3h, by: person.b}\neither: {}\n")
    assert lines[1:6] == [
        "2026-03-02 09:00  task created t k task go for candidates person.a, person.b, due 2026-03-02 11:00",
        "2026-03-02 10:00  task reminded t k task go reminder to candidates person.a, person.b",
        "2026-03-02 11:00  task overdue t k task go overdue (candidates person.a, person.b)",
        "2026-03-02 12:00  task completed t k task go completed by person.b: done",
        "2026-03-02 12:00  task created t k task either for desk or candidates person.c",
    ]
    # answered without `by`: a group task is completed by the group's name (as documented)
    assert lines[6] == "2026-03-02 13:00  task completed t k task either completed by desk: done"
    lines = timeline_of("    - id: go\n      task: {candidates: [person.a, person.b]}\n", "go: {}\n")
    assert lines[2] == "2026-03-02 10:00  task completed t k task go completed by a candidate: done"


def test_presence_refusals_show_as_lines() -> None:
    """The engine writes ``assignee_absent`` and ``reassign_skipped`` only into the instance's history; the
    timeline showed a task going to its group, and an escalation "to" someone who never got the task,
    without saying why. An escalation that does reassign gets no such line."""
    steps = """\
    - id: visit
      task:
        assignee: person.away
        group: techs
        present_in: zone.center
        escalate: [{after: 30m, reassign: person.outside}]
    - id: again
      task:
        group: techs
        present_in: zone.center
        escalate: [{after: 30m, reassign: techs-member}]
"""
    lines = timeline_of(steps, "visit: {delay: 2h, by: techs-member}\nagain: null\n")
    assert lines[1:7] == [
        "2026-03-02 09:00  task created t k task visit for techs",
        "2026-03-02 09:00  assignee absent t k task visit: its assignee is not in zone.center, "
        "so it waits for techs",
        "2026-03-02 09:30  escalated    t k task visit escalated (escalation) to person.outside",
        "2026-03-02 09:30  reassign skipped t k task visit not reassigned to person.outside: "
        "not in zone.center, so it stays with techs",
        "2026-03-02 11:00  task completed t k task visit completed by techs-member: done",
        "2026-03-02 11:00  task created t k task again for techs",
    ]
    assert lines[7:] == [
        "2026-03-02 11:30  escalated    t k task again escalated (escalation) to techs-member",
        "2026-03-02 11:30  task reassigned t k task again assigned to techs-member from its queue",
    ]


def test_a_task_back_in_its_queue_or_taken_from_it_reads_so() -> None:
    """A requeued task printed "reassigned person -> group", as if the group were a person, and one
    assigned from its queue "reassigned None -> person"."""
    steps = """\
    - id: first
      task: {candidates: [person.a, person.b], escalate: [{after: 30m, reassign: person.a}]}
      timeout: 1h
      on_timeout: requeue
"""
    lines = timeline_of(steps, "first: {delay: 2h, by: person.b}\n")
    assert lines[2:6] == [
        "2026-03-02 09:30  escalated    t k task first escalated (escalation) to person.a",
        "2026-03-02 09:30  task reassigned t k task first assigned to person.a from its queue",
        "2026-03-02 10:30  timeout      t k step first timed out -> requeue",
        "2026-03-02 10:30  task reassigned t k task first back in the queue of candidates person.a, person.b "
        "(person.a stayed idle)",
    ]


def test_admin_facing_events_read_as_sentences() -> None:
    """``task_unassigned``, ``rights_invalid``, ``blueprint_suspended``, ``schedule_failed`` and
    ``start_failed`` printed as ``name=value`` dumps (``instance_id=i1, task_id=i1.1, ..., group=_admins``),
    without the instance's key, which the first two payloads leave out."""
    text = """\
blueprint: {name: T, domain: bpo}
process:
  key: t
  start:
    - manual: {}
    - schedule: "0 11 * * *"
      for_each: "{{ [0] }}"
      key: "{{ 10 // item }}"
    - schedule: "0 12 * * *"
      for_each: [a, b, c]
      key: "{{ item }}"
  limits: {max_starts: 2, per: 1h}
  viewers: ["{{ fields.boss }}"]
  fields:
    boss: {type: text}
  steps:
    - id: review
      task: {assignee: "{{ fields.boss }}"}
"""
    bp = parse_blueprint(text, "t.yaml")
    scenario = check_scenario({"starts": [{"at": "1h", "manual": {"key": "k"}}]}, bp, START, Collector("s"))
    timeline = simulate(bp, start=START, days=1, tz=UTC, answers={"review": None}, scenario=scenario)
    lines = [line.render() for line in timeline.lines]
    assert lines[:4] == [
        "2026-03-02 09:00  rights invalid t k viewers[0] rendered no name: the entry grants nobody anything",
        "2026-03-02 09:00  instance started t k started (i1, simulation)",
        "2026-03-02 09:00  task created t k task review for _admins",
        "2026-03-02 09:00  task unassigned t k task review has nobody to do it (its assignee, group and "
        "candidates rendered empty): it went to the admins' queue",
    ]
    assert (
        "2026-03-02 11:00  schedule failed t schedule tick failed: template '{{ 10 // item }}' failed: "
        "ZeroDivisionError"
    ) in lines
    assert (
        "2026-03-02 12:00  blueprint suspended t suspended: its start limit (2 per 1h) was reached; "
        "this start and every later one are refused until an admin resumes it"
    ) in lines
    # an event start whose data do not fit its fields
    text = text.replace("- manual: {}", "- {event: ping, fields: {boss: '{{ event.boss }}'}}")
    text = text.replace("boss: {type: text}", "boss: {type: number}")
    bp = parse_blueprint(text, "t.yaml")
    event = {"at": "1h", "event": {"type": "ping", "data": {"boss": "x"}}}
    scenario = check_scenario({"starts": [event]}, bp, START, Collector("s"))
    timeline = simulate(bp, start=START, days=0.1, tz=UTC, scenario=scenario)
    assert [line.render() for line in timeline.lines] == [
        "2026-03-02 09:00  start failed t event start failed and was dropped: process 't': "
        "boss: expected a number"
    ]


def test_an_escalation_names_everyone_it_reaches_and_a_bare_one_no_one() -> None:
    """An escalation that both reassigns and notifies named only the new assignee; a timeout's
    escalation, which reaches nobody, printed "to -"."""
    steps = """\
    - id: check
      task:
        group: desk
        escalate: [{after: 30m, reassign: person.boss, notify: [group:leads]}]
      timeout: 1h
      on_timeout: escalate
"""
    lines = timeline_of(steps, "check: null\n")
    assert lines[2:4] == [
        "2026-03-02 09:30  escalated    t k task check escalated (escalation) to person.boss, group:leads",
        "2026-03-02 09:30  task reassigned t k task check assigned to person.boss from its queue",
    ]
    assert lines[5] == (
        "2026-03-02 10:00  escalated    t k task check escalated (timeout): the task stays open where it is"
    )


def test_a_refused_start_is_a_note_and_the_run_goes_on() -> None:
    """A scenario start the engine refuses (the blueprint suspended by its start limit) ended the whole run
    with an error and no timeline; live only that start is refused."""
    text = """\
blueprint: {name: T, domain: bpo}
process:
  key: t
  start:
    - manual: {}
    - {event: ping, key: "{{ 10 // event.n }}"}
  limits: {max_starts: 2, per: 1h}
  steps:
    - id: check
      task: {group: desk}
"""
    bp = parse_blueprint(text, "t.yaml")
    starts = [
        {"at": "30m", "event": {"type": "ping", "data": {"n": 0}}},
        *({"at": "1h", "manual": {"key": key}} for key in ("a", "b", "c")),
    ]
    scenario = check_scenario({"starts": starts}, bp, START, Collector("s"))
    timeline = simulate(bp, start=START, days=1, tz=UTC, auto=True, scenario=scenario)
    assert timeline.notes == [
        "2026-03-02 09:00  manual start of c refused: process 't' is suspended (start limit reached); "
        "resume it first",
    ]
    # the event's start that does not render is dropped by the engine (start_failed), as it is live
    assert timeline.lines[0].render() == (
        "2026-03-02 08:30  start failed t event start failed and was dropped: process 't': "
        "template '{{ 10 // event.n }}' failed: ZeroDivisionError"
    )
    assert (timeline.summary["starts refused"], timeline.summary["starts failed"]) == (1, 1)
    assert timeline.summary["instances completed"] == 2  # a and b, answered after the refusals


def test_a_failed_instance_reads_failed_not_completed() -> None:
    """A failed instance printed "instance completed t k ended: failed": its event is
    ``instance_completed`` with status ``failed``, but the line contradicted itself."""
    steps = """\
    - id: check
      task: {group: desk}
      timeout: 1h
"""
    lines = timeline_of(steps, "check: null\n")
    assert lines[2:] == [
        "2026-03-02 10:00  timeout      t k step check timed out -> fail",
        "2026-03-02 10:00  instance failed t k ended: failed (step check timed out)",
    ]


def test_a_visit_shows_its_appointment_or_why_it_has_none() -> None:
    """A task's ``visit`` appointment did not show at all, and one that did not render as a date-time
    (``visit_invalid``, written only into the history) opened the task silently without it."""
    steps = """\
    - id: book
      task: {group: desk, visit: "2026-03-03T14:00", visit_location: Site 7}
    - id: rebook
      task: {group: desk, visit: "tomorrow afternoon"}
"""
    lines = timeline_of(steps, "book: {delay: 1h}\nrebook: null\n")
    assert lines[1:] == [
        "2026-03-02 09:00  task created t k task book for desk, visit 2026-03-03 14:00 at Site 7",
        "2026-03-02 10:00  task completed t k task book completed by desk: done",
        "2026-03-02 10:00  task created t k task rebook for desk",
        "2026-03-02 10:00  visit invalid t k task rebook opened without its visit: "
        "visit: 'tomorrow afternoon' is not an ISO date/time",
    ]


def test_a_called_instance_names_its_caller() -> None:
    """An instance started by a ``call`` step printed only "(i2, call)": with several callers running,
    the reader could not tell which one it belonged to."""
    text = """\
blueprint: {name: Sub, domain: bpo}
process:
  key: sub
  start: [{manual: {}}]
  steps:
    - id: inner
      task: {group: desk}
"""
    sub = parse_blueprint(text, "sub.yaml")
    steps = """\
    - id: go
      call: {process: sub}
"""
    main = parse_blueprint(
        "blueprint: {name: T, domain: bpo}\nprocess:\n  key: t\n  start: [{manual: {}}]\n  steps:\n" + steps,
        "t.yaml",
    )
    scenario = check_scenario({"starts": [{"at": "1h", "manual": {"key": "k"}}]}, main, START, Collector("s"))
    timeline = simulate(
        main, start=START, days=1, tz=UTC, answers={"inner": None}, scenario=scenario, called=[sub]
    )
    assert [line.render() for line in timeline.lines][:3] == [
        "2026-03-02 09:00  instance started t k started (i1, simulation)",
        "2026-03-02 09:00  instance started sub k started (i2, call from t k)",
        "2026-03-02 09:00  task created sub k task inner for desk",
    ]


def test_nothing_started_names_a_match_no_event_fits() -> None:
    """An event start whose ``match`` no scenario event fits said "every start of the scenario was refused
    (see the lines above)", with no lines above."""
    text = """\
blueprint: {name: T, domain: bpo}
process:
  key: t
  start:
    - {event: device_registered, match: {platform: ios, managed: true}, key: "{{ event.id }}"}
  steps:
    - id: done
      end: completed
"""
    bp = parse_blueprint(text, "t.yaml")
    sent = [{"platform": "android", "managed": True}, {"platform": "ios"}]
    starts = [
        {"at": "1h", "event": {"type": "device_registered", "data": {"id": "d1", **data}}} for data in sent
    ]
    scenario = check_scenario({"starts": starts}, bp, START, Collector("s"))
    timeline = simulate(bp, start=START, days=1, tz=UTC, scenario=scenario)
    assert timeline.notes == [
        "Nothing started: no 'device_registered' event of the scenario has the data its match asks for "
        "(platform: ios, managed: True)."
    ]
    starts.append(
        {
            "at": "2h",
            "event": {
                "type": "device_registered",
                "data": {"id": "d2", "platform": "ios", "managed": "True"},
            },
        }
    )
    scenario = check_scenario({"starts": starts}, bp, START, Collector("s"))
    timeline = simulate(bp, start=START, days=1, tz=UTC, scenario=scenario)
    assert timeline.summary["instances completed"] == 1 and not timeline.notes  # "True" matches true, as live


def test_an_empty_key_is_named_not_left_blank() -> None:
    """An event start whose key rendered empty printed "t  started", the key a blank between two spaces."""
    text = """\
blueprint: {name: T, domain: bpo}
process:
  key: t
  start: [{event: ping, key: "{{ event.ticket }}"}]
  steps:
    - id: done
      end: completed
"""
    bp = parse_blueprint(text, "t.yaml")
    scenario = check_scenario(
        {"starts": [{"at": "1h", "event": {"type": "ping", "data": {}}}]}, bp, START, Collector("s")
    )
    timeline = simulate(bp, start=START, days=1, tz=UTC, scenario=scenario)
    assert [line.render() for line in timeline.lines] == [
        "2026-03-02 09:00  instance started t (empty key) started (i1, event)",
        "2026-03-02 09:00  instance completed t (empty key) ended: completed",
    ]


def test_an_action_call_follows_the_line_of_the_instance_that_made_it() -> None:
    """Calls were listed as they happened, before the engine announced the start that made them, and named
    no instance: with several instances starting at once nobody could tell whose call it was. A call whose
    instance announces nothing in that turn (it went on to wait) is still listed, without a name."""
    text = """\
blueprint: {name: T, domain: bpo}
process:
  key: t
  start: [{schedule: "0 9 * * *", for_each: [a, b], key: "{{ item }}"}]
  steps:
    - id: hello
      action: {connector: crm, call: hello}
    - id: pause
      wait: {delay: 1h}
    - id: bye
      action: {connector: crm, call: bye}
    - id: rest
      wait: {delay: 1h}
"""
    bp = parse_blueprint(text, "t.yaml")
    timeline = simulate(bp, start=START, days=0.2, tz=UTC)
    assert [line.render() for line in timeline.lines] == [
        "2026-03-02 09:00  instance started t a started (i1, schedule)",
        "2026-03-02 09:00  action called crm.hello -> None (t a, step hello)",
        "2026-03-02 09:00  instance started t b started (i2, schedule)",
        "2026-03-02 09:00  action called crm.hello -> None (t b, step hello)",
        "2026-03-02 10:00  action called crm.bye -> None",
        "2026-03-02 10:00  action called crm.bye -> None",
        "2026-03-02 11:00  instance completed t a ended: completed",
        "2026-03-02 11:00  instance completed t b ended: completed",
    ]


def test_an_event_whose_start_key_fails_still_resumes_a_waiting_instance() -> None:
    """Live, one start's key that does not render should drop that start (``start_failed``), not the
    whole event: here the instance waiting for the same event is never resumed."""
    text = """\
blueprint: {name: T, domain: bpo}
process:
  key: t
  start:
    - manual: {}
    - {event: ping, key: "{{ 10 // event.n }}"}
  steps:
    - id: hold
      wait: {event: ping, match: {ticket: "{{ instance.key }}"}}
    - id: done
      end: completed
"""
    bp = parse_blueprint(text, "t.yaml")
    starts = [
        {"at": "1h", "manual": {"key": "k"}},
        {"at": "2h", "event": {"type": "ping", "data": {"n": 0, "ticket": "k"}}},
    ]
    scenario = check_scenario({"starts": starts}, bp, START, Collector("s"))
    timeline = simulate(bp, start=START, days=1, tz=UTC, scenario=scenario)
    assert timeline.summary["instances completed"] == 1
