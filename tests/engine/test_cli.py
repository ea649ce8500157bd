from __future__ import annotations

import argparse
import shutil
import sys
import types
from pathlib import Path

import pytest

import custom_components.bpo.engine as engine_package
from custom_components.bpo.engine.cli import main

SEED = Path(__file__).resolve().parents[2] / "blueprints" / "bpo" / "device_security_report.yaml"
BAD = (
    "blueprint: {name: b, domain: bpo}\nprocess:\n  key: b\n  start: [{manual: {}}]\n  steps:\n"
    "    - id: a\n      task: {group: g, due: sevendays}\n"
)


def test_validate_ok_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(SEED)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"OK {SEED} (device_security_report)",
        f"{SEED}:80: process.steps[2].parallel[0].task.assignee: warning: the assignee is a template that "
        "can render empty (an unknown supervisor, an unset field); add group: or candidates: as a fallback",
    ]


def test_validate_directory_with_an_invalid_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(SEED, tmp_path / "good.yaml")
    (tmp_path / "bad.yaml").write_text(BAD)
    assert main(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert f"OK {tmp_path / 'good.yaml'} (device_security_report)" in out
    assert any(line.startswith(f"{tmp_path / 'bad.yaml'}:7: process.steps[0].task.due: ") for line in out)


def test_validate_several_paths_and_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(SEED), str(tmp_path / "nope.yaml")]) == 1
    out = capsys.readouterr().out
    assert "OK " in out and "nope.yaml: cannot read the file" in out


def test_validate_empty_directory_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path)]) == 1
    assert "no blueprint files" in capsys.readouterr().out


def test_validate_with_inputs_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inputs = tmp_path / "inputs.yaml"
    inputs.write_text("supervisor_timeout: forever\n")
    assert main(["validate", "--inputs", str(inputs), str(SEED)]) == 1
    assert "got 'forever'" in capsys.readouterr().out
    inputs.write_text("- not a mapping\n")
    assert main(["validate", "--inputs", str(inputs), str(SEED)]) == 1
    assert "must be a mapping" in capsys.readouterr().out


def test_graph(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", str(SEED)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("flowchart TD\n") and "s_supervisor_check" in out


def test_graph_of_invalid_blueprint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.yaml").write_text(BAD)
    assert main(["graph", str(tmp_path / "bad.yaml")]) == 1
    assert "expected a duration" in capsys.readouterr().out


def test_simulate_delegates_the_parsed_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[argparse.Namespace] = []

    def run_cli(ns: argparse.Namespace) -> int:
        seen.append(ns)
        return 7

    fake = types.ModuleType("custom_components.bpo.engine.simulate")
    fake.run_cli = run_cli  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "custom_components.bpo.engine.simulate", fake)
    monkeypatch.setattr(engine_package, "simulate", fake, raising=False)
    code = main(
        [
            "simulate",
            str(SEED),
            "--days",
            "62",
            "--auto",
            "--tz",
            "Europe/Berlin",
            "--employees",
            "3",
            "--start",
            "2026-01-01T00:00:00+00:00",
            "--inputs",
            "in.yaml",
        ]
    )
    assert code == 7
    ns = seen[0]
    assert (ns.blueprint, ns.days, ns.auto, ns.tz, ns.employees) == (str(SEED), 62, True, "Europe/Berlin", 3)
    assert (ns.start, ns.inputs, ns.answers) == ("2026-01-01T00:00:00+00:00", "in.yaml", None)


def test_simulate_answers_and_auto_are_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["simulate", str(SEED), "--auto", "--answers", "a.yaml"])
    assert caught.value.code == 2
    assert "not allowed with" in capsys.readouterr().err


def test_no_command_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as caught:
        main([])
    assert caught.value.code == 2
