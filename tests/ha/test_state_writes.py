"""Entity work follows what changed: a completion writes its owner's list and a bounded set of other
entities whatever the number of employees; a fan-out writes each person's list a bounded number of times.
An O(N) refresh per event (every entity re-reading the engine) turns these red."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.bpo.engine.starts import FAN_OUT_BATCH

from .helpers import travel

TOKYO_NOW = datetime(2026, 11, 30, 12, 0)
BLUEPRINT = """\
blueprint: {name: Bench, domain: bpo}
process:
  key: bench
  start:
    - schedule: "0 9 1 * *"
      for_each: "{{ members('staff') }}"
  limits: {max_starts: 100000, per: 1h}
  steps:
    - id: approve
      task: {title: "Approve", assignee: "{{ item }}", due: 2d}
      timeout: "24:00:00"
      on_timeout: complete
"""


async def run(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, n: int
) -> tuple[Counter[str], Counter[str]]:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Tokyo")
    await hass.config.async_set_time_zone("Asia/Tokyo")
    freezer.move_to(TOKYO_NOW.replace(tzinfo=tz))
    people = [f"person.e{i:03d}" for i in range(n)]
    assert await async_setup_component(
        hass, "person", {"person": [{"id": p.split(".")[1], "name": p.split(".")[1]} for p in people]}
    )
    config = Path(hass.config.config_dir)
    (config / "bpo_directory.yaml").write_text(f"groups:\n  staff: [{', '.join(people)}]\n", encoding="utf-8")
    (config / "blueprints" / "bpo").mkdir(parents=True, exist_ok=True)
    (config / "blueprints" / "bpo" / "bench.yaml").write_text(BLUEPRINT, encoding="utf-8")
    entry = MockConfigEntry(domain="bpo", title="BPO Workflows", data={})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    writes: Counter[str] = Counter()

    @callback
    def count(event: Event) -> None:
        entity_id = event.data["entity_id"]
        if entity_id.split(".")[0] in ("todo", "sensor", "binary_sensor", "calendar"):
            writes[entity_id] += 1

    # a write that changes nothing is still a write (HA reports it as state_reported)
    hass.bus.async_listen(EVENT_STATE_CHANGED, count)
    hass.bus.async_listen(EVENT_STATE_REPORTED, count, event_filter=callback(lambda _data: True))
    await travel(hass, freezer, datetime(2026, 12, 1, 9, 0, tzinfo=tz))
    engine = entry.runtime_data.manager.engine
    assert len(engine.open_tasks(process="bench")) == n
    fan_out = Counter(writes)
    writes.clear()
    task = engine.open_tasks(assignee=people[0])[0]
    await hass.services.async_call("bpo", "complete_task", {"task_id": task.id}, blocking=True)
    await hass.async_block_till_done()
    return fan_out, Counter(writes)


@pytest.mark.parametrize("n", [FAN_OUT_BATCH // 4, 3 * FAN_OUT_BATCH // 2])
async def test_writes_scale_with_what_changed(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, n: int
) -> None:
    fan_out, completion = await run(hass, freezer, n)
    lists = {e: c for e, c in fan_out.items() if e.startswith("todo.bpo_workflows_my_tasks_")}
    assert len(lists) == n and max(lists.values()) == 1  # each person's list once, in its batch
    others = {e: c for e, c in fan_out.items() if e not in lists}
    batches = -(-n // FAN_OUT_BATCH)
    assert max(others.values()) <= batches  # sensors and calendar once per batch at most
    # one completion: the owner's list, the process's counts, perhaps the calendar; nobody else's list
    assert completion["todo.bpo_workflows_my_tasks_e000"] == 1
    assert not [e for e in completion if e.startswith("todo.") and e != "todo.bpo_workflows_my_tasks_e000"]
    assert sum(completion.values()) <= 5, completion
