"""Shared set-up for HA tests: people, users, the directory file and a loaded bpo entry."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.auth.models import User
from homeassistant.core import Context, Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.bpo import blueprint_files
from custom_components.bpo.connectors.base import TIMESTAMP_HEADER, sign_body
from custom_components.bpo.const import DOMAIN
from custom_components.bpo.device_records import entry_device

DIRECTORY = """\
groups:
  contractors: [person.dave]
  internal_audit: [person.erin]
supervisors:
  person.alice: person.sam
  person.bob: person.sam
  person.carol: person.sam
"""
PEOPLE = ("alice", "bob", "carol", "sam", "dave", "erin")
EMPLOYEES = ("person.alice", "person.bob", "person.carol")


@dataclass
class World:
    entry: MockConfigEntry
    users: dict[str, User]
    events: list[Event]

    @property
    def manager(self) -> Any:
        return self.entry.runtime_data.manager

    def bpo_events(self, *types: str) -> list[tuple[str, dict[str, Any]]]:
        wanted = {f"bpo_{t}" for t in types}
        return [(e.event_type, dict(e.data)) for e in self.events if not types or e.event_type in wanted]


async def async_setup_world(
    hass: HomeAssistant,
    *,
    blueprints: dict[str, str] | None = None,
    directory: str = DIRECTORY,
    employees: tuple[str, ...] = EMPLOYEES,
    zones: tuple[str, ...] = (),
) -> World:
    """People with (non-admin) users, the directory, extra blueprints, then the bpo entry. ``zones``: HA
    zones to set up (by name); each person then has a tracker (``device_tracker.<name>_phone``) so
    :func:`async_move` can place her in one."""
    # HA makes the first user the owner (an admin): create that one first so the people stay ordinary users
    await hass.auth.async_create_user("Owner", group_ids=["system-admin"])
    users = {
        name: await hass.auth.async_create_user(name.title(), group_ids=["system-users"]) for name in PEOPLE
    }
    people: list[dict[str, Any]] = [{"id": n, "name": n.title(), "user_id": users[n].id} for n in PEOPLE]
    if zones:
        for person in people:
            person["device_trackers"] = [f"device_tracker.{person['id']}_phone"]
        zone_list = [{"name": z, "latitude": 35.68, "longitude": 139.76, "radius": 100} for z in zones]
        assert await async_setup_component(hass, "zone", {"zone": zone_list})
    assert await async_setup_component(hass, "person", {"person": people})

    config = Path(hass.config.config_dir)
    (config / "bpo_directory.yaml").write_text(directory, encoding="utf-8")
    # the shipped report lists no employees; an admin's edited copy names them (and is never overwritten)
    shipped = blueprint_files.SHIPPED / "bpo" / "device_security_report.yaml"
    if employees and shipped.is_file():
        copy = config / "blueprints" / "bpo" / shipped.name
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(
            shipped.read_text(encoding="utf-8").replace("default: []", f"default: [{', '.join(employees)}]"),
            encoding="utf-8",
        )
    for rel, text in (blueprints or {}).items():
        path = config / "blueprints" / "bpo" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    events: list[Event] = []

    @callback
    def capture(event: Event) -> None:
        if event.event_type.startswith("bpo_"):
            events.append(event)

    hass.bus.async_listen("*", capture)
    entry = MockConfigEntry(domain=DOMAIN, title="BPO Workflows", data={})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return World(entry, users, events)


async def async_move(hass: HomeAssistant, name: str, where: str) -> None:
    """Person ``name`` is now at ``where``: a zone's name, ``home`` or ``not_home`` (her phone's tracker
    says so, her person follows, and the zone counts her in or out)."""
    # a GPS tracker: its state is the zone's name (HA 2025.4 takes only home/not_home from other trackers)
    here = where.casefold() == "center"
    hass.states.async_set(
        f"device_tracker.{name}_phone",
        where,
        {"source_type": "gps", "latitude": 35.68 if here else 34.0, "longitude": 139.76 if here else 135.0},
    )
    await hass.async_block_till_done()


async def travel(hass: HomeAssistant, freezer: FrozenDateTimeFactory, to: datetime) -> None:
    """Move HA's clock to ``to`` and let every timer due by then fire."""
    freezer.move_to(to)
    async_fire_time_changed(hass, to)
    await hass.async_block_till_done()


async def async_setup_bare_world(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, now: datetime, **kwargs: Any
) -> World:
    """In Tokyo at ``now`` and without the shipped blueprints: only the blueprints the test brings."""
    await hass.config.async_set_time_zone("Asia/Tokyo")
    freezer.move_to(now)
    with patch("custom_components.bpo.blueprint_files.SHIPPED", Path(hass.config.config_dir) / "none"):
        return await async_setup_world(hass, **kwargs)


def bpo_device(hass: HomeAssistant, ident: str) -> dr.DeviceEntry | None:
    """The device bpo registered with identifier ``("bpo", ident)`` (looked up as bpo itself does)."""
    return next(
        (
            device
            for entry in hass.config_entries.async_entries(DOMAIN)
            if (device := entry_device(hass, entry.entry_id, (DOMAIN, ident))) is not None
        ),
        None,
    )


def as_user(world: World, name: str) -> Context:
    """A call made by ``name``'s (non-admin) user."""
    return Context(user_id=world.users[name].id)


async def complete_as(
    hass: HomeAssistant, world: World, who: str, task_id: str, outcome: str | None = None, **form: Any
) -> dict[str, Any]:
    """``bpo.complete_task`` as ``who``, with an outcome and form values; its response."""
    data: dict[str, Any] = {"task_id": task_id, "form": form}
    if outcome is not None:
        data["outcome"] = outcome
    result = await hass.services.async_call(
        "bpo", "complete_task", data, blocking=True, return_response=True, context=as_user(world, who)
    )
    await hass.async_block_till_done()
    assert isinstance(result, dict)
    return result


async def list_tasks_as(hass: HomeAssistant, world: World, who: str) -> list[dict[str, Any]]:
    """Every task ``who`` may see, closed ones included (``bpo.list_tasks``)."""
    result = await hass.services.async_call(
        "bpo",
        "list_tasks",
        {"include_closed": True},
        blocking=True,
        return_response=True,
        context=as_user(world, who),
    )
    assert isinstance(result, dict)
    rows: list[dict[str, Any]] = result["tasks"]
    return rows


async def post_signed(hass: HomeAssistant, client: Any, world: World, secret: str, body: bytes) -> Any:
    """What a channel does: a signed, timestamped POST to bpo's inbound webhook; its JSON answer."""
    stamp = int(time.time())
    headers = {TIMESTAMP_HEADER: str(stamp), "X-Bpo-Signature": sign_body(secret, body, stamp)}
    resp = await client.post(f"/api/webhook/{world.entry.options['webhook_id']}", data=body, headers=headers)
    assert resp.status == 202, await resp.text()
    await hass.async_block_till_done()
    return await resp.json()
