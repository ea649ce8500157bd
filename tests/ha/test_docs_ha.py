"""The examples in docs/home-assistant.md are valid for bpo and for HA."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from homeassistant.components.automation.config import async_validate_config_item
from homeassistant.core import HomeAssistant

from custom_components.bpo.engine.directory import parse_directory

DOC = Path(__file__).parents[2] / "docs" / "home-assistant.md"
BLOCK = re.compile(r"<!-- (\w+) -->\n```yaml\n(.*?)```", re.S)


def _blocks(kind: str) -> list[str]:
    found = [text for marker, text in BLOCK.findall(DOC.read_text(encoding="utf-8")) if marker == kind]
    assert found, f"no {kind} example in {DOC.name}"
    return found


def test_directory_example_parses() -> None:
    for text in _blocks("directory"):
        directory = parse_directory(text, DOC.name)
        assert directory.members("contractors") == ["person.dave"]
        assert directory.supervisor_of("person.alice") == "person.sam"


async def test_automation_example_is_valid_for_ha(hass: HomeAssistant) -> None:
    for text in _blocks("automation"):
        config = {"id": "doc", **yaml.safe_load(text)}
        validated = await async_validate_config_item(hass, "doc", config)
        assert validated is not None
        assert validated.validation_error is None, validated.validation_error
