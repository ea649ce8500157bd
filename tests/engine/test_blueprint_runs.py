"""Blueprints written as YAML, loaded by the schema and run by the engine (issue 12's reproduced bugs)."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from custom_components.bpo.engine.schema import parse_blueprint

from .test_runtime import make

HEADER = """\
blueprint:
  name: t
  domain: bpo
  input:
    flag: {name: Flag, default: false}
    who: {name: Who, default: person.default}
process:
  key: t
  start: [{manual: {}}]
"""


def load(steps: str, inputs: dict[str, Any] | None = None) -> Any:
    text = HEADER + "  steps:\n" + textwrap.indent(textwrap.dedent(steps), "    ")
    return parse_blueprint(text, "t.yaml", inputs)


@pytest.mark.parametrize(
    ("when", "inputs"),
    [
        ("true", None),
        ('"{{ true }}"', None),
        ('"{{ True }}"', None),
        ('"{{ 1 == 1 }}"', None),
        ("!input flag", {"flag": True}),
    ],
)
async def test_a_true_when_runs_its_step(when: str, inputs: dict[str, Any] | None) -> None:
    bp = load(
        f"""\
        - id: guarded
          when: {when}
          task: {{assignee: person.a}}
        - id: after
          task: {{assignee: person.b}}
        """,
        inputs,
    )
    engine, _, _, _ = make(bp)
    await engine.restore()
    inst = await engine.start("t")
    assert [t.step for t in inst.tasks] == ["guarded"]


@pytest.mark.parametrize("when", ["true", '"{{ true }}"', '"{{ True }}"', "!input flag"])
async def test_choose_takes_a_true_option_not_its_default(when: str) -> None:
    bp = load(
        f"""\
        - id: route
          choose:
            - when: {when}
              goto: yes_branch
          default: no_branch
        - id: yes_branch
          task: {{assignee: person.yes}}
          next: done
        - id: no_branch
          task: {{assignee: person.no}}
        - id: done
          end: completed
        """,
        {"flag": True},
    )
    engine, _, _, _ = make(bp)
    await engine.restore()
    inst = await engine.start("t")
    assert [t.step for t in inst.tasks] == ["yes_branch"]


@pytest.mark.parametrize("when", ["false", '"{{ false }}"', '"{{ False }}"', '"{{ none }}"', "!input flag"])
async def test_a_false_when_still_skips(when: str) -> None:
    bp = load(
        f"""\
        - id: guarded
          when: {when}
          task: {{assignee: person.a}}
        - id: after
          task: {{assignee: person.b}}
        """
    )
    engine, _, _, _ = make(bp)
    await engine.restore()
    inst = await engine.start("t")
    assert [t.step for t in inst.tasks] == ["after"]


async def test_inputs_in_templates_see_the_supplied_value() -> None:
    bp = load(
        """\
        - id: one
          task: {assignee: "{{ inputs.who }}", title: "for {{ inputs.who }}"}
        - id: two
          task: {assignee: !input who}
        """,
        {"who": "person.supplied"},
    )
    engine, _, _, _ = make(bp)
    await engine.restore()
    inst = await engine.start("t")
    assert (inst.tasks[0].assignee, inst.tasks[0].title) == ("person.supplied", "for person.supplied")
    await engine.complete_task(inst.tasks[0].id, user="person.supplied")
    assert inst.tasks[1].assignee == "person.supplied"
