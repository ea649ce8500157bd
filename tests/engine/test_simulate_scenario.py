"""``bpo simulate`` with a scenario file (manual and event starts, action stubs) and checked answers."""

from __future__ import annotations

from argparse import Namespace
from pathlib import Path
from typing import Any

import pytest

from custom_components.bpo.engine.simulate import run_cli

from .test_docs_examples import simulate_files

BLUEPRINT = """\
blueprint: {name: Support case, domain: bpo}
process:
  key: support_case
  start:
    - manual: {}
    - event: ticket_opened
      key: "{{ event.ticket }}"
      fields: {subject: "{{ event.subject }}"}
  fields:
    subject: {type: text}
    lock_result: {type: text}
  steps:
    - id: lock
      action: {connector: jamf, call: lock, data: {subject: "{{ fields.subject }}"}, result: lock_result}
    - id: notify
      action: {service: notify.notify, data: {message: "{{ fields.lock_result }}"}}
    - id: triage
      task: {group: desk, outcomes: [fix, close], title: "{{ fields.subject }}"}
    - id: wait_reply
      wait: {event: customer_replied, match: {ticket: "{{ instance.key }}"}}
      timeout: 2d
      on_timeout: complete
"""


def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], days: int = 3, **files: str) -> tuple[int, str]:
    paths: dict[str, Any] = {}
    for name, text in files.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        paths[name] = str(path)
    ns = Namespace(
        blueprint=paths["blueprint"],
        inputs=None,
        start="2026-03-02T08:00",
        days=days,
        answers=paths.get("answers"),
        auto=False,
        tz="Europe/Berlin",
        employees=None,
        scenario=paths.get("scenario"),
    )
    code = run_cli(ns)
    return code, capsys.readouterr().out


SCENARIO = """\
starts:
  - at: 1h
    manual: {key: case-1, by: person.alice, fields: {subject: Printer}}
  - at: 2026-03-02T12:00
    event: {type: ticket_opened, data: {ticket: case-2, subject: Screen}}
  - at: 5h
    event: {type: customer_replied, data: {ticket: case-1}}
actions:
  jamf.lock: {result: locked}
"""

ANSWERS = """\
triage: {outcome: fix, delay: 30m, by: desk-member}
"""


def test_manual_and_event_starts_and_stubbed_actions_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(tmp_path, capsys, blueprint=BLUEPRINT, scenario=SCENARIO, answers=ANSWERS)
    assert code == 0, out
    lines = out.splitlines()
    # each call right after the line of the instance that made it, naming it and the step
    start = lines.index("2026-03-02 09:00  instance started support_case case-1 started (i1, simulation)")
    assert lines[start + 1 : start + 4] == [
        "2026-03-02 09:00  action called jamf.lock -> 'locked' (support_case case-1, step lock)",
        "2026-03-02 09:00  action called notify.notify -> None (support_case case-1, step notify)",
        "2026-03-02 09:00  task created support_case case-1 task triage for desk",
    ]
    assert (
        "2026-03-02 09:30  task completed support_case case-1 task triage completed by desk-member: fix"
        in lines
    )
    assert "2026-03-02 12:00  instance started support_case case-2 started (i2, event)" in lines
    # the reply event resumes case-1's wait; case-2 has no reply and its wait times out after 2 days
    assert "2026-03-02 13:00  instance completed support_case case-1 ended: completed" in lines
    assert "2026-03-04 12:30  instance completed support_case case-2 ended: completed" in lines
    assert "no action port configured" not in out


def test_a_failing_stub_fails_the_instance_like_a_live_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = "starts: [{at: 0, manual: {key: c}}]\nactions: {jamf.lock: {fail: MDM is down}}\n"
    code, out = run(tmp_path, capsys, blueprint=BLUEPRINT, scenario=scenario)
    assert code == 0, out
    assert "action called jamf.lock failed: MDM is down" in out
    assert "support_case c ended: failed (step lock: MDM is down)" in out


def test_an_unanswered_stub_runs_the_steps_on_timeout_and_needs_a_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = "starts: [{at: 0, manual: {key: c}}]\nactions: {jamf.lock: {timeout: true}}\n"
    timed = BLUEPRINT.replace("result: lock_result}", "result: lock_result}\n      timeout: 1m")
    completing = timed.replace("timeout: 1m", "timeout: 1m\n      on_timeout: complete")
    code, out = run(tmp_path, capsys, blueprint=completing, scenario=scenario)
    assert code == 0, out
    lines = out.splitlines()
    assert "2026-03-02 08:00  action called jamf.lock did not answer (support_case c, step lock)" in lines
    assert "2026-03-02 08:00  timeout      support_case c step lock timed out -> complete" in lines
    assert "task created support_case c task triage for desk" in out  # the step after it runs

    code, out = run(tmp_path, capsys, blueprint=timed, scenario=scenario)  # on_timeout: fail (the default)
    assert "support_case c ended: failed (step lock timed out)" in out

    code, out = run(tmp_path, capsys, blueprint=BLUEPRINT, scenario=scenario)  # no timeout: an error
    assert code == 1
    assert (
        f"{tmp_path / 'scenario.yaml'}:2: actions.jamf.lock.timeout: no step that calls 'jamf.lock' has a "
        "timeout" in out.splitlines()
    )


def test_unknown_step_ids_outcomes_and_form_fields_in_answers_are_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = "triage: {outcome: fixed}\ntriag: {outcome: fix}\nlock: {outcome: done}\n"
    code, out = run(tmp_path, capsys, blueprint=BLUEPRINT, answers=answers)
    assert code == 1
    file = tmp_path / "answers.yaml"
    assert out.splitlines() == [
        f"{file}:1: triage.outcome: step 'triage' has no outcome 'fixed' (its outcomes: fix, close)",
        f"{file}:2: triag: unknown step 'triag'; did you mean 'triage'?; answers are keyed by task step id",
        f"{file}:3: lock: step 'lock' is not a task; only task steps are answered",
    ]


def test_scenario_mistakes_are_reported_with_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = (
        "starts:\n"
        "  - at: 1h\n"
        "    manual: {fields: {subjet: x}}\n"
        "  - at: soon\n"
        "    event: {type: ticket_closed}\n"
        "actions: {jamf.wipe: {result: ok}}\n"
    )
    code, out = run(tmp_path, capsys, blueprint=BLUEPRINT, scenario=scenario)
    assert code == 1
    file = tmp_path / "scenario.yaml"
    lines = out.splitlines()
    assert (
        f"{file}:3: starts[0].manual.fields.subjet: unknown field 'subjet'; did you mean 'subject'?" in lines
    )
    assert any(line.startswith(f"{file}:4: starts[1].at: expected a duration") for line in lines)
    assert (
        f"{file}:5: starts[1].event.type: no start or wait of the blueprint listens to 'ticket_closed' "
        "(it listens to: customer_replied, ticket_opened)" in lines
    )
    assert (
        f"{file}:6: actions.jamf.wipe: no action step calls 'jamf.wipe' "
        "(the blueprint calls: jamf.lock, notify.notify)" in lines
    )


def test_nothing_started_says_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(tmp_path, capsys, blueprint=BLUEPRINT)
    assert code == 0
    assert (
        "Nothing started: the manual start needs a manual: entry in a --scenario file; "
        "the event start needs an event of type 'ticket_opened' in a --scenario file." in out.splitlines()
    )


def test_an_empty_fan_out_or_a_late_tick_says_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shipped = (Path(__file__).parents[2] / "blueprints" / "bpo" / "device_security_report.yaml").read_text(
        encoding="utf-8"
    )
    code, out = run(tmp_path, capsys, blueprint=shipped)
    assert code == 0
    assert "Nothing started: schedule '0 9 1 * *' has no tick before 2026-03-05 08:00." in out
    code, out = run(tmp_path, capsys, days=31, blueprint=shipped)  # April 1st comes, nobody is listed
    assert (
        "Nothing started: schedule '0 9 1 * *' fired but for_each gave no items "
        "(list people in an --inputs file or use --employees N)." in out
    )


def test_the_documented_simulation_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = simulate_files()
    assert set(files) == {"blueprint", "answers", "scenario"}
    code, out = run(tmp_path, capsys, **files)
    assert code == 0, out
    lines = out.splitlines()
    assert "2026-03-02 09:00  action called jamf.lock -> 'locked' (support_case case-1, step lock)" in lines
    assert (
        "2026-03-02 09:30  task completed support_case case-1 task triage completed by desk-member: fix"
        in lines
    )
    assert "2026-03-02 13:00  instance completed support_case case-1 ended: completed" in lines
    assert "2026-03-02 12:00  instance started support_case case-2 started (i2, event)" in lines
