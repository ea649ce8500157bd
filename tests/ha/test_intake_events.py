"""Intake through Home Assistant's own integrations: `imap_content` (IMAP) and `folder_watcher` (Folder
Watcher) events start the example intake blueprints, once per message id / file path.

The event data is built exactly as Home Assistant builds it (homeassistant/components/imap/coordinator.py
``_async_process_event`` and folder_watcher/__init__.py ``EventHandler.process``); both integrations need
libraries the test venv does not have (aioimaplib, watchdog), so the shapes are reproduced here.
"""

from __future__ import annotations

import email
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant, ServiceCall

from .helpers import DIRECTORY, World, async_setup_world

EXAMPLES = Path(__file__).parents[2] / "config_examples" / "blueprints" / "bpo"
NOW = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
MAILBOX = "desk@acme.example"
WATCHED = "/share/portal"


def example(name: str, value: str) -> str:
    """The example blueprint with its empty start input filled in (as an admin would)."""
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    assert text.count('default: ""') == 1
    return text.replace('default: ""', f'default: "{value}"')


async def setup(hass: HomeAssistant, freezer: FrozenDateTimeFactory, **inputs: str) -> World:
    freezer.move_to(NOW)
    blueprints = {
        "mail_intake.yaml": example("mail_intake.yaml", inputs.get("mailbox", MAILBOX)),
        "file_intake.yaml": example("file_intake.yaml", inputs.get("folder", WATCHED)),
    }
    directory = DIRECTORY.replace("groups:\n", "groups:\n  desk: [person.dave]\n")
    world = await async_setup_world(hass, blueprints=blueprints, directory=directory)
    assert world.manager.directory.members("desk") == ["person.dave"] and not world.manager.blueprint_errors
    return world


def imap_event(
    message_id: str | None, uid: str, *, username: str = MAILBOX, initial: bool = True
) -> dict[str, Any]:
    """``imap_content`` data as HA 2026.2 fires it with the default message data (text, headers)."""
    head = f"Message-ID: {message_id}\r\n" if message_id else ""
    raw = (
        f"{head}From: Client <client@example.com>\r\nTo: {username}\r\nSubject: Invoice question\r\n"
        "Date: Mon, 02 Mar 2026 09:00:00 +0900\r\n\r\nWhere is my invoice?\r\n"
    ).encode()
    message = email.message_from_bytes(raw)
    headers: dict[str, tuple[str, ...]] = {}  # ImapMessage.headers
    for key, value in message.items():
        instances: tuple[str, ...] = (str(value),)
        if headers.setdefault(key, instances) != instances:
            headers[key] += instances
    return {
        "entry_id": "01JIMAPENTRY",
        "server": "imap.acme.example",
        "username": username,
        "search": "UnSeen UnDeleted",
        "folder": "INBOX",
        "initial": initial,
        "date": datetime(2026, 3, 2, 0, 0, tzinfo=UTC),
        "sender": "client@example.com",
        "subject": "Invoice question",
        "uid": uid,
        "parts": {},
        "text": "Where is my invoice?\r\n",
        "headers": headers,
    }


def folder_event(path: str, event_type: str = "created") -> dict[str, Any]:
    folder, _, file_name = path.rpartition("/")
    return {"event_type": event_type, "path": path, "file": file_name, "folder": folder}


async def fire(hass: HomeAssistant, event_type: str, data: dict[str, Any]) -> None:
    hass.bus.async_fire(event_type, data)
    await hass.async_block_till_done()


async def test_an_imap_mail_opens_one_request_per_message_id(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    world = await setup(hass, freezer)
    engine = world.manager.engine

    await fire(hass, "imap_content", imap_event("<a1@client.example>", "101"))
    await fire(hass, "imap_content", imap_event("<a1@client.example>", "102"))  # the same mail, seen again
    await fire(hass, "imap_content", imap_event("<a1@client.example>", "101", initial=False))
    await fire(hass, "imap_content", imap_event("<b2@other.example>", "7", username="sales@acme.example"))
    (inst,) = engine.instances(process="mail_intake")
    assert inst.key == "<a1@client.example>"
    assert inst.fields["sender"] == "client@example.com" and inst.fields["subject"] == "Invoice question"
    (task,) = engine.open_tasks(process="mail_intake")
    assert task.title == "Mail: Invoice question" and task.group == "desk"

    await fire(hass, "imap_content", imap_event(None, "103"))  # no Message-ID header: entry id and uid
    keys = sorted(i.key for i in engine.instances(process="mail_intake"))
    assert keys == ["01JIMAPENTRY:103", "<a1@client.example>"]


async def test_a_file_created_in_the_watched_folder_starts_one_request_per_path(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    world = await setup(hass, freezer)
    engine = world.manager.engine

    await fire(hass, "folder_watcher", folder_event(f"{WATCHED}/acme/invoice-42.pdf"))
    await fire(hass, "folder_watcher", folder_event(f"{WATCHED}/acme/invoice-42.pdf"))  # reported twice
    await fire(hass, "folder_watcher", folder_event(f"{WATCHED}/acme/invoice-42.pdf", "modified"))
    await fire(hass, "folder_watcher", folder_event("/share/portal-old/x.pdf"))  # a sibling, not below
    await fire(hass, "folder_watcher", folder_event("/media/camera/snap.jpg"))
    (inst,) = engine.instances(process="file_intake")
    assert inst.key == f"{WATCHED}/acme/invoice-42.pdf" and inst.fields["file"] == "invoice-42.pdf"
    # a value JSON cannot hold (another integration's object) is left out; the event still starts
    await fire(hass, "folder_watcher", folder_event(f"{WATCHED}/b.pdf") | {"handle": object()})
    started = next(i for i in engine.instances(process="file_intake") if i.key == f"{WATCHED}/b.pdf")
    assert "handle" not in started.item and started.item["file"] == "b.pdf"
    task = next(t for t in engine.open_tasks(process="file_intake") if t.instance_id == inst.id)
    assert task.title == "New file: invoice-42.pdf" and task.group == "desk"


async def test_the_intake_examples_start_nothing_until_configured(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    world = await setup(hass, freezer, mailbox="", folder="")
    await fire(hass, "imap_content", imap_event("<a1@client.example>", "101"))
    await fire(hass, "folder_watcher", folder_event("/anything/file.pdf"))
    await fire(hass, "folder_watcher", folder_event("/file.pdf"))
    assert world.manager.engine.instances(process="mail_intake") == []
    assert world.manager.engine.instances(process="file_intake") == []


@pytest.mark.parametrize("channel", ["imap", "folder"])
async def test_an_intake_instance_survives_a_restart(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, channel: str
) -> None:
    """The event's data (a datetime, header tuples) is stored with the instance and read back."""
    world = await setup(hass, freezer)
    if channel == "imap":
        await fire(hass, "imap_content", imap_event("<a1@client.example>", "101"))
    else:
        await fire(hass, "folder_watcher", folder_event(f"{WATCHED}/a.pdf"))
    assert await hass.config_entries.async_reload(world.entry.entry_id)
    await hass.async_block_till_done()
    process = "mail_intake" if channel == "imap" else "file_intake"
    (inst,) = world.entry.runtime_data.manager.engine.instances(process=process)
    assert inst.status == "running"
    if channel == "imap":  # stored as JSON reads it back: the datetime as ISO text, header tuples as lists
        assert inst.item["date"] == "2026-03-02T00:00:00+00:00"
        assert inst.item["headers"]["Message-ID"] == ["<a1@client.example>"]


DOC = Path(__file__).parents[2] / "docs" / "connectors.md"
LINE_TOKEN = "line-channel-access-token-0123456789"


def documented_contact_intake() -> tuple[str, dict[str, dict[str, Any]]]:
    """The contact intake blueprint and the per-channel payloads of docs/connectors.md section 7."""
    text = DOC.read_text(encoding="utf-8")
    blueprint = next(b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "key: contact_intake" in b)
    table = text.split("<!-- payloads -->", 1)[1].strip().split("\n\n", 1)[0]
    payloads = {}
    for row in table.splitlines()[2:]:
        payload = json.loads(row.rsplit("| `", 1)[1].rstrip("` |"))
        payloads[payload["channel"]] = payload
    return blueprint, payloads


async def test_the_documented_channel_payloads_start_and_reply_on_their_channel(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, aiohttp_server: Any, socket_enabled: None
) -> None:
    blueprint, payloads = documented_contact_intake()
    assert set(payloads) == {"form", "line", "phone"}
    pushed: list[tuple[str, dict[str, Any]]] = []

    async def push(request: web.Request) -> web.Response:
        pushed.append((request.headers["Authorization"], await request.json()))
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/v2/bot/message/push", push)
    server = await aiohttp_server(app, host="127.0.0.1")
    config = Path(hass.config.config_dir)
    (config / "bpo_connectors.yaml").write_text(
        f"http:\n  line_push:\n    base_url: {server.make_url('/v2/bot')}\n    token: {LINE_TOKEN}\n"
        "    ops: {push: POST /message/push}\n",
        encoding="utf-8",
    )
    mails: list[dict[str, Any]] = []

    async def company_mail(call: ServiceCall) -> None:  # stands in for an SMTP notify platform
        mails.append(dict(call.data))

    hass.services.async_register("notify", "company_mail", company_mail)
    freezer.move_to(NOW)
    directory = DIRECTORY.replace("groups:\n", "groups:\n  center_agents: [person.carol]\n")
    world = await async_setup_world(hass, blueprints={"contact.yaml": blueprint}, directory=directory)
    engine = world.manager.engine

    for payload in (*payloads.values(), payloads["line"]):  # LINE delivers one message twice
        await fire(hass, "contact_received", payload)
    keys = sorted(i.key for i in engine.instances(process="contact_intake"))
    assert keys == ["form:F-20260302-17", "line:468789577898262530", "phone:CA9f3c2b"]

    for task in engine.open_tasks(process="contact_intake"):
        await hass.services.async_call(
            "bpo",
            "complete_task",
            {"task_id": task.id, "form": {"answer": f"Answer to {task.title}"}},
            blocking=True,
            context=Context(user_id=world.users["carol"].id),
        )
        await hass.async_block_till_done()
    assert mails == [
        {
            "target": "kim@example.com",
            "title": "Re: Change my address",
            "message": "Answer to form: Change my address",
        }
    ]
    assert pushed == [
        (
            f"Bearer {LINE_TOKEN}",
            {
                "to": "U4af4980629",
                "messages": [{"type": "text", "text": "Answer to line: Is my order shipped?"}],
            },
        )
    ]
    (call_back,) = engine.open_tasks(process="contact_intake")
    assert call_back.title == "Call back about billing" and call_back.group == "center_agents"
