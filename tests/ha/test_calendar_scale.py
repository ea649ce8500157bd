"""The calendar with an every-minute schedule and many open tasks: its state comes from an index (the
next start, the earliest due date), its event lists are capped per schedule, and completing tasks moves
the state on without listing a window."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockUser

from custom_components.bpo.calendar import MAX_STARTS

from .helpers import async_setup_bare_world
from .test_calendar import CALENDAR, events

TZ = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 3, 3, 10, 0, 30, tzinfo=TZ)
TICKER = """\
blueprint: {name: Ticker, domain: bpo}
process:
  key: ticker
  start:
    - schedule: "* * * * *"
      for_each: []
  steps:
    - id: noop
      task: {title: "Never", assignee: person.alice}
"""
DUE = """\
blueprint: {name: Due %(h)s, domain: bpo}
process:
  key: due%(h)s
  start: [{manual: {}}]
  steps:
    - id: work
      task: {title: "Work %(h)s", assignee: person.alice, due: %(h)sh}
"""


async def test_every_minute_schedule(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser
) -> None:
    await async_setup_bare_world(
        hass, freezer, NOW, blueprints={"ticker.yaml": TICKER}, directory="groups: {}\n"
    )
    state = hass.states.get(CALENDAR)
    # the current event: a start is shown for 30 minutes, so the one of 09:31 is still going on
    assert state.attributes["message"] == "Start: Ticker"
    assert state.attributes["start_time"] == "2026-03-03 09:31:00"

    # a month asked for: at most MAX_STARTS starts of the every-minute schedule (44,640 otherwise)
    month = await events(hass, NOW, NOW + timedelta(days=31))
    assert len(month) == MAX_STARTS
    assert month[0]["start"] == "2026-03-03T09:31:00+09:00"
    assert month[-1]["start"] == (NOW.replace(second=0) + timedelta(minutes=MAX_STARTS - 30)).isoformat()


async def test_state_follows_the_earliest_deadline_as_tasks_come_and_go(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser
) -> None:
    blueprints = {f"due{h}.yaml": DUE % {"h": h} for h in (2, 3, 4)}
    await async_setup_bare_world(hass, freezer, NOW, blueprints=blueprints, directory="groups: {}\n")
    assert hass.states.get(CALENDAR).state == "off"
    for hours, earliest in ((3, 3), (2, 2), (4, 2)):  # the earliest deadline arrives second
        await hass.services.async_call("bpo", "start", {"process": f"due{hours}"}, blocking=True)
        await hass.async_block_till_done()
        assert hass.states.get(CALENDAR).attributes["message"] == f"Due: Work {earliest}"
    engine = hass.config_entries.async_entries("bpo")[0].runtime_data.manager.engine
    for title, then in (("Work 2", "Due: Work 3"), ("Work 3", "Due: Work 4")):
        task = next(t for t in engine.open_tasks() if t.title == title)
        await hass.services.async_call("bpo", "complete_task", {"task_id": task.id}, blocking=True)
        await hass.async_block_till_done()
        assert hass.states.get(CALENDAR).attributes["message"] == then
    [task] = engine.open_tasks()
    await hass.services.async_call("bpo", "complete_task", {"task_id": task.id}, blocking=True)
    await hass.async_block_till_done()
    assert hass.states.get(CALENDAR).state == "off"
    assert "message" not in hass.states.get(CALENDAR).attributes
