"""Shared setup for the notification tests: blueprints, people with phones, and what a phone does.

``world`` and ``phones`` are fixtures (imported by the test module); ``pushes`` reads what mobile_app sent
to a device's push_url, ``start`` starts an instance and ``press`` taps a notification button.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from .helpers import World, async_setup_world

TOKYO = ZoneInfo("Asia/Tokyo")
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TOKYO)
PUSH = "https://push.example.com/"
DIRECTORY = """\
groups:
  center: [person.alice, person.carol]
  home: [person.erin]
supervisors:
  person.alice: person.sam
"""
BLUEPRINT = """\
blueprint:
  name: Refund request
  domain: bpo
process:
  key: refund
  start: [{manual: {}}]
  pii_cleared: [group:center]
  fields:
    agent: {type: entity}
    customer: {type: text, pii: true, label: Customer}
    amount: {type: number, label: Amount}
    comment: {type: text, label: Comment}
  steps:
    - id: decide
      task:
        title: Refund decision
        assignee: "{{ fields.agent }}"
        outcomes: [approve, reject]
        remind: [2h]
    - id: explain
      task:
        title: Explain the decision
        assignee: "{{ fields.agent }}"
        form: [comment]
"""
QUEUE = """\
blueprint:
  name: Callback queue
  domain: bpo
process:
  key: callback
  start: [{manual: {}}]
  steps:
    - id: call_back
      task: {group: center, due: 7d, remind: [1d]}
"""

TRIAGE = """\
blueprint:
  name: Ticket triage
  domain: bpo
process:
  key: triage
  start: [{manual: {}}]
  fields:
    agent: {type: entity}
  steps:
    - id: sort
      task: {title: Sort the ticket, assignee: "{{ fields.agent }}", outcomes: [fix, forward, wait, close]}
"""
ESCALATING = """\
blueprint:
  name: Late answer
  domain: bpo
process:
  key: late
  start: [{manual: {}}]
  fields:
    agent: {type: entity}
  steps:
    - id: answer
      task:
        title: Answer the client
        assignee: "{{ fields.agent }}"
        escalate: [{after: 1h, notify: [supervisor, assignee]}]
"""


@pytest.fixture
async def world(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> World:
    await hass.config.async_set_time_zone("Asia/Tokyo")
    freezer.move_to(MONDAY)
    blueprints = {
        "refund.yaml": BLUEPRINT,
        "callback.yaml": QUEUE,
        "triage.yaml": TRIAGE,
        "late.yaml": ESCALATING,
    }
    world = await async_setup_world(hass, blueprints=blueprints, directory=DIRECTORY)
    # after the world: mobile_app depends on person, which must get the world's people first
    assert await async_setup_component(hass, "mobile_app", {})
    assert await async_setup_component(hass, "persistent_notification", {})  # loaded by HA's bootstrap
    return world


@pytest.fixture
async def phones(
    hass: HomeAssistant,
    world: World,
    hass_client: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
) -> dict[str, str]:
    """Device name -> webhook id: alice has two phones, carol, erin and bob one each, sam none.

    bob's phone is an Android (three buttons at most); the others are iPhones.
    """
    owners = {"alice_phone": "alice", "alice_tablet": "alice", "carol_phone": "carol"}
    owners |= {"erin_phone": "erin", "bob_phone": "bob"}
    webhooks: dict[str, str] = {}
    # whatever a registration pulls in (notify -> repairs) must add its HTTP views before the first test
    # client freezes the router; left to the registration, that raced and failed now and then
    for domain in ("repairs", "notify", "mobile_app"):
        assert await async_setup_component(hass, domain, {})
    await hass.async_block_till_done()
    for device, owner in owners.items():
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
                **(
                    {"manufacturer": "Google", "model": "Pixel 8", "os_name": "Android", "os_version": "15"}
                    if device == "bob_phone"
                    else {"manufacturer": "Apple", "model": "iPhone", "os_name": "iOS", "os_version": "18.0"}
                ),
                "supports_encryption": False,
                "app_data": {"push_token": f"token-{device}", "push_url": PUSH + device},
            },
        )
        assert response.status == 201
        webhooks[device] = (await response.json())["webhook_id"]
    await hass.async_block_till_done()
    for device in owners:
        assert hass.services.has_service("notify", f"mobile_app_{device}")
    return webhooks


def pushes(aioclient_mock: AiohttpClientMocker, device: str) -> list[dict[str, Any]]:
    return [call[2] for call in aioclient_mock.mock_calls if str(call[1]) == PUSH + device]


async def start(hass: HomeAssistant, world: World, process: str, **fields: Any) -> str:
    """Start an instance; returns the id of its first open task."""
    inst = await world.manager.async_run(lambda engine: engine.start(process, fields=fields))
    await hass.async_block_till_done()
    return next(t.id for t in world.manager.engine.open_tasks() if t.instance_id == inst.id)


async def press(
    hass: HomeAssistant, client_factory: ClientSessionGenerator, webhook_id: str, event: str, **data: Any
) -> None:
    """What the companion app does when a button is tapped: fire_event through its webhook."""
    client = await client_factory()
    response = await client.post(
        f"/api/webhook/{webhook_id}",
        json={"type": "fire_event", "data": {"event_type": event, "event_data": data}},
    )
    assert response.status == 200
    await hass.async_block_till_done()


ACTION = "mobile_app_notification_action"
