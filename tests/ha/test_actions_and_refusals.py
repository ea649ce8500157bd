"""Action steps calling Home Assistant actions, and what users are told when bpo refuses a request."""

from __future__ import annotations

from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from pytest_homeassistant_custom_component.common import MockUser

from custom_components.bpo.const import DOMAIN

from .helpers import async_setup_bare_world
from .test_todo import BLUEPRINTS, DIRECTORY, NOW, start

CALLS = """\
blueprint: {{name: Call {key}, domain: bpo}}
process:
  key: {key}
  start: [{{manual: {{}}}}]
  steps:
    - id: call
      action:
        service: {service}
        data: {{message: "hello {{{{ instance.key }}}}"}}
    - id: after
      task: {{title: After the call, assignee: person.alice}}
"""
TARGETS = {"print": "office.print", "fax": "office.fax", "burn": "office.burn"}


async def test_an_action_step_calls_a_home_assistant_action_or_fails_the_instance_saying_why(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser
) -> None:
    blueprints = {f"{key}.yaml": CALLS.format(key=key, service=service) for key, service in TARGETS.items()}
    world = await async_setup_bare_world(hass, freezer, NOW, blueprints=blueprints, directory=DIRECTORY)
    received: list[dict[str, object]] = []

    async def ok(call: ServiceCall) -> None:
        received.append(dict(call.data))

    async def broken(call: ServiceCall) -> None:
        raise HomeAssistantError("the printer is on fire")

    hass.services.async_register("office", "print", ok)
    hass.services.async_register("office", "burn", broken)

    async def run(process: str) -> Any:
        await hass.services.async_call(DOMAIN, "start", {"process": process, "key": "k1"}, blocking=True)
        await hass.async_block_till_done()
        [inst] = world.manager.engine.instances(process=process)
        return inst

    done = await run("print")
    assert received == [{"message": "hello k1"}]
    assert [t.title for t in done.tasks if t.is_open] == ["After the call"]

    missing = await run("fax")
    assert missing.status == "failed" and "service office.fax does not exist" in missing.error

    failing = await run("burn")
    assert failing.status == "failed" and "office.burn failed: the printer is on fire" in failing.error


async def test_actions_say_bpo_is_not_set_up_once_the_entry_is_unloaded(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser
) -> None:
    world = await async_setup_bare_world(hass, freezer, NOW, blueprints=BLUEPRINTS, directory=DIRECTORY)
    assert await hass.config_entries.async_unload(world.entry.entry_id)
    for service, data in (
        ("complete_task", {"task_id": "x"}),
        ("list_tasks", {}),
        ("retire_device", {"device_id": "x"}),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                DOMAIN, service, data, blocking=True, return_response=service == "list_tasks"
            )
        assert err.value.translation_key == "not_loaded", service
        assert str(err.value) == "BPO Workflows is not set up"


async def test_a_user_without_a_person_is_told_so(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser
) -> None:
    await async_setup_bare_world(hass, freezer, NOW, blueprints=BLUEPRINTS, directory=DIRECTORY)
    await start(hass, "person.alice")
    await hass.async_block_till_done()
    nobody = await hass.auth.async_create_user("Zed", group_ids=["system-users"])
    context = Context(user_id=nobody.id)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "list_tasks", {}, blocking=True, return_response=True, context=context
        )
    assert err.value.translation_key == "no_person"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "todo",
            "update_item",
            {
                "entity_id": "todo.bpo_workflows_my_tasks_alice",
                "item": "Submit expense claim",
                "status": "completed",
            },
            blocking=True,
            context=context,
        )
    assert err.value.translation_key == "no_person"


async def test_a_to_do_item_cannot_be_renamed(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser
) -> None:
    world = await async_setup_bare_world(hass, freezer, NOW, blueprints=BLUEPRINTS, directory=DIRECTORY)
    await start(hass, "person.alice")
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "todo",
            "update_item",
            {
                "entity_id": "todo.bpo_workflows_my_tasks_alice",
                "item": "Submit expense claim",
                "rename": "Skip it",
            },
            blocking=True,
        )
    assert err.value.translation_key == "todo_read_only"
    assert [t.title for t in world.manager.engine.open_tasks(assignee="person.alice")] == [
        "Submit expense claim"
    ]


async def test_cancel_closes_the_instance_and_list_tasks_hides_closed_tasks_unless_asked(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser
) -> None:
    world = await async_setup_bare_world(hass, freezer, NOW, blueprints=BLUEPRINTS, directory=DIRECTORY)
    first = await start(hass, "person.alice")
    second = await start(hass, "person.bob")
    await hass.async_block_till_done()
    await hass.services.async_call(DOMAIN, "cancel", {"instance_id": first["instance_id"]}, blocking=True)
    await hass.async_block_till_done()
    cancelled = world.manager.engine.instance(first["instance_id"])
    assert cancelled.status == "cancelled"
    assert world.manager.engine.open_tasks(assignee="person.alice") == []
    assert hass.states.get("todo.bpo_workflows_my_tasks_alice").state == "0"

    async def listed(**data: Any) -> list[tuple[str, str]]:
        response = await hass.services.async_call(
            DOMAIN, "list_tasks", data, blocking=True, return_response=True
        )
        return sorted((row["key"], row["status"]) for row in response["tasks"])

    assert await listed() == [(second["key"], "open")]
    assert await listed(include_closed=True) == [(first["key"], "cancelled"), (second["key"], "open")]


async def test_an_unchanged_to_do_item_is_left_alone(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser
) -> None:
    world = await async_setup_bare_world(hass, freezer, NOW, blueprints=BLUEPRINTS, directory=DIRECTORY)
    await start(hass, "person.alice")
    await hass.async_block_till_done()
    await hass.services.async_call(
        "todo",
        "update_item",
        {
            "entity_id": "todo.bpo_workflows_my_tasks_alice",
            "item": "Submit expense claim",
            "status": "needs_action",
        },
        blocking=True,
    )
    [task] = world.manager.engine.open_tasks(assignee="person.alice")
    assert task.is_open and not world.bpo_events("task_completed")
