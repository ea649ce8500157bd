"""Diagnostics redact PII and credentials; logbook describes every milestone event."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.logbook.helpers import async_determine_event_types
from homeassistant.components.logbook.processor import EventProcessor
from homeassistant.components.recorder import Recorder, get_instance
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import async_wait_recording_done
from syrupy.assertion import SnapshotAssertion

from custom_components.bpo.diagnostics import async_get_config_entry_diagnostics
from custom_components.bpo.logbook import MESSAGES, describe

from .helpers import async_setup_world

TOKYO = ZoneInfo("Asia/Tokyo")
FIRST = datetime(2026, 12, 1, 9, 0, tzinfo=TOKYO)


async def test_diagnostics_redact_pii_and_credentials(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, snapshot: SnapshotAssertion
) -> None:
    await hass.config.async_set_time_zone("Asia/Tokyo")
    freezer.move_to(datetime(2026, 11, 30, 12, 0, tzinfo=TOKYO))
    world = await async_setup_world(hass)
    hass.config_entries.async_update_entry(world.entry, options={"api_key": "sk-live-123", "note": "kept"})
    freezer.move_to(FIRST)
    async_fire_time_changed(hass, FIRST)
    await hass.async_block_till_done()
    task = next(t for t in world.manager.engine.open_tasks() if t.assignee == "person.alice")
    await hass.services.async_call(
        "bpo",
        "complete_task",
        {
            "task_id": task.id,
            "form": {"scan_history": "s.pdf", "worries": "my home address is 1-2-3 Chiyoda"},
        },
        blocking=True,
    )

    diag = await async_get_config_entry_diagnostics(hass, world.entry)
    text = json.dumps(diag)
    assert "Chiyoda" not in text
    assert "sk-live-123" not in text
    assert diag["entry"]["options"]["note"] == "kept"
    # byte counts depend on the temporary folder's path length (stored blueprint paths): check, then drop
    for key in [k for k in diag["store"] if k.endswith("_bytes")]:
        assert isinstance(diag["store"].pop(key), int)
    assert diag == snapshot


def test_logbook_describes_every_engine_milestone() -> None:
    payload = {
        "process": "p",
        "key": "k",
        "title": "T",
        "step": "s",
        "assignee": "person.a",
        "by": "person.b",
        "outcome": "ok",
        "status": "completed",
        "level": 1,
        "action": "complete",
        "max_starts": 5,
    }
    for event_type in MESSAGES:
        entry = describe(event_type, payload)
        assert entry["name"] == "bpo p"
        assert "{" not in entry["message"] and entry["message"]
    assert describe("task_created", {"process": "p", "title": "Report", "group": "contractors"})[
        "message"
    ] == ("task 'Report' created for contractors")


async def test_logbook_shows_milestones_in_order(recorder_mock: Recorder, hass: HomeAssistant) -> None:
    """Real logbook over the recorder: bpo events come back as readable entries."""
    assert await async_setup_component(hass, "logbook", {})
    manual = (
        "blueprint: {name: Intake, domain: bpo}\nprocess:\n  key: intake\n  start: [{manual: {}}]\n"
        "  steps:\n    - id: triage\n      task: {title: Triage, group: contractors}\n"
    )
    start = dt_util.utcnow()
    await async_setup_world(hass, blueprints={"intake.yaml": manual})
    await hass.services.async_call("bpo", "start", {"process": "intake", "key": "c1"}, blocking=True)
    engine = hass.config_entries.async_entries("bpo")[0].runtime_data.manager.engine
    task = engine.open_tasks(process="intake")[0]
    await hass.services.async_call("bpo", "complete_task", {"task_id": task.id}, blocking=True)
    await async_wait_recording_done(hass)

    event_types = async_determine_event_types(hass, None, None)
    processor = EventProcessor(hass, event_types)
    entries = await get_instance(hass).async_add_executor_job(
        processor.get_events, start, dt_util.utcnow() + timedelta(minutes=1)
    )
    ours = [(e["name"], e["message"]) for e in entries if str(e.get("domain")) == "bpo"]
    assert ours == [
        ("bpo intake", "started c1"),
        ("bpo intake", "task 'Triage' created for contractors"),
        ("bpo intake", "task 'triage' completed by system with outcome done"),
        ("bpo intake", "finished c1 (completed)"),
    ]
