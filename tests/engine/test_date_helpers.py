"""Template date helpers: add_duration, start_of_day, next_business_day, format_time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.bpo.engine.errors import BlueprintError
from custom_components.bpo.engine.memory_store import MemoryStore
from custom_components.bpo.engine.schema import parse_blueprint

from .test_docs_examples import BLOCKS
from .test_runtime import make, run_until

TOKYO = ZoneInfo("Asia/Tokyo")
BERLIN = ZoneInfo("Europe/Berlin")


def _doc() -> str:
    [block] = [b for b in BLOCKS if b.markers.get("example") == "date_helpers"]
    return block.text


async def test_doc_example_waits_for_the_next_business_day_across_a_holiday_and_a_restart() -> None:
    bp = parse_blueprint(_doc(), "docs/blueprint-language.md")
    store = MemoryStore()
    friday = datetime(2026, 1, 9, 15, tzinfo=TOKYO)
    engine, clock, _, _ = make(bp, start=friday.astimezone(UTC), store=store)
    await engine.restore()
    inst = await engine.start("callback_desk")
    assert inst.tasks[0].title == "Promise a call back before 17:00"
    clock.advance_to(datetime(2026, 1, 9, 16, tzinfo=TOKYO).astimezone(UTC))
    await engine.complete_task(inst.tasks[0].id, user=None)
    # the weekend and Coming of Age Day (Monday 12 January) are skipped
    assert engine.next_deadline() == datetime(2026, 1, 13, 9, tzinfo=TOKYO)

    again, clock2, _, _ = make(bp, start=datetime(2026, 1, 12, 12, tzinfo=TOKYO).astimezone(UTC), store=store)
    await again.restore()
    assert again.next_deadline() == datetime(2026, 1, 13, 9, tzinfo=TOKYO)
    await run_until(again, clock2, datetime(2026, 1, 13, 8, 59, tzinfo=TOKYO))
    assert again.open_tasks() == []
    await run_until(again, clock2, datetime(2026, 1, 13, 9, tzinfo=TOKYO))
    [task] = again.open_tasks()
    assert task.title == "Call back on Tue 13 Jan 09:00 (call of 09 Jan)"
    assert task.due == datetime(2026, 1, 13, 13, tzinfo=TOKYO)


ONE = """
blueprint: {name: Probe, domain: bpo}
process:
  key: probe
  start: [{manual: {}}]
  calendar:
    time_zone: Europe/Berlin
    hours: {mon-fri: "09:00-17:00"}
    country: DE
  fields: {text: {type: text}, when: {type: text}}
  steps:
    - id: show
      task: {group: g, title: "TEMPLATE"}
"""


async def _title(template: str, at: datetime, **fields: Any) -> str:
    bp = parse_blueprint(ONE.replace("TEMPLATE", template.replace('"', '\\"')), "probe.yaml")
    engine, _, _, _ = make(bp, start=at.astimezone(UTC))
    await engine.restore()
    inst = await engine.start("probe", fields=fields)
    assert inst.status == "running", inst.history
    return inst.tasks[0].title


SAT_BEFORE_DST = datetime(2026, 3, 28, 12, tzinfo=BERLIN)  # clocks go forward on Sunday 29 March


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        # elapsed time: 24 hours after Saturday noon CET is Sunday 13:00 CEST
        ("{{ format_time(add_duration(now(), '1d')) }}", "2026-03-29 13:00"),
        ("{{ format_time(add_duration(now(), 5400), '%H:%M') }}", "13:30"),
        ("{{ format_time(add_duration(now(), '2h', business=true), '%a %H:%M') }}", "Mon 11:00"),
        ("{{ format_time(add_duration(fields.when, '1h'), '%d %H:%M') }}", "01 10:00"),
        ("{{ format_time(start_of_day(), '%Y-%m-%d %H:%M %Z') }}", "2026-03-28 00:00 CET"),
        ("{{ (now() - start_of_day()).total_seconds() | int }}", "43200"),
        ("{{ format_time(start_of_day(zone='Pacific/Auckland'), '%d %H:%M') }}", "28 12:00"),
        ("{{ format_time(next_business_day(), '%a %d %H:%M %Z') }}", "Mon 30 09:00 CEST"),
        ("{{ format_time(next_business_day('2026-04-02T10:00'), '%a %d') }}", "Tue 07"),  # Easter
        ("{{ format_time(now(), '%H:%M', 'Asia/Tokyo') }}", "20:00"),
        ("{{ format_time(format='%d.%m.%Y') }}", "28.03.2026"),
        ("{{ add_duration(now(), '1h') > now() }}", "True"),
    ],
)
async def test_helpers(template: str, expected: str) -> None:
    assert await _title(template, SAT_BEFORE_DST, when="2026-04-01T09:00") == expected


@pytest.mark.parametrize(
    ("template", "fields", "why"),
    [
        ("{{ add_duration(fields.when, '1h') }}", {"when": "someday"}, "not ISO text"),
        ("{{ add_duration(now(), fields.text) }}", {"text": "soon"}, "not a duration"),
        ("{{ format_time(now(), '%H', fields.text) }}", {"text": "Mars/Base"}, "unknown time zone"),
        ("{{ start_of_day(fields.text) }}", {"text": "2026-13-01"}, "not ISO text"),
    ],
)
async def test_bad_values_fail_the_instance_without_quoting_them(
    template: str, fields: dict[str, str], why: str
) -> None:
    bp = parse_blueprint(ONE.replace("TEMPLATE", template), "probe.yaml")
    engine, _, sink, _ = make(bp, start=SAT_BEFORE_DST.astimezone(UTC))
    await engine.restore()
    inst = await engine.start("probe", fields=fields)
    assert inst.status == "failed"
    error = sink.of("instance_completed")[0]["error"]
    assert why in error
    assert all(value not in error for value in fields.values())


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            "{{ add_duration(now()) }}",
            "add_duration() takes when, duration, business: 2 to 3 arguments, got 1",
        ),
        ("{{ add_duration(now(), '1h', busines=true) }}", "add_duration() has no argument 'busines'"),
        ("{{ format_time(now(), '%H', 'Mars/Base') }}", "format_time(): unknown time zone 'Mars/Base'"),
        ("{{ start_of_day(zone='Mars/Base') }}", "start_of_day(): unknown time zone 'Mars/Base'"),
        ("{{ add_duration(now(), '1y') }}", "add_duration(): expected a duration"),
    ],
)
def test_validate_checks_literal_arguments(template: str, message: str) -> None:
    with pytest.raises(BlueprintError) as caught:
        parse_blueprint(ONE.replace("TEMPLATE", template), "probe.yaml")
    problems = [str(p) for p in caught.value.problems]
    assert any(p.startswith("probe.yaml:13: process.steps[0].task.title: " + message) for p in problems), (
        problems
    )


def test_business_helpers_need_a_calendar() -> None:
    text = ONE.replace(
        '  calendar:\n    time_zone: Europe/Berlin\n    hours: {mon-fri: "09:00-17:00"}\n    country: DE\n',
        "",
    )
    with pytest.raises(
        BlueprintError, match=r"probe.yaml:9: process.steps\[0\].task.title: add_duration\(\) counts"
    ):
        parse_blueprint(
            text.replace("TEMPLATE", "{{ add_duration(now(), '1h', business=true) }}"), "probe.yaml"
        )
    # business=false does not count working time: no calendar needed
    parse_blueprint(text.replace("TEMPLATE", "{{ add_duration(now(), '1h', business=false) }}"), "probe.yaml")


async def test_without_a_business_calendar_at_run_time_the_instance_fails_with_a_reason() -> None:
    # a named calendar the host does not supply: validation passes, the helper names what is missing
    text = ONE.replace(
        '  calendar:\n    time_zone: Europe/Berlin\n    hours: {mon-fri: "09:00-17:00"}\n    country: DE\n',
        "  calendar: office\n",
    ).replace("TEMPLATE", "{{ next_business_day() }}")
    engine, _, sink, _ = make(parse_blueprint(text, "x.yaml"), start=SAT_BEFORE_DST.astimezone(UTC))
    await engine.restore()
    inst = await engine.start("probe")
    assert inst.status == "failed"
    assert (
        "next_business_day needs the process's business calendar" in sink.of("instance_completed")[0]["error"]
    )
