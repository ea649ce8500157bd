"""The examples in docs/home-assistant.md are valid for bpo and for HA."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.config import async_validate_config_item
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockUser
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.bpo.engine.directory import parse_directory

from .helpers import async_setup_bare_world
from .test_todo import BLUEPRINTS, DIRECTORY, NOW
from .ws_helpers import ws_as

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


def _section(title: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_every_option_and_action_is_documented() -> None:
    integration = DOC.parents[1] / "custom_components" / "bpo"
    strings = json.loads((integration / "strings.json").read_text(encoding="utf-8"))
    options = {key for step in strings["options"]["step"].values() for key in step.get("data", {})}
    table = _section("Setting up and options")
    assert options and all(f"| `{key}` |" in table for key in options), options
    routes = strings["selector"]["route"]["options"]
    assert all(f"`{route}`" in table for route in routes)
    actions = _section("Actions (services)")
    for service in yaml.safe_load((integration / "services.yaml").read_text(encoding="utf-8")):
        assert f"`bpo.{service}`" in actions, service


def test_removal_names_every_store_file_bpo_deletes() -> None:
    """The removal section lists the stored files; tests/ha/test_entry_lifecycle.py shows none survive."""
    from custom_components.bpo import notifications
    from custom_components.bpo.device_store import STORAGE_KEY
    from custom_components.bpo.durable.journal import JOURNAL, SNAPSHOT

    removal = _section("Removing bpo")
    for key in ("bpo/", SNAPSHOT, JOURNAL, "bpo.meta", "bpo.shard_NN", STORAGE_KEY, notifications.STORE_KEY):
        assert f"`{key}`" in removal, key


WS_BLOCK = re.compile(r"<!-- ws(?: as (person\.\w+)[^>]*)? -->\n```json\n(.*?)```", re.S)


async def test_websocket_examples_run_in_order_and_cover_every_command(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Each documented command, sent as written (as the admin, or the person it names), is answered."""
    world = await async_setup_bare_world(hass, freezer, NOW, blueprints=BLUEPRINTS, directory=DIRECTORY)
    examples = [(who, json.loads(text)) for who, text in WS_BLOCK.findall(DOC.read_text(encoding="utf-8"))]
    source = (DOC.parents[1] / "custom_components" / "bpo" / "websocket_api.py").read_text(encoding="utf-8")
    assert {message["type"] for _, message in examples} == set(re.findall(r'"(bpo/[a-z_/]+)"', source))
    table = _section("Web UI and websocket API")
    assert all(f"`{message['type']}`" in table for _, message in examples)

    admin = await ws_as(hass, hass_ws_client, hass_admin_user)
    for who, message in examples:
        user = world.users[who.removeprefix("person.")] if who else hass_admin_user
        # a subscription gets events later: on a connection of its own, like the panel's
        ws = admin if who == "" and not message["type"].endswith("subscribe") else None
        ws = ws or await ws_as(hass, hass_ws_client, user)
        data = {k: v for k, v in message.items() if k != "type"}
        await ws.ok(message["type"], **data)
    assert world.manager.engine.instance("i1").status == "cancelled"
    [submit, approve] = world.manager.engine.instance("i1").tasks
    assert (submit.status, submit.form, submit.by) == (
        "completed",
        {"amount": 42},
        f"user:{hass_admin_user.id}",
    )
    assert approve.assignee == "person.carol"  # claimed by bob, then reassigned by the admin
