"""To-do lists: "My tasks" per person and a queue per group; checking an item off completes the task."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.todo import TodoServices
from homeassistant.const import Platform
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockUser, snapshot_platform
from pytest_homeassistant_custom_component.typing import WebSocketGenerator
from syrupy.assertion import SnapshotAssertion

from .helpers import World, async_setup_bare_world
from .ws_helpers import ws_as

TZ = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=TZ)  # a Tuesday
DIRECTORY = """\
groups:
  approvers: [person.bob]
"""
EXPENSE = """\
blueprint:
  name: Expense claim
  domain: bpo
process:
  key: expense_claim
  start:
    - manual: {}
    - schedule: "0 8 * * 1"
      for_each: [person.carol]
  limits: {max_starts: 3, per: 1h}
  fields:
    amount: {type: number, label: Amount}
    receipt: {type: file, label: Receipt, required: true}
  steps:
    - id: submit
      task:
        title: "Submit expense claim"
        description: Attach the receipt.
        assignee: "{{ item or instance.key }}"
        form: [amount]
        due: 2d
    - id: approve
      task:
        title: "Approve expense claim of {{ instance.key }}"
        group: approvers
        outcomes: [approve, reject]
        due: 3d
    - id: archive
      task:
        title: "Archive receipt"
        assignee: "{{ instance.key }}"
        form: [receipt]
"""
BLUEPRINTS = {"expense.yaml": EXPENSE}


@pytest.fixture
async def world(hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser) -> World:
    # hass_admin_user exists first, so none of the people's users becomes the (admin) owner
    return await async_setup_bare_world(hass, freezer, NOW, blueprints=BLUEPRINTS, directory=DIRECTORY)


async def start(hass: HomeAssistant, key: str) -> dict[str, Any]:
    response = await hass.services.async_call(
        "bpo", "start", {"process": "expense_claim", "key": key}, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response


async def items(hass: HomeAssistant, entity_id: str) -> list[dict[str, Any]]:
    response = await hass.services.async_call(
        "todo", TodoServices.GET_ITEMS, {"entity_id": entity_id}, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response[entity_id]["items"]


async def check_off(hass: HomeAssistant, entity_id: str, uid: str, user_id: str | None = None) -> None:
    await hass.services.async_call(
        "todo",
        TodoServices.UPDATE_ITEM,
        {"entity_id": entity_id, "item": uid, "status": "completed"},
        blocking=True,
        context=Context(user_id=user_id),
    )
    await hass.async_block_till_done()


async def test_items_appear_for_assignee_with_due_date(hass: HomeAssistant, world: World) -> None:
    await start(hass, "person.alice")
    await hass.async_block_till_done()
    state = hass.states.get("todo.bpo_workflows_my_tasks_alice")
    assert state is not None
    assert state.state == "1"
    [item] = await items(hass, "todo.bpo_workflows_my_tasks_alice")
    assert item["summary"] == "Submit expense claim"
    assert item["status"] == "needs_action"
    assert item["due"] == "2026-03-05T10:00:00+09:00"
    assert item["description"].startswith("Expense claim · submit")
    assert hass.states.get("todo.bpo_workflows_my_tasks_bob").state == "0"
    assert hass.states.get("todo.bpo_workflows_queue_approvers").state == "0"


async def test_checking_off_completes_the_task(hass: HomeAssistant, world: World) -> None:
    """alice (an ordinary user) checks off her item: the task completes and the next one reaches the queue."""
    await start(hass, "person.alice")
    [item] = await items(hass, "todo.bpo_workflows_my_tasks_alice")
    await check_off(hass, "todo.bpo_workflows_my_tasks_alice", item["uid"], world.users["alice"].id)

    task = world.manager.engine.task(item["uid"])
    assert task.status == "completed"
    assert task.by == "person.alice"
    completed = world.bpo_events("task_completed")[-1][1]
    assert completed["source"] == "todo"
    assert hass.states.get("todo.bpo_workflows_my_tasks_alice").state == "0"
    [queued] = await items(hass, "todo.bpo_workflows_queue_approvers")
    assert queued["summary"] == "Approve expense claim of person.alice"
    assert "Outcomes: approve, reject" in queued["description"]
    assert hass.states.get("todo.bpo_workflows_queue_approvers").state == "1"


async def test_user_cannot_check_off_someone_elses_item(hass: HomeAssistant, world: World) -> None:
    await start(hass, "person.alice")
    [item] = await items(hass, "todo.bpo_workflows_my_tasks_alice")
    with pytest.raises(Unauthorized):
        await check_off(hass, "todo.bpo_workflows_my_tasks_alice", item["uid"], world.users["bob"].id)
    assert world.manager.engine.task(item["uid"]).is_open
    # admins (and automations, which carry no user) act for anyone
    await check_off(hass, "todo.bpo_workflows_my_tasks_alice", item["uid"], None)
    assert world.manager.engine.task(item["uid"]).status == "completed"


async def test_read_only_user(hass: HomeAssistant, world: World, hass_read_only_user: MockUser) -> None:
    """HA forbids a read-only user to call todo.update_item at all; bpo.complete_task does take their own."""
    alice = world.users["alice"]
    await hass.auth.async_update_user(alice, group_ids=["system-read-only"])
    assert not alice.is_admin
    await start(hass, "person.alice")
    await start(hass, "person.bob")
    [own] = await items(hass, "todo.bpo_workflows_my_tasks_alice")
    [other] = await items(hass, "todo.bpo_workflows_my_tasks_bob")

    for entity_id, uid in (
        ("todo.bpo_workflows_my_tasks_bob", other["uid"]),
        ("todo.bpo_workflows_my_tasks_alice", own["uid"]),
    ):
        with pytest.raises(Unauthorized):
            await check_off(hass, entity_id, uid, alice.id)
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            "bpo",
            "complete_task",
            {"task_id": other["uid"]},
            blocking=True,
            context=Context(user_id=alice.id),
        )
    assert world.manager.engine.task(other["uid"]).is_open

    await hass.services.async_call(
        "bpo", "complete_task", {"task_id": own["uid"]}, blocking=True, context=Context(user_id=alice.id)
    )
    await hass.async_block_till_done()
    assert world.manager.engine.task(own["uid"]).status == "completed"
    # done, it stays on her list ticked (for the retention period; see test_todo_retention.py)
    done = await items(hass, "todo.bpo_workflows_my_tasks_alice")
    assert [(i["uid"], i["status"]) for i in done] == [(own["uid"], "completed")]


async def test_group_queue_and_tasks_that_need_the_service(hass: HomeAssistant, world: World) -> None:
    """Queue members take queue items; an outcome choice or required form data needs bpo.complete_task."""
    bob, carol = world.users["bob"], world.users["carol"]
    await start(hass, "person.alice")
    [item] = await items(hass, "todo.bpo_workflows_my_tasks_alice")
    await check_off(hass, "todo.bpo_workflows_my_tasks_alice", item["uid"])
    [queued] = await items(hass, "todo.bpo_workflows_queue_approvers")

    with pytest.raises(Unauthorized):  # carol is not an approver
        await check_off(hass, "todo.bpo_workflows_queue_approvers", queued["uid"], carol.id)
    with pytest.raises(ServiceValidationError) as err:
        await check_off(hass, "todo.bpo_workflows_queue_approvers", queued["uid"], bob.id)
    assert err.value.translation_key == "needs_service"
    assert world.manager.engine.task(queued["uid"]).is_open

    await hass.services.async_call(
        "bpo",
        "complete_task",
        {"task_id": queued["uid"], "outcome": "approve"},
        blocking=True,
        context=Context(user_id=bob.id),
    )
    await hass.async_block_till_done()
    done = await items(hass, "todo.bpo_workflows_queue_approvers")
    assert [(i["uid"], i["status"]) for i in done] == [(queued["uid"], "completed")]
    alice_items = await items(hass, "todo.bpo_workflows_my_tasks_alice")
    [archive] = [i for i in alice_items if i["status"] == "needs_action"]
    assert [i["summary"] for i in alice_items if i["status"] == "completed"] == ["Submit expense claim"]
    assert "Form: Receipt *" in archive["description"]
    with pytest.raises(ServiceValidationError) as err:  # the receipt is required
        await check_off(hass, "todo.bpo_workflows_my_tasks_alice", archive["uid"])
    assert err.value.translation_key == "needs_service"


async def test_items_cannot_be_edited(hass: HomeAssistant, world: World) -> None:
    await start(hass, "person.alice")
    [item] = await items(hass, "todo.bpo_workflows_my_tasks_alice")
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "todo",
            TodoServices.UPDATE_ITEM,
            {"entity_id": "todo.bpo_workflows_my_tasks_alice", "item": item["uid"], "rename": "x"},
            blocking=True,
        )
    assert err.value.translation_key == "todo_read_only"


async def test_person_added_later_gets_a_list(hass: HomeAssistant, world: World) -> None:
    hass.states.async_set("person.frank", "home", {"friendly_name": "Frank"})
    await hass.async_block_till_done()
    state = hass.states.get("todo.bpo_workflows_my_tasks_frank")
    assert state is not None and state.state == "0"
    # named alone (no device name in front, cut short in the to-do sidebar); the id keeps bpo's prefix
    assert state.attributes["friendly_name"] == "Frank's tasks"
    # and it is his list: a task assigned to him lands there, not on anyone else's
    await start(hass, "person.frank")
    await hass.async_block_till_done()
    [item] = await items(hass, "todo.bpo_workflows_my_tasks_frank")
    assert item["summary"] == "Submit expense claim"
    assert world.manager.engine.task(item["uid"]).assignee == "person.frank"
    assert hass.states.get("todo.bpo_workflows_my_tasks_frank").state == "1"
    assert await items(hass, "todo.bpo_workflows_my_tasks_alice") == []


async def test_snapshot(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    with patch("custom_components.bpo.PLATFORMS", [Platform.TODO]):
        world = await async_setup_bare_world(hass, freezer, NOW, blueprints=BLUEPRINTS, directory=DIRECTORY)
        await start(hass, "person.alice")
        await start(hass, "person.carol")
        await hass.async_block_till_done()
        await snapshot_platform(hass, entity_registry, snapshot, world.entry.entry_id)
        assert await items(hass, "todo.bpo_workflows_my_tasks_alice") == snapshot(name="alice-items")


async def test_a_refused_tick_unticks_at_once_and_points_to_the_panel(
    hass: HomeAssistant,
    world: World,
    hass_admin_user: MockUser,
    hass_ws_client: WebSocketGenerator,
    entity_registry: er.EntityRegistry,
) -> None:
    """The to-do card ticks the box before the call; the refusal must send it the list again, unticked."""
    await start(hass, "person.alice")
    [item] = await items(hass, "todo.bpo_workflows_my_tasks_alice")
    await check_off(hass, "todo.bpo_workflows_my_tasks_alice", item["uid"])
    queue = "todo.bpo_workflows_queue_approvers"
    assert hass.states.get(queue).attributes["friendly_name"] == "approvers queue"
    assert entity_registry.async_get(queue).device_id is None  # so no device name leads its name
    [queued] = await items(hass, queue)
    card = await ws_as(hass, hass_ws_client, hass_admin_user)
    assert await card.ok("todo/item/subscribe", entity_id=queue) is None
    first = await card.client.receive_json()
    assert [i["status"] for i in first["event"]["items"]] == ["needs_action"]

    with pytest.raises(ServiceValidationError) as err:  # approve or reject? a checkbox cannot say
        await check_off(hass, queue, queued["uid"], world.users["bob"].id)
    assert err.value.translation_key == "needs_service"
    assert "Open BPO in the sidebar" in str(err.value) and "Developer tools" not in str(err.value)
    # the card hears the list again, the item still to do, before the answer to anything it asks next
    await card.client.send_json_auto_id({"type": "ping"})
    pushed = await card.client.receive_json()
    assert pushed["type"] == "event", pushed
    assert [(i["uid"], i["status"]) for i in pushed["event"]["items"]] == [(queued["uid"], "needs_action")]
    assert (await card.client.receive_json())["type"] == "pong"

    with pytest.raises(Unauthorized):  # carol is not an approver: unticked again too
        await check_off(hass, queue, queued["uid"], world.users["carol"].id)
    await card.client.send_json_auto_id({"type": "ping"})
    assert (await card.client.receive_json())["type"] == "event"
    assert (await card.client.receive_json())["type"] == "pong"
    assert world.manager.engine.task(queued["uid"]).is_open
