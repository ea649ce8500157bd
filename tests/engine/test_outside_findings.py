"""Findings of an outside test of the blueprint language: behaviour that disagreed with the reference.

Each test states what docs/blueprint-language.md promises; each failed (as a strict xfail) until its fix.
"""

from __future__ import annotations

import copy
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from custom_components.bpo.engine.errors import BlueprintError
from custom_components.bpo.engine.schema import parse_blueprint


def _with_rights(entry: str, key: str) -> str:
    return f"""
blueprint: {{name: Rights, domain: bpo}}
process:
  key: rights
  start: [{{manual: {{}}}}]
  steps:
    - id: check
      task: {{group: desk}}
  {key}: [{entry}]
"""


@pytest.mark.parametrize("key", ["pii_cleared", "viewers"])
def test_a_bare_name_in_rights_is_refused_with_its_line(key: str) -> None:
    # Section 7: entries must be group:<name>, user:<id>, a person id, supervisor or assignee; "hr" is none.
    with pytest.raises(BlueprintError) as caught:
        parse_blueprint(_with_rights("hr", key), "rights.yaml")
    assert any(f"rights.yaml:9: process.{key}[0]" in str(p) for p in caught.value.problems)


def test_a_tab_in_the_indentation_is_named_as_such() -> None:
    text = "blueprint: {name: Tab, domain: bpo}\nprocess:\n  key: tab\n  start: [{manual: {}}]\n"
    text += "  steps:\n\t- id: a\n"
    with pytest.raises(BlueprintError) as caught:
        parse_blueprint(text, "tab.yaml")
    (problem,) = caught.value.problems
    assert str(problem).startswith("tab.yaml:6:")
    assert "tab" in str(problem).lower().split("tab.yaml", 1)[1]


def test_validating_many_steps_costs_memory_linear_in_their_number() -> None:
    # A file well under the 1 MB limit; 20,000 such steps ran validate out of 60 s and past 4.8 GB.
    def blueprint(n: int) -> str:
        steps = "".join(f"    - id: s{i}\n      task: {{group: g}}\n" for i in range(n))
        head = "blueprint: {name: Many, domain: bpo}\nprocess:\n  key: many\n  start: [{manual: {}}]\n"
        return f"{head}  steps:\n{steps}"

    def peak(n: int) -> int:
        tracemalloc.start()
        try:
            parse_blueprint(blueprint(n), "many.yaml")
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(250), peak(1000)
    # Four times the steps should cost about four times the memory, not sixteen.
    assert large < 6 * small, (small, large)


# Values an outside tester put into every field of the bundled blueprints: an integer past float's range
# (crashed duration parsing), a name longer than a file name (crashed the time-zone lookup) and braces nested
# past Python's recursion limit (crashed the PII key check). Each must be a reported problem, not a crash.
HOSTILE = (10**400, "Europe/" + "x" * 300, "{{ " * 50)


_RICH = """
blueprint: {name: Rich, domain: bpo}
process:
  key: rich
  calendar: {time_zone: Europe/Berlin, hours: {mon-fri: "09:00-17:00"}}
  fields:
    amount: {type: number, default: 5}
    verdict: {type: choice, options: [approved, rejected]}
  start:
    - event: bpo_rich
      key: "{{ event.case }}"
      fields: {amount: "{{ event.amount }}"}
    - schedule: "0 9 1 * *"
      for_each: [person.ann, person.bob]
  steps:
    - id: review
      task:
        assignee: "{{ item }}"
        group: desk
        form: [verdict]
        due: 8h
        remind: [2h, 4h]
        business_time: true
      timeout: 2d
      on_timeout: {goto: late}
    - id: done
      end: completed
    - id: late
      task: {group: desk, title: "Late {{ instance.key }}"}
"""


def _leaves(node: object, path: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, (*path, index))
    else:
        yield path


def test_a_hostile_value_in_any_field_is_a_problem_not_a_crash() -> None:
    original = yaml.safe_load(_RICH)
    parse_blueprint(_RICH, "rich.yaml")  # valid as written
    refused = 0
    for path in _leaves(original):
        for value in HOSTILE:
            doc = copy.deepcopy(original)
            holder = doc
            for part in path[:-1]:
                holder = holder[part]
            holder[path[-1]] = value
            try:
                parse_blueprint(yaml.safe_dump(doc, width=10**9), "rich.yaml")
            except BlueprintError:
                refused += 1
    assert refused > 2 * len(HOSTILE)  # most places refuse such values; none may raise anything else


class _ClosedPipe:
    """A stdout whose reader has gone away, as when the output is piped into `head`."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    def fileno(self) -> int:
        raise OSError("no file descriptor")


def test_output_piped_into_head_ends_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    # README: `bpo graph ... ` prints a flowchart; piped into `head` it printed a BrokenPipeError traceback.
    from custom_components.bpo.engine.cli import main

    seed = Path(__file__).parents[2] / "blueprints" / "bpo" / "device_security_report.yaml"
    monkeypatch.setattr("sys.stdout", _ClosedPipe())
    assert main(["graph", str(seed)]) == 1


def test_employees_help_says_what_it_replaces(capsys: pytest.CaptureFixture[str]) -> None:
    # bpo simulate --employees N replaces every schedule's for_each list (a process with no list input too);
    # the help said "the first list input", which sent a tester looking for an input to add.
    from custom_components.bpo.engine.cli import main

    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    assert "for_each" in capsys.readouterr().out


def test_an_answer_the_task_no_longer_accepts_keeps_the_timeline() -> None:
    # Section 9: answers name who answers a task after `delay`. When `on_timeout: requeue` hands the task back
    # to its queue first, that person may no longer complete it. The run stopped with only that message, and
    # every line before it (the requeue that explains it) was lost.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from custom_components.bpo.engine.simulate import simulate

    text = """
blueprint: {name: Requeued, domain: bpo}
process:
  key: requeued
  start: [{schedule: "0 9 * * *"}]
  steps:
    - id: draft
      task: {assignee: person.alice, group: home_agents}
      timeout: 20m
      on_timeout: requeue
"""
    utc = ZoneInfo("UTC")
    timeline = simulate(
        parse_blueprint(text, "requeued.yaml"),
        start=datetime(2026, 3, 2, 8, 0, tzinfo=utc),
        days=0.25,
        tz=utc,
        answers={"draft": {"delay": "30m", "by": "person.alice"}},
    )
    shown = timeline.render()
    assert "timed out -> requeue" in shown
    assert "person.alice may not complete task" in shown
    assert timeline.summary["tasks open at end"] == 1


_CALLED = """
blueprint: {name: Site check, domain: bpo}
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

_CALLER = """
blueprint: {name: Visit, domain: bpo}
process:
  key: visit_caller
  start: [{manual: {}}]
  steps:
    - id: visit
      call: {process: site_check}
    - id: route
      choose:
        - when: "{{ steps.visit.outcome == 'brokn' }}"
          goto: fix
      default: close
    - id: fix
      task: {group: workshop}
    - id: close
      end: completed
"""


def test_a_call_outcome_the_called_process_cannot_reach_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Section 6: an outcome compared with steps.<id>.outcome that the step does not offer is an error;
    # section 4 (call): a call step's outcome is the end step the called process reached, or its status.
    # Validating the folder holding both, 'brokn' is neither, so the caller must be refused.
    from custom_components.bpo.engine.cli import main

    folder = tmp_path
    (folder / "site_check.yaml").write_text(_CALLED, encoding="utf-8")
    (folder / "visit_caller.yaml").write_text(_CALLER, encoding="utf-8")
    assert main(["validate", str(folder)]) == 1
    assert "brokn" in capsys.readouterr().out


@pytest.mark.parametrize("entry", ["hr", "role:boss", "person."])
def test_an_escalation_notify_entry_that_names_nobody_is_refused(entry: str) -> None:
    # Section 4 (task table): notify entries are group:<name> or a person id; section 7 refuses the bare name
    # and role: forms in viewers because they would match nobody. In escalate.notify the same entries passed
    # validation and then notified nobody when the escalation fired.
    text = f"""
blueprint: {{name: Notify, domain: bpo}}
process:
  key: notify_check
  start: [{{manual: {{}}}}]
  steps:
    - id: check
      task:
        group: desk
        escalate:
          - after: 1h
            notify: [{entry}]
"""
    with pytest.raises(BlueprintError) as caught:
        parse_blueprint(text, "notify.yaml")
    assert any(
        "notify.yaml:12: process.steps[0].task.escalate[0].notify" in str(p) for p in caught.value.problems
    )


_SEED = Path(__file__).parents[2] / "blueprints" / "bpo" / "device_security_report.yaml"


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--start", "tomorrow"),
        ("--tz", "Mars/Base"),
        ("--start", "2026-13-01"),
        ("--tz", "Europe/" + "x" * 300),
    ],
)
def test_a_bad_simulate_option_is_named_in_its_message(
    option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Section 9: mistakes are reported so that they can be found; "Invalid isoformat string: 'tomorrow'" and
    # "'No time zone found with key Mars/Base'" did not say which option was wrong.
    from custom_components.bpo.engine.cli import main

    assert main(["simulate", str(_SEED), option, value, "--days", "1"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"bpo simulate: {option}:"), out
    assert value[:57] in out
    assert len(out) < 200  # a hostile value is shortened, not echoed whole


def test_simulating_no_days_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    # --days -3 printed an empty summary as if the blueprint had simply done nothing.
    from custom_components.bpo.engine.cli import main

    with pytest.raises(SystemExit) as caught:
        main(["simulate", str(_SEED), "--days", "-3"])
    assert caught.value.code == 2
    assert "--days" in capsys.readouterr().err
