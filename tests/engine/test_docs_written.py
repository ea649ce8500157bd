"""Blueprints an outside tester wrote from the documentation alone (docs/blueprint-language.md).

They use what the reference describes and earlier corpora stressed little: business time with holidays,
a subdivision and closed days, repeat/until (with a parallel inside), call and for_each calls (join any,
concurrency), choose with default, parallel with join n and a sequence branch, present_in and requeue,
escalation levels with reassign, templated viewers, event starts with match and key, and a schedule fanning
out over a directory group. Each must validate as written, calls checked against the folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from custom_components.bpo.engine.cli import main
from custom_components.bpo.engine.schema import load_directory

FOLDER = Path(__file__).parent / "docs_written"


def test_every_docs_written_blueprint_loads() -> None:
    found, errors = load_directory(FOLDER)
    assert errors == []
    assert len(found) == len(list(FOLDER.glob("*.yaml"))) >= 13


def test_the_folder_validates_with_its_calls(capsys: pytest.CaptureFixture[str]) -> None:
    # A folder validation also checks that every called process is there and takes the fields passed.
    assert main(["validate", str(FOLDER)]) == 0
    out = capsys.readouterr().out
    assert "warning" not in out


def test_business_time_skips_holidays_closed_days_and_the_lunch_break(tmp_path: Path) -> None:
    """Worked by hand from section 3: Wednesday 23 Dec 2026 16:00 in Berlin, 8 working hours Mon-Thu with a
    lunch break, 24 Dec (written) and 25/26 Dec (German holidays) closed, the weekend closed: 16 working hours
    end on Tuesday 29 Dec at 16:00 (1 h Wednesday, 8 h Monday, 7 h Tuesday); the 24 h timeout on 30 Dec."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from custom_components.bpo.engine.scenario import load_scenario
    from custom_components.bpo.engine.schema import load_blueprint
    from custom_components.bpo.engine.simulate import simulate

    berlin = ZoneInfo("Europe/Berlin")
    bp = load_blueprint(FOLDER / "biztime.yaml")
    start = datetime(2026, 12, 23, 15, 0, tzinfo=berlin)
    scenario_file = tmp_path / "scenario.yaml"
    scenario_file.write_text("starts:\n  - at: 1h\n    manual: {key: case-1}\n", encoding="utf-8")
    scenario = load_scenario(str(scenario_file), bp, start)
    timeline = simulate(bp, start=start, days=10, tz=berlin, answers={"answer": None}, scenario=scenario)
    shown = timeline.render()
    assert "task answer for desk, due 2026-12-29 16:00" in shown
    assert "2026-12-28 11:00  task reminded" in shown  # 4 h: 1 h Wednesday, 3 h Monday
    assert "2026-12-29 11:00  escalated" in shown  # 12 h
    assert "2026-12-30 16:00  timeout" in shown  # 24 h; 31 Dec is closed every year
