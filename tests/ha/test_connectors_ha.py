"""Connectors inside Home Assistant: action steps against a real local server; the inbound webhook."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.components.webhook import async_handle_webhook
from homeassistant.core import HomeAssistant
from homeassistant.util.aiohttp import MockRequest

from custom_components.bpo.connectors.base import sign_body
from custom_components.bpo.diagnostics import async_get_config_entry_diagnostics

from .helpers import async_setup_world

pytestmark = pytest.mark.usefixtures("socket_enabled")

TOKEN = "crm-token-0123456789"
INBOUND_SECRET = "inbound-secret-0123456789"

TICKETING = """\
blueprint: {name: Ticketing, domain: bpo}
process:
  key: ticketing
  start:
    - event: contact_received
      key: "{{ event.ref }}"
  fields:
    ticket: {type: text}
  steps:
    - id: create
      action:
        connector: my_crm
        call: create_ticket
        data: {subject: "{{ item.subject }}", ref: "{{ item.ref }}"}
        result: ticket
    - id: handle
      task: {title: "Handle {{ fields.ticket.id }}", group: contractors}
"""


def write_connectors(config: Path, base_url: str, *, inbound: bool = True, inbound_extra: str = "") -> None:
    (config / "secrets.yaml").write_text(
        f"crm_token: {TOKEN}\nbpo_inbound_secret: {INBOUND_SECRET}\n", encoding="utf-8"
    )
    text = f"""\
http:
  my_crm:
    base_url: {base_url}
    token: !secret crm_token
    retries: 1
    ops:
      create_ticket: POST /tickets
"""
    if inbound:
        text += (
            "inbound:\n  secret: !secret bpo_inbound_secret\n  events: [contact_received]\n" + inbound_extra
        )
    (config / "bpo_connectors.yaml").write_text(text, encoding="utf-8")


async def crm_server(aiohttp_server: Any, status: int = 201) -> tuple[TestServer, list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    async def create(request: web.Request) -> web.Response:
        seen.append({"auth": request.headers.get("Authorization"), "body": await request.json()})
        if status >= 400:
            return web.Response(status=status, text=f"nope {TOKEN}")
        return web.json_response({"id": f"T-{len(seen)}"}, status=status)

    app = web.Application()
    app.router.add_post("/api/tickets", create)
    server: TestServer = await aiohttp_server(app, host="127.0.0.1")
    return server, seen


async def test_action_step_calls_connector_and_stores_result(
    hass: HomeAssistant, aiohttp_server: Any, tmp_path: Path
) -> None:
    server, seen = await crm_server(aiohttp_server)
    write_connectors(tmp_path, str(server.make_url("/api")), inbound=False)
    world = await async_setup_world(hass, blueprints={"ticketing.yaml": TICKETING})
    engine = world.manager.engine

    hass.bus.async_fire("contact_received", {"ref": "R1", "subject": "Printer jam"})
    await hass.async_block_till_done()
    (inst,) = engine.instances(process="ticketing")
    assert inst.fields["ticket"] == {"id": "T-1"}
    assert [t.title for t in engine.open_tasks(process="ticketing")] == ["Handle T-1"]
    assert seen == [{"auth": f"Bearer {TOKEN}", "body": {"subject": "Printer jam", "ref": "R1"}}]


async def test_failing_connector_fails_instance_cleanly(
    hass: HomeAssistant, aiohttp_server: Any, tmp_path: Path
) -> None:
    server, seen = await crm_server(aiohttp_server, status=401)
    write_connectors(tmp_path, str(server.make_url("/api")), inbound=False)
    world = await async_setup_world(hass, blueprints={"ticketing.yaml": TICKETING})
    hass.bus.async_fire("contact_received", {"ref": "R2", "subject": "x"})
    await hass.async_block_till_done()
    (inst,) = world.manager.engine.instances(process="ticketing")
    assert inst.status == "failed"
    assert "create: connector call my_crm.create_ticket failed" in inst.error and "HTTP 401" in inst.error
    assert TOKEN not in inst.error and len(seen) == 1  # 401 is not retried


async def test_unconfigured_connector_and_invalid_file(
    hass: HomeAssistant, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "bpo_connectors.yaml").write_text("http: {my_crm: {base_url: ftp://x, ops: {}}}\n")
    world = await async_setup_world(hass, blueprints={"ticketing.yaml": TICKETING})
    assert "bpo_connectors.yaml: http.my_crm" in caplog.text
    hass.bus.async_fire("contact_received", {"ref": "R3", "subject": "x"})
    await hass.async_block_till_done()
    (inst,) = world.manager.engine.instances(process="ticketing")
    assert inst.status == "failed" and "'my_crm' is not configured" in inst.error


async def test_inbound_webhook_signed_event_starts_process(
    hass: HomeAssistant, aiohttp_server: Any, hass_client_no_auth: Any, tmp_path: Path, caplog: Any
) -> None:
    server, _ = await crm_server(aiohttp_server)
    write_connectors(tmp_path, str(server.make_url("/api")))
    with caplog.at_level(logging.INFO, logger="custom_components.bpo"):
        world = await async_setup_world(hass, blueprints={"ticketing.yaml": TICKETING})
    engine = world.manager.engine
    webhook_id = world.entry.options["webhook_id"]
    # where it listens, without the id (the secret half of the URL) or the signing secret
    assert "/api/webhook/<webhook_id>" in caplog.text
    assert webhook_id not in caplog.text and INBOUND_SECRET not in caplog.text
    client = await hass_client_no_auth()
    url = f"/api/webhook/{webhook_id}"

    def signed(payload: dict[str, Any], secret: str = INBOUND_SECRET) -> dict[str, Any]:
        body = json.dumps(payload).encode()
        return {"data": body, "headers": {"X-Bpo-Signature": sign_body(secret, body)}}

    good = {"event": "contact_received", "data": {"ref": "W1", "subject": "Via webhook"}}
    caplog.clear()
    resp = await client.post(url, data=json.dumps(good))
    assert resp.status == 401
    resp = await client.post(url, **signed(good, secret="wrong-secret-0123456789"))
    assert resp.status == 401
    assert "Via webhook" not in caplog.text and "missing signature" in caplog.text
    assert engine.instances(process="ticketing") == []

    resp = await client.post(url, **signed({"event": "other", "data": {}}))
    assert resp.status == 403
    resp = await client.post(url, **signed({"data": {}}))
    assert resp.status == 400
    resp = await client.post(url, data=b"x" * 70_000, headers={"X-Bpo-Signature": "sha256=00"})
    assert resp.status == 413

    resp = await client.post(url, **signed(good))
    assert resp.status == 202
    (inst,) = engine.instances(process="ticketing")
    assert (await resp.json())["instances"] == [inst.id]
    assert inst.key == "W1" and inst.fields["ticket"] == {"id": "T-1"}

    # Home Assistant Cloud relays webhooks as a MockRequest (no remote address, no content length)
    cloud = signed({"event": "contact_received", "data": {"ref": "C1"}})
    request = MockRequest(cloud["data"], "cloud", method="POST", headers=cloud["headers"])
    assert (await async_handle_webhook(hass, webhook_id, request)).status == 202
    assert {i.key for i in engine.instances(process="ticketing")} == {"W1", "C1"}

    diagnostics = await async_get_config_entry_diagnostics(hass, world.entry)
    assert diagnostics["entry"]["options"]["webhook_id"] == "**REDACTED**"

    # the id survives a reload; unloading the entry takes the webhook away
    await hass.services.async_call("bpo", "reload", {}, blocking=True)
    assert world.entry.options["webhook_id"] == webhook_id
    assert (await client.post(url, **signed({**good, "data": {"ref": "W2"}}))).status == 202
    assert await hass.config_entries.async_unload(world.entry.entry_id)
    assert webhook_id not in hass.data.get("webhook", {})


async def test_inbound_timestamps_refuse_old_requests_and_replays_apply_once(
    hass: HomeAssistant, aiohttp_server: Any, hass_client_no_auth: Any, tmp_path: Path
) -> None:
    server, seen = await crm_server(aiohttp_server)
    write_connectors(tmp_path, str(server.make_url("/api")), inbound_extra="  require_timestamp: true\n")
    world = await async_setup_world(hass, blueprints={"ticketing.yaml": TICKETING})
    engine = world.manager.engine
    client = await hass_client_no_auth()
    url = f"/api/webhook/{world.entry.options['webhook_id']}"
    now = int(time.time())

    def post(payload: dict[str, Any], stamp: int | str | None, signed_stamp: int | None = None) -> Any:
        body = json.dumps(payload).encode()
        headers = {"X-Bpo-Signature": sign_body(INBOUND_SECRET, body, signed_stamp)}
        if stamp is not None:
            headers["X-Bpo-Timestamp"] = str(stamp)
        return client.post(url, data=body, headers=headers)

    event = {"event": "contact_received", "data": {"ref": "T1", "subject": "Timestamped"}}
    assert (await post(event, None)).status == 401  # required here
    assert (await post(event, now)).status == 401  # signed over the body alone
    assert (await post(event, "soon", now)).status == 401
    # well past max_age (300 s): a busy CI machine may take seconds between these posts
    assert (await post(event, now - 600, now - 600)).status == 401  # older than max_age
    assert (await post(event, now + 600, now + 600)).status == 401  # or from the future
    assert engine.instances(process="ticketing") == []

    first = await post(event, now - 10, now - 10)
    assert first.status == 202
    (inst,) = engine.instances(process="ticketing")
    # the same request again (a retry or a replay): taken, not applied twice, even after a reload
    again = await post(event, now - 10, now - 10)
    assert again.status == 202
    assert await again.json() == {"accepted": True, "duplicate": True, "instances": [inst.id]}
    await hass.services.async_call("bpo", "reload", {}, blocking=True)
    assert (await (await post(event, now - 10, now - 10)).json())["duplicate"] is True
    assert len(seen) == 1 and len(engine.instances(process="ticketing")) == 1
    # a fresh signature for the same event is a new delivery, which the idempotent start key absorbs
    fresh = await post(event, now, now)
    assert fresh.status == 202 and "duplicate" not in await fresh.json()
    assert len(engine.instances(process="ticketing")) == 1


async def test_inbound_untimestamped_replay_is_not_applied_twice(
    hass: HomeAssistant, aiohttp_server: Any, hass_client_no_auth: Any, tmp_path: Path
) -> None:
    server, seen = await crm_server(aiohttp_server)
    write_connectors(tmp_path, str(server.make_url("/api")))
    world = await async_setup_world(hass, blueprints={"ticketing.yaml": TICKETING})
    client = await hass_client_no_auth()
    url = f"/api/webhook/{world.entry.options['webhook_id']}"
    body = json.dumps({"event": "contact_received", "data": {"ref": "U1"}}).encode()
    headers = {"X-Bpo-Signature": sign_body(INBOUND_SECRET, body)}
    assert (await client.post(url, data=body, headers=headers)).status == 202
    replay = await client.post(url, data=body, headers=headers)
    assert (await replay.json())["duplicate"] is True
    assert len(seen) == 1
