"""``bpo validate --inputs``: a broken inputs file is named with its line; an empty one is fine."""

from __future__ import annotations

from pathlib import Path

import pytest

from custom_components.bpo.engine.cli import main

SEED = Path(__file__).resolve().parents[2] / "blueprints" / "bpo" / "device_security_report.yaml"


def test_missing_inputs_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yaml"
    assert main(["validate", "--inputs", str(missing), str(SEED)]) == 1
    out = capsys.readouterr().out
    assert str(missing) in out and "cannot read the inputs file" in out


def test_inputs_yaml_error_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inputs = tmp_path / "inputs.yaml"
    inputs.write_text("employees: [person.alice\nsupervisor_timeout: 1d\n", encoding="utf-8")
    assert main(["validate", "--inputs", str(inputs), str(SEED)]) == 1
    out = capsys.readouterr().out
    assert f"{inputs}:" in out and "YAML syntax error in the inputs file" in out
    assert any(f"{inputs}:{n}:" in out for n in (2, 3))  # where the parser noticed the open list


def test_empty_inputs_file_means_the_defaults(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inputs = tmp_path / "inputs.yaml"
    inputs.write_text("", encoding="utf-8")
    assert main(["validate", "--inputs", str(inputs), str(SEED)]) == 0
    assert "OK" in capsys.readouterr().out
