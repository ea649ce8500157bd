"""``bpo simulate`` on the shipped work-from-home blueprints with the scenario files of their docs page.

Together the runs of each blueprint take every one of its steps (tasks, timeouts, waits, ends); each run's
summary is the one docs/scenarios/work-from-home.md shows; and no personal-data step is ever given to the
home agents' group.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from custom_components.bpo.engine.cli import main
from custom_components.bpo.engine.model import Step
from custom_components.bpo.engine.schema import load_blueprint

ROOT = Path(__file__).resolve().parents[2]
FILES = ROOT / "docs" / "scenarios" / "work-from-home"
DOC = ROOT / "docs" / "scenarios" / "work-from-home.md"
RUNS = {
    "contact": ("wfh_contact", "contact-scenario.yaml", 1, ("on-time", "idle", "refused")),
    "outbound": ("wfh_outbound_call", "outbound-scenario.yaml", 2, ("reached", "unreachable")),
}
CENTER_STEPS = {"identity_check", "answer_from_center", "call_back"}


def _simulate(capsys: pytest.CaptureFixture[str], name: str, run: str) -> str:
    key, scenario, days, _ = RUNS[name]
    code = main(
        [
            "simulate",
            str(ROOT / "blueprints" / "bpo" / f"{key}.yaml"),
            "--scenario",
            str(FILES / scenario),
            "--answers",
            str(FILES / f"{name}-answers-{run}.yaml"),
            "--start",
            "2026-03-02T09:00",
            "--days",
            str(days),
            "--tz",
            "Asia/Tokyo",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    return out


def _documented(name: str, run: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(rf"<!-- summary: {name} {run} -->\n```text\n(.*?)```", text, re.S)
    assert match, f"no summary of the {name} {run} run in {DOC.name}"
    return match.group(1).rstrip("\n")


def _steps(steps: tuple[Step, ...]) -> list[Step]:
    out: list[Step] = []
    for step in steps:
        out.append(step)
        out.extend(_steps(step.parallel))
    return out


def _taken(out: str) -> set[str]:
    """Steps the timeline shows: tasks created, steps timed out."""
    return set(re.findall(r" task (\w+) for ", out)) | set(re.findall(r" step (\w+) timed out", out))


@pytest.mark.parametrize("name", sorted(RUNS))
def test_the_runs_take_every_step_and_print_the_documented_summaries(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    key, _, _, runs = RUNS[name]
    blueprint = load_blueprint(ROOT / "blueprints" / "bpo" / f"{key}.yaml")
    outs = {run: _simulate(capsys, name, run) for run in runs}
    for run, out in outs.items():
        assert out[out.index("Summary") :].rstrip("\n") == _documented(name, run), run
        assert "Nothing started" not in out
    everything = "\n".join(outs.values())
    steps = _steps(blueprint.process.steps)
    tasks = {s.id for s in steps if s.task is not None}
    timed = {s.id for s in steps if s.timeout is not None}
    assert tasks <= _taken(everything)
    assert timed <= set(re.findall(r" step (\w+) timed out", everything))
    ends = {s.end for s in steps if s.end is not None}
    assert ends == set(re.findall(r" ended: (\w+)", everything))
    # wait steps: the task after each wait was created the delay after the task before it was answered
    waits = [i for i, s in enumerate(blueprint.process.steps) if s.wait is not None]
    assert all(blueprint.process.steps[i + 1].id in _taken(everything) for i in waits)


def test_personal_data_steps_go_to_the_center_and_idle_home_work_returns_to_the_queue(
    capsys: pytest.CaptureFixture[str],
) -> None:
    idle = _simulate(capsys, "contact", "idle")
    created = re.findall(r"task created wfh_contact (C-\d) task (\w+) for ([\w-]+)", idle)
    assert created
    for _key, step, who in created:
        if step in CENTER_STEPS:
            assert who == "center_agents", (step, who)
        else:
            assert who.startswith("home_agents"), (step, who)
    # every home task offered to one agent and left idle came back to the home queue 20 minutes later
    assert "2026-03-02 09:30  timeout      wfh_contact C-2 step answer_at_home timed out -> goto" in idle
    assert (
        "2026-03-02 09:30  task created wfh_contact C-2 task answer_requeued for home_agents, "
        "due 2026-03-02 10:30" in idle
    )
    # the slow identity check was escalated to the supervisors
    assert "task identity_check escalated (escalation) to group:center_supervisors" in idle

    on_time = _simulate(capsys, "contact", "on-time")
    # C-1 was delivered twice while it ran: one instance
    assert on_time.count("instance started wfh_contact C-1 started") == 1
    # the reason decides the path: C-2 (opening hours) and C-4 (product question) never see the center
    assert re.findall(r"wfh_contact (C-[24]) task (\w+) for", on_time) == [
        ("C-2", "answer_at_home"),
        ("C-4", "answer_at_home"),
    ]
