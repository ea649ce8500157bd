"""MDM connectors set up from bpo_connectors.yaml inside Home Assistant, feeding a blueprint action step."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.core import HomeAssistant

from custom_components.bpo.connectors.fleet import FleetConnector
from custom_components.bpo.connectors.intune import IntuneConnector
from custom_components.bpo.connectors.jamf import JamfConnector
from custom_components.bpo.diagnostics import async_get_config_entry_diagnostics

from .helpers import async_setup_world

pytestmark = pytest.mark.usefixtures("socket_enabled")

FLEET_TOKEN = "fleet-api-token-ha-0123456789"
JAMF_SECRET = "jamf-client-secret-ha-0123456789"
INTUNE_SECRET = "intune-client-secret-ha-0123456789"

DEVICE_CHECK = """\
blueprint: {name: Device check, domain: bpo}
process:
  key: device_check
  start:
    - event: device_check_requested
      key: "{{ event.month }}"
  fields:
    inventory: {type: text}
  steps:
    - id: fetch
      action:
        connector: company_fleet
        call: devices
        result: inventory
      timeout: 5m
    - id: review
      task: {title: "Review {{ fields.inventory.count }} devices", group: contractors}
"""


def write_files(config: Path, base_url: str, extra: str = "") -> None:
    (config / "secrets.yaml").write_text(
        f"fleet_token: {FLEET_TOKEN}\njamf_secret: {JAMF_SECRET}\nintune_secret: {INTUNE_SECRET}\n",
        encoding="utf-8",
    )
    (config / "bpo_connectors.yaml").write_text(
        f"""\
fleet:
  company_fleet:
    base_url: {base_url}
    token: !secret fleet_token
    retries: 1
jamf:
  company_jamf:
    base_url: https://acme.jamfcloud.com
    client_id: jamf-client
    client_secret: !secret jamf_secret
    mobile_devices: false
intune:
  company_intune:
    tenant_id: contoso-tenant
    client_id: intune-client
    client_secret: !secret intune_secret
    filter: "operatingSystem eq 'Windows'"
{extra}""",
        encoding="utf-8",
    )


async def fleet_server(aiohttp_server: Any) -> tuple[TestServer, list[str]]:
    seen: list[str] = []
    hosts = [
        {
            "id": 1,
            "display_name": "Anna's Mac",
            "platform": "darwin",
            "policies": [{"name": "FV", "response": "pass"}],
        },
        {
            "id": 2,
            "display_name": "Ben's Mac",
            "platform": "darwin",
            "policies": [{"name": "FV", "response": "fail"}],
        },
    ]

    async def list_hosts(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        return web.json_response({"hosts": hosts if request.query["page"] == "0" else []})

    async def get_host(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        found = next(h for h in hosts if str(h["id"]) == request.match_info["id"])
        return web.json_response({"host": found | {"disk_encryption_enabled": found["id"] == 1}})

    app = web.Application()
    app.router.add_get("/api/v1/fleet/hosts", list_hosts)
    app.router.add_get("/api/v1/fleet/hosts/{id}", get_host)
    server: TestServer = await aiohttp_server(app, host="127.0.0.1")
    return server, seen


async def test_mdm_connectors_from_the_file_feed_an_action_step(
    hass: HomeAssistant, aiohttp_server: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server, seen = await fleet_server(aiohttp_server)
    write_files(tmp_path, str(server.make_url("")))
    with caplog.at_level(logging.DEBUG, logger="custom_components.bpo"):
        world = await async_setup_world(hass, blueprints={"device_check.yaml": DEVICE_CHECK})
        registry = world.manager.engine.actions.connectors.registry
        assert isinstance(registry.get("company_fleet"), FleetConnector)
        assert isinstance(registry.get("company_jamf"), JamfConnector)
        intune = registry.get("company_intune")
        assert isinstance(intune, IntuneConnector) and intune.filter == "operatingSystem eq 'Windows'"

        hass.bus.async_fire("device_check_requested", {"month": "2026-03"})
        await hass.async_block_till_done()

    engine = world.manager.engine
    (inst,) = engine.instances(process="device_check")
    inventory = inst.fields["inventory"]
    assert inventory["count"] == 2
    assert [(d["name"], d["compliant"], d["encrypted"]) for d in inventory["devices"]] == [
        ("Anna's Mac", True, True),
        ("Ben's Mac", False, False),
    ]
    assert [t.title for t in engine.open_tasks(process="device_check")] == ["Review 2 devices"]
    assert set(seen) == {f"Bearer {FLEET_TOKEN}"} and len(seen) == 3  # one short list page, two hosts
    diagnostics = json.dumps(await async_get_config_entry_diagnostics(hass, world.entry), default=str)
    assert "Ben's Mac" in diagnostics  # the inventory field is there: the check below looks at real content
    for secret in (FLEET_TOKEN, JAMF_SECRET, INTUNE_SECRET):
        assert secret not in caplog.text and secret not in diagnostics


async def test_a_bad_mdm_entry_names_the_key_and_keeps_the_secret_out(
    hass: HomeAssistant, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_files(
        tmp_path,
        "https://fleet.example.com",
        extra="  bad_intune:\n    client_secret: !secret intune_secret\n",
    )
    world = await async_setup_world(hass, blueprints={"device_check.yaml": DEVICE_CHECK})
    assert "bpo_connectors.yaml: intune.bad_intune: tenant_id is required" in caplog.text
    assert INTUNE_SECRET not in caplog.text
    assert (
        "company_fleet" not in world.manager.engine.actions.connectors.registry
    )  # the whole file is refused
