"""Set-up shared by the outside tester's HA tests (test_outside_pii_ha.py, test_outside_calls_ha.py): a
world of callbacks with a PII field, and helpers to start one, reload a changed file and dump outputs."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant

from .helpers import World, async_setup_bare_world

TZ = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=TZ)
MARK = "PII-MARK-4711"
DIRECTORY = """\
groups:
  center: [person.carol]
"""
# erin is a candidate but not cleared; carol (group center) is cleared
CALLS = """\
blueprint: {name: Callbacks, domain: bpo}
process:
  key: calls
  start: [{manual: {}}]
  pii_cleared: [group:center]
  fields:
    caller_name: {type: text, pii: true, label: Caller}
    topic: {type: text, label: Topic}
    amount: {type: number, label: Amount}
  steps:
    - id: call_back
      task:
        title: "Call back {{ fields.caller_name }}"
        candidates: [person.carol, person.erin]
        outcomes: [reached, no_answer]
        form: [amount]
        due: 2h
"""


def dump(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


async def world_with(hass: HomeAssistant, freezer: FrozenDateTimeFactory, **blueprints: str) -> World:
    files = {"calls.yaml": CALLS, **{f"{k}.yaml": v for k, v in blueprints.items()}}
    return await async_setup_bare_world(hass, freezer, NOW, blueprints=files, directory=DIRECTORY)


async def start_call(hass: HomeAssistant, world: World, key: str = "c1") -> str:
    result = await hass.services.async_call(
        "bpo",
        "start",
        {"process": "calls", "key": key, "fields": {"caller_name": MARK, "topic": "billing"}},
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done()
    assert isinstance(result, dict)
    return str(result["instance_id"])


async def reload_with(hass: HomeAssistant, name: str, text: str | None) -> None:
    """Rewrite (or delete, ``text`` None) one blueprint file and call ``bpo.reload`` as an admin would."""
    path = Path(hass.config.config_dir) / "blueprints" / "bpo" / name
    if text is None:
        path.unlink()
    else:
        path.write_text(text, encoding="utf-8")
    await hass.services.async_call("bpo", "reload", {}, blocking=True)
    await hass.async_block_till_done()
