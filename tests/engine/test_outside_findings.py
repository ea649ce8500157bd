"""Findings of an outside test of the blueprint language: behaviour that disagreed with the reference.

Each test states what docs/blueprint-language.md promises; each failed (as a strict xfail) until its fix.
"""

from __future__ import annotations

import tracemalloc

import pytest

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
