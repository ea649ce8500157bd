"""The time model's documented examples (business calendar, templated durations, date helpers) run through
``bpo simulate`` as well: what an admin sees when trying them before installing (the other tests of these
examples run them on the engine directly)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from custom_components.bpo.engine.scenario import Scenario, ScenarioStart
from custom_components.bpo.engine.schema import parse_blueprint
from custom_components.bpo.engine.simulate import simulate_async

from .test_docs_examples import BLOCKS

TOKYO = ZoneInfo("Asia/Tokyo")
FRIDAY_4PM = datetime(2026, 1, 9, 16, tzinfo=TOKYO)  # Monday 12 January 2026 is Coming of Age Day


async def simulate_doc(
    name: str, start: datetime, answers: dict[str, Any], fields: dict[str, Any] | None = None
) -> tuple[list[tuple[datetime, str]], dict[str, int]]:
    [block] = [b for b in BLOCKS if b.markers.get("example") == name]
    manual: dict[str, Any] = {"key": "k1", **({"fields": fields} if fields else {})}
    timeline = await simulate_async(
        parse_blueprint(block.text, "docs/blueprint-language.md"),
        start=start,
        days=6,
        tz=TOKYO,
        answers=answers,
        scenario=Scenario(starts=[ScenarioStart(start, manual=manual)]),
    )
    lines = [(line.at.astimezone(TOKYO), line.text.split(" k1 ", 1)[1]) for line in timeline.lines]
    return lines, dict(timeline.summary)


async def test_business_calendar_example_skips_the_weekend_and_a_national_holiday() -> None:
    lines, summary = await simulate_doc("business_calendar", FRIDAY_4PM, {})
    assert lines[1:] == [
        (FRIDAY_4PM, "task answer for desk, due 2026-01-13 16:00"),
        (datetime(2026, 1, 13, 11, tzinfo=TOKYO), "task answer reminder to desk"),
        (datetime(2026, 1, 13, 16, tzinfo=TOKYO), "task answer overdue (desk)"),
    ]
    assert summary["reminders"] == 1 and summary["tasks overdue"] == 1


async def test_templated_durations_example_follows_the_case_fields() -> None:
    ten = datetime(2026, 1, 9, 10, tzinfo=TOKYO)
    answers = {"answer": {"delay": "1h"}, "feedback": {"delay": "1h"}}
    lines, summary = await simulate_doc(
        "templated_durations", ten, answers, {"priority": "urgent", "sla_hours": 2}
    )
    assert (ten, "task answer for desk, due 2026-01-09 12:00") in lines  # due: sla_hours = 2 h
    # urgent: the cool-off is one hour after the answer at 11:00
    assert (datetime(2026, 1, 9, 12, tzinfo=TOKYO), "task feedback for desk, due 2026-01-12 12:00") in lines
    assert summary["instances completed"] == 1


async def test_date_helpers_example_calls_back_on_the_next_business_morning() -> None:
    answers = {"take_call": {"delay": "10m"}, "call_back": {"delay": "10m"}}
    lines, summary = await simulate_doc("date_helpers", FRIDAY_4PM, answers)
    # next_business_day(): the weekend and Monday's holiday are skipped, Tuesday opens at 09:00
    assert (
        datetime(2026, 1, 13, 9, tzinfo=TOKYO),
        "task call_back for agents, due 2026-01-13 13:00",
    ) in lines
    assert summary["instances completed"] == 1
