"""An outside tester's findings against the HA layer, reloads: a blueprint file copied beside a running
one, and a broken file dropped in, while instances run.
Each test names what a planted (or real) bug would break."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockUser
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from .helpers import as_user
from .outside_helpers import CALLS, reload_with, start_call, world_with
from .ws_helpers import ws_as


async def test_a_second_file_with_a_running_process_key_does_not_take_the_process_over(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
    hass_admin_user: MockUser,
) -> None:
    """A copy dropped next to a running blueprint (``calls - Copy.yaml``, which sorts before ``calls.yaml``)
    with the same process key is the bad input: the file that defines the process keeps defining it, and
    the problem names the newcomer."""
    world = await world_with(hass, freezer)
    await start_call(hass, world)
    copy = CALLS.replace("Call back {{ fields.caller_name }}", "Hijacked").replace(
        "name: Callbacks", "name: Copy"
    )
    await reload_with(hass, "calls - Copy.yaml", copy)
    bp = world.manager.engine.blueprint("calls")
    assert bp is not None and bp.name == "Callbacks", bp and bp.path
    admin = await ws_as(hass, hass_ws_client, hass_admin_user)
    errors = (await admin.ok("bpo/blueprints/list"))["errors"]
    assert [e["file"] for e in errors] == ["blueprints/bpo/calls - Copy.yaml"], errors


BROKEN = """\
blueprint: {name: Broken, domain: bpo}
process:
  key: broken
  start: [{manual: {}}]
  fields:
    amount: {type: money}
  steps:
    - id: a
      task: {title: A, assignee: person.alice, due: soon}
    - id: a
      goto: nowhere
"""


async def test_a_semantically_broken_file_dropped_in_stops_nothing_else_and_is_named_by_line_and_key(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
    hass_admin_user: MockUser,
) -> None:
    """Valid YAML, wrong in several places (a field type, a duration, a duplicate step id, a step without a
    kind): the reload reports each with file, line and key path, while the running call is still answered
    and a new one still starts."""
    world = await world_with(hass, freezer)
    instance_id = await start_call(hass, world)
    await reload_with(hass, "broken.yaml", BROKEN)
    admin = await ws_as(hass, hass_ws_client, hass_admin_user)
    errors = (await admin.ok("bpo/blueprints/list"))["errors"]
    mine = [e for e in errors if e["file"] == "blueprints/bpo/broken.yaml"]
    assert len(mine) >= 3, errors
    assert all(isinstance(e["line"], int) and e["line"] > 1 for e in mine)
    fields = {e["field"] for e in mine}
    assert any("amount" in (f or "") for f in fields) and any("due" in (f or "") for f in fields), fields
    assert world.manager.engine.blueprint("broken") is None
    task = world.manager.engine.instance(instance_id).tasks[0]
    done = await hass.services.async_call(
        "bpo",
        "complete_task",
        {"task_id": task.id, "outcome": "reached"},
        blocking=True,
        return_response=True,
        context=as_user(world, "carol"),
    )
    assert isinstance(done, dict) and done["status"] == "completed"
    assert (await admin.ok("bpo/process/start", process="calls", key="c2"))["status"] == "running"
