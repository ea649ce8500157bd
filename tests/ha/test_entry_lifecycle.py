"""The config entry's life: setup refuses a corrupt store, unload waits for its work, devices that went
stale can be deleted, and removing the entry deletes bpo's stored state but not the admin's files."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import CLIENT_ID, MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.typing import MockHAClientWebSocket, WebSocketGenerator

from custom_components.bpo.const import DOMAIN

from .helpers import World, async_setup_bare_world, bpo_device
from .test_todo import BLUEPRINTS, DIRECTORY, NOW, start

SECOND = """\
blueprint:
  name: Second
  domain: bpo
process:
  key: second
  start: [{manual: {}}]
  steps:
    - id: only
      task: {title: Only step, assignee: person.alice}
"""


async def _world(hass: HomeAssistant, freezer: FrozenDateTimeFactory, **blueprints: str) -> World:
    return await async_setup_bare_world(
        hass, freezer, NOW, blueprints={**BLUEPRINTS, **blueprints}, directory=DIRECTORY
    )


def _storage(hass: HomeAssistant) -> Path:
    return Path(hass.config.config_dir) / ".storage"


async def test_corrupt_store_refuses_setup_with_a_repair_and_a_fixed_store_loads(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser
) -> None:
    world = await _world(hass, freezer)
    await start(hass, "person.alice")
    assert await hass.config_entries.async_unload(world.entry.entry_id)
    meta = _storage(hass) / "bpo" / "journal.log"
    good = meta.read_bytes()
    meta.write_text("{not json\n", encoding="utf-8")

    assert not await hass.config_entries.async_setup(world.entry.entry_id)
    await hass.async_block_till_done()
    # an error, not "retry later": a corrupt file does not heal by itself, and starting empty loses data
    assert world.entry.state is ConfigEntryState.SETUP_ERROR
    assert world.entry.reason is not None and "journal.log" in world.entry.reason
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "store_corrupted")
    assert issue is not None and issue.severity is ir.IssueSeverity.CRITICAL
    assert issue.translation_placeholders == {"files": "journal.log"}
    assert meta.read_text(encoding="utf-8") == "{not json\n"  # the evidence stays for the admin

    meta.write_bytes(good)  # restored from a backup
    assert await hass.config_entries.async_reload(world.entry.entry_id)
    await hass.async_block_till_done()
    assert world.entry.state is ConfigEntryState.LOADED
    assert ir.async_get(hass).async_get_issue(DOMAIN, "store_corrupted") is None
    assert world.manager.engine.open_tasks(assignee="person.alice")  # nothing was lost


async def test_unload_waits_for_a_notification_being_sent(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser
) -> None:
    """Notifications run as the entry's tasks: an unload (or reload) lets a send in flight finish."""
    world = await _world(hass, freezer)
    hass.config_entries.async_update_entry(
        world.entry, options={"people": {"person.alice": {"route": "entity", "entity_id": "notify.alice"}}}
    )
    started, release = asyncio.Event(), asyncio.Event()
    sent: list[dict[str, object]] = []

    async def send_message(call: ServiceCall) -> None:
        started.set()
        await release.wait()
        sent.append(dict(call.data))

    hass.services.async_register("notify", "send_message", send_message)
    await start(hass, "person.alice")
    for _ in range(100):
        if started.is_set():
            break
        await asyncio.sleep(0)
    assert started.is_set()

    unload = hass.async_create_task(hass.config_entries.async_unload(world.entry.entry_id))
    for _ in range(300):
        await asyncio.sleep(0)
    assert not unload.done()  # held by the send in flight
    release.set()
    assert await unload
    assert [m["entity_id"] for m in sent] == ["notify.alice"]


async def test_save_failure_reaches_the_caller_translated(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser
) -> None:
    await _world(hass, freezer)
    with pytest.raises(HomeAssistantError) as err:
        # a value JSON cannot hold (inside a file field's value, which is kept as given): the save fails
        # and the start is not acknowledged
        await hass.services.async_call(
            "bpo",
            "start",
            {"process": "expense_claim", "key": "x", "fields": {"receipt": {"scan": object()}}},
            blocking=True,
        )
    assert (err.value.translation_domain, err.value.translation_key) == (DOMAIN, "save_failed")


async def _remove_device(
    hass: HomeAssistant, client: MockHAClientWebSocket, entry_id: str, device: str
) -> bool:
    found = bpo_device(hass, device)
    assert found is not None, device
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry_id,
            "device_id": found.id,
        }
    )
    response = await client.receive_json()
    await hass.async_block_till_done()
    return bool(response["success"])


async def test_only_stale_devices_can_be_deleted(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
    hass_ws_client: WebSocketGenerator,
) -> None:
    world = await _world(hass, freezer, **{"second.yaml": SECOND})
    assert await async_setup_component(hass, "config", {})
    # a token dated by the moved clock (the harness's own token is dated before the move)
    refresh = await hass.auth.async_create_refresh_token(hass_admin_user, CLIENT_ID)
    client = await hass_ws_client(hass, access_token=hass.auth.async_create_access_token(refresh))
    await hass.services.async_call(
        DOMAIN,
        "register_device",
        {"device_id": "PX7", "name": "Pixel", "owner": "person.alice", "platform": "android"},
        blocking=True,
    )
    await hass.async_block_till_done()
    entry_id = world.entry.entry_id

    # the hub, a loaded blueprint's device and an active BYOD record's device would come straight back
    assert not await _remove_device(hass, client, entry_id, "hub")
    assert not await _remove_device(hass, client, entry_id, "process_second")
    assert not await _remove_device(hass, client, entry_id, "device_PX7")
    assert bpo_device(hass, "process_second") is not None

    # the blueprint file is deleted: its device stays (keeping history) until the admin deletes it
    (Path(hass.config.config_dir) / "blueprints" / "bpo" / "second.yaml").unlink()
    await hass.services.async_call(DOMAIN, "reload", {}, blocking=True)
    await hass.async_block_till_done()
    assert bpo_device(hass, "process_second") is not None
    assert await _remove_device(hass, client, entry_id, "process_second")
    assert bpo_device(hass, "process_second") is None
    assert hass.states.get("sensor.second_open_instances") is None
    assert bpo_device(hass, "process_expense_claim") is not None


async def test_removing_the_entry_deletes_stored_state_and_keeps_the_admins_files(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser
) -> None:
    world = await _world(hass, freezer)
    await start(hass, "person.alice")
    await hass.services.async_call(
        DOMAIN,
        "register_device",
        {"device_id": "PX7", "name": "Pixel", "owner": "person.alice", "platform": "android"},
        blocking=True,
    )
    await hass.async_block_till_done()
    config = Path(hass.config.config_dir)
    assert any(_storage(hass).glob("bpo.*"))
    blueprint = config / "blueprints" / "bpo" / "expense.yaml"
    edited = blueprint.read_text(encoding="utf-8")

    assert await hass.config_entries.async_remove(world.entry.entry_id)
    await hass.async_block_till_done()
    assert sorted(p.name for p in _storage(hass).glob("bpo.*")) == []
    # the admin's blueprints and people directory are theirs, not bpo's state
    assert blueprint.read_text(encoding="utf-8") == edited
    assert (config / "bpo_directory.yaml").is_file()

    # added again, bpo starts empty
    entry = MockConfigEntry(domain=DOMAIN, title="BPO Workflows", data={})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.manager.engine.open_tasks(assignee="person.alice") == []
    assert entry.runtime_data.records.get("PX7") is None
