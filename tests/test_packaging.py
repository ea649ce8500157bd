"""Packaging: hassfest and HACS rules (tests/hassfest_rules.py), dependency floors, the CLI."""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import json
import re
import shutil
import struct
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as HA_VERSION

from tests import hassfest_rules

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "bpo"


def _manifest() -> dict[str, object]:
    return json.loads((INTEGRATION / "manifest.json").read_text(encoding="utf-8"))


def test_hacs_minimum_is_the_oldest_release_ci_proves() -> None:
    """hacs.json's ``homeassistant`` is exactly the HA of the oldest CI leg (pyproject's ``ha2025`` extra),
    and no newer than the HA these tests run on."""
    hacs = json.loads((ROOT / "hacs.json").read_text(encoding="utf-8"))
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    oldest = min(
        AwesomeVersion(req.split("==", 1)[1])
        for leg in extras.values()
        for req in leg
        if req.startswith("homeassistant==")
    )
    minimum = AwesomeVersion(hacs["homeassistant"])
    assert minimum == oldest
    assert minimum <= AwesomeVersion(HA_VERSION)


def test_config_examples_hold_valid_bpo_files() -> None:
    from custom_components.bpo.engine.directory import parse_directory
    from custom_components.bpo.engine.schema import load_directory

    blueprints, errors = load_directory(ROOT / "config_examples" / "blueprints" / "bpo")
    assert errors == []
    assert sorted(blueprints) == ["client_request", "file_intake", "mail_intake"]
    directory = ROOT / "config_examples" / "bpo_directory.yaml"
    assert parse_directory(directory.read_text(encoding="utf-8"), str(directory)).members("desk") == [
        "person.demo_admin"
    ]


def test_bpo_command_runs_this_clone_from_anywhere(tmp_path: Path) -> None:
    """scripts/setup's `bpo` lives in a venv shared by clones: it must run the clone it is called from."""
    # the link of the HA leg running this test (.venv, or .venv-2025 for BPO_HA=2025)
    (venv,) = (p for p in ROOT.glob(".venv*") if p.resolve() == Path(sys.prefix).resolve())
    bpo = venv / "bin" / "bpo"
    assert bpo.is_file(), "scripts/setup creates .venv/bin/bpo"
    done = subprocess.run(
        [str(bpo), "validate", str(ROOT / "blueprints")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "OK" in done.stdout and "device_security_report" in done.stdout
    # started by its real path (outside any clone) and from outside a clone, it says what to do
    lost = subprocess.run(
        [str(bpo.resolve()), "validate", "."], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert lost.returncode != 0 and "inside a bpo clone" in lost.stderr


# -- dependency floors -------------------------------------------------------------------------------------
# The first croniter release with each part of its API that bpo uses, read from the sources of croniter
# 6.0.0, 6.1.0 and 6.2.0 (`pip download croniter==X --no-deps`): `expand(..., strict=)` and the
# `nearest_weekday` attribute appear in 6.2.0 (6.0 and 6.1 raise TypeError on `strict=`). "6.0.0" means
# "present in 6.0.0"; older releases were not checked, and no floor below 6.0.0 is claimed.
CRONITER_API = {
    "croniter": "6.0.0",
    "CroniterError": "6.0.0",
    "expand": "6.0.0",
    "expanded": "6.0.0",
    "get_next": "6.0.0",
    "get_prev": "6.0.0",
    "is_prev": "6.0.0",
    "nth_weekday_of_month": "6.0.0",
    "nearest_weekday": "6.2.0",
    "strict": "6.2.0",
}


def croniter_api_used(source: str) -> set[str]:
    """Names of croniter's API a module uses: imports, ``croniter.X``, keywords of croniter calls, and
    attributes read from objects that ``croniter(...)`` returned."""
    tree = ast.parse(source)
    used: set[str] = set()
    iterators: set[str] = set()

    def is_croniter(node: ast.expr) -> bool:
        return (isinstance(node, ast.Name) and node.id == "croniter") or (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "croniter"
        )

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "croniter":
            used |= {alias.name for alias in node.names}
        elif (
            isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and is_croniter(node.value.func)
        ):
            iterators |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "croniter" or node.value.id in iterators:
                used.add(node.attr)
        elif isinstance(node, ast.Call) and is_croniter(node.func):
            used |= {kw.arg for kw in node.keywords if kw.arg is not None}
    return used


def _floor(requirement: str) -> AwesomeVersion:
    match = re.fullmatch(r"croniter>=([0-9.]+)", requirement.strip())
    assert match, f"expected croniter>=X, got {requirement!r}"
    return AwesomeVersion(match.group(1))


def test_croniter_api_finder_sees_imports_keywords_and_attributes() -> None:
    sample = (
        "from croniter import CroniterError, croniter\n"
        "croniter.expand(text, strict=True)\n"
        "it = croniter(expr, start, is_prev=True)\n"
        "it.nearest_weekday\n"
        "other.nearest_weekday_not_croniter\n"
    )
    assert croniter_api_used(sample) == {
        "CroniterError",
        "croniter",
        "expand",
        "strict",
        "is_prev",
        "nearest_weekday",
    }


def test_croniter_floor_covers_every_croniter_feature_the_engine_uses() -> None:
    used: set[str] = set()
    for path in (INTEGRATION / "engine").glob("*.py"):
        used |= croniter_api_used(path.read_text(encoding="utf-8"))
    assert {"strict", "nearest_weekday"} <= used  # what made 6.0/6.1 fail on load
    unknown = used - CRONITER_API.keys()
    assert not unknown, f"croniter API without a known first release (check its sources, add it): {unknown}"
    needed = max((AwesomeVersion(CRONITER_API[name]) for name in used), default=AwesomeVersion("0"))

    [manifest_requirement] = [r for r in _manifest()["requirements"] if str(r).startswith("croniter")]  # type: ignore[attr-defined]
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [project_requirement] = [r for r in pyproject["project"]["dependencies"] if r.startswith("croniter")]
    assert _floor(str(manifest_requirement)) == _floor(project_requirement)  # HA and pip install the same
    assert _floor(project_requirement) >= needed, f"the engine needs croniter {needed}"
    # and what the tests run on satisfies the floor (else the features above were never exercised)
    assert AwesomeVersion(importlib.metadata.version("croniter")) >= _floor(project_requirement)


# -- hassfest and HACS rules -------------------------------------------------------------------------------
REPO = hassfest_rules.Repo(ROOT)


# Gaps we know of and say so in the files themselves; fixing one turns its test red until it is removed here.
KNOWN_GAPS: dict[str, list[str]] = {}


@pytest.mark.parametrize("rule", sorted(hassfest_rules.RULES))
def test_repository_passes_hassfest_and_hacs_rule(rule: str) -> None:
    assert hassfest_rules.RULES[rule](REPO) == KNOWN_GAPS.get(rule, [])


def _edit_json(path: Path, change: Callable[[Any], None]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def _edit_text(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _drop_strings_exception(repo: Path) -> None:
    for name in ("strings.json", "translations/en.json", "translations/ja.json"):
        _edit_json(repo / "custom_components/bpo" / name, lambda d: d["exceptions"].pop("save_failed"))


def _unsorted_manifest(repo: Path) -> None:
    path = repo / "custom_components/bpo/manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    reordered = {"name": data.pop("name"), **data}
    path.write_text(json.dumps(reordered, indent=2), encoding="utf-8")


def _brand_icon_wrong_size(repo: Path) -> None:
    icon = repo / "custom_components/bpo/brand/icon.png"
    data = bytearray(icon.read_bytes())
    data[16:24] = struct.pack(">II", 200, 256)
    icon.write_bytes(bytes(data))


INTEGRATION_REL = "custom_components/bpo"
# rule -> a break that hassfest or HACS would reject, applied to a copy of the repository
BREAKS: dict[str, Callable[[Path], None]] = {
    "manifest_schema": lambda r: _edit_json(
        r / INTEGRATION_REL / "manifest.json", lambda d: d.pop("issue_tracker")
    ),
    "manifest_sorted": _unsorted_manifest,
    "manifest_loggers": lambda r: _edit_json(
        r / INTEGRATION_REL / "manifest.json", lambda d: d.update(loggers=["custom_components.bpo"])
    ),
    "services_schema": lambda r: _edit_text(
        r / INTEGRATION_REL / "services.yaml",
        "      selector:\n        text:\n",
        "      selector:\n        no_such_selector:\n",
    ),
    "services_translated": lambda r: _edit_json(
        r / INTEGRATION_REL / "strings.json", lambda d: d["services"]["cancel"].pop("description")
    ),
    "services_have_icons": lambda r: _edit_json(
        r / INTEGRATION_REL / "icons.json", lambda d: d["services"].pop("reload")
    ),
    "strings_schema": lambda r: _edit_json(
        r / INTEGRATION_REL / "strings.json", lambda d: d["exceptions"].update({"Bad_Key": {"message": "x"}})
    ),
    "translations_match_strings": lambda r: _edit_json(
        r / INTEGRATION_REL / "translations/ja.json",
        lambda d: d["exceptions"]["save_failed"].update(message="保存できませんでした"),  # {detail} dropped
    ),
    "code_translation_keys_exist": _drop_strings_exception,
    "icons_schema": lambda r: _edit_json(
        r / INTEGRATION_REL / "icons.json",
        lambda d: d["entity"]["calendar"]["schedule"].update(default="calendar"),
    ),
    "icons_cover_entities": lambda r: _edit_json(
        r / INTEGRATION_REL / "icons.json", lambda d: d["entity"]["todo"].pop("queue")
    ),
    "hacs_json": lambda r: _edit_json(r / "hacs.json", lambda d: d.update(homeassistant_min="2025.4.0")),
    "hacs_repository": lambda r: (r / "LICENSE").unlink(),
    "brand_images": _brand_icon_wrong_size,
    "quality_scale": lambda r: _edit_text(
        r / INTEGRATION_REL / "quality_scale.yaml",
        "  repair-issues:\n    status: done",
        "  repair-issues:\n    status: todo",
    ),
}


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """What the rules read: the integration folder (without caches), hacs.json, README and LICENSE."""
    shutil.copytree(INTEGRATION, tmp_path / INTEGRATION_REL, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("hacs.json", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, tmp_path / name)
    return tmp_path


def test_every_rule_has_a_break() -> None:
    assert BREAKS.keys() == hassfest_rules.RULES.keys()


@pytest.mark.parametrize("rule", sorted(BREAKS))
def test_each_rule_rejects_a_broken_copy(repo_copy: Path, rule: str) -> None:
    copy = hassfest_rules.Repo(repo_copy)
    before = hassfest_rules.RULES[rule](copy)
    assert before == KNOWN_GAPS.get(rule, [])  # the copy is as good as the original
    BREAKS[rule](repo_copy)
    problems = hassfest_rules.RULES[rule](copy)
    assert set(problems) - set(before), f"{rule} accepted the broken copy"
    # a break is caught by the rule it targets (others may notice too, e.g. translations of a removed key)


def test_quality_scale_comments_point_at_what_exists() -> None:
    """Each docs section and test a quality_scale.yaml comment names exists, so a "done" has its evidence."""
    text = (INTEGRATION / "quality_scale.yaml").read_text(encoding="utf-8")
    docs = re.findall(r"((?:docs/[\w-]+|README)\.md)#([\w-]+)", text)
    tests = re.findall(r"(tests/[\w/]+\.py)::(\w+)", text)
    assert docs and tests
    for file, anchor in docs:
        headings = re.findall(r"^#+ (.+)$", (ROOT / file).read_text(encoding="utf-8"), re.M)
        slugs = {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-") for h in headings}
        assert anchor in slugs, f"{file}#{anchor}"
    for file, name in tests:
        assert re.search(rf"^(async )?def {name}\(", (ROOT / file).read_text(encoding="utf-8"), re.M), (
            f"{file}::{name}"
        )


def test_brand_images_are_what_the_script_draws() -> None:
    """The committed images come from scripts/make_brand.py (the 1x ones are checked: the 2x take seconds)."""
    spec = importlib.util.spec_from_file_location("make_brand", ROOT / "scripts" / "make_brand.py")
    assert spec is not None and spec.loader is not None
    make_brand = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_brand)
    brand = INTEGRATION / "brand"
    assert (brand / "icon.png").read_bytes() == make_brand.icon(256)
    assert (brand / "logo.png").read_bytes() == make_brand.logo(128, make_brand.INK)
    assert (brand / "dark_logo.png").read_bytes() == make_brand.logo(128, make_brand.LIGHT_INK)
