"""The contact-center BPO (DESIGN.md §2, issue 14 no. 2) end to end in Home Assistant.

The shipped blueprints run as an admin installs them, with only the directory and the inbound webhook of
docs/scenarios/contact-center.md configured: contacts come in through the signed webhook and HA's event
bus, people work through ``bpo.complete_task``, and a lead is handed from process to process by ``call``.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.bpo.connectors.base import TIMESTAMP_HEADER, sign_body

from .helpers import World, async_setup_world, travel

pytestmark = pytest.mark.usefixtures("socket_enabled")

DOC = Path(__file__).parents[2] / "docs" / "scenarios" / "contact-center.md"
BLOCK = re.compile(r"<!-- ([\w. ]+) -->\n```(?:yaml|json)\n(.*?)```", re.S)
TOKYO = ZoneInfo("Asia/Tokyo")
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=TOKYO)
SECRET = "cc-inbound-secret-0123456789abc"


def _block(kind: str) -> str:
    (found,) = [t for m, t in BLOCK.findall(DOC.read_text(encoding="utf-8")) if m == kind]
    return found


async def _world(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> World:
    await hass.config.async_set_time_zone("Asia/Tokyo")
    freezer.move_to(MONDAY)
    config = Path(hass.config.config_dir)
    (config / "secrets.yaml").write_text(f"bpo_inbound_secret: {SECRET}\n", encoding="utf-8")
    (config / "bpo_connectors.yaml").write_text(_block("bpo_connectors"), encoding="utf-8")
    return await async_setup_world(hass, directory=_block("directory"), employees=())


async def _post(hass: HomeAssistant, client: Any, world: World, body: bytes) -> None:
    stamp = int(time.time())
    headers = {TIMESTAMP_HEADER: str(stamp), "X-Bpo-Signature": sign_body(SECRET, body, stamp)}
    resp = await client.post(f"/api/webhook/{world.entry.options['webhook_id']}", data=body, headers=headers)
    assert resp.status == 202, await resp.text()
    await hass.async_block_till_done()


async def _complete(hass: HomeAssistant, world: World, who: str, task: Any, outcome: str) -> None:
    await hass.services.async_call(
        "bpo",
        "complete_task",
        {"task_id": task.id, "outcome": outcome, "form": {}},
        blocking=True,
        return_response=True,
        context=Context(user_id=world.users[who].id),
    )
    await hass.async_block_till_done()


def _open(world: World, process: str, step: str) -> Any:
    (task,) = [t for t in world.manager.engine.open_tasks(process=process) if t.step == step]
    return task


async def test_a_web_form_lead_is_one_record_and_is_handed_off_by_call_to_the_inquiry_desk(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_client_no_auth: ClientSessionGenerator
) -> None:
    world = await _world(hass, freezer)
    client = await hass_client_no_auth()
    # the page's web-form body, then the same contact again by e-mail on HA's bus: one contact record
    await _post(hass, client, world, _block("webhook body").encode())
    hass.bus.async_fire("bpo_cc_email", {"contact_id": "K-2", "topic": "Brochure request"})
    await hass.async_block_till_done()
    (contact,) = world.manager.engine.instances(process="cc_contact")
    assert contact.key == "K-2" and contact.fields["channel"] == "web_form"

    respond = _open(world, "cc_contact", "respond")
    assert respond.group == "cc_inhouse_inquiry"
    assert respond.due == MONDAY + timedelta(days=1)  # normal priority: one day
    with pytest.raises(ServiceValidationError):  # alice is not on the inquiry desk
        await _complete(hass, world, "alice", respond, "lead")
    await _complete(hass, world, "carol", respond, "lead")

    (prospect,) = world.manager.engine.instances(process="cc_prospect")
    assert prospect.key == "K-2" and prospect.source == "call"
    assert prospect.fields["prospect"] == "K-2" and contact.status == "running"
    assert not world.manager.engine.open_tasks(process="cc_prospect")  # the follow-up delay (3 days)
    await travel(hass, freezer, MONDAY + timedelta(days=3, minutes=1))
    call = _open(world, "cc_prospect", "follow_up_call")
    assert call.group == "cc_inhouse_front"
    await _complete(hass, world, "alice", call, "interested")

    (sales,) = world.manager.engine.instances(process="cc_sales")
    assert sales.key == "K-2" and sales.source == "call"
    await _complete(hass, world, "dave", _open(world, "cc_sales", "inside_sales"), "visit")
    await _complete(hass, world, "dave", _open(world, "cc_sales", "field_visit"), "contract")
    await _complete(hass, world, "carol", _open(world, "cc_sales", "contract"), "signed")
    assert sales.status == "completed"
    desk = _open(world, "cc_prospect", "inquiry_desk")
    assert desk.group == "cc_inhouse_inquiry"
    await _complete(hass, world, "carol", desk, "done")
    assert (prospect.status, contact.status) == ("completed", "completed")


async def test_an_urgent_phone_contact_is_escalated_to_the_client_company(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    world = await _world(hass, freezer)
    hass.bus.async_fire(
        "bpo_cc_phone", {"contact_id": "K-1", "priority": "urgent", "topic": "Order not delivered"}
    )
    await hass.async_block_till_done()
    respond = _open(world, "cc_contact", "respond")
    assert respond.due == MONDAY + timedelta(hours=1)
    await _complete(hass, world, "carol", respond, "escalate_to_client")
    decision = _open(world, "cc_contact", "client_decision")
    assert decision.group == "cc_client"
    await _complete(hass, world, "erin", decision, "decided")
    await _complete(hass, world, "carol", _open(world, "cc_contact", "answer_with_decision"), "done")
    (contact,) = world.manager.engine.instances(process="cc_contact")
    assert contact.status == "completed"
