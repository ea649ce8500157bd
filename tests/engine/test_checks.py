from __future__ import annotations

import textwrap

import pytest

from custom_components.bpo.engine.checks import template_error
from custom_components.bpo.engine.errors import BlueprintError, Problem
from custom_components.bpo.engine.model import Timeout
from custom_components.bpo.engine.schema import parse_blueprint


def blueprint(steps: str, fields: str = "") -> str:
    body = "  fields:\n" + textwrap.indent(textwrap.dedent(fields), "    ") if fields else ""
    return (
        "blueprint: {name: t, domain: bpo}\nprocess:\n  key: t\n  start: [{manual: {}}]\n"
        + body
        + "  steps:\n"
        + textwrap.indent(textwrap.dedent(steps), "    ")
    )


def problems(steps: str, fields: str = "") -> list[Problem]:
    with pytest.raises(BlueprintError) as caught:
        parse_blueprint(blueprint(steps, fields), "t.yaml")
    return caught.value.problems


def messages(steps: str, fields: str = "") -> list[str]:
    return [p.message for p in problems(steps, fields)]


def test_unknown_key_with_suggestion_and_line() -> None:
    found = problems("""\
        - id: a
          task:
            assigne: x
        """)
    assert [(p.line, p.path, p.message) for p in found] == [
        (7, "process.steps[0].task", "a task needs an assignee, a group or candidates"),
        (8, "process.steps[0].task.assigne", "unknown key 'assigne'; did you mean 'assignee'?"),
    ]


def test_unknown_key_without_close_match_lists_allowed_keys() -> None:
    found = messages("- {id: a, end: completed, zzz: 1}\n")
    assert found == [
        "unknown key 'zzz' (allowed here: id, when, next, timeout, on_timeout, join, default, task, "
        "parallel, choose, wait, action, end, repeat, call, for_each, concurrency, steps)"
    ]


def test_unknown_step_references() -> None:
    found = messages("""\
        - id: a
          task: {group: g}
          next: finsh
          timeout: 1h
          on_timeout: {goto: nowhere}
        - id: b
          choose: [{when: "{{ true }}", goto: elsewhere}]
          default: finish
        - id: finish
          end: completed
        """)
    assert "unknown step 'finsh'; did you mean 'finish'?" in found
    assert "unknown step 'nowhere'" in found
    assert "unknown step 'elsewhere'" in found


def test_jump_into_a_parallel_branch_is_refused() -> None:
    found = messages("""\
        - id: p
          parallel: [{id: inner, task: {group: g}}]
        - id: b
          choose: [{when: "{{ true }}", goto: inner}]
        """)
    assert "step 'inner' is inside a parallel block; only top-level steps can be jumped to" in found


def test_unknown_field_references() -> None:
    found = messages(
        """\
        - id: a
          task: {group: g, form: [scan_histroy]}
        - id: b
          action: {service: a.b, result: nothing}
        """,
        "scan_history: {type: file}\n",
    )
    assert (
        "unknown field 'scan_histroy' (declare it under process.fields); did you mean 'scan_history'?"
        in found
    )
    assert "unknown field 'nothing' (declare it under process.fields)" in found


def test_duplicate_ids_including_branches() -> None:
    found = problems("""\
        - id: a
          task: {group: g}
        - id: p
          parallel:
            - id: a
              task: {group: g}
        """)
    assert [(p.line, p.message) for p in found] == [(10, "duplicate step id 'a' (first used on line 6)")]


def test_unreachable_step() -> None:
    found = problems("""\
        - id: a
          end: completed
        - id: b
          task: {group: g}
        """)
    assert [(p.line, p.path) for p in found] == [(8, "process.steps[1]")]
    assert found[0].message.startswith("step 'b' can never be reached")


def test_step_reached_only_by_timeout_goto_is_reachable() -> None:
    bp = parse_blueprint(
        blueprint("""\
        - id: a
          task: {group: g}
          timeout: 1d
          on_timeout: {goto: late}
        - id: ok
          end: completed
        - id: late
          end: failed
        """),
        "t.yaml",
    )
    # no "can never be reached" problem for 'late', and the goto that reaches it is kept
    assert [s.id for s in bp.process.steps] == ["a", "ok", "late"]
    assert bp.process.steps[0].timeout == Timeout(86400, "goto", "late")
    assert bp.process.steps[2].end == "failed"


def test_loop_without_pause_is_rejected() -> None:
    found = messages("""\
        - id: poll
          action: {connector: fleet, call: status}
        - id: again
          choose: [{when: "{{ true }}", goto: poll}]
        """)
    assert any("steps poll -> again -> poll form a loop without a task or wait step" in m for m in found)


def test_self_loop_is_rejected() -> None:
    found = messages("- {id: a, action: {service: a.b}, next: a}\n")
    assert any("steps a -> a form a loop" in m for m in found)


def test_conditional_task_does_not_make_a_loop_safe() -> None:
    found = messages("""\
        - id: ask
          when: "{{ fields.n > 3 }}"
          task: {group: g}
        - id: again
          choose: [{when: "{{ true }}", goto: ask}]
        """)
    assert any("form a loop" in m for m in found)


@pytest.mark.parametrize(
    "pause",
    ["task: {group: g}", "wait: {delay: 10m}", "parallel: [{id: w, wait: {delay: 1m}}]"],
)
def test_loop_with_a_pause_is_fine(pause: str) -> None:
    bp = parse_blueprint(
        blueprint(f"""\
        - id: p
          {pause}
        - id: again
          choose: [{{when: "{{{{ true }}}}", goto: p}}]
        - id: done
          end: completed
        """),
        "t.yaml",
    )
    assert bp.process.step("again").choose[0].goto == "p"


def test_choice_field_without_options() -> None:
    assert messages("- {id: a, end: completed}\n", "v: {type: choice}\n") == [
        "a choice field needs options, like options: [approved, rejected]"
    ]


def test_join_larger_than_branch_count() -> None:
    found = messages("""\
        - id: p
          parallel: [{id: x, task: {group: g}}, {id: y, task: {group: g}}]
          join: 3
        """)
    assert found == ["join 3 needs at least 3 branches; this parallel has 2"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("plain text", None),
        ("{{ item }}", None),
        ("{% if x %}a{% endif %}", None),
        ("{{ item }", "template syntax error"),
        ("{% if x %}a", "template syntax error"),
        ("{{ 1 + }}", "template syntax error"),
    ],
)
def test_template_syntax(source: str, expected: str | None) -> None:
    result = template_error(source)
    assert (result is None) if expected is None else (result is not None and expected in result)


def test_templates_in_action_data_and_match_are_checked() -> None:
    found = problems("""\
        - id: a
          action: {service: a.b, data: {nested: [ok, "{{ broken"]}}
        - id: w
          wait: {event: e, match: {k: "{% if %}"}}
        """)
    assert {p.path for p in found} == {
        "process.steps[0].action.data.nested[1]",
        "process.steps[1].wait.match.k",
    }


def test_an_assignee_that_can_render_empty_is_a_warning_not_an_error() -> None:
    bp = parse_blueprint(
        blueprint("""\
            - id: check
              task: {assignee: "{{ supervisor_of(instance.key) }}"}
            - id: safe
              task: {assignee: "{{ supervisor_of(instance.key) }}", group: officers}
            - id: literal
              task: {assignee: person.dana}
            """),
        "t.yaml",
    )
    assert bp.warnings == (
        "t.yaml:7: process.steps[0].task.assignee: warning: the assignee is a template that can render empty "
        "(an unknown supervisor, an unset field); add group: or candidates: as a fallback",
    )


def test_a_task_that_alone_collects_a_pii_field_may_go_to_anyone() -> None:
    """The employee types her own worries; only a task that could show an existing value must be cleared."""
    bp = parse_blueprint(
        blueprint(
            """\
            - id: report
              task: {assignee: person.erin, form: [worries]}
            - id: review
              task: {group: center_agents, form: [worries]}
            """,
            "worries: {type: text, pii: true}\n",
        ).replace("  steps:", "  pii_cleared: [group:center_agents]\n  steps:"),
        "t.yaml",
    )
    assert [step.id for step in bp.process.steps] == ["report", "review"]
    with pytest.raises(BlueprintError, match="field 'worries' is personal data"):
        parse_blueprint(
            blueprint(
                """\
                - id: report
                  task: {assignee: person.erin, form: [worries]}
                - id: review
                  task: {group: home_agents, form: [worries]}
                """,
                "worries: {type: text, pii: true}\n",
            ),
            "t.yaml",
        )
