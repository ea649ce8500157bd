"""Report helpers (engine/reports.py): instances(), count_by, sla_breaches, csv_line, and their checks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from custom_components.bpo.connectors.report import ReportConnector
from custom_components.bpo.engine import reports
from custom_components.bpo.engine.errors import BlueprintError
from custom_components.bpo.engine.schema import parse_blueprint
from custom_components.bpo.engine.simulate import simulate

from .test_docs_examples import BLOCKS
from .test_runtime import BERLIN, make, run_until

CASES = """
blueprint: {name: Cases, domain: bpo}
process:
  key: cases
  start: [{manual: {}}]
  fields: {email: {type: text, pii: true}, topic: {type: text}}
  steps:
    - id: triage
      task: {assignee: "{{ 'alice' if fields.topic == 'billing' else 'bob' }}", title: Triage, due: 1d}
    - id: answer
      task: {assignee: carol, title: Answer, due: 2d}
"""

REPORT = """
blueprint: {name: Report, domain: bpo}
process:
  key: case_report
  start: [{manual: {}}]
  steps:
    - id: render
      action:
        service: test.write
        data:
          text: "TEMPLATE"
"""


class Actions:
    def __init__(self) -> None:
        self.texts: list[str] = []

    async def call(
        self, service: str | None, connector: str | None, op: str | None, data: Mapping[str, Any]
    ) -> Any:
        self.texts.append(str(data["text"]))
        return None


async def _render(template: str) -> str:
    """Start three cases over two days (one past its due date) and render ``template`` in a report."""
    cases = parse_blueprint(CASES, "cases.yaml")
    report = parse_blueprint(REPORT.replace("TEMPLATE", template.replace('"', '\\"')), "report.yaml")
    actions = Actions()
    t0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
    engine, clock, _, _ = make([cases, report], start=t0, actions=actions)
    await engine.restore()
    await engine.start(
        "cases", key="ann@example.com", fields={"email": "ann@example.com", "topic": "billing"}
    )
    clock.advance_to(t0 + timedelta(hours=30))
    await engine.tick()
    await engine.start("cases", key="C-2", fields={"email": "bo@example.com", "topic": "vpn"})
    third = await engine.start("cases", key="C-3", fields={"email": "cy@example.com", "topic": "vpn"})
    await engine.complete_task(third.tasks[0].id, user=None)
    inst = await engine.start("case_report")
    assert inst.status == "completed", inst.error
    [text] = actions.texts
    return text


async def test_counts_by_status_step_and_assignee() -> None:
    rows = "{% set r = instances('cases') %}"
    assert (
        await _render(rows + "{{ r | length }}|{{ count_by(r, 'step') }}") == "3|{'triage': 2, 'answer': 1}"
    )
    assert await _render(rows + "{{ count_by(r, 'assignee') }}") == "{'alice': 1, 'bob': 1, 'carol': 1}"
    assert await _render(rows + "{{ count_by(r, 'status') }}") == "{'running': 3}"
    assert await _render("{{ instances('cases', step='answer') | map(attribute='key') | list }}") == "['C-3']"
    assert await _render("{{ instances('cases', status='completed') | length }}") == "0"


async def test_breaches_list_the_overdue_task_with_its_key_masked_when_it_is_pii() -> None:
    text = await _render(
        "{% for t in sla_breaches(instances('cases')) %}{{ csv_line([t.key, t.step, t.assignee, t.due]) }}"
        "{% endfor %}"
    )
    # ann's case was opened 30 h ago with 1d to triage; its key is her (PII) e-mail address
    assert text == "***,triage,alice,2026-03-03T10:00+01:00"


async def test_rows_mask_pii_fields_and_are_copies() -> None:
    text = await _render(
        "{% set r = instances('cases') %}{{ r[0].fields }}|{{ r[1].key }}|{{ r[0].tasks[0].overdue }}"
    )
    assert text == "{'email': '***', 'topic': 'billing'}|C-2|True"
    assert "example.com" not in await _render("{{ instances('cases') }}")


async def test_rows_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reports, "MAX_ROWS", 2)
    assert await _render("{{ instances('cases') | map(attribute='key') | list }}") == "['***', 'C-2']"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ instances(proces='x') }}", "instances() has no argument 'proces'"),
        ("{{ instances('x', status='done') }}", "no status 'done'"),
        ("{{ count_by(instances(), 'owner') }}", "cannot count by 'owner'"),
        ("{{ sla_breaches() }}", "sla_breaches() takes rows: 1 to 1 arguments, got 0"),
        ("{{ instancs() }}", "unknown name 'instancs'"),
    ],
)
def test_validate_checks_report_calls(template: str, message: str) -> None:
    with pytest.raises(BlueprintError) as err:
        parse_blueprint(REPORT.replace("TEMPLATE", template.replace('"', '\\"')), "r.yaml")
    assert message in str(err.value)


SUPPORT = """
blueprint: {name: Support case, domain: bpo}
process:
  key: support_case
  start: [{manual: {}}]
  fields: {email: {type: text, pii: true}}
  steps:
    - id: triage
      task: {group: desk, title: Triage, due: 4h}
    - id: fix
      task: {assignee: dana, title: Fix, due: 1d}
"""


class ReportActions:
    """What the HA layer and the simulator do: connector calls reach a bpo_report writing to a folder."""

    def __init__(self, folder: Path) -> None:
        self.written: list[dict[str, Any]] = []
        self.connector = ReportConnector(folder, lambda: date(2026, 3, 3), self.written.append)

    async def call(
        self, service: str | None, connector: str | None, op: str | None, data: Mapping[str, Any]
    ) -> Any:
        assert connector == "bpo_report"
        return await self.connector.call(op or "", data)


def _daily_report() -> str:
    [block] = [b for b in BLOCKS if b.markers.get("example") == "daily_report"]
    return block.text


async def test_doc_daily_report_writes_counts_and_breaches_without_pii(tmp_path: Path) -> None:
    report = parse_blueprint(_daily_report(), "docs/blueprint-language.md")
    support = parse_blueprint(SUPPORT, "support.yaml")
    actions = ReportActions(tmp_path / "bpo_reports")
    t0 = datetime(2026, 3, 2, 9, tzinfo=UTC)  # Monday 10:00 in Berlin
    engine, clock, _, _ = make([support, report], start=t0, actions=actions)
    actions.connector.today = lambda: clock.now().astimezone(BERLIN).date()
    await engine.restore()
    ann = await engine.start("support_case", key="ann@example.com", fields={"email": "ann@example.com"})
    await engine.complete_task(ann.tasks[0].id, user=None)  # now at fix, due Tuesday 09:00 UTC
    await run_until(engine, clock, t0 + timedelta(hours=20))  # Tuesday 06:00 Berlin
    for name in ("bo", "cy"):  # triage due Tuesday 09:00 UTC
        await engine.start("support_case", key=f"K-{name}", fields={"email": f"{name}@example.com"})
    await run_until(engine, clock, datetime(2026, 3, 4, 6, 0, tzinfo=UTC))  # Wednesday 07:00 Berlin
    folder = tmp_path / "bpo_reports"
    tuesday = (folder / "cases-2026-03-03.md").read_text()
    assert tuesday.startswith("# Support cases on 2026-03-03\n"), tuesday
    assert "| running | 3 |" in tuesday and "| triage | 2 |" in tuesday and "| fix | 1 |" in tuesday
    assert (folder / "case_breaches-2026-03-03.csv").read_text() == "instance,key,step,assignee,due\n"
    breaches = (folder / "case_breaches-2026-03-04.csv").read_text().splitlines()
    assert breaches[0] == "instance,key,step,assignee,due"
    # all three were due Tuesday 10:00 Berlin; same due time: by task id (the oldest case first)
    assert [line.split(",")[1:] for line in breaches[1:]] == [
        ["***", "fix", "dana", "2026-03-03T10:00+01:00"],
        ["K-bo", "triage", "", "2026-03-03T10:00+01:00"],
        ["K-cy", "triage", "", "2026-03-03T10:00+01:00"],
    ]
    everything = "".join(p.read_text() for p in folder.iterdir())
    assert "example.com" not in everything
    assert [w["name"] for w in actions.written] == ["cases", "case_breaches"] * 2
    assert actions.written[0] == {
        "process": "support_case",
        "name": "cases",
        "path": "bpo_reports/cases-2026-03-03.md",
    }


def test_doc_daily_report_simulates_one_run_a_day() -> None:
    report = parse_blueprint(_daily_report(), "docs/blueprint-language.md")
    timeline = simulate(report, start=datetime(2026, 3, 2, 8, tzinfo=BERLIN), days=2, tz=BERLIN)
    assert timeline.summary["actions called"] == 4  # two files a day, 07:00 on Tuesday and Wednesday
    assert timeline.summary["instances completed"] == 2


async def test_instances_defaults_to_the_templates_own_process() -> None:
    assert await _render("{{ instances() | map(attribute='process') | list }}") == "['case_report']"
