"""The work-from-home contact center (DESIGN.md scenario 5, issue 14 no. 4) end to end in Home Assistant.

The shipped blueprints ``wfh_contact`` and ``wfh_outbound_call`` run as an admin installs them: copied
into the config folder by bpo, with only the directory and the inbound webhook configured. Contacts come
in through the signed webhook and through HA's event bus; agents work through ``bpo.complete_task``, their
to-do lists and phone notifications. The guarantee test traces marked personal data through everything a
home agent can see.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import slugify
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator, WebSocketGenerator

from custom_components.bpo.connector_config import parse_inbound
from custom_components.bpo.connectors.base import TIMESTAMP_HEADER, sign_body
from custom_components.bpo.engine.directory import parse_directory

from .helpers import World, as_user, async_move, async_setup_world, complete_as, list_tasks_as, travel
from .ws_helpers import ws_as

pytestmark = pytest.mark.usefixtures("socket_enabled")

DOC = Path(__file__).parents[2] / "docs" / "scenarios" / "work-from-home.md"
BLOCK = re.compile(r"<!-- ([\w. ]+) -->\n```(?:yaml|json)\n(.*?)```", re.S)


def _blocks(kind: str) -> list[str]:
    found = [text for marker, text in BLOCK.findall(DOC.read_text(encoding="utf-8")) if marker == kind]
    assert found, f"no {kind} example in {DOC.name}"
    return found


TOKYO = ZoneInfo("Asia/Tokyo")
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=TOKYO)
SECRET = "wfh-inbound-secret-0123456789"
PUSH = "https://push.example.com/"
# the page's own examples: alice, bob and dave work from home, carol and erin in the center, sam
# supervises the center; the webhook takes both events
(DIRECTORY,) = _blocks("directory")
(CONNECTORS,) = _blocks("bpo_connectors")
HOME_LISTS = (
    "todo.bpo_workflows_my_tasks_alice",
    "todo.bpo_workflows_my_tasks_bob",
    "todo.bpo_workflows_queue_home_agents",
)


async def _world(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> World:
    """The shipped blueprints with the center's directory and an inbound webhook for both events."""
    await hass.config.async_set_time_zone("Asia/Tokyo")
    freezer.move_to(MONDAY)
    config = Path(hass.config.config_dir)
    (config / "secrets.yaml").write_text(f"bpo_inbound_secret: {SECRET}\n", encoding="utf-8")
    (config / "bpo_connectors.yaml").write_text(CONNECTORS, encoding="utf-8")
    world = await async_setup_world(hass, directory=DIRECTORY, employees=(), zones=("Center",))
    for agent in ("carol", "erin", "sam"):  # the center's people are in the center; the others at home
        await async_move(hass, agent, "Center")
    for agent in ("alice", "bob", "dave"):
        await async_move(hass, agent, "home")
    return world


async def _post(hass: HomeAssistant, client: Any, world: World, event: str, data: dict[str, Any]) -> Any:
    """What the contact-center software does: a signed, timestamped POST to bpo's webhook."""
    body = json.dumps({"event": event, "data": data}).encode()
    stamp = int(time.time())
    headers = {TIMESTAMP_HEADER: str(stamp), "X-Bpo-Signature": sign_body(SECRET, body, stamp)}
    resp = await client.post(f"/api/webhook/{world.entry.options['webhook_id']}", data=body, headers=headers)
    assert resp.status == 202, await resp.text()
    await hass.async_block_till_done()
    return await resp.json()


def hass_issues(hass: HomeAssistant) -> list[str]:
    return [issue_id for domain, issue_id in ir.async_get(hass).issues if domain == "bpo"]


async def _items(hass: HomeAssistant, entity_id: str, context: Context | None = None) -> list[dict[str, Any]]:
    result = await hass.services.async_call(
        "todo",
        "get_items",
        {"entity_id": entity_id, "status": ["needs_action", "completed"]},
        blocking=True,
        return_response=True,
        context=context,
    )
    assert isinstance(result, dict)
    items: list[dict[str, Any]] = result[entity_id]["items"]
    return items


def _open(world: World, step: str) -> Any:
    (task,) = [t for t in world.manager.engine.open_tasks(process=None) if t.step == step]
    return task


async def test_personal_data_contact_goes_center_home_center(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Identity check in the center, drafting at home, the answer from the center; home agents are refused
    the center's steps and center work never lands on a home agent's list."""
    world = await _world(hass, freezer)
    client = await hass_client_no_auth()
    answer = await _post(
        hass,
        client,
        world,
        "bpo_wfh_contact",
        {
            "contact_id": "C-100",
            "reason": "address_change",
            "channel": "phone",
            "question": "Moving next month; what do I need to send?",
            "agent": "person.alice",
        },
    )
    (inst,) = world.manager.engine.instances(process="wfh_contact")
    assert answer["instances"] == [inst.id] and inst.key == "C-100"

    check = _open(world, "identity_check")
    assert check.group == "center_agents" and check.assignee is None
    assert hass.states.get("todo.bpo_workflows_queue_center_agents").state == "1"
    for entity_id in HOME_LISTS:
        assert hass.states.get(entity_id).state == "0"
    # a home agent may not take personal-data work, even by naming the task
    with pytest.raises(ServiceValidationError):
        await complete_as(hass, world, "alice", check.id, "verified")
    await complete_as(
        hass, world, "carol", check.id, "verified", caller_name="Hanako Yamada", customer_no="K-5521"
    )

    draft = _open(world, "draft_at_home")
    assert (draft.assignee, draft.group) == ("person.alice", "home_agents")
    assert hass.states.get("todo.bpo_workflows_my_tasks_alice").state == "1"
    await complete_as(hass, world, "alice", draft.id, draft="Please send the new address with form A-3.")

    final = _open(world, "answer_from_center")
    assert final.group == "center_agents"
    with pytest.raises(ServiceValidationError):
        await complete_as(hass, world, "bob", final.id, "answered")
    await complete_as(hass, world, "erin", final.id, "answered", answer="Told her about form A-3.")
    assert inst.status == "completed"
    assert [(t.step, t.by) for t in inst.tasks] == [
        ("identity_check", "person.carol"),
        ("draft_at_home", "person.alice"),
        ("answer_from_center", "person.erin"),
    ]
    assert inst.fields["draft"] == "Please send the new address with form A-3."


async def test_unverified_and_unreached_contacts_stay_in_the_center(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A failed identity check closes the contact before anyone at home sees it; a customer not reached
    gets one call-back from the center, the call-back delay later, whose outcome stays in the history."""
    world = await _world(hass, freezer)
    hass.bus.async_fire("bpo_wfh_contact", {"contact_id": "C-1", "reason": "billing_dispute"})
    hass.bus.async_fire("bpo_wfh_contact", {"contact_id": "C-2", "reason": "account_closure"})
    await hass.async_block_till_done()
    first, second = sorted(world.manager.engine.instances(process="wfh_contact"), key=lambda i: i.key)
    await complete_as(hass, world, "carol", first.tasks[0].id, "not_verified")
    assert first.status == "cancelled" and len(first.tasks) == 1

    await complete_as(hass, world, "carol", second.tasks[0].id, "verified")
    draft = second.tasks[-1]
    assert draft.step == "draft_at_home" and draft.assignee is None and draft.group == "home_agents"
    await complete_as(hass, world, "bob", draft.id)
    await complete_as(hass, world, "erin", second.tasks[-1].id, "not_reached")
    assert [t.step for t in second.tasks if t.is_open] == []  # waiting for the call-back delay
    await travel(hass, freezer, MONDAY + timedelta(hours=1, minutes=59))
    assert [t.step for t in second.tasks if t.is_open] == []
    await travel(hass, freezer, MONDAY + timedelta(hours=2, minutes=1))
    call_back = second.tasks[-1]
    assert call_back.step == "call_back" and call_back.is_open
    await complete_as(hass, world, "carol", call_back.id, "not_reached")
    assert second.status == "completed" and call_back.outcome == "not_reached"


async def test_other_contacts_stay_at_home_and_idle_work_goes_back_to_the_queue(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_ws_client: WebSocketGenerator
) -> None:
    """A reason without personal data is answered at home; a task offered to an idle agent (by the channel,
    or claimed by her in the BPO panel) leaves her list after the idle timeout and waits in the home
    agents' queue; a home agent can send a contact that turns out to need personal data to the center."""
    world = await _world(hass, freezer)
    assert await async_setup_component(hass, "persistent_notification", {})
    hass.bus.async_fire(
        "bpo_wfh_contact",
        {"contact_id": "C-7", "reason": "opening_hours", "channel": "chat", "agent": "person.bob"},
    )
    await hass.async_block_till_done()
    (inst,) = world.manager.engine.instances(process="wfh_contact")
    offered = inst.tasks[0]
    assert (offered.step, offered.assignee, offered.group) == ("answer_at_home", "person.bob", "home_agents")
    assert hass.states.get("todo.bpo_workflows_my_tasks_bob").state == "1"
    assert hass.states.get("todo.bpo_workflows_queue_center_agents").state == "0"

    # bob is idle: 20 minutes later the same task is taken from him and offered to every home agent
    await travel(hass, freezer, MONDAY + timedelta(minutes=19))
    assert offered.assignee == "person.bob"
    await travel(hass, freezer, MONDAY + timedelta(minutes=21))
    assert (offered.is_open, offered.assignee, offered.group) == (True, None, "home_agents")
    assert inst.tasks == [offered]  # no new task: its id, fields and history stay
    assert hass.states.get("todo.bpo_workflows_my_tasks_bob").state == "0"
    assert [i["summary"] for i in await _items(hass, "todo.bpo_workflows_queue_home_agents")] == [
        "Answer: opening_hours (chat)"
    ]
    timeouts = [d for t, d in world.bpo_events("timeout") if d["instance_id"] == inst.id]
    assert [(d["step"], d["action"]) for d in timeouts] == [("answer_at_home", "requeue")]
    (back,) = [d for t, d in world.bpo_events("task_reassigned") if d["task_id"] == offered.id]
    assert (back["previous"], back["assignee"], back["requeued"]) == ("person.bob", None, True)
    assert [(h.what, h.details) for h in inst.history if h.what == "task_requeued"] == [
        ("task_requeued", {"task": offered.id, "from": "person.bob", "reason": "timeout"})
    ]
    # the other home agents are told again (persistent notifications: nobody has the app); bob's is gone
    alice = await ws_as(hass, hass_ws_client, world.users["alice"])
    notes = await alice.ok("persistent_notification/get")
    told = sorted(n["notification_id"] for n in notes if slugify(offered.id) in n["notification_id"])
    assert told == [f"bpo_{slugify(offered.id)}_person_{name}" for name in ("alice", "dave")]
    # nobody holds it now: it stays in the queue without timing out again
    await travel(hass, freezer, MONDAY + timedelta(hours=3))
    assert offered.is_open and offered.assignee is None
    assert len([d for t, d in world.bpo_events("timeout") if d["instance_id"] == inst.id]) == 1

    # alice finds it needs the customer's data: it goes to the center for the identity check
    await complete_as(hass, world, "alice", offered.id, "needs_center", draft="Asked about a personal order")
    check = inst.tasks[-1]
    assert (check.step, check.group) == ("identity_check", "center_agents")
    assert hass.states.get("todo.bpo_workflows_queue_center_agents").state == "1"

    # a second contact is answered at home, in time
    hass.bus.async_fire("bpo_wfh_contact", {"contact_id": "C-8", "reason": "catalogue_request"})
    await hass.async_block_till_done()
    other = next(i for i in world.manager.engine.instances(process="wfh_contact") if i.key == "C-8")
    await complete_as(hass, world, "dave", other.tasks[0].id, "answered", draft="Catalogue sent")
    assert other.status == "completed" and [t.step for t in other.tasks] == ["answer_at_home"]

    # a third waits in the queue; dave claims it in the BPO panel, then goes idle: back to the queue, the
    # idle time counted from his claim
    hass.bus.async_fire("bpo_wfh_contact", {"contact_id": "C-9", "reason": "general_information"})
    await hass.async_block_till_done()
    third = next(i for i in world.manager.engine.instances(process="wfh_contact") if i.key == "C-9")
    queued = third.tasks[0]
    assert (queued.assignee, queued.group) == (None, "home_agents")
    claimed_at = MONDAY + timedelta(hours=3)
    dave = await ws_as(hass, hass_ws_client, world.users["dave"])
    assert (await dave.ok("bpo/task/claim", task_id=queued.id))["assignee"] == "person.dave"
    assert hass.states.get("todo.bpo_workflows_my_tasks_dave").state == "1"
    await travel(hass, freezer, claimed_at + timedelta(minutes=19))
    assert queued.assignee == "person.dave"
    await travel(hass, freezer, claimed_at + timedelta(minutes=21))
    assert hass.states.get("todo.bpo_workflows_my_tasks_dave").state == "0"
    assert (third.tasks, queued.assignee, queued.group, queued.is_open) == (
        [queued],
        None,
        "home_agents",
        True,
    )
    await complete_as(hass, world, "bob", queued.id, "answered", draft="Done from the queue")
    assert third.status == "completed"


async def test_center_work_needs_an_agent_in_the_center(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_ws_client: WebSocketGenerator
) -> None:
    """Presence from Home Assistant's zones: a center agent outside the center's zone may not claim or
    complete personal-data work; one who leaves while holding a task hands the same task back to the queue
    and only the agents still in the center are told; after a restart the first zone report does the same."""
    world = await _world(hass, freezer)
    engine = world.manager.engine
    assert hass.states.get("zone.center").attributes["persons"] == [
        "person.carol",
        "person.erin",
        "person.sam",
    ]
    await async_move(hass, "erin", "not_home")  # erin went home
    hass.bus.async_fire("bpo_wfh_contact", {"contact_id": "C-20", "reason": "address_change"})
    await hass.async_block_till_done()
    (inst,) = engine.instances(process="wfh_contact")
    check = inst.tasks[0]
    # erin is a center agent, but not in the center: no claim, no completion
    erin = await ws_as(hass, hass_ws_client, world.users["erin"])
    (row,) = [r for r in (await erin.ok("bpo/tasks/list"))["tasks"] if r["task_id"] == check.id]
    assert (row["can_claim"], row["can_complete"]) == (False, False)
    await erin.refused("bpo/task/claim", "unauthorized", task_id=check.id)
    with pytest.raises(ServiceValidationError):
        await complete_as(hass, world, "erin", check.id, "verified")
    # carol claims it, then leaves the center: the same task goes back to the queue
    carol = await ws_as(hass, hass_ws_client, world.users["carol"])
    assert (await carol.ok("bpo/task/claim", task_id=check.id))["assignee"] == "person.carol"
    await async_move(hass, "carol", "not_home")
    assert (check.is_open, check.assignee, inst.tasks) == (True, None, [check])
    requeued = [h.details for h in inst.history if h.what == "task_requeued"]
    assert requeued == [{"task": check.id, "from": "person.carol", "reason": "left zone.center"}]
    with pytest.raises(ServiceValidationError):
        await complete_as(hass, world, "carol", check.id, "verified")
    # erin comes back and finishes it
    await async_move(hass, "erin", "Center")
    await complete_as(hass, world, "erin", check.id, "verified", customer_no="K-1")
    draft = inst.tasks[-1]
    assert draft.step == "draft_at_home"

    # a restart: carol came back and holds the answer; she leaves while Home Assistant is down
    await complete_as(hass, world, "bob", draft.id, draft="Form A-3")
    await async_move(hass, "carol", "Center")
    answer = inst.tasks[-1]
    await engine.reassign(answer.id, "person.carol")
    await hass.config_entries.async_unload(world.entry.entry_id)
    await async_move(hass, "carol", "not_home")
    assert await hass.config_entries.async_setup(world.entry.entry_id)
    await hass.async_block_till_done()
    after = world.manager.engine.task(answer.id)
    assert after is not None and after.is_open and after.assignee is None
    await complete_as(hass, world, "erin", answer.id, "answered", answer="Told her")


async def test_outbound_lists_are_worked_by_home_agents_with_retries(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Each list entry comes in through the webhook; only home agents take the calls; no answer brings the
    entry back after the delay, at most three attempts; a tick on the to-do list records a call."""
    world = await _world(hass, freezer)
    client = await hass_client_no_auth()
    for entry in ("0001", "0002"):
        await _post(
            hass,
            client,
            world,
            "bpo_wfh_outbound_call",
            {"list": "spring", "entry": entry, "topic": "Renewal offer"},
        )
    engine = world.manager.engine
    first, second = sorted(engine.instances(process="wfh_outbound_call"), key=lambda i: i.key)
    assert (first.key, second.key) == ("spring-0001", "spring-0002")
    assert hass.states.get("todo.bpo_workflows_queue_home_agents").state == "2"
    # center agents do not work outbound lists
    with pytest.raises(ServiceValidationError):
        await complete_as(hass, world, "carol", first.tasks[0].id, "reached")
    await complete_as(hass, world, "alice", first.tasks[0].id, "reached", call_note="Interested")
    assert first.status == "completed"

    for attempt in range(3):
        task = second.tasks[-1]
        assert (task.step, task.group, task.is_open) == ("call", "home_agents", True)
        await complete_as(hass, world, "bob", task.id, "no_answer")
        # the entry comes back to the queue after retry_after (4 hours), not before
        await travel(hass, freezer, MONDAY + timedelta(hours=4 * (attempt + 1), minutes=-1))
        assert not any(t.is_open for t in second.tasks)
        await travel(hass, freezer, MONDAY + timedelta(hours=4 * (attempt + 1), minutes=1))
    # given up after three attempts: cancelled, not failed (no Repairs issue for a customer not reached)
    assert second.status == "cancelled" and len(second.tasks) == 3
    assert not [i for i in hass_issues(hass) if i.startswith("failed_")]

    # a new entry; the queue's to-do item cannot be ticked (the call needs an outcome) ...
    await _post(hass, client, world, "bpo_wfh_outbound_call", {"list": "spring", "entry": "0003"})
    third = next(i for i in engine.instances(process="wfh_outbound_call") if i.key == "spring-0003")
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            "todo",
            "update_item",
            {
                "entity_id": "todo.bpo_workflows_queue_home_agents",
                "item": third.tasks[0].id,
                "status": "completed",
            },
            blocking=True,
            context=as_user(world, "dave"),
        )
    assert third.tasks[0].is_open
    # ... and a repeated delivery of the same entry does not start it twice
    await _post(hass, client, world, "bpo_wfh_outbound_call", {"list": "spring", "entry": "0003"})
    assert [i.key for i in engine.instances(process="wfh_outbound_call")].count("spring-0003") == 1


async def test_a_whole_outbound_list_is_one_instance_calling_one_entry_process_per_entry(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """The page's list body through the webhook: one list instance, one called entry per entry id, all in
    the home queue; the supervisors get the list's result once every entry has ended."""
    world = await _world(hass, freezer)
    client = await hass_client_no_auth()
    body = json.loads(next(b for b in _blocks("webhook body") if "bpo_wfh_outbound_list" in b))
    await _post(hass, client, world, body["event"], body["data"])
    engine = world.manager.engine
    (listed,) = engine.instances(process="wfh_outbound_list")
    entries = engine.instances(process="wfh_outbound_call")
    assert [(e.key, e.fields["entry"], e.parent) for e in entries] == [
        ("spring/calls/0", "0001", listed.id),
        ("spring/calls/1", "0002", listed.id),
        ("spring/calls/2", "0003", listed.id),
    ]
    assert hass.states.get("todo.bpo_workflows_queue_home_agents").state == "3"
    await complete_as(hass, world, "alice", entries[0].tasks[0].id, "reached", call_note="Interested")
    await complete_as(hass, world, "bob", entries[1].tasks[0].id, "do_not_call")
    assert not [t for t in engine.open_tasks(process="wfh_outbound_list")]  # one entry still open
    for attempt in range(3):  # the third entry is never reached
        await complete_as(hass, world, "dave", entries[2].tasks[-1].id, "no_answer")
        await travel(hass, freezer, MONDAY + timedelta(hours=4 * (attempt + 1), minutes=1))
    assert [e.status for e in entries] == ["completed", "completed", "cancelled"]
    (result,) = engine.open_tasks(process="wfh_outbound_list")
    assert (result.group, result.title) == (
        "center_supervisors",
        "List spring (Renewal offer): 2 of 3 entries done",
    )
    await complete_as(hass, world, "sam", result.id, "done")
    assert listed.status == "completed"


# -- the guarantee ---------------------------------------------------------------------------------------
MARKS = {
    "caller_name": "Zq-NAME-7731",
    "contact": "zq-contact-7731@example.com",
    "customer_no": "ZQ-CUST-7731",
    "answer": "Zq-ANSWER-7731",
}


def _leaks(value: object) -> list[str]:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return [mark for mark in MARKS.values() if mark in text]


async def _register_phone(
    hass: HomeAssistant, world: World, hass_client: ClientSessionGenerator, aioclient_mock: Any, owner: str
) -> None:
    """A companion-app registration for ``owner`` whose pushes ``aioclient_mock`` records."""
    device = f"{owner}_phone"
    aioclient_mock.post(PUSH + device, json={})
    refresh = await hass.auth.async_create_refresh_token(world.users[owner], "https://app.example.com/")
    client = await hass_client(hass.auth.async_create_access_token(refresh))
    response = await client.post(
        "/api/mobile_app/registrations",
        json={
            "app_id": "io.robbie.HomeAssistant",
            "app_name": "Home Assistant",
            "app_version": "2025.4",
            "device_name": device,
            "device_id": f"id-{device}",
            "manufacturer": "Apple",
            "model": "iPhone",
            "os_name": "iOS",
            "os_version": "18.0",
            "supports_encryption": False,
            "app_data": {"push_token": f"token-{device}", "push_url": PUSH + device},
        },
    )
    assert response.status == 201
    await hass.async_block_till_done()
    assert hass.services.has_service("notify", f"mobile_app_{device}")


def _pushes(aioclient_mock: AiohttpClientMocker, owner: str) -> list[Any]:
    return [call[2] for call in aioclient_mock.mock_calls if str(call[1]) == f"{PUSH}{owner}_phone"]


async def test_no_personal_data_reaches_a_home_agent(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
    hass_ws_client: WebSocketGenerator,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Marked personal data of a contact, through every path a home agent has: her tasks, to-do items,
    phone notifications, the persistent notifications every user sees, list_tasks rows and bpo's events
    (which the logbook shows to all). The same values reach the center agent who is cleared for them."""
    world = await _world(hass, freezer)
    for domain in ("repairs", "notify", "mobile_app", "persistent_notification"):
        assert await async_setup_component(hass, domain, {})
    await hass.async_block_till_done()
    # alice (home) and carol (center) have phones; bob (home), erin (center) and sam get persistent ones
    for owner in ("alice", "carol"):
        await _register_phone(hass, world, hass_client, aioclient_mock, owner)
    client = await hass_client_no_auth()

    # two personal-data contacts: one offered to alice, one left to the queue
    for key, agent in (("C-501", "person.alice"), ("C-502", "")):
        await _post(
            hass,
            client,
            world,
            "bpo_wfh_contact",
            {
                "contact_id": key,
                "reason": "address_change",
                "channel": "phone",
                "question": "Where do I send the new address?",
                "agent": agent,
            },
        )
    engine = world.manager.engine
    offered, queued = sorted(engine.instances(process="wfh_contact"), key=lambda i: i.key)
    # the center agent notes who called while she checks their identity, in the BPO panel (whose
    # websocket command keeps the values out of HA's recorder)
    identity = {name: MARKS[name] for name in ("caller_name", "contact", "customer_no")}
    carol_ws = await ws_as(hass, hass_ws_client, world.users["carol"])
    for inst in (offered, queued):
        await carol_ws.ok("bpo/task/complete", task_id=inst.tasks[0].id, outcome="verified", form=identity)
    await hass.async_block_till_done()
    # alice finishes her draft; bob claims the queued one, idles past the timeout and it comes back to
    # the queue
    await complete_as(hass, world, "alice", offered.tasks[-1].id, draft="Use form A-3.")
    bob_claims = await ws_as(hass, hass_ws_client, world.users["bob"])
    await bob_claims.ok("bpo/task/claim", task_id=queued.tasks[-1].id)
    await travel(hass, freezer, MONDAY + timedelta(minutes=21))
    assert [(t.step, t.assignee) for t in queued.tasks[1:]] == [("draft_at_home", None)]
    assert [h.what for h in queued.history].count("task_requeued") == 1
    await complete_as(hass, world, "erin", offered.tasks[-1].id, "answered", answer=MARKS["answer"])
    # an hour on: the requeued draft is overdue and escalated to the supervisor
    await travel(hass, freezer, MONDAY + timedelta(hours=1, minutes=22))
    assert offered.status == "completed" and queued.tasks[-1].is_open
    assert {v for k, v in offered.fields.items() if k in MARKS} == set(MARKS.values())  # it was all there

    # what a home agent can see
    seen: dict[str, object] = {}
    for who in ("alice", "bob"):
        rows = await list_tasks_as(hass, world, who)
        assert {r["step"] for r in rows} >= {"draft_at_home"}
        assert all(r["fields"]["caller_name"] == "***" for r in rows)
        seen[f"list_tasks {who}"] = rows
    # Home Assistant lets every user read every entity: bob reads all of bpo's lists, the center's too
    lists = [e for e in hass.states.async_entity_ids("todo") if e.startswith("todo.bpo_workflows_")]
    assert set(HOME_LISTS) | {"todo.bpo_workflows_queue_center_agents"} <= set(lists)
    for entity_id in lists:
        seen[entity_id] = await _items(hass, entity_id, as_user(world, "bob"))
    assert seen["todo.bpo_workflows_my_tasks_alice"] and seen["todo.bpo_workflows_queue_home_agents"]
    assert seen["todo.bpo_workflows_queue_center_agents"]  # the center's identity checks and answers
    seen["alice's phone"] = _pushes(aioclient_mock, "alice")
    assert any("Draft an answer" in json.dumps(p) for p in _pushes(aioclient_mock, "alice"))
    # persistent notifications are one list for every user: read it as bob, a home agent
    bob_token = await hass.auth.async_create_refresh_token(world.users["bob"], "https://app.example.com/")
    ws = await hass_ws_client(hass, hass.auth.async_create_access_token(bob_token))
    await ws.send_json_auto_id({"type": "persistent_notification/get"})
    notes = (await ws.receive_json())["result"]
    assert any("Draft an answer" in n["title"] for n in notes)  # bob's own
    assert any("Escalated: Draft an answer" in n["title"] for n in notes)  # sam's (cleared), bob sees it
    seen["persistent notifications"] = notes
    # the BPO panel as bob uses it: his task list, the contacts he may see and each one's history
    bob_ws = await ws_as(hass, hass_ws_client, world.users["bob"])
    seen["panel tasks"] = await bob_ws.ok("bpo/tasks/list", include_closed=True)
    instances = (await bob_ws.ok("bpo/instances/list"))["instances"]
    assert {i["key"] for i in instances} >= {"C-501", "C-502"}
    seen["panel instances"] = instances
    seen["panel history"] = [
        await bob_ws.ok("bpo/instance/get", instance_id=i["instance_id"]) for i in instances
    ]
    seen["bpo events"] = world.bpo_events()
    seen["every state"] = [s.as_dict() for s in hass.states.async_all()]
    assert {name: _leaks(value) for name, value in seen.items() if _leaks(value)} == {}

    # the center agent cleared for it reads every value in her rows (the marks were there to be found)
    carol = await list_tasks_as(hass, world, "carol")
    assert set(_leaks(carol)) == set(MARKS.values())
    carol_now = await ws_as(hass, hass_ws_client, world.users["carol"])  # the first token has expired
    carol_view = await carol_now.ok("bpo/instance/get", instance_id=offered.id)
    assert set(_leaks(carol_view)) == set(MARKS.values())
    # the center's own phone and persistent notifications keep personal data out of the text too
    assert _leaks(_pushes(aioclient_mock, "carol")) == []


async def test_personal_data_sent_with_the_contact_event_stays_out_of_bpo_events(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    world = await _world(hass, freezer)
    hass.bus.async_fire(
        "bpo_wfh_contact",
        {"contact_id": "C-9", "reason": "address_change", "caller_name": MARKS["caller_name"]},
    )
    await hass.async_block_till_done()
    assert world.manager.engine.instances(process="wfh_contact")
    # every event bpo fired (the contact event itself is the channel's input, not bpo's output)
    fired = [e for e in world.bpo_events() if e[0] != "bpo_wfh_contact"]
    assert any(name == "bpo_instance_started" for name, _ in fired)
    assert _leaks(fired) == []


async def test_the_pages_examples_are_valid_for_bpo_and_home_assistant(hass: HomeAssistant) -> None:
    """docs/scenarios/work-from-home.md: the directory and connectors (used by every test above), the
    webhook bodies and the Home Assistant settings it names."""
    from homeassistant.components.http import CONFIG_SCHEMA as HTTP_SCHEMA
    from homeassistant.components.recorder import CONFIG_SCHEMA as RECORDER_SCHEMA
    from homeassistant.core_config import CORE_CONFIG_SCHEMA

    directory = parse_directory(DIRECTORY, DOC.name)
    assert directory.groups_of("person.carol") == ["center_agents"]
    inbound = parse_inbound(
        yaml.safe_load(CONNECTORS.replace("!secret bpo_inbound_secret", SECRET))["inbound"]
    )
    events = {"bpo_wfh_contact", "bpo_wfh_outbound_list", "bpo_wfh_outbound_call"}
    assert inbound.events == events and inbound.require_timestamp
    bodies = [json.loads(text) for text in _blocks("webhook body")]
    assert [b["event"] for b in bodies] == [
        "bpo_wfh_contact",
        "bpo_wfh_outbound_list",
        "bpo_wfh_outbound_call",
    ]
    assert set(bodies[0]["data"]) == {"contact_id", "reason", "channel", "question", "agent"}

    settings = [yaml.safe_load(text) for text in _blocks("configuration.yaml")]
    assert [next(iter(s)) for s in settings] == ["homeassistant", "http", "recorder"]
    core = await hass.async_add_executor_job(CORE_CONFIG_SCHEMA, settings[0]["homeassistant"])
    assert core["auth_mfa_modules"] == [{"type": "totp", "name": "Authenticator app"}]
    http = HTTP_SCHEMA(settings[1])["http"]
    assert http["ip_ban_enabled"] and http["login_attempts_threshold"] == 5
    assert RECORDER_SCHEMA(settings[2])["recorder"]["exclude"]["event_types"] == ["call_service"]


async def test_a_cleared_persons_persistent_notification_shows_no_personal_data_to_others(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_ws_client: WebSocketGenerator
) -> None:
    blueprint = """\
blueprint: {name: Default texts, domain: bpo}
process:
  key: default_texts
  start: [{manual: {}}]
  fields:
    caller_name: {type: text, pii: true, label: Caller name}
  steps:
    - id: call_back
      task: {group: center_agents, pii: true}
  pii_cleared: [group:center_agents]
"""
    world = await _world(hass, freezer)
    path = Path(hass.config.config_dir) / "blueprints" / "bpo" / "default_texts.yaml"
    path.write_text(blueprint, encoding="utf-8")
    await hass.services.async_call("bpo", "reload", {}, blocking=True)
    assert await async_setup_component(hass, "persistent_notification", {})
    await world.manager.async_run(
        lambda engine: engine.start("default_texts", fields={"caller_name": MARKS["caller_name"]})
    )
    await hass.async_block_till_done()
    bob = await ws_as(hass, hass_ws_client, world.users["bob"])  # a home agent
    notes = await bob.ok("persistent_notification/get")
    assert any("Call back" in n["title"] for n in notes)  # carol's and erin's, which bob reads too
    assert _leaks(notes) == []


async def test_personal_data_typed_into_a_home_draft_is_flagged_and_kept_out_of_events(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """``draft`` is free text a home agent types; a phone number typed there is masked in the bus event
    (so the logbook and the recorder), the event says which field, and the log warns naming field and
    kind, never the value. The instance keeps the text for the center agent who sends the answer."""
    world = await _world(hass, freezer)
    hass.bus.async_fire(
        "bpo_wfh_contact",
        {"contact_id": "C-8", "reason": "opening_hours", "channel": "chat", "agent": "person.bob"},
    )
    await hass.async_block_till_done()
    task = _open(world, "answer_at_home")
    typed = "Call her back on 090-1234-5678 tomorrow"
    await complete_as(hass, world, "bob", task.id, "answered", draft=typed)
    (done,) = [d for _, d in world.bpo_events("task_completed") if d["task_id"] == task.id]
    assert done["form"] == {"draft": "***"} and done["pii_suspected"] == ["draft"]
    assert "090-1234-5678" not in str(world.bpo_events())
    warned = [r.getMessage() for r in caplog.records if "look like personal data" in r.getMessage()]
    assert warned and "draft" in warned[0] and "phone" in warned[0] and "090" not in warned[0]
    instance = world.manager.engine.instance(task.instance_id)
    assert instance is not None and instance.fields["draft"] == typed
