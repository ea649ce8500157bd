"""The checks hassfest and HACS apply to an integration, written from their documented rules.

One function per rule; each takes a ``Repo`` (the repository root and its integration folder) and returns
the problems it found, worded to name the file and the key. Sources, as read for this module:
hassfest ``script/hassfest/{manifest,services,translations,icons,quality_scale}.py`` (home-assistant/core),
the Home Assistant brands rules (image names and sizes; local ``brand/`` folder since 2026.3) and HACS's
``hacs.json`` schema and integration repository requirements. Where hassfest is stricter for core
integrations than for custom ones (icons and translations of every action), the stricter rule applies.

``tests/test_packaging.py`` runs every rule on this repository, and each rule on a broken copy.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import voluptuous as vol
import yaml
from awesomeversion import AwesomeVersion
from homeassistant.helpers import selector

# hassfest manifest.py
IOT_CLASSES = {"assumed_state", "calculated", "cloud_polling", "cloud_push", "local_polling", "local_push"}
INTEGRATION_TYPES = {"device", "entity", "hardware", "helper", "hub", "service", "system", "virtual"}
MANIFEST_KEYS = {
    "domain", "name", "after_dependencies", "bluetooth", "codeowners", "config_flow", "dependencies",
    "dhcp", "documentation", "homekit", "import_executor", "integration_type", "iot_class",
    "issue_tracker", "loggers", "mqtt", "requirements", "single_config_entry", "ssdp", "usb",
    "version", "zeroconf",
}  # fmt: skip
MANIFEST_REQUIRED = {"domain", "name", "codeowners", "documentation", "issue_tracker", "version"}
# hassfest translations.py: keys are [a-z0-9-_]+, not starting or ending with - or _, no doubled -/_
TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
STRINGS_SECTIONS = {
    "title", "config", "options", "config_subentries", "selector", "services", "entity", "entity_component",
    "device", "device_automation", "exceptions", "issues", "conversation", "system_health", "state",
}  # fmt: skip
ENTITY_PLATFORMS = {"binary_sensor", "calendar", "sensor", "todo", "button", "switch", "select", "number"}
# hassfest icons.py
ICONS_SECTIONS = {"entity", "services", "config", "options", "issues"}
# HACS hacs.json schema (hacs/integration custom_components/hacs/utils/validate.py)
HACS_KEYS = {
    "name", "content_in_root", "zip_release", "filename", "hide_default_branch", "country",
    "homeassistant", "hacs", "persistent_directory", "render_readme",
}  # fmt: skip
# Home Assistant brands: (width, height) rules per file name; logo: shortest side within the range
BRAND_ICONS = {"icon.png": 256, "icon@2x.png": 512, "dark_icon.png": 256, "dark_icon@2x.png": 512}
BRAND_LOGOS = {"logo.png": (128, 256), "logo@2x.png": (256, 512), "dark_logo.png": (128, 256)}
BRAND_LOGOS["dark_logo@2x.png"] = (256, 512)
# hassfest quality_scale.py ALL_RULES, by tier
QUALITY_RULES = {
    "bronze": [
        "action-setup", "appropriate-polling", "brands", "common-modules", "config-flow",
        "config-flow-test-coverage", "dependency-transparency", "docs-actions", "docs-high-level-description",
        "docs-installation-instructions", "docs-removal-instructions", "entity-event-setup",
        "entity-unique-id", "has-entity-name", "runtime-data", "test-before-configure", "test-before-setup",
        "unique-config-entry",
    ],
    "silver": [
        "action-exceptions", "config-entry-unloading", "docs-configuration-parameters",
        "docs-installation-parameters", "entity-unavailable", "integration-owner", "log-when-unavailable",
        "parallel-updates", "reauthentication-flow", "test-coverage",
    ],
    "gold": [
        "devices", "diagnostics", "discovery", "discovery-update-info", "docs-data-update",
        "docs-examples", "docs-known-limitations", "docs-supported-devices", "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases", "dynamic-devices", "entity-category", "entity-device-class",
        "entity-disabled-by-default", "entity-translations", "exception-translations", "icon-translations",
        "reconfiguration-flow", "repair-issues", "stale-devices",
    ],
    "platinum": ["async-dependency", "inject-websession", "strict-typing"],
}  # fmt: skip
PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")
HTML = re.compile(r"<[a-z/][^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class Repo:
    root: Path

    @property
    def integration(self) -> Path:
        return self.root / "custom_components" / "bpo"

    def json(self, relative: str) -> Any:
        return json.loads((self.integration / relative).read_text(encoding="utf-8"))

    def manifest(self) -> dict[str, Any]:
        data: dict[str, Any] = self.json("manifest.json")
        return data

    def strings(self) -> dict[str, Any]:
        data: dict[str, Any] = self.json("strings.json")
        return data

    def services(self) -> dict[str, Any]:
        data = yaml.safe_load((self.integration / "services.yaml").read_text(encoding="utf-8"))
        return data or {}

    def python(self) -> Iterator[tuple[str, ast.Module]]:
        for path in sorted(self.integration.glob("*.py")):
            yield path.name, ast.parse(path.read_text(encoding="utf-8"))


Rule = Callable[[Repo], list[str]]


def _leaves(tree: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _leaves(value, f"{path}.{key}" if path else str(key))
    else:
        yield path, tree


def _keys(tree: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield path, str(key)
            yield from _keys(value, f"{path}.{key}" if path else str(key))


# -- manifest.json ----------------------------------------------------------------------------------------
def manifest_schema(repo: Repo) -> list[str]:
    """hassfest's custom-integration manifest schema (with HACS's required keys)."""
    manifest = repo.manifest()
    problems = [f"manifest.json: missing {key}" for key in sorted(MANIFEST_REQUIRED - manifest.keys())]
    problems += [f"manifest.json: unknown key {key}" for key in sorted(manifest.keys() - MANIFEST_KEYS)]
    if not AwesomeVersion(str(manifest.get("version", ""))).valid:
        problems.append(f"manifest.json: version {manifest.get('version')!r} is not a valid version")
    for key in ("documentation", "issue_tracker"):
        if key in manifest and not str(manifest[key]).startswith("https://"):
            problems.append(f"manifest.json: {key} must be an https URL")
    if manifest.get("iot_class") not in IOT_CLASSES:
        problems.append(f"manifest.json: iot_class {manifest.get('iot_class')!r} is not one of hassfest's")
    if manifest.get("integration_type", "hub") not in INTEGRATION_TYPES:
        problems.append(f"manifest.json: integration_type {manifest.get('integration_type')!r} is unknown")
    if not all(isinstance(o, str) and o.startswith("@") for o in manifest.get("codeowners", [None])):
        problems.append("manifest.json: codeowners must be GitHub handles starting with @")
    for key in ("requirements", "dependencies", "after_dependencies", "loggers"):
        if not isinstance(manifest.get(key, []), list) or not all(
            isinstance(v, str) for v in manifest.get(key, [])
        ):
            problems.append(f"manifest.json: {key} must be a list of strings")
    for key in ("config_flow", "single_config_entry"):
        if key in manifest and not isinstance(manifest[key], bool):
            problems.append(f"manifest.json: {key} must be true or false")
    if manifest.get("config_flow") and not (repo.integration / "config_flow.py").is_file():
        problems.append("manifest.json: config_flow is true but config_flow.py is missing")
    if manifest.get("domain") != repo.integration.name:
        problems.append(f"manifest.json: domain {manifest.get('domain')!r} is not the folder name")
    return problems


def manifest_sorted(repo: Repo) -> list[str]:
    """hassfest: domain and name first, every other key in alphabetical order."""
    keys = list(repo.manifest())
    if keys[:2] != ["domain", "name"] or keys[2:] != sorted(keys[2:]):
        return ["manifest.json: keys must be domain, name, then sorted"]
    return []


def _logging_modules(requirement: str) -> set[str]:
    """Top-level modules of an installed requirement whose code calls ``getLogger``."""
    name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0]
    found: set[str] = set()
    for file in importlib.metadata.files(name) or ():
        if file.suffix == ".py" and "getLogger(" in Path(str(file.locate())).read_text(errors="replace"):
            found.add(file.parts[0].removesuffix(".py"))
    return found


def manifest_loggers(repo: Repo) -> list[str]:
    """``loggers`` names exactly the loggers the requirements use (HA's debug-logging switch sets them)."""
    manifest = repo.manifest()
    expected: set[str] = set()
    for requirement in manifest.get("requirements", []):
        expected |= _logging_modules(requirement)
    listed = set(manifest.get("loggers", []))
    if listed != expected:
        return [f"manifest.json: loggers {sorted(listed)} but the requirements log as {sorted(expected)}"]
    return []


# -- services.yaml ----------------------------------------------------------------------------------------
FIELD_KEYS = {"example", "default", "required", "advanced", "selector", "filter", "name", "description"}


def services_schema(repo: Repo) -> list[str]:
    """hassfest services.py: slug service names; fields with known keys and a valid selector."""
    problems: list[str] = []
    for service, spec in repo.services().items():
        if not TRANSLATION_KEY.match(str(service)):
            problems.append(f"services.yaml: {service}: not a valid action name")
        if spec is None:
            continue
        if not isinstance(spec, dict) or set(spec) - {"fields", "target", "name", "description"}:
            problems.append(f"services.yaml: {service}: unknown keys")
            continue
        for field, fspec in (spec.get("fields") or {}).items():
            where = f"services.yaml: {service}.fields.{field}"
            if not isinstance(fspec, dict) or set(fspec) - FIELD_KEYS:
                problems.append(f"{where}: unknown keys")
                continue
            if "required" in fspec and not isinstance(fspec["required"], bool):
                problems.append(f"{where}: required must be true or false")
            if "selector" in fspec:
                try:
                    selector.validate_selector(fspec["selector"])
                except vol.Invalid as err:
                    problems.append(f"{where}: invalid selector: {err}")
    return problems


def services_translated(repo: Repo) -> list[str]:
    """Every action and field has a name and description in strings.json, and nothing else is there."""
    services, strings = repo.services(), repo.strings().get("services", {})
    problems: list[str] = []
    for service, spec in services.items():
        text = strings.get(service, {})
        problems += [
            f"strings.json: services.{service}.{k} missing" for k in ("name", "description") if k not in text
        ]
        for field in (spec or {}).get("fields") or {}:
            ftext = text.get("fields", {}).get(field, {})
            problems += [
                f"strings.json: services.{service}.fields.{field}.{k} missing"
                for k in ("name", "description")
                if k not in ftext
            ]
        extra = set(text.get("fields", {})) - set(((spec or {}).get("fields")) or {})
        problems += [
            f"strings.json: services.{service}.fields.{f} is not in services.yaml" for f in sorted(extra)
        ]
    problems += [
        f"strings.json: services.{s} is not in services.yaml" for s in sorted(set(strings) - set(services))
    ]
    return problems


def services_have_icons(repo: Repo) -> list[str]:
    """hassfest (core): every action has an icon in icons.json."""
    icons = repo.json("icons.json").get("services", {}) if (repo.integration / "icons.json").is_file() else {}
    return [f"icons.json: action {s} has no icon" for s in sorted(set(repo.services()) - set(icons))]


# -- strings.json and translations ------------------------------------------------------------------------
def strings_schema(repo: Repo) -> list[str]:
    """hassfest translations.py: known sections, translation keys, plain text, resolvable references."""
    strings = repo.strings()
    problems = [f"strings.json: unknown section {k}" for k in sorted(set(strings) - STRINGS_SECTIONS)]
    for path, key in _keys(strings):
        top = path.split(".")[0] if path else key
        if path and top not in {"selector", "config", "options"} and not TRANSLATION_KEY.match(key):
            problems.append(f"strings.json: {path}.{key}: invalid translation key")
    references = dict(_leaves(strings))
    for path, value in references.items():
        if not isinstance(value, str) or not value.strip():
            problems.append(f"strings.json: {path}: must be non-empty text")
            continue
        if HTML.search(value):
            problems.append(f"strings.json: {path}: HTML is not allowed")
        if re.search(r"'\{[a-z0-9_]+\}'", value):
            problems.append(f"strings.json: {path}: placeholders must not be in single quotes")
        for ref in re.findall(r"\[%key:([^%]+)%\]", value):
            if (
                not ref.startswith("common::")
                and ref.replace("::", ".").removeprefix("component.bpo.") not in references
            ):
                problems.append(f"strings.json: {path}: reference {ref} does not resolve")
    for key, spec in strings.get("exceptions", {}).items():
        if set(spec) != {"message"}:
            problems.append(f"strings.json: exceptions.{key}: needs exactly a message")
    for key, spec in strings.get("issues", {}).items():
        if "title" not in spec or ("description" in spec) == ("fix_flow" in spec):
            problems.append(f"strings.json: issues.{key}: needs a title and a description or a fix_flow")
    for platform, entities in strings.get("entity", {}).items():
        if platform not in ENTITY_PLATFORMS:
            problems.append(f"strings.json: entity.{platform}: not an entity platform")
        for key, spec in entities.items():
            if not spec.keys() & {"name", "state"}:
                problems.append(f"strings.json: entity.{platform}.{key}: needs a name or states")
    return problems


def translations_match_strings(repo: Repo) -> list[str]:
    """Each translation has every key of strings.json, no other, the same placeholders, and no references."""
    source = dict(_leaves(repo.strings()))
    problems: list[str] = []
    folder = repo.integration / "translations"
    if not (folder / "en.json").is_file():
        problems.append("translations/en.json is missing")
    for path in sorted(folder.glob("*.json")):
        translated = dict(_leaves(json.loads(path.read_text(encoding="utf-8"))))
        name = f"translations/{path.name}"
        problems += [f"{name}: missing {k}" for k in sorted(source.keys() - translated.keys())]
        problems += [f"{name}: {k} is not in strings.json" for k in sorted(translated.keys() - source.keys())]
        for key in sorted(source.keys() & translated.keys()):
            text = str(translated[key])
            if "[%key:" in text:
                problems.append(f"{name}: {key}: references are for strings.json only")
            elif "[%key:" not in str(source[key]) and set(PLACEHOLDER.findall(text)) != set(
                PLACEHOLDER.findall(str(source[key]))
            ):
                problems.append(f"{name}: {key}: placeholders differ from strings.json")
    return problems


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _module_constants(tree: ast.Module) -> dict[str, ast.Constant]:
    """Module-level ``NAME = "text"`` (or ``NAME: Final = "text"``) assignments."""
    found: dict[str, ast.Constant] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            found.update({t.id: node.value for t in node.targets if isinstance(t, ast.Name)})
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(node.value, ast.Constant)
        ):
            found[node.target.id] = node.value
    return found


def _resolve(node: ast.expr | None, constants: dict[str, ast.Constant]) -> ast.expr | None:
    return constants.get(node.id, node) if isinstance(node, ast.Name) else node


def translation_keys_used(repo: Repo) -> Iterator[tuple[str, str, str, set[str] | None]]:
    """(file, section, key, placeholders given or None when unknown) for each translation key in the code."""
    for name, tree in repo.python():
        constants = _module_constants(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(
                key := _resolve(_keyword(node, "translation_key"), constants), ast.Constant
            ):
                given = _keyword(node, "translation_placeholders")
                placeholders = (
                    {k.value for k in given.keys if isinstance(k, ast.Constant)}
                    if isinstance(given, ast.Dict)
                    else (set() if given is None else None)
                )
                callee = _call_name(node)
                if callee == "async_create_issue":
                    section = "issues"
                elif callee == "SelectSelectorConfig":
                    section = "selector"
                elif _keyword(node, "translation_domain") is not None:
                    section = "exceptions"
                else:
                    section = "entity"  # an entity description
                yield name, section, str(key.value), placeholders
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
                if "_attr_translation_key" in targets:
                    yield name, "entity", str(node.value.value), None
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                if node.target.id == "_ERROR_KEYS" and isinstance(node.value, ast.Dict):
                    for value in node.value.values:  # engine errors mapped to exception keys
                        if isinstance(value, ast.Constant):
                            yield name, "exceptions", str(value.value), {"detail"}


def code_translation_keys_exist(repo: Repo) -> list[str]:
    """Every exception, issue and entity translation key the code uses is in strings.json, with the
    placeholders the code passes (exception-translations, entity-translations)."""
    strings = repo.strings()
    entity_keys = {key for platform in strings.get("entity", {}).values() for key in platform}
    problems: list[str] = []
    for name, section, key, given in translation_keys_used(repo):
        if section == "selector":
            if "options" not in strings.get("selector", {}).get(key, {}):
                problems.append(f"{name}: selector translation key {key} has no options in strings.json")
            continue
        if section == "entity":
            if key not in entity_keys:
                problems.append(f"{name}: entity translation key {key} is not in strings.json")
            continue
        spec = strings.get(section, {}).get(key)
        if spec is None:
            problems.append(f"{name}: {section} translation key {key} is not in strings.json")
            continue
        wanted = {
            p
            for value in (spec.values() if section == "issues" else [spec["message"]])
            for p in PLACEHOLDER.findall(str(value))
        }
        if given is not None and not wanted <= given:
            problems.append(f"{name}: {section}.{key} needs placeholders {sorted(wanted - given)}")
    return problems


# -- icons.json -------------------------------------------------------------------------------------------
def _icon(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("mdi:") and not HTML.search(value)


def icons_schema(repo: Repo) -> list[str]:
    """hassfest icons.py: sections, mdi: icons, valid keys, a state icon never equal to its default."""
    if not (repo.integration / "icons.json").is_file():
        return ["icons.json is missing"]
    icons = repo.json("icons.json")
    problems = [f"icons.json: unknown section {k}" for k in sorted(set(icons) - ICONS_SECTIONS)]
    for platform, entities in icons.get("entity", {}).items():
        for key, spec in entities.items():
            where = f"icons.json: entity.{platform}.{key}"
            if (
                not TRANSLATION_KEY.match(key)
                or not isinstance(spec, dict)
                or set(spec) - {"default", "state", "range", "state_attributes"}
            ):
                problems.append(f"{where}: invalid")
                continue
            if "default" in spec and not _icon(spec["default"]):
                problems.append(f"{where}.default: not an mdi: icon")
            for state, icon in spec.get("state", {}).items():
                if not TRANSLATION_KEY.match(state) or not _icon(icon):
                    problems.append(f"{where}.state.{state}: invalid")
                elif icon == spec.get("default"):
                    problems.append(f"{where}.state.{state}: same as the default icon")
    for service, spec in icons.get("services", {}).items():
        icon = spec.get("service") if isinstance(spec, dict) else spec
        if not _icon(icon) or (isinstance(spec, dict) and set(spec) - {"service", "sections"}):
            problems.append(f"icons.json: services.{service}: not an mdi: icon")
    return problems


def icons_cover_entities(repo: Repo) -> list[str]:
    """icon-translations: every translated entity has an icon, and icons name only translated entities."""
    strings = repo.strings().get("entity", {})
    icons = repo.json("icons.json").get("entity", {}) if (repo.integration / "icons.json").is_file() else {}
    wanted = {(p, k) for p, keys in strings.items() for k in keys}
    have = {(p, k) for p, keys in icons.items() for k in keys}
    problems = [f"icons.json: entity.{p}.{k} has no icon" for p, k in sorted(wanted - have)]
    problems += [f"icons.json: entity.{p}.{k} is not a translated entity" for p, k in sorted(have - wanted)]
    for platform, keys in icons.items():
        for key, spec in keys.items():
            states = set(strings.get(platform, {}).get(key, {}).get("state", {})) or None
            extra = (
                set(spec.get("state", {})) - states if states is not None and platform == "sensor" else set()
            )
            problems += [
                f"icons.json: entity.{platform}.{key}.state.{s} is not a state" for s in sorted(extra)
            ]
    return problems


# -- HACS -------------------------------------------------------------------------------------------------
def hacs_json(repo: Repo) -> list[str]:
    """HACS's hacs.json schema."""
    path = repo.root / "hacs.json"
    if not path.is_file():
        return ["hacs.json is missing"]
    hacs = json.loads(path.read_text(encoding="utf-8"))
    problems = [f"hacs.json: unknown key {k}" for k in sorted(set(hacs) - HACS_KEYS)]
    if not isinstance(hacs.get("name"), str) or not hacs["name"]:
        problems.append("hacs.json: name is required")
    if "homeassistant" in hacs and not AwesomeVersion(str(hacs["homeassistant"])).valid:
        problems.append("hacs.json: homeassistant is not a version")
    for key in (
        "render_readme",
        "zip_release",
        "content_in_root",
        "hide_default_branch",
        "persistent_directory",
    ):
        if key in hacs and not isinstance(hacs[key], bool | str if key == "persistent_directory" else bool):
            problems.append(f"hacs.json: {key} has the wrong type")
    if hacs.get("zip_release") and not hacs.get("filename"):
        problems.append("hacs.json: zip_release needs filename")
    return problems


def hacs_repository(repo: Repo) -> list[str]:
    """HACS: one integration under custom_components/, a README, a LICENSE."""
    problems: list[str] = []
    folders = [
        p.name for p in (repo.root / "custom_components").iterdir() if p.is_dir() and p.name != "__pycache__"
    ]
    if folders != ["bpo"]:
        problems.append(f"custom_components/ must hold exactly the integration, found {sorted(folders)}")
    if not (repo.root / "README.md").is_file():
        problems.append("README.md is missing")
    license_file = repo.root / "LICENSE"
    if not license_file.is_file():
        problems.append("LICENSE is missing")
    else:
        text = license_file.read_text(encoding="utf-8")
        if (
            "Apache License" not in text
            or "Version 2.0, January 2004" not in text
            or "END OF TERMS" not in text
        ):
            problems.append("LICENSE is not the full Apache-2.0 text (pyproject says Apache-2.0)")
    return problems


def _png_size(path: Path) -> tuple[int, int] | None:
    data = path.read_bytes()[:24]
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def brand_images(repo: Repo) -> list[str]:
    """Home Assistant brand rules for a custom integration's local ``brand/`` folder."""
    folder = repo.integration / "brand"
    problems = [f"brand/{n} is missing" for n in ("icon.png", "logo.png") if not (folder / n).is_file()]
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        size = _png_size(path)
        if path.name not in BRAND_ICONS and path.name not in BRAND_LOGOS:
            problems.append(f"brand/{path.name}: not a brand image name")
        elif size is None:
            problems.append(f"brand/{path.name}: not a PNG")
        elif path.name in BRAND_ICONS and size != (BRAND_ICONS[path.name],) * 2:
            problems.append(f"brand/{path.name}: {size} but must be {BRAND_ICONS[path.name]} square")
        elif (
            path.name in BRAND_LOGOS
            and not BRAND_LOGOS[path.name][0] <= min(size) <= BRAND_LOGOS[path.name][1]
        ):
            problems.append(f"brand/{path.name}: shortest side {min(size)} outside {BRAND_LOGOS[path.name]}")
    return problems


# -- quality_scale.yaml -----------------------------------------------------------------------------------
def quality_scale(repo: Repo, *, tier: str = "gold") -> list[str]:
    """hassfest quality_scale.py: every rule listed with done/todo/exempt (exempt with a comment), and
    every rule up to ``tier`` done or exempt."""
    path = repo.integration / "quality_scale.yaml"
    if not path.is_file():
        return ["quality_scale.yaml is missing"]
    rules = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("rules", {})
    known = [rule for tier_rules in QUALITY_RULES.values() for rule in tier_rules]
    problems = [f"quality_scale.yaml: {r} is missing" for r in known if r not in rules]
    problems += [f"quality_scale.yaml: {r} is not a rule" for r in rules if r not in known]
    tiers = list(QUALITY_RULES)
    required = {r for t in tiers[: tiers.index(tier) + 1] for r in QUALITY_RULES[t]}
    for rule, value in rules.items():
        status, comment = (
            (value, None) if isinstance(value, str) else (value.get("status"), value.get("comment"))
        )
        if status not in {"done", "todo", "exempt"}:
            problems.append(f"quality_scale.yaml: {rule}: status {status!r}")
        elif status == "exempt" and not (comment and str(comment).strip()):
            problems.append(f"quality_scale.yaml: {rule}: exempt needs a comment")
        elif status == "todo" and rule in required:
            problems.append(f"quality_scale.yaml: {rule}: still todo, needed for {tier}")
    return problems


RULES: dict[str, Rule] = {
    rule.__name__: rule
    for rule in (
        manifest_schema,
        manifest_sorted,
        manifest_loggers,
        services_schema,
        services_translated,
        services_have_icons,
        strings_schema,
        translations_match_strings,
        code_translation_keys_exist,
        icons_schema,
        icons_cover_entities,
        hacs_json,
        hacs_repository,
        brand_images,
        quality_scale,
    )
}
