"""docs/home-assistant.md, "Personal data": the recorder example is valid and the limits are the code's."""

from __future__ import annotations

import re

import yaml
from homeassistant.components.recorder import CONFIG_SCHEMA
from homeassistant.const import EVENT_CALL_SERVICE

from custom_components.bpo.engine import field_values

from .test_docs_ha import DOC, _blocks, _section


def test_recorder_example_is_valid_and_drops_call_service() -> None:
    [text] = _blocks("recorder")
    config = CONFIG_SCHEMA(yaml.safe_load(text))
    assert config["recorder"]["exclude"]["event_types"] == [EVENT_CALL_SERVICE]


def test_documented_limits_are_the_checked_ones() -> None:
    section = _section("Personal data")
    limits = section[section.index("**Limits of action data.**") :]
    numbers = {int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", limits)}
    expected = {
        field_values.MAX_NAME,
        field_values.MAX_FIELDS,
        field_values.MAX_TEXT,
        field_values.MAX_DEPTH,
        field_values.MAX_ITEMS,
        field_values.MAX_INT,
    }
    assert expected <= numbers, (expected - numbers, DOC.name)
    assert "My Number" in section and "pii_suspected" in section
