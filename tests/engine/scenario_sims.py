"""Running a scenario page's simulations (docs/scenarios/<name>/) and reading what its page documents.

Used by tests/engine/test_scenario_*.py: each run is ``bpo simulate`` of a shipped blueprint with the
page's scenario, inputs and answers files; its summary must be the one the page shows, and the runs of a
blueprint together must take every one of its steps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from custom_components.bpo.engine.cli import main
from custom_components.bpo.engine.model import Step
from custom_components.bpo.engine.schema import load_blueprint

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Sim:
    """The simulations of one blueprint: ``<files>/<prefix>-answers-<run>.yaml`` for each run."""

    page: str  # docs/scenarios/<page>.md, files in docs/scenarios/<page>/
    prefix: str
    blueprint: str  # process key = file name under blueprints/bpo/
    start: str
    days: int
    runs: tuple[str, ...]
    scenario: bool = True  # <prefix>-scenario.yaml
    inputs: bool = False  # <prefix>-inputs.yaml
    scenario_per_run: bool = False  # <prefix>-scenario-<run>.yaml instead (stubbed actions differ by run)

    @property
    def folder(self) -> Path:
        return ROOT / "docs" / "scenarios" / self.page

    @property
    def path(self) -> Path:
        return ROOT / "blueprints" / "bpo" / f"{self.blueprint}.yaml"

    def simulate(self, capsys: pytest.CaptureFixture[str], run: str) -> str:
        argv = [
            "simulate",
            str(self.path),
            "--start",
            self.start,
            "--days",
            str(self.days),
            "--tz",
            "Asia/Tokyo",
        ]
        argv += ["--answers", str(self.folder / f"{self.prefix}-answers-{run}.yaml")]
        if self.scenario_per_run:
            argv += ["--scenario", str(self.folder / f"{self.prefix}-scenario-{run}.yaml")]
        elif self.scenario:
            argv += ["--scenario", str(self.folder / f"{self.prefix}-scenario.yaml")]
        if self.inputs:
            argv += ["--inputs", str(self.folder / f"{self.prefix}-inputs.yaml")]
        code = main(argv)
        out = capsys.readouterr().out
        assert code == 0, out
        return out

    def documented(self, run: str) -> str:
        doc = ROOT / "docs" / "scenarios" / f"{self.page}.md"
        match = re.search(
            rf"<!-- summary: {self.prefix} {run} -->\n```text\n(.*?)```", doc.read_text("utf-8"), re.S
        )
        assert match, f"no summary of the {self.prefix} {run} run in {doc.name}"
        return match.group(1).rstrip("\n")


def all_steps(steps: tuple[Step, ...]) -> list[Step]:
    out: list[Step] = []
    for step in steps:
        out.append(step)
        out.extend(all_steps(step.parallel))
        if step.repeat is not None:
            out.extend(all_steps(step.repeat.steps))
    return out


def first(step: Step) -> Step:
    """The step that runs first when ``step`` begins: a repeat's first inner step."""
    return first(step.repeat.steps[0]) if step.repeat is not None else step


def taken(out: str) -> set[str]:
    """Steps the timeline shows: tasks created, steps timed out."""
    return set(re.findall(r" task (\w+) for ", out)) | set(re.findall(r" step (\w+) timed out", out))


def check_runs(sim: Sim, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """Every run prints its documented summary; together they create every task, time out every step
    with a timeout, end in every end step's status and reach the step after every wait."""
    blueprint = load_blueprint(sim.path, None)
    outs = {run: sim.simulate(capsys, run) for run in sim.runs}
    for run, out in outs.items():
        assert out[out.index("Summary") :].rstrip("\n") == sim.documented(run), run
        assert "Nothing started" not in out
    everything = "\n".join(outs.values())
    steps = all_steps(blueprint.process.steps)
    assert {s.id for s in steps if s.task is not None} <= taken(everything)
    assert {s.id for s in steps if s.timeout is not None} <= set(
        re.findall(r" step (\w+) timed out", everything)
    )
    ends = {s.end for s in steps if s.end is not None}
    assert ends <= set(re.findall(r" ended: (\w+)", everything))
    top = blueprint.process.steps
    assert all(first(top[i + 1]).id in taken(everything) for i, s in enumerate(top) if s.wait is not None)
    return outs
