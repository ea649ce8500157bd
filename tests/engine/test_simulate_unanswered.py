"""``bpo simulate`` of a task nobody answers: reminders, overdue, escalations and timeout in order."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from custom_components.bpo.engine.schema import load_blueprint
from custom_components.bpo.engine.simulate import simulate

TOKYO = ZoneInfo("Asia/Tokyo")
IGNORED = """\
blueprint: {name: Ignored, domain: bpo}
process:
  key: ignored
  start: [{schedule: "0 9 * * 1"}]
  steps:
    - id: answer
      task:
        title: Answer the customer
        assignee: person.alice
        due: 1d
        remind: [12h]
        escalate:
          - after: 2d
            notify: [person.sam]
          - after: 3d
            reassign: person.bob
      timeout: 4d
      on_timeout: complete
"""


def test_an_unanswered_task_shows_every_deadline_in_order(tmp_path: Path) -> None:
    path = tmp_path / "ignored.yaml"
    path.write_text(IGNORED, encoding="utf-8")
    bp = load_blueprint(path)
    timeline = simulate(bp, start=datetime(2026, 3, 2, 8, 0, tzinfo=TOKYO), days=5, tz=TOKYO)
    subject = "ignored 20260302T0000Z"
    assert [line.render() for line in timeline.lines] == [
        f"2026-03-02 09:00  instance started {subject} started (i1, schedule)",
        f"2026-03-02 09:00  task created {subject} task answer for person.alice, due 2026-03-03 09:00",
        f"2026-03-02 21:00  task reminded {subject} task answer reminder to person.alice",
        f"2026-03-03 09:00  task overdue {subject} task answer overdue (person.alice)",
        f"2026-03-04 09:00  escalated    {subject} task answer escalated (escalation) to person.sam",
        f"2026-03-05 09:00  escalated    {subject} task answer escalated (escalation) to person.bob",
        f"2026-03-05 09:00  task reassigned {subject} task answer reassigned person.alice -> person.bob",
        f"2026-03-06 09:00  timeout      {subject} step answer timed out -> complete",
        f"2026-03-06 09:00  instance completed {subject} ended: completed",
    ]
