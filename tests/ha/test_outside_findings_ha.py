"""An outside tester's findings against the HA layer: hostile calls by ordinary users and admins, broken
blueprints dropped in by a reload, PII in refusals and diagnostics. Each test names what a planted (or real)
bug would break."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from pytest_homeassistant_custom_component.common import MockUser
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.bpo.diagnostics import async_get_config_entry_diagnostics

from .helpers import World, as_user, async_setup_bare_world
from .ws_helpers import Ws, ws_as

TZ = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=TZ)
MARK = "PII-MARK-4711"
DIRECTORY = """\
groups:
  center: [person.carol]
"""
# erin is a candidate but not cleared; carol (group center) is cleared
CALLS = """\
blueprint: {name: Callbacks, domain: bpo}
process:
  key: calls
  start: [{manual: {}}]
  pii_cleared: [group:center]
  fields:
    caller_name: {type: text, pii: true, label: Caller}
    topic: {type: text, label: Topic}
    amount: {type: number, label: Amount}
  steps:
    - id: call_back
      task:
        title: "Call back {{ fields.caller_name }}"
        candidates: [person.carol, person.erin]
        outcomes: [reached, no_answer]
        form: [amount]
"""


def _dump(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


async def _world(hass: HomeAssistant, freezer: FrozenDateTimeFactory, **blueprints: str) -> World:
    files = {"calls.yaml": CALLS, **{f"{k}.yaml": v for k, v in blueprints.items()}}
    return await async_setup_bare_world(hass, freezer, NOW, blueprints=files, directory=DIRECTORY)


async def _start_call(hass: HomeAssistant, world: World, key: str = "c1") -> str:
    result = await hass.services.async_call(
        "bpo",
        "start",
        {"process": "calls", "key": key, "fields": {"caller_name": MARK, "topic": "billing"}},
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done()
    assert isinstance(result, dict)
    return str(result["instance_id"])


async def _reload_with(hass: HomeAssistant, name: str, text: str | None) -> None:
    """Rewrite (or delete, ``text`` None) one blueprint file and call ``bpo.reload`` as an admin would."""
    path = Path(hass.config.config_dir) / "blueprints" / "bpo" / name
    if text is None:
        path.unlink()
    else:
        path.write_text(text, encoding="utf-8")
    await hass.services.async_call("bpo", "reload", {}, blocking=True)
    await hass.async_block_till_done()


@pytest.mark.parametrize("change", ["deleted", "broken"])
async def test_pii_stays_masked_after_a_reload_drops_the_blueprint_of_a_running_instance(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
    change: str,
) -> None:
    """An instance keeps the blueprint version it started with, so its ``pii: true`` fields stay personal
    data after its file is deleted or broken by an edit. A candidate who is not cleared (erin) must not see
    the caller's name in ``bpo.list_tasks``, the panel's task list or instance view, nor diagnostics."""
    world = await _world(hass, freezer)
    instance_id = await _start_call(hass, world)
    await _reload_with(hass, "calls.yaml", None if change == "deleted" else CALLS.replace("steps:", "stepz:"))
    assert world.manager.engine.blueprint("calls") is None  # the file no longer defines it
    assert world.manager.engine.instance(instance_id).is_running  # the instance carries on

    listed = await hass.services.async_call(
        "bpo", "list_tasks", {}, blocking=True, return_response=True, context=as_user(world, "erin")
    )
    erin = await ws_as(hass, hass_ws_client, world.users["erin"])
    rows = (await erin.ok("bpo/tasks/list"))["tasks"]
    seen = await erin.ok("bpo/instance/get", instance_id=instance_id)
    assert len(rows) == 1 and rows[0]["fields"]["caller_name"] == "***"
    assert seen["fields"]["caller_name"] == "***"
    assert MARK not in _dump(listed) + _dump(rows) + _dump(seen)
    diagnostics = await async_get_config_entry_diagnostics(hass, world.entry)
    assert MARK not in _dump(diagnostics)


async def test_a_refused_outcome_is_not_echoed_by_the_action(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The docs promise a refused value is named by its field, never quoted; HA logs the text of a
    ``ServiceValidationError`` raised by an action called over the websocket at error level. An outcome
    (typed by a person, may hold anything) not in the list must not come back in the refusal."""
    world = await _world(hass, freezer)
    instance_id = await _start_call(hass, world)
    task = world.manager.engine.instance(instance_id).tasks[0]
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "bpo",
            "complete_task",
            {"task_id": task.id, "outcome": f"call {MARK} back", "form": {"amount": 3}},
            blocking=True,
            context=as_user(world, "carol"),
        )
    assert err.value.translation_key == "invalid_outcome"
    assert "reached" in str(err.value)  # it still says what was expected
    assert MARK not in str(err.value) + _dump(err.value.translation_placeholders)
    assert world.manager.engine.task(task.id).is_open


@pytest.mark.parametrize(
    ("command", "data"),
    [
        ("bpo/task/complete", {"task_id": "X", "form": f"caller {MARK}"}),
        ("bpo/task/complete", {"task_id": "X", "outcome": [MARK]}),
        ("bpo/process/start", {"process": "calls", "fields": [MARK]}),
        ("bpo/process/start", {"process": "calls", "key": {"name": MARK}}),
        ("bpo/task/reassign", {"task_id": "X", "assignee": [MARK]}),
    ],
)
async def test_a_websocket_payload_of_the_wrong_shape_is_refused_without_quoting_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
    hass_admin_user: MockUser,
    caplog: pytest.LogCaptureFixture,
    command: str,
    data: dict[str, Any],
) -> None:
    """Refusals of ``bpo/...`` commands "never repeat the values sent" (docs): a form sent as a string, a key
    or outcome sent as a structure may carry personal data. HA answers a schema error with voluptuous's
    ``humanize_error`` (which appends ``Got <value>``) and logs it at error level."""
    world = await _world(hass, freezer)
    admin = await ws_as(hass, hass_ws_client, hass_admin_user)
    with caplog.at_level(logging.DEBUG, logger="homeassistant.components.websocket_api.http.connection"):
        answer = await admin.call(command, **data)
    assert not answer["success"]
    assert answer["error"]["code"] == "invalid_format"
    assert MARK not in _dump(answer)
    assert MARK not in "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert world.manager.engine.instances(process="calls") == []


async def test_websocket_ids_keys_and_assignees_have_the_actions_length_limits(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
    hass_admin_user: MockUser,
) -> None:
    """The docs: ``key``, ``task_id``, ``outcome``, ``assignee`` ... at most 255 characters, for action data
    "and the same data sent over the websocket", checked before anything is stored."""
    world = await _world(hass, freezer)
    admin = await ws_as(hass, hass_ws_client, hass_admin_user)
    long = "k" * 100_000
    answer = await admin.call("bpo/process/start", process="calls", key=long, fields={"topic": "x"})
    assert not answer["success"], "a 100,000-character key was stored"
    assert world.manager.engine.instances(process="calls") == []
    instance_id = await _start_call(hass, world)
    task = world.manager.engine.instance(instance_id).tasks[0]
    answer = await admin.call("bpo/task/reassign", task_id=task.id, assignee="person." + long)
    assert not answer["success"], "a 100,000-character assignee was stored"
    assert world.manager.engine.task(task.id).assignee is None


async def test_the_same_task_answered_twice_at_once_completes_once(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Two answers to one task gathered together (group commit): one wins, the other is refused as already
    completed; one completion event, one history line."""
    world = await _world(hass, freezer)
    instance_id = await _start_call(hass, world)
    task = world.manager.engine.instance(instance_id).tasks[0]

    async def answer(who: str, outcome: str) -> Any:
        return await hass.services.async_call(
            "bpo",
            "complete_task",
            {"task_id": task.id, "outcome": outcome},
            blocking=True,
            return_response=True,
            context=as_user(world, who),
        )

    results = await asyncio.gather(
        answer("carol", "reached"), answer("erin", "no_answer"), return_exceptions=True
    )
    await hass.async_block_till_done()
    ok = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, ServiceValidationError)]
    assert len(ok) == 1 and len(refused) == 1, results
    assert refused[0].translation_key == "not_allowed"
    assert ok[0]["outcome"] == world.manager.engine.task(task.id).outcome
    assert len(world.bpo_events("task_completed")) == 1
    completions = [
        h for h in world.manager.engine.instance(instance_id).history if h.what == "task_completed"
    ]
    assert len(completions) == 1
