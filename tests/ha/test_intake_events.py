"""Intake through Home Assistant's own integrations: `imap_content` (IMAP) and `folder_watcher` (Folder
Watcher) events start the example intake blueprints, once per message id / file path.

The event data is built exactly as Home Assistant builds it (homeassistant/components/imap/coordinator.py
``_async_process_event`` and folder_watcher/__init__.py ``EventHandler.process``); both integrations need
libraries the test venv does not have (aioimaplib, watchdog), so the shapes are reproduced here.
"""

from __future__ import annotations

import email
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant

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
    (task,) = engine.open_tasks(process="file_intake")
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
