"""docs/connectors.md, MDM section: the file example builds each connector, the SDK example syncs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestServer

from custom_components.bpo.connectors.base import AuthError
from custom_components.bpo.connectors.fleet import FleetConnector
from custom_components.bpo.connectors.intune import IntuneConnector
from custom_components.bpo.connectors.jamf import JamfConnector
from custom_components.bpo.connectors.registry import CONNECTOR_TYPES

from .test_connector_docs import DOC, _blocks, _SecretLoader

pytestmark = pytest.mark.usefixtures("socket_enabled")

API_KEY = "tiny-mdm-api-key-0123456789"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def test_the_mdm_file_example_builds_each_kind(session: aiohttp.ClientSession) -> None:
    (block,) = [b for b in _blocks("yaml") if b.marker == "bpo_connectors.yaml" and "intune:" in b.text]
    raw = yaml.load(block.text, Loader=_SecretLoader)  # a SafeLoader subclass
    built = {
        name: CONNECTOR_TYPES[kind](name, session, config)
        for kind in raw
        for name, config in raw[kind].items()
    }
    intune, jamf, fleet = built["company_intune"], built["company_jamf"], built["company_fleet"]
    assert isinstance(intune, IntuneConnector) and intune.filter == "operatingSystem eq 'Windows'"
    assert isinstance(jamf, JamfConnector) and jamf.mobile_devices and jamf.page_size == 100
    assert isinstance(fleet, FleetConnector) and fleet.host_details and fleet.http.retry.attempts == 4
    assert fleet.http.timeout.total == 20
    assert set(raw) == set(CONNECTOR_TYPES) - {"http"}  # every MDM kind the file accepts is shown


async def test_the_sdk_example_syncs_against_a_local_server(
    aiohttp_server: Any, session: aiohttp.ClientSession
) -> None:
    (block,) = [b for b in _blocks("python") if "class TinyMdm" in b.text]
    namespace: dict[str, Any] = {"__name__": "mdm_doc_example"}
    exec(compile(block.text, str(DOC), "exec"), namespace)  # our own documentation
    devices = [
        {"id": i, "name": f"d{i}", "user_email": f"U{i}@Example.com", "encrypted": i != 2, "last_seen": None}
        for i in range(150)
    ]

    async def listing(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {API_KEY}":
            return web.json_response({"error": "bad key"}, status=401)
        assert request.query["fields"] == "all"
        page, size = int(request.query["page"]), int(request.query["size"])
        return web.json_response({"devices": devices[page * size : (page + 1) * size]})

    app = web.Application()
    app.router.add_get("/api/devices", listing)
    server: TestServer = await aiohttp_server(app, host="127.0.0.1")

    tiny = namespace["TinyMdm"]("tiny", session, str(server.make_url("")), API_KEY)
    answer = await tiny.call("devices", {})
    assert answer["count"] == 150
    second, third = answer["devices"][1], answer["devices"][2]
    assert second["owner"] == "u1@example.com" and second["compliant"] is True
    assert third["compliant"] is False and third["failing_policies"] == ["encryption"]
    with pytest.raises(AuthError) as refused:
        await namespace["TinyMdm"]("tiny", session, str(server.make_url("")), "wrong-key-0123456789").call(
            "devices", {}
        )
    assert "wrong-key-0123456789" not in str(refused.value)
