"""Template validation (issue 12, item 7): the mistakes `bpo validate` now finds, and the correct
templates next to them that it must keep accepting."""

from __future__ import annotations

import pytest

from custom_components.bpo.engine.errors import BlueprintError
from custom_components.bpo.engine.schema import parse_blueprint

BASE = """
blueprint: {name: P, domain: bpo}
process:
  key: p
  start: [{manual: {}}]
  fields: {comment: {type: text}}
  steps:
    - id: check
      task: {group: g, outcomes: [ok, reject], form: [comment]}
    - id: final
      task:
        group: g
        title: "TITLE"
        escalate: [{after: 1h, notify: ["ESC"]}]
        notify: {title: "NOTE"}
"""
LINES = {"TITLE": 13, "ESC": 14, "NOTE": 15}
PATHS = {
    "TITLE": "process.steps[1].task.title",
    "ESC": "process.steps[1].task.escalate[0].notify[0]",
    "NOTE": "process.steps[1].task.notify.title",
}


def _text(slot: str, template: str) -> str:
    text = BASE
    for name in LINES:
        filler = "group:x" if name == "ESC" else "x"  # a notify entry must name a group or a person
        text = text.replace(f'"{name}"', '"' + (template if name == slot else filler) + '"')
    return text


@pytest.mark.parametrize(
    ("slot", "template", "message"),
    [
        (
            "TITLE",
            "{{ steps.check.form.commnt }}",
            "task 'check' has no form field 'commnt' (it collects comment)",
        ),
        ("TITLE", "{{ steps.check.outcome not in ['ok', 'rejct'] }}", "step 'check' has no outcome 'rejct'"),
        ("TITLE", "{{ steps.check.outcome is ne 'rejct' }}", "step 'check' has no outcome 'rejct'"),
        ("TITLE", "{{ item() }}", "'item' is data, not a function"),
        (
            "TITLE",
            "{{ start_of_day().isoformt() }}",
            "start_of_day() gives a date-time, which has no 'isoformt'",
        ),
        (
            "TITLE",
            "{{ ['a'] | map('uper') | join }}",
            "map names unknown filter 'uper'; did you mean 'upper'?",
        ),
        ("TITLE", "{{ [1] | select('od') | list }}", "select names unknown test 'od'; did you mean 'odd'?"),
        (
            "TITLE",
            "{{ as_timestamp(now()) }}",
            "unknown name 'as_timestamp'; that is Home Assistant's, bpo has",
        ),
        ("ESC", "{{ task.asignee }}", "task has no 'asignee' here (it has assignee, group, id)"),
        ("NOTE", "{{ task.assignee }}", "task has no 'assignee' here (it has due, id, outcomes, title)"),
    ],
)
def test_mistake_is_reported_with_line_and_path(slot: str, template: str, message: str) -> None:
    with pytest.raises(BlueprintError) as caught:
        parse_blueprint(_text(slot, template), "p.yaml")
    where = f"p.yaml:{LINES[slot]}: {PATHS[slot]}: "
    problems = [str(p) for p in caught.value.problems]
    assert any(p.startswith(where) and message in p for p in problems), problems


@pytest.mark.parametrize(
    ("slot", "template"),
    [
        ("TITLE", "{{ steps.check.form.comment }}"),
        ("TITLE", "{{ steps.check.outcome in ['ok', 'reject'] }}"),
        ("TITLE", "{{ steps.check.outcome is eq 'reject' }}"),
        ("TITLE", "{{ now().strftime('%H') }} {{ now().date().isoformat() }}"),
        ("TITLE", "{{ ['a'] | map('upper') | join }} {{ [{'x': 1}] | map(attribute='x') | list }}"),
        ("TITLE", "{{ [{'k': 1}] | selectattr('k', 'eq', 1) | list | length }}"),
        ("TITLE", "{{ supervisor_of(steps.check.by) }} {{ members('g') | length }}"),
        ("ESC", "{{ task.assignee }} {{ task.group }} {{ task.id }}"),
        ("NOTE", "{{ task.title }} {{ task.due }} {{ task.outcomes | join }} {{ kind }} {{ lang }}"),
    ],
)
def test_correct_templates_stay_valid(slot: str, template: str) -> None:
    parse_blueprint(_text(slot, template), "p.yaml")
