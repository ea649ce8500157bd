"""The ``bpo`` command: ``validate``, ``graph`` and ``simulate`` (the latter lives in ``simulate.py``)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from .calls import unchecked
from .errors import BlueprintError, Problem
from .graph import to_mermaid
from .model import Blueprint
from .schema import load_blueprint, load_directory


def _days(text: str) -> int:
    """``--days``: a whole number of days, at least one (0 or less would print an empty run)."""
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of days, got {text!r}") from None
    if days < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1 day, got {days}")
    return days


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bpo", description="Check, draw and dry-run bpo blueprints.")
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate", help="check blueprint files or directories")
    validate.add_argument("paths", nargs="+", metavar="PATH", help="blueprint file or directory (**/*.yaml)")
    validate.add_argument("--inputs", metavar="FILE", help="YAML mapping of input values (for one blueprint)")

    graph = commands.add_parser("graph", help="print a Mermaid flowchart of a blueprint")
    graph.add_argument("blueprint", metavar="BLUEPRINT")
    graph.add_argument("--inputs", metavar="FILE", help="YAML mapping of input values")

    simulate = commands.add_parser("simulate", help="run a blueprint on a virtual clock and print a timeline")
    simulate.add_argument("blueprint", metavar="BLUEPRINT")
    simulate.add_argument("--inputs", metavar="FILE", help="YAML mapping of input values")
    simulate.add_argument(
        "--start", metavar="DATETIME", help="virtual start time (ISO 8601; default: today 00:00 in --tz)"
    )
    simulate.add_argument("--days", type=_days, default=31, metavar="N", help="days to simulate (default 31)")
    answers = simulate.add_mutually_exclusive_group()
    answers.add_argument("--answers", metavar="FILE", help="YAML file of scripted task answers")
    answers.add_argument(
        "--auto",
        action="store_true",
        help="complete every task one hour after it opens, with its first outcome",
    )
    simulate.add_argument(
        "--scenario", metavar="FILE", help="YAML file of manual/event starts and action stubs"
    )
    simulate.add_argument(
        "--tz", metavar="ZONE", default="UTC", help="IANA time zone for schedules (default UTC)"
    )
    simulate.add_argument(
        "--employees",
        type=int,
        metavar="N",
        help="replace every schedule's for_each list with N generated people (load testing)",
    )
    return parser


def read_inputs(file: str | None) -> dict[str, Any]:
    """The ``--inputs`` file: a YAML mapping of input name to value."""
    if file is None:
        return {}
    try:
        data = yaml.safe_load(Path(file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise BlueprintError([Problem(file, None, "", f"cannot read the inputs file: {exc}")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise BlueprintError(
            [Problem(file, line, "", f"YAML syntax error in the inputs file: {exc}")]
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BlueprintError([Problem(file, 1, "", "the inputs file must be a mapping of input name: value")])
    return {str(key): value for key, value in data.items()}


def _print_error(error: BlueprintError) -> None:
    for problem in error.problems:
        print(problem)


def _validate(paths: Sequence[str], inputs_file: str | None) -> int:
    try:
        inputs = read_inputs(inputs_file)
    except BlueprintError as exc:
        _print_error(exc)
        return 1
    ok = True
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found, errors = load_directory(path)
            for blueprint in sorted(found.values(), key=lambda b: b.path):
                _print_ok(blueprint)
            for error in errors:
                _print_error(error)
            ok = ok and not errors
            if not found and not errors:
                print(f"{raw}: no blueprint files (*.yaml) found")
                ok = False
            continue
        try:
            blueprint = load_blueprint(path, inputs)
        except BlueprintError as exc:
            _print_error(exc)
            ok = False
            continue
        _print_ok(blueprint)
        for warning in unchecked(blueprint):  # a single file cannot know the processes it calls
            print(warning)
    return 0 if ok else 1


def _print_ok(blueprint: Blueprint) -> None:
    print(f"OK {blueprint.path} ({blueprint.process.key})")
    for warning in blueprint.warnings:
        print(warning)


def _graph(file: str, inputs_file: str | None) -> int:
    try:
        blueprint = load_blueprint(file, read_inputs(inputs_file))
    except BlueprintError as exc:
        _print_error(exc)
        return 1
    print(to_mermaid(blueprint))
    return 0


def _simulate(ns: argparse.Namespace) -> int:
    try:
        from . import simulate
    except ImportError as exc:
        print(f"bpo simulate is not available: {exc}", file=sys.stderr)
        return 2
    result: int = simulate.run_cli(ns)
    return result


def main(argv: list[str] | None = None) -> int:
    ns = _parser().parse_args(argv)
    try:
        if ns.command == "validate":
            return _validate(ns.paths, ns.inputs)
        if ns.command == "graph":
            return _graph(ns.blueprint, ns.inputs)
        return _simulate(ns)
    except BrokenPipeError:
        # The reader went away (`bpo graph x | head`): stop quietly like other command-line tools, and point
        # stdout at nothing so the interpreter's last flush does not raise again.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except OSError:
            pass
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
