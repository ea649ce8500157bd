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
from pytest_homeassistant_custom_component.common import async_mock_service
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


async def _complete(
    hass: HomeAssistant, world: World, who: str, task: Any, outcome: str, form: dict[str, Any] | None = None
) -> None:
    await hass.services.async_call(
        "bpo",
        "complete_task",
        {"task_id": task.id, "outcome": outcome, "form": form or {}},
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
    assert respond.due == MONDAY + timedelta(hours=1)  # the urgent target of the response_targets input
    escalated: list[Any] = []
    hass.bus.async_listen("bpo_escalated", escalated.append)
    await travel(hass, freezer, MONDAY + timedelta(minutes=44))
    assert escalated == []
    await travel(hass, freezer, MONDAY + timedelta(minutes=45))  # the urgent escalate_after input
    assert [e.data["notify"] for e in escalated] == [["group:cc_supervisors"]]
    await _complete(hass, world, "carol", respond, "escalate_to_client")
    decision = _open(world, "cc_contact", "client_decision")
    assert decision.group == "cc_client"
    await _complete(hass, world, "erin", decision, "decided")
    await _complete(hass, world, "carol", _open(world, "cc_contact", "answer_with_decision"), "done")
    (contact,) = world.manager.engine.instances(process="cc_contact")
    assert contact.status == "completed"


async def test_a_campaign_mails_every_prospect_and_follows_each_up_as_its_own_called_instance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    world = await _world(hass, freezer)
    mails = async_mock_service(hass, "notify", "notify")
    hass.bus.async_fire("bpo_cc_campaign", {"campaign": "spring", "topic": "Solar panels"})
    await hass.async_block_till_done()
    (campaign,) = world.manager.engine.instances(process="cc_campaign")
    leads = _open(world, "cc_campaign", "collect_leads")
    await _complete(hass, world, "alice", leads, "done", {"prospects": "P-001 P-002"})
    await _complete(hass, world, "alice", _open(world, "cc_campaign", "prepare_pamphlet"), "done")
    await _complete(hass, world, "erin", _open(world, "cc_campaign", "client_approval"), "approved")
    assert [c.data["message"].split()[-1] for c in mails] == ["P-001", "P-002"]

    # one cc_prospect per prospect, called by the campaign with its own key and the prospect as item
    prospects = world.manager.engine.instances(process="cc_prospect")
    assert [(p.key, p.item, p.fields["prospect"], p.parent) for p in prospects] == [
        ("spring/follow_ups/0", "P-001", "P-001", campaign.id),
        ("spring/follow_ups/1", "P-002", "P-002", campaign.id),
    ]
    await travel(hass, freezer, MONDAY + timedelta(days=3, minutes=1))
    calls = {
        t.title.split()[2].rstrip(":"): t for t in world.manager.engine.open_tasks(process="cc_prospect")
    }
    await _complete(hass, world, "alice", calls["P-002"], "not_interested")
    assert campaign.status == "running"  # still waiting for P-001's follow-up
    await _complete(hass, world, "alice", calls["P-001"], "interested")
    await _complete(hass, world, "dave", _open(world, "cc_sales", "inside_sales"), "visit")
    await _complete(hass, world, "dave", _open(world, "cc_sales", "field_visit"), "contract")
    await _complete(hass, world, "carol", _open(world, "cc_sales", "contract"), "signed")
    await _complete(hass, world, "carol", _open(world, "cc_prospect", "inquiry_desk"), "done")

    result = _open(world, "cc_campaign", "campaign_result")
    assert (result.group, result.title) == ("cc_client", "Solar panels: 1 of 2 prospects won")
    assert [p.status for p in prospects] == ["completed", "cancelled"]  # won, not won
    await _complete(hass, world, "erin", result, "done")
    assert campaign.status == "completed"
