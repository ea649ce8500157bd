"""Failures an admin must see become Repairs: an instance that failed, an automatic start that was dropped,
a schedule tick that failed. They name process, step and error type only (never a key or a field value);
a start failure clears itself when the process starts again; confirming an issue acknowledges it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component

from custom_components.bpo.engine.ports import EngineEvent
from custom_components.bpo.repairs import failure_issue_id

from .helpers import async_setup_bare_world, travel

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=TOKYO)
MARK = "PII-MARK-4711"
# valid for `bpo validate`, failing at run time: n = 0 divides by zero
FRAGILE = """\
blueprint: {name: Fragile, domain: bpo}
process:
  key: fragile
  fields: {name: {type: text, pii: true}, n: {type: text}}
  start:
    - event: fragile_go
      key: "{{ event.ref }}"
      fields: {name: "{{ event.name }}", n: "{{ event.n | default(0) }}"}
  steps:
    - id: ask
      task: {title: "Check {{ 10 // (fields.n | int(0)) }}", assignee: person.alice}
"""
NIGHTLY = """\
blueprint: {name: Nightly, domain: bpo}
process:
  key: nightly
  start:
    - schedule: "0 3 * * *"
      for_each: "{{ [1] if 1 // (now().hour - now().hour) else [] }}"
  steps:
    - id: ask
      task: {title: "Nightly", assignee: person.alice}
"""
WAITING = """\
blueprint: {name: Waiting, domain: bpo}
process:
  key: waiting
  fields: {n: {type: text}}
  start: [{manual: {}}]
  steps:
    - id: hold
      wait: {event: waiting_go}
    - id: after
      task: {title: "After {{ 10 // (fields.n | int(0)) }}", assignee: person.alice}
"""


def issue(hass: HomeAssistant, kind: str, process: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue("bpo", failure_issue_id(kind, process))


async def test_failures_become_repairs_without_personal_data(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    world = await async_setup_bare_world(
        hass,
        freezer,
        NOW,
        blueprints={"fragile.yaml": FRAGILE, "nightly.yaml": NIGHTLY, "waiting.yaml": WAITING},
    )
    assert not world.manager.blueprint_errors

    # an event start whose first step fails: the instance is failed (its record says why)
    # the key is not made of the pii field (bpo validate refuses that), but it carries the mark too
    hass.bus.async_fire("fragile_go", {"name": MARK, "ref": f"ref-{MARK}"})
    await hass.async_block_till_done()
    failed = issue(hass, "instance_error", "fragile")
    assert failed is not None and failed.severity == ir.IssueSeverity.ERROR and failed.is_fixable
    assert failed.translation_placeholders is not None
    assert failed.translation_placeholders["process"] == "fragile"
    assert "ZeroDivisionError" in failed.translation_placeholders["error"]
    assert MARK not in str(failed.translation_placeholders)

    await travel(hass, freezer, datetime(2026, 12, 1, 3, 0, tzinfo=TOKYO))
    nightly = issue(hass, "schedule_failed", "nightly")
    assert nightly is not None and nightly.translation_key == "schedule_failed"

    await hass.services.async_call("bpo", "start", {"process": "waiting", "key": MARK}, blocking=True)
    hass.bus.async_fire("waiting_go", {"n": 0})
    await hass.async_block_till_done()
    failed = issue(hass, "instance_error", "waiting")
    assert failed is not None and failed.translation_placeholders is not None
    assert "step after" in failed.translation_placeholders["error"]
    assert MARK not in str(failed.translation_placeholders)
    assert [i.status for i in world.manager.engine.instances(process="waiting")] == ["failed"]

    # a good start of the process clears its start failure; an instance failure stays until acknowledged
    await travel(hass, freezer, datetime(2026, 12, 1, 12, 0, tzinfo=TOKYO))
    await hass.services.async_call("bpo", "start", {"process": "nightly", "key": "by-hand"}, blocking=True)
    await hass.async_block_till_done()
    assert issue(hass, "schedule_failed", "nightly") is None
    assert issue(hass, "instance_error", "waiting") is not None

    assert await async_setup_component(hass, "repairs", {})
    flows = repairs_flow_manager(hass)
    assert flows is not None
    result = await flows.async_init("bpo", data={"issue_id": failure_issue_id("instance_error", "waiting")})
    assert result["step_id"] == "confirm"
    assert result["description_placeholders"] == failed.translation_placeholders
    result = await flows.async_configure(result["flow_id"], {})
    assert result["type"] == "create_entry"
    assert issue(hass, "instance_error", "waiting") is None


async def test_a_dropped_start_is_a_repair_until_the_process_starts_again(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    world = await async_setup_bare_world(hass, freezer, NOW, blueprints={"waiting.yaml": WAITING})
    # what the engine reports when a fan-out item's start fails part-way (tests/engine/test_isolation.py)
    world.manager.emit(
        EngineEvent(
            "start_failed",
            {"process": "waiting", "key": MARK, "error": "step ask: internal error (OverflowError)"},
        )
    )
    dropped = issue(hass, "start_failed", "waiting")
    assert dropped is not None and dropped.translation_placeholders is not None
    assert dropped.translation_placeholders["error"] == "step ask: internal error (OverflowError)"
    assert MARK not in str(dropped.translation_placeholders)
    await hass.services.async_call("bpo", "start", {"process": "waiting", "key": "k"}, blocking=True)
    assert issue(hass, "start_failed", "waiting") is None
