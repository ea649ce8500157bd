"""The manifest, hacs.json and translations carry what hassfest and HACS require."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import subprocess
import tomllib
from pathlib import Path

from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as HA_VERSION

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "bpo"
# hassfest's IoT classes (script/hassfest/manifest.py SUPPORTED_IOT_CLASSES)
IOT_CLASSES = {"assumed_state", "calculated", "cloud_polling", "cloud_push", "local_polling", "local_push"}
INTEGRATION_TYPES = {"device", "entity", "hardware", "helper", "hub", "service", "system", "virtual"}
# HACS's hacs.json schema (hacs/integration custom_components/hacs/utils/validate.py)
HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "homeassistant",
    "hacs",
    "persistent_directory",
    "render_readme",
}


def _manifest() -> dict[str, object]:
    return json.loads((INTEGRATION / "manifest.json").read_text(encoding="utf-8"))


def test_manifest_has_keys_hassfest_requires_for_custom_integrations() -> None:
    manifest = _manifest()
    for key in (
        "domain",
        "name",
        "codeowners",
        "documentation",
        "issue_tracker",
        "version",
        "requirements",
        "dependencies",
        "iot_class",
        "config_flow",
        "integration_type",
    ):
        assert key in manifest, key
    assert manifest["domain"] == "bpo" == INTEGRATION.name
    assert manifest["iot_class"] in IOT_CLASSES
    assert manifest["integration_type"] in INTEGRATION_TYPES
    assert manifest["config_flow"] is True
    assert AwesomeVersion(str(manifest["version"])).valid
    assert str(manifest["documentation"]).startswith("https://")
    # hassfest: domain and name first, the rest sorted
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_hacs_json_is_valid() -> None:
    hacs = json.loads((ROOT / "hacs.json").read_text(encoding="utf-8"))
    assert set(hacs) <= HACS_KEYS
    assert hacs["name"]
    minimum = AwesomeVersion(hacs["homeassistant"])
    assert minimum <= AwesomeVersion(HA_VERSION)
    assert minimum >= AwesomeVersion("2025.4.0")
    # HACS installs exactly one integration folder from custom_components/
    assert [
        p.name for p in (ROOT / "custom_components").iterdir() if p.is_dir() and p.name != "__pycache__"
    ] == ["bpo"]


def _keys(tree: object, prefix: str = "") -> set[str]:
    if not isinstance(tree, dict):
        return {prefix}
    out: set[str] = set()
    for key, value in tree.items():
        out |= _keys(value, f"{prefix}.{key}" if prefix else key)
    return out


def test_translations_match_strings() -> None:
    strings = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
    expected = _keys(strings)
    for lang in ("en", "ja"):
        translated = json.loads((INTEGRATION / "translations" / f"{lang}.json").read_text(encoding="utf-8"))
        assert _keys(translated) == expected, lang
        # translations are resolved text, never the [%key:...%] references strings.json may use
        assert "[%key:" not in json.dumps(translated, ensure_ascii=False)


def test_config_examples_hold_valid_bpo_files() -> None:
    from custom_components.bpo.engine.directory import parse_directory
    from custom_components.bpo.engine.schema import load_directory

    blueprints, errors = load_directory(ROOT / "config_examples" / "blueprints" / "bpo")
    assert errors == []
    assert sorted(blueprints) == ["client_request"]
    directory = ROOT / "config_examples" / "bpo_directory.yaml"
    assert parse_directory(directory.read_text(encoding="utf-8"), str(directory)).members("desk") == [
        "person.demo_admin"
    ]


def test_bpo_command_runs_this_clone_from_anywhere(tmp_path: Path) -> None:
    """scripts/setup's `bpo` lives in a venv shared by clones: it must run the clone it is called from."""
    bpo = ROOT / ".venv" / "bin" / "bpo"
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
