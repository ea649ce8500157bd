"""The daily report of docs/blueprint-language.md in Home Assistant: a schedule renders counts and breaches
into <config>/bpo_reports, announced as bpo_report_written, with no personal data in the files."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant

from tests.engine.test_docs_examples import BLOCKS

from .helpers import async_setup_bare_world, travel

TOKYO = ZoneInfo("Asia/Tokyo")
MONDAY = datetime(2026, 3, 2, 10, tzinfo=TOKYO)

SUPPORT = """\
blueprint: {name: Support case, domain: bpo}
process:
  key: support_case
  start: [{manual: {}}]
  fields: {email: {type: text, pii: true}}
  steps:
    - id: triage
      task: {group: desk, title: Triage, due: 4h}
    - id: fix
      task: {group: desk, title: Fix, due: 1d}
"""


def _daily_report() -> str:
    [block] = [b for b in BLOCKS if b.markers.get("example") == "daily_report"]
    return block.text


async def test_daily_report_is_written_under_the_config_folder_and_announced(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    world = await async_setup_bare_world(
        hass,
        freezer,
        MONDAY,
        blueprints={"support_case.yaml": SUPPORT, "daily_case_report.yaml": _daily_report()},
    )
    assert world.manager.blueprint_errors == []
    for email in ("ann@example.com", "bo@example.com"):
        await hass.services.async_call(
            "bpo",
            "start",
            {"process": "support_case", "key": email, "fields": {"email": email}},
            blocking=True,
        )
    await travel(hass, freezer, datetime(2026, 3, 2, 20, tzinfo=TOKYO))
    await hass.services.async_call(
        "bpo",
        "start",
        {"process": "support_case", "key": "K-3", "fields": {"email": "cy@example.com"}},
        blocking=True,
    )
    await travel(hass, freezer, datetime(2026, 3, 3, 7, 0, 1, tzinfo=TOKYO))

    folder = Path(hass.config.path("bpo_reports"))
    md = (folder / "cases-2026-03-03.md").read_text(encoding="utf-8")
    assert md.startswith("# Support cases on 2026-03-03\n")
    assert "| running | 3 |" in md and "| triage | 3 |" in md
    breaches = (folder / "case_breaches-2026-03-03.csv").read_text(encoding="utf-8").splitlines()
    # ann's and bo's triage were due Monday 14:00; K-3's is due Tuesday 00:00: all three past due at 07:00
    assert [line.split(",")[1:4] for line in breaches[1:]] == [
        ["***", "triage", ""],
        ["***", "triage", ""],
        ["K-3", "triage", ""],
    ]
    for text in (md, *breaches):
        assert "example.com" not in text
    assert world.bpo_events("report_written") == [
        (
            "bpo_report_written",
            {"process": "support_case", "name": n, "path": f"bpo_reports/{n}-2026-03-03.{x}"},
        )
        for n, x in (("cases", "md"), ("case_breaches", "csv"))
    ]
    assert sorted(p.name for p in folder.iterdir()) == ["case_breaches-2026-03-03.csv", "cases-2026-03-03.md"]
