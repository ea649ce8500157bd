"""The people directory: lookups and file:line errors."""

from __future__ import annotations

import pytest

from custom_components.bpo.engine.directory import StaticDirectory, parse_directory
from custom_components.bpo.engine.errors import BlueprintError

GOOD = """\
groups:
  contractors: [person.dave, person.erin]
  officers: [person.erin]
supervisors:
  person.alice: person.sam
"""


def test_lookups() -> None:
    d = parse_directory(GOOD, "directory.yaml")
    assert d.members("contractors") == ["person.dave", "person.erin"]
    assert sorted(d.groups_of("person.erin")) == ["contractors", "officers"]
    assert d.groups_of("person.nobody") == []
    assert d.supervisor_of("person.alice") == "person.sam"
    assert d.supervisor_of("person.sam") is None
    assert d.people() == {"person.dave", "person.erin", "person.alice", "person.sam"}


def test_empty_file_is_an_empty_directory() -> None:
    assert parse_directory("", "directory.yaml").people() == set()


def test_every_problem_names_file_line_and_key() -> None:
    text = "groups:\n  contractors: person.dave\nsupervisors:\n  person.alice: [1]\nteams: {}\n"
    with pytest.raises(BlueprintError) as err:
        parse_directory(text, "directory.yaml")
    lines = str(err.value).splitlines()
    assert any(line.startswith("directory.yaml:2: groups.contractors: expected a list") for line in lines)
    assert any(
        line.startswith("directory.yaml:4: supervisors.person.alice: expected a person") for line in lines
    )
    assert any("directory.yaml:5" in line and "teams" in line for line in lines)


def test_static_directory_copies_its_input() -> None:
    groups = {"q": ["person.a"]}
    d = StaticDirectory(groups)
    groups["q"].append("person.b")
    assert d.members("q") == ["person.a"]
