"""A task's ``description`` template is rendered when the task opens and shown on its to-do item and its
visit's calendar event; one that reads a ``pii`` field is masked like the title for people not cleared."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.todo import TodoServices
from homeassistant.core import HomeAssistant

from .helpers import async_setup_bare_world

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
MARK = "PII-MARK-5150"
DIRECTORY = "groups:\n  field: [person.bob, person.carol]\n"
VISIT = """\
blueprint: {name: Visit, domain: bpo}
process:
  key: visit
  start: [{manual: {}}]
  fields:
    site: {type: text}
    customer: {type: text, pii: true}
  pii_cleared: [person.alice]
  steps:
    - id: prepare
      task:
        title: "Prepare the visit"
        description: "Bring the parts for {{ fields.site }}."
        assignee: person.alice
    - id: call_customer
      task:
        title: "Call before the visit"
        description: "Call {{ fields.customer }} about {{ fields.site }}."
        assignee: person.alice
    - id: visit
      task:
        title: "Visit"
        description: "Ask for {{ fields.customer }} at the door."
        group: field
        visit: "2026-03-05T10:00"
    - id: literal
      task: {title: "File the report", description: "Use the usual form.", assignee: person.alice}
"""


async def descriptions(hass: HomeAssistant, entity_id: str) -> list[str]:
    response = await hass.services.async_call(
        "todo", TodoServices.GET_ITEMS, {"entity_id": entity_id}, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return [
        item.get("description", "")
        for item in response[entity_id]["items"]
        if item["status"] == "needs_action"
    ]


async def complete(hass: HomeAssistant, world: Any) -> None:
    (task,) = world.manager.engine.open_tasks(process="visit")
    await hass.services.async_call("bpo", "complete_task", {"task_id": task.id}, blocking=True)


async def test_descriptions_are_rendered_and_masked_for_people_not_cleared(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    world = await async_setup_bare_world(
        hass, freezer, NOW, blueprints={"visit.yaml": VISIT}, directory=DIRECTORY
    )
    fields = {"site": "Kobe plant", "customer": MARK}
    await hass.services.async_call(
        "bpo", "start", {"process": "visit", "key": "v1", "fields": fields}, blocking=True
    )
    await hass.async_block_till_done()
    alice = "todo.bpo_workflows_my_tasks_alice"
    (text,) = await descriptions(hass, alice)
    assert "Bring the parts for Kobe plant." in text.splitlines()

    # alice is cleared for personal data: her own item shows it in full
    await complete(hass, world)
    (text,) = await descriptions(hass, alice)
    assert f"Call {MARK} about Kobe plant." in text.splitlines()

    # the field queue's people are not cleared: the queue's item and the calendar's visit mask it
    await complete(hass, world)
    (text,) = await descriptions(hass, "todo.bpo_workflows_queue_field")
    assert "***" in text.splitlines() and MARK not in text
    response = await hass.services.async_call(
        "calendar",
        "get_events",
        {
            "entity_id": "calendar.bpo_workflows_schedule",
            "start_date_time": "2026-03-05T00:00:00+09:00",
            "end_date_time": "2026-03-06T00:00:00+09:00",
        },
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    (visit,) = [e for e in response["calendar.bpo_workflows_schedule"]["events"] if e["summary"] == "Visit"]
    assert "***" in visit["description"].splitlines() and MARK not in visit["description"]

    # rendered once and kept: a restart shows the same text; a literal description is shown as written
    assert await hass.config_entries.async_reload(world.entry.entry_id)
    await hass.async_block_till_done()
    (text,) = await descriptions(hass, "todo.bpo_workflows_queue_field")
    assert "***" in text.splitlines()
    (task,) = world.manager.engine.open_tasks(process="visit")
    assert task.description == f"Ask for {MARK} at the door."
    await hass.services.async_call("bpo", "complete_task", {"task_id": task.id}, blocking=True)
    (text,) = await descriptions(hass, alice)
    assert "Use the usual form." in text.splitlines()
    assert MARK not in str([e.data for e in world.events])  # nor in any bpo event
