"""The manifest, hacs.json and translations carry what hassfest and HACS require."""

from __future__ import annotations

import json
import subprocess
import sys
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
