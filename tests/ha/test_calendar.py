"""The "Schedule" calendar: scheduled starts and task deadlines in range; its state is the next event."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockUser, async_fire_time_changed, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from .helpers import World, async_setup_bare_world
from .test_todo import BLUEPRINTS, DIRECTORY, start

TZ = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=TZ)  # a Tuesday; the expense schedule runs Mondays 08:00
CALENDAR = "calendar.bpo_workflows_schedule"


async def _world(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> World:
    return await async_setup_bare_world(hass, freezer, NOW, blueprints=BLUEPRINTS, directory=DIRECTORY)


async def events(hass: HomeAssistant, start: datetime, end: datetime) -> list[dict[str, Any]]:
    response = await hass.services.async_call(
        "calendar",
        "get_events",
        {"entity_id": CALENDAR, "start_date_time": start.isoformat(), "end_date_time": end.isoformat()},
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    return response[CALENDAR]["events"]


async def test_schedule_and_due_events_in_range(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser
) -> None:
    world = await _world(hass, freezer)
    await start(hass, "person.alice")
    await hass.async_block_till_done()

    found = await events(hass, NOW, NOW + timedelta(days=7))
    assert [(e["summary"], e["start"], e["end"]) for e in found] == [
        ("Due: Submit expense claim", "2026-03-05T09:30:00+09:00", "2026-03-05T10:00:00+09:00"),
        ("Start: Expense claim", "2026-03-09T08:00:00+09:00", "2026-03-09T08:30:00+09:00"),
    ]
    assert "Assignee: person.alice" in found[0]["description"]
    # a narrower range: only what overlaps it
    assert [e["summary"] for e in await events(hass, NOW + timedelta(days=5), NOW + timedelta(days=14))] == [
        "Start: Expense claim",
        "Start: Expense claim",
    ]

    state = hass.states.get(CALENDAR)
    assert state.state == "off"
    assert state.attributes["message"] == "Due: Submit expense claim"
    assert state.attributes["start_time"] == "2026-03-05 09:30:00"

    # during the half hour before the deadline the calendar is on
    freezer.move_to(datetime(2026, 3, 5, 9, 40, tzinfo=TZ))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(CALENDAR).state == "on"

    # once the task is done its deadline leaves the calendar; the approval's deadline (3 days) is next
    [task] = world.manager.engine.open_tasks(assignee="person.alice")
    await hass.services.async_call("bpo", "complete_task", {"task_id": task.id}, blocking=True)
    await hass.async_block_till_done()
    state = hass.states.get(CALENDAR)
    assert state.state == "off"
    assert state.attributes["message"] == "Due: Approve expense claim of person.alice"
    assert state.attributes["end_time"] == "2026-03-08 09:40:00"
    found = await events(hass, NOW, NOW + timedelta(days=7))
    assert [e["summary"] for e in found] == [
        "Due: Approve expense claim of person.alice",
        "Start: Expense claim",
    ]
    assert "Queue: approvers" in found[0]["description"]


async def test_suspended_blueprint_shows_no_starts(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser
) -> None:
    await _world(hass, freezer)
    for key in ("a", "b", "c", "d"):  # the blueprint allows 3 starts an hour
        try:
            await start(hass, key)
        except Exception:  # noqa: BLE001 - the 4th start trips the limit
            break
    await hass.async_block_till_done()
    found = await events(hass, NOW, NOW + timedelta(days=7))
    assert not [e for e in found if e["summary"].startswith("Start")]


async def test_snapshot(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    with patch("custom_components.bpo.PLATFORMS", [Platform.CALENDAR]):
        world = await _world(hass, freezer)
        await start(hass, "person.alice")
        await hass.async_block_till_done()
        await snapshot_platform(hass, entity_registry, snapshot, world.entry.entry_id)
        assert await events(hass, NOW, NOW + timedelta(days=7)) == snapshot(name="events")


ONSITE = """\
blueprint:
  name: Onsite repair
  domain: bpo
process:
  key: onsite_repair
  start:
    - manual: {}
  fields:
    appointment: {type: text, label: Appointment}
    address: {type: text, label: Address}
  steps:
    - id: repair
      task:
        title: "Repair at {{ instance.key }}"
        description: Bring the spare parts.
        assignee: person.alice
        visit: "{{ fields.appointment }}"
        visit_duration: 90m
        visit_location: "{{ fields.address }}"
"""


async def test_visits_are_events_while_their_task_is_open(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser
) -> None:
    world = await async_setup_bare_world(
        hass, freezer, NOW, blueprints={**BLUEPRINTS, "onsite.yaml": ONSITE}, directory=DIRECTORY
    )
    await hass.services.async_call(
        "bpo",
        "start",
        {
            "process": "onsite_repair",
            "key": "ACME",
            "fields": {"appointment": "2026-03-04T14:00:00", "address": "1-2-3 Chiyoda, Tokyo"},
        },
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done()

    found = await events(hass, NOW, NOW + timedelta(days=2))
    [visit] = [e for e in found if e["summary"] == "Repair at ACME"]
    assert (visit["start"], visit["end"]) == ("2026-03-04T14:00:00+09:00", "2026-03-04T15:30:00+09:00")
    assert visit["location"] == "1-2-3 Chiyoda, Tokyo"
    assert visit["description"].splitlines() == [
        "Visit: Repair at ACME",
        "Process: Onsite repair",
        "Assignee: person.alice",
        "Bring the spare parts.",
    ]
    # a range that begins during the visit still shows it
    during = await events(
        hass, datetime(2026, 3, 4, 15, 0, tzinfo=TZ), datetime(2026, 3, 4, 16, 0, tzinfo=TZ)
    )
    assert [e["summary"] for e in during] == ["Repair at ACME"]
    state = hass.states.get(CALENDAR)
    assert state is not None
    assert state.attributes["message"] == "Repair at ACME"
    assert state.attributes["location"] == "1-2-3 Chiyoda, Tokyo"

    [task] = world.manager.engine.open_tasks(process="onsite_repair")
    await hass.services.async_call("bpo", "complete_task", {"task_id": task.id}, blocking=True)
    await hass.async_block_till_done()
    assert not [
        e for e in await events(hass, NOW, NOW + timedelta(days=2)) if e["summary"] == "Repair at ACME"
    ]


async def test_state_moves_on_when_an_event_ends_without_any_engine_change(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser
) -> None:
    """The end of a scheduled-start event changes nothing in the engine: the calendar alone moves on.

    HA's calendar re-writes its state at the end of the event and reads ``event`` for it; the entity
    must answer with the next event then (it no longer overrides the final ``async_write_ha_state``).
    """
    await _world(hass, freezer)
    await travel_to(hass, freezer, datetime(2026, 3, 9, 8, 10, tzinfo=TZ))  # the Monday start has fired
    state = hass.states.get(CALENDAR)
    assert (state.state, state.attributes["message"]) == ("on", "Start: Expense claim")
    assert state.attributes["end_time"] == "2026-03-09 08:30:00"

    await travel_to(hass, freezer, datetime(2026, 3, 9, 8, 31, tzinfo=TZ))
    state = hass.states.get(CALENDAR)
    assert state.state == "off"
    # the started claim's deadline (2 days) comes before next Monday's start
    assert state.attributes["message"] == "Due: Submit expense claim"
    assert state.attributes["start_time"] == "2026-03-11 07:40:00"  # started 08:10, when the clock got there


async def travel_to(hass: HomeAssistant, freezer: FrozenDateTimeFactory, to: datetime) -> None:
    freezer.move_to(to)
    async_fire_time_changed(hass, to)
    await hass.async_block_till_done()
