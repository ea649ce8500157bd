"""Every example in docs/connectors.md runs: python/sh blocks against local servers; yaml blocks validated.

Blocks are found by language; the yaml blocks carry a ``<!-- file: blueprint | bpo_connectors.yaml -->``
marker saying what they are. ``text`` blocks are sample output and are only checked to exist.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.bpo.connector_config import parse_inbound
from custom_components.bpo.connectors.base import PermanentError, verify_signature
from custom_components.bpo.connectors.http import HttpConnector
from custom_components.bpo.engine.schema import parse_blueprint

pytestmark = pytest.mark.usefixtures("socket_enabled")

DOC = Path(__file__).resolve().parents[2] / "docs" / "connectors.md"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
_MARKER = re.compile(r"<!--\s*file:\s*(\S+)\s*-->\s*$")
SECRET = "doc-secret-0123456789"
TOKEN = "doc-token-0123456789"


@dataclass
class Block:
    lang: str
    text: str
    marker: str | None


def _blocks(lang: str) -> list[Block]:
    text = DOC.read_text(encoding="utf-8")
    out = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").splitlines()
        marker = _MARKER.match(before[-1].strip()) if before else None
        out.append(Block(match.group(1), match.group(2), marker.group(1) if marker else None))
    return [b for b in out if b.lang == lang]


def test_every_block_is_covered() -> None:
    langs = {m.group(1) for m in _FENCE.finditer(DOC.read_text(encoding="utf-8"))}
    assert langs == {"yaml", "python", "sh", "text"}
    assert len(_blocks("python")) == 4 and len(_blocks("sh")) == 1  # the 4th: test_mdm_docs.py


class _SecretLoader(yaml.SafeLoader):
    """``!secret name`` becomes a long placeholder, as HA's loader would put the real value there."""


_SecretLoader.add_constructor("!secret", lambda loader, node: f"secret-value-of-{node.value}")


@pytest.mark.parametrize("block", _blocks("yaml"), ids=lambda b: b.marker or "unmarked")
def test_yaml_blocks(block: Block) -> None:
    if block.marker == "blueprint":
        parse_blueprint(block.text, "docs/connectors.md")
        return
    assert block.marker == "bpo_connectors.yaml", "every yaml block needs a <!-- file: ... --> marker"
    raw = yaml.load(block.text, Loader=_SecretLoader)  # a SafeLoader subclass
    if "http" not in raw:  # the MDM example: checked in test_mdm_docs.py
        return
    for name, config in raw["http"].items():
        connector = HttpConnector.from_config(name, None, config)  # type: ignore[arg-type]
        assert connector.ops
    inbound = parse_inbound(raw["inbound"])
    assert inbound.events == {"contact_received", "customer_replied"}
    assert inbound.require_timestamp and inbound.max_age == 300


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


async def _desk_server(aiohttp_server: Any) -> tuple[TestServer, list[dict[str, Any]]]:
    created: list[dict[str, Any]] = []
    tickets = [{"id": i, "state": "open"} for i in range(120)]

    async def create(request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        created.append(await request.json())
        return web.json_response({"id": f"T-{len(created)}", "extra": "ignored"}, status=201)

    async def listing(request: web.Request) -> web.Response:
        assert request.query["state"] == "open"
        page, size = int(request.query["page"]), int(request.query["per_page"])
        return web.json_response({"tickets": tickets[page * size : (page + 1) * size]})

    app = web.Application()
    app.router.add_post("/desk/tickets", create)
    app.router.add_get("/desk/tickets", listing)
    server: TestServer = await aiohttp_server(app, host="127.0.0.1")
    return server, created


def _exec(*blocks: Block) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "connectors_doc_example"}
    for block in blocks:
        exec(compile(block.text, str(DOC), "exec"), namespace)  # our own documentation
    return namespace


async def test_python_custom_connector(aiohttp_server: Any, session: aiohttp.ClientSession) -> None:
    server, created = await _desk_server(aiohttp_server)
    namespace = _exec(_blocks("python")[0])
    desk = namespace["TicketDesk"]("desk", session, str(server.make_url("/desk/")), TOKEN)
    assert await desk.call("create_ticket", {"subject": "Printer"}) == {"id": "T-1"}
    assert created == [{"subject": "Printer"}]
    assert await desk.call("open_count", {}) == {"count": 120}
    with pytest.raises(PermanentError, match="unknown op"):
        await desk.call("reopen", {})
    await desk.close()


async def test_python_registration_in_home_assistant(
    hass: HomeAssistant, enable_custom_integrations: None, aiohttp_server: Any, tmp_path: Path
) -> None:
    from tests.ha.helpers import async_setup_world

    hass.config.config_dir = str(tmp_path)
    world = await async_setup_world(hass)
    server, created = await _desk_server(aiohttp_server)
    blocks = _blocks("python")
    namespace = _exec(blocks[0], blocks[1])
    entry = MockConfigEntry(domain="ticket_desk", data={"url": str(server.make_url("/desk")), "token": TOKEN})
    assert await namespace["async_setup_entry"](hass, entry)

    actions = world.manager.engine.actions
    assert await actions.call(None, "ticket_desk", "create_ticket", {"subject": "From HA"}) == {"id": "T-1"}
    await hass.services.async_call("bpo", "reload", {}, blocking=True)  # code connectors survive a reload
    assert "ticket_desk" in actions.connectors.registry
    for unload in reversed(entry._on_unload or []):
        result = unload()
        if asyncio.iscoroutine(result):
            await result
    assert "ticket_desk" not in actions.connectors.registry
    assert created == [{"subject": "From HA"}]


def _receiver(received: list[tuple[bool, Any]]) -> Callable[[web.Request], Any]:
    async def handler(request: web.Request) -> web.Response:
        body = await request.read()
        stamp = int(request.headers["X-Bpo-Timestamp"])  # the examples send the timestamped form
        fresh = abs(time.time() - stamp) <= 300
        ok = fresh and verify_signature(SECRET, body, request.headers.get("X-Bpo-Signature"), stamp)
        assert not verify_signature(SECRET, body, request.headers.get("X-Bpo-Signature"))  # not body-only
        received.append((ok, await request.json()))
        return web.json_response({"accepted": True}, status=202 if ok else 401)

    return handler


async def test_python_send_event(aiohttp_server: Any) -> None:
    received: list[tuple[bool, Any]] = []
    app = web.Application()
    app.router.add_post("/api/webhook/abc", _receiver(received))
    server = await aiohttp_server(app, host="127.0.0.1")
    send_event = _exec(_blocks("python")[2])["send_event"]
    url = str(server.make_url("/api/webhook/abc"))
    assert await send_event(url, SECRET, "contact_received", {"ref": "R-1"}) == 202
    assert await send_event(url, "wrong", "contact_received", {"ref": "R-2"}) == 401
    assert received[0] == (True, {"event": "contact_received", "data": {"ref": "R-1"}})


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("openssl")), reason="needs curl and openssl")
async def test_sh_curl_example(aiohttp_server: Any) -> None:
    received: list[tuple[bool, Any]] = []
    app = web.Application()
    app.router.add_post("/api/webhook/abc", _receiver(received))
    server = await aiohttp_server(app, host="127.0.0.1")
    (block,) = _blocks("sh")
    proc = await asyncio.create_subprocess_exec(
        "bash",
        "-euo",
        "pipefail",
        "-c",
        block.text,
        env={"PATH": "/usr/bin:/bin", "URL": str(server.make_url("/api/webhook/abc")), "SECRET": SECRET},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert out.decode().strip() == "202"
    sent = {"event": "contact_received", "data": {"ref": "R-17", "subject": "Printer jam"}}
    assert received == [(True, sent)]
