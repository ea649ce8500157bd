"""The PII rule for instance keys (engine/pii_keys.py): which starts are refused and which are not.

The refusals themselves, with file and line, are in the malformed corpus (``pii_key_*.yaml``); these tests
pin the cases that must stay valid, so the rule cannot grow into refusing every key.
"""

from __future__ import annotations

import pytest

from custom_components.bpo.engine import pii_keys
from custom_components.bpo.engine.errors import BlueprintError
from custom_components.bpo.engine.schema import parse_blueprint

BASE = """
blueprint: {{name: Keys, domain: bpo}}
process:
  key: keys
  fields:
    email: {{type: text, pii: true}}
    ticket: {{type: text}}
  start:
    - event: inquiry
{start}
  pii_cleared: [group:desk]
  steps:
    - id: answer
      task: {{title: Answer, group: desk, pii: true}}
"""


def _problems(start: str) -> list[str]:
    try:
        parse_blueprint(BASE.format(start=start), "keys.yaml")
    except BlueprintError as err:
        return [p.message for p in err.problems]
    return []


@pytest.mark.parametrize(
    "start",
    [
        # keyed on the ticket, the e-mail only fills the pii field
        '      key: "{{ event.ticket }}"\n'
        '      fields: {email: "{{ event.email }}", ticket: "{{ event.ticket }}"}',
        # a literal key and a key made of the time read no event data
        '      key: "inquiries"\n      fields: {email: "{{ event.email }}"}',
        '      key: "{{ now().date() }}"\n      fields: {email: "{{ event[\'email\'] }}"}',
        # the default key is the event's id, and the pii field is not filled from it
        '      fields: {email: "{{ event.email }}"}',
        # the key reads the e-mail but no pii field is filled from anything: nothing here is marked personal
        '      key: "{{ event.email }}"\n      fields: {ticket: "{{ event.ticket }}"}',
    ],
)
def test_keys_made_of_other_data_are_valid(start: str) -> None:
    assert _problems(start) == []


@pytest.mark.parametrize(
    "start",
    [
        '      key: "{{ event.email }}"\n      fields: {email: "{{ event.email }}"}',
        # the whole event in the key carries the e-mail too
        '      key: "{{ event | tojson }}"\n      fields: {email: "{{ event.email }}"}',
        # a key read through a dynamic index could be any attribute
        '      key: "{{ event[event.which] }}"\n      fields: {email: "{{ event.email }}"}',
        # a pii field filled from the whole event shares whatever the key reads
        '      key: "{{ event.ticket }}"\n      fields: {email: "{{ event }}"}',
        # the default key (the event's id) is what the pii field is filled from
        '      fields: {email: "{{ event.id }}"}',
        # nested structures are read too
        '      key: "{{ event.email }}"\n      fields: {email: {address: ["{{ event.email }}"]}}',
    ],
)
def test_keys_made_of_pii_data_are_refused(start: str) -> None:
    problems = _problems(start)
    assert len(problems) == 1, problems
    assert "pii field email" in problems[0]


def test_reads_names_the_attributes_a_template_reads() -> None:
    assert pii_keys.reads("{{ event.a }}-{{ item['b'].c }}") == {"a", "b"}
    assert pii_keys.reads("plain {{ now() }}") == set()
    assert pii_keys.reads("{{ event") == pii_keys.WHOLE  # unparsable counts as reading everything
    assert pii_keys.reads({"x": ["{{ item }}"]}) == pii_keys.WHOLE
