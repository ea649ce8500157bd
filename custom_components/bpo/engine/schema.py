"""Blueprint files -> validated :class:`model.Blueprint`, or a :class:`BlueprintError` listing every problem.

Public entry points: :func:`load_blueprint`, :func:`parse_blueprint`, :func:`load_directory`.
Nothing else escapes them: any mistake in a file is reported as a problem with file, line and key path.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import calls, checks, pii_keys, policy, templatecheck
from .business_time import CALENDAR_KEYS, CalendarError, WorkingCalendar, calendar_from_config
from .errors import BlueprintError, Collector, KeyPath, Problem
from .model import (
    Blueprint,
    CatchUp,
    EventStart,
    FieldDef,
    FieldType,
    InputDef,
    Limits,
    ManualStart,
    Process,
    ScheduleStart,
    Start,
)
from .reader import Reader, describe
from .stepschema import Located, humanise, parse_steps
from .yamlload import contains_input_ref, file_too_big, load_yaml, resolve_inputs

ROOT_KEYS = ("blueprint", "process")
HEADER_KEYS = ("name", "description", "domain", "input", "author", "source_url")
INPUT_KEYS = ("name", "description", "default", "selector")
PROCESS_KEYS = ("key", "catch_up", "calendar", "start", "limits", "fields", "steps", "viewers", "pii_cleared")
START_KINDS = ("schedule", "event", "manual")
START_KEYS = (*START_KINDS, "for_each", "key", "match", "fields")
FIELD_KEYS = ("type", "label", "required", "pii", "options", "default")
FIELD_TYPES: tuple[FieldType, ...] = ("text", "number", "bool", "choice", "date", "file", "entity")
CATCH_UP: tuple[CatchUp, ...] = ("fire", "skip")


class OtherDomain(BlueprintError):
    """The file is a Home Assistant blueprint for another domain (automation, script, template)."""


HA_DOMAINS = frozenset({"automation", "script", "template"})


def load_blueprint(path: str | Path, inputs: Mapping[str, Any] | None = None) -> Blueprint:
    """Read and validate one blueprint file."""
    return _load(Path(path), inputs)[0]


def parse_blueprint(text: str, filename: str, inputs: Mapping[str, Any] | None = None) -> Blueprint:
    """Validate blueprint ``text``; ``filename`` is used in problem messages and as ``Blueprint.path``."""
    return _parse(text, filename, inputs)[0]


def load_directory(
    path: str | Path, prefer: Mapping[str, str] | None = None
) -> tuple[dict[str, Blueprint], list[BlueprintError]]:
    """Every ``*.yaml``/``*.yml`` below ``path`` (symlinks followed), by process key.

    Invalid files come back as errors. Home Assistant's own blueprints (``domain: automation``,
    ``script``, ``template``) that share the tree are skipped, not reported. Of several files with one
    process key, the one ``prefer`` names for it (process key -> path: the file that defined it so far)
    keeps it, else the first; the others are errors naming it. So a copy dropped next to a running
    blueprint (``x - Copy.yaml`` sorts before ``x.yaml``) is the file reported, not the one taken over.
    """
    root = Path(path)
    if not root.is_dir():
        return {}, [BlueprintError([Problem(str(root), None, "", "not a directory")])]
    candidates: dict[str, list[tuple[Blueprint, Collector]]] = {}
    errors: list[BlueprintError] = []
    for file in _yaml_files(root):
        try:
            blueprint, out = _load(file, None)
        except OtherDomain:
            continue
        except BlueprintError as exc:
            errors.append(exc)
            continue
        candidates.setdefault(blueprint.process.key, []).append((blueprint, out))
    found: dict[str, Blueprint] = {}
    for key, loaded in candidates.items():
        wanted = (prefer or {}).get(key)
        winner = next((bp for bp, _ in loaded if bp.path == wanted), loaded[0][0])
        found[key] = winner
        for blueprint, out in loaded:
            if blueprint is not winner:
                out.add(("process", "key"), f"process key '{key}' is already used by {winner.path}")
                errors.append(BlueprintError(out.problems))
    errors.extend(calls.drop_invalid(found))  # calls name processes loaded here (calls.py)
    return found, errors


def _yaml_files(root: Path) -> list[Path]:
    """YAML files below ``root``; symlinked folders are followed once (the shipped tree links them)."""
    seen_dirs: set[str] = set()
    seen_files: set[str] = set()
    result: list[Path] = []
    for folder, dirs, files in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen_dirs:
            dirs.clear()  # a link loop or a second link to the same folder
            continue
        seen_dirs.add(real)
        dirs.sort()
        for name in sorted(files):
            file = Path(folder) / name
            if file.suffix in (".yaml", ".yml") and os.path.realpath(file) not in seen_files:
                seen_files.add(os.path.realpath(file))
                result.append(file)
    return result


def _load(path: Path, inputs: Mapping[str, Any] | None) -> tuple[Blueprint, Collector]:
    try:
        too_big = file_too_big(path.stat().st_size)  # before reading: a 20 MB file is never read
        if too_big:
            raise BlueprintError([Problem(str(path), None, "", too_big)])
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BlueprintError([Problem(str(path), None, "", "the file is not UTF-8 text")]) from None
    except OSError as exc:
        raise BlueprintError(
            [Problem(str(path), None, "", f"cannot read the file: {exc.strerror or exc}")]
        ) from None
    return _parse(text, str(path), inputs)


def _parse(text: str, filename: str, inputs: Mapping[str, Any] | None) -> tuple[Blueprint, Collector]:
    out = Collector(filename)
    data = load_yaml(text, out)
    r = Reader(out)
    if data is None:
        out.add((), "the file is empty; a blueprint has a blueprint: section and a process: section")
    root = r.mapping(data, (), ROOT_KEYS, required=ROOT_KEYS) if data is not None else None
    if root is None:
        raise BlueprintError(out.problems)
    header = (
        r.mapping(root["blueprint"], ("blueprint",), HEADER_KEYS, required=("name", "domain"))
        if "blueprint" in root
        else None
    )
    header = header or {}
    if contains_input_ref(header):
        out.add(("blueprint",), "!input can only be used inside process:")
    name = r.text(header["name"], ("blueprint", "name")) if "name" in header else None
    domain = header.get("domain")
    if isinstance(domain, str) and domain in HA_DOMAINS:
        raise OtherDomain(
            [
                Problem(
                    filename,
                    out.line(("blueprint", "domain")),
                    "blueprint.domain",
                    f"this is a Home Assistant {header['domain']} blueprint, not a bpo one",
                )
            ]
        )
    if "domain" in header and header["domain"] != "bpo":
        out.add(
            ("blueprint", "domain"),
            f"domain must be bpo for these blueprints, got {describe(header['domain'])}",
        )
    description = (
        r.text(header["description"], ("blueprint", "description")) if "description" in header else ""
    )
    declared = _inputs(header.get("input"), r) if "input" in header else {}
    values = _input_values(declared, inputs or {}, out)
    process: Process | None = None
    if "process" in root:
        raw = resolve_inputs(root["process"], ("process",), values, declared, out)
        process = _process(raw, r, declared)
    out.raise_if_any()
    if process is None or name is None:  # a problem was recorded for each; kept for the type checker
        raise BlueprintError(out.problems or [Problem(filename, None, "", "not a blueprint")])
    return Blueprint(
        name=name,
        path=filename,
        process=process,
        description=description or "",
        inputs=declared,
        source=text,
        given_inputs=dict(inputs or {}),
        warnings=tuple(str(w) for w in sorted(out.warnings, key=lambda w: w.line or 0)),
        call_templates=templatecheck.call_templates(r.templates, process, out),
    ), out


def _inputs(value: object, r: Reader) -> dict[str, InputDef]:
    path: KeyPath = ("blueprint", "input")
    if value is None:
        return {}
    m = r.mapping(value, path)
    result: dict[str, InputDef] = {}
    for name, raw in (m or {}).items():
        spec = r.mapping({} if raw is None else raw, (*path, name), INPUT_KEYS)
        if spec is None:
            continue
        selector = spec.get("selector")
        if selector is not None and not isinstance(selector, dict):
            r.error(
                (*path, name, "selector"),
                f"expected a selector mapping like {{text: {{}}}}, got {describe(selector)}",
            )
            selector = None
        result[name] = InputDef(
            name=name,
            description=r.text(spec["description"], (*path, name, "description")) or ""
            if "description" in spec
            else "",
            default=spec.get("default"),
            has_default="default" in spec,
            selector=selector,
        )
    return result


def _input_values(
    declared: Mapping[str, InputDef], supplied: Mapping[str, Any], out: Collector
) -> dict[str, Any]:
    values = {name: d.default for name, d in declared.items() if d.has_default}
    for name, value in supplied.items():
        if name in declared:
            values[name] = value
        else:
            out.add(
                ("blueprint", "input"),
                f"input '{name}' was supplied but the blueprint does not declare it"
                f"{checks.suggestion(str(name), declared)}",
            )
    for name in declared:
        if name not in values:
            out.add(("blueprint", "input", name), f"input '{name}' has no default and no value was supplied")
    return values


def _version(raw: object) -> str:
    """Short content hash of the resolved process: running instances keep the version they started on."""
    try:
        text = json.dumps(raw, sort_keys=True, default=repr, ensure_ascii=False)
    except TypeError:  # caller-supplied inputs with mixed key types cannot be sorted
        text = repr(raw)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _process(raw: object, r: Reader, inputs: Mapping[str, InputDef]) -> Process | None:
    path: KeyPath = ("process",)
    m = r.mapping(raw, path, PROCESS_KEYS, required=("key", "start", "steps"))
    if m is None:
        return None
    located: Located = []
    starts, start_paths = _starts(m["start"], r) if "start" in m else ((), [])
    calendar_name, business_calendar = _calendar(m["calendar"], r) if "calendar" in m else (None, None)
    process = Process(
        key=(r.ident(m["key"], (*path, "key"), "process key") or "") if "key" in m else "",
        version=_version(raw),
        starts=starts,
        limits=_limits(m["limits"], r) if "limits" in m else Limits(),
        catch_up=(r.choice(m["catch_up"], (*path, "catch_up"), CATCH_UP) or "fire")
        if "catch_up" in m
        else "fire",
        calendar=calendar_name,
        business_calendar=business_calendar,
        fields=_fields(m["fields"], r) if "fields" in m else {},
        steps=parse_steps(m["steps"], (*path, "steps"), r, located) if "steps" in m else (),
        viewers=r.text_list(m["viewers"], (*path, "viewers"), template=True) if "viewers" in m else (),
        pii_cleared=r.text_list(m["pii_cleared"], (*path, "pii_cleared"), template=True)
        if "pii_cleared" in m
        else (),
    )
    checks.run(process, located, start_paths, r.out)
    policy.run(process, located, start_paths, r.out)
    pii_keys.check(process, start_paths, r.out)
    templatecheck.check_all(r.templates, process, inputs, [step for _, step in located], r.out)
    return process


def _calendar(value: object, r: Reader) -> tuple[str | None, WorkingCalendar | None]:
    """``calendar: office`` names a calendar the host supplies; a mapping defines it here."""
    path: KeyPath = ("process", "calendar")
    if not isinstance(value, dict):
        name = r.text(value, path)
        if name is not None:
            # neither Home Assistant nor the CLI supplies named calendars yet: say so, or business_time
            # would silently count 24/7
            r.out.warn(
                path,
                f"calendar '{name}' must be supplied by the host, and Home Assistant does not supply named "
                "calendars yet (working time counts 24/7 without it); write the calendar here "
                "(time_zone, hours, holidays, country)",
            )
        return name, None
    spec = r.mapping(value, path, CALENDAR_KEYS, required=("hours", "time_zone"))
    if spec is None:
        return "process", None  # reported above; "process" keeps business_time from reporting it again
    # the keys it knows are read even when one is missing or unknown, so every mistake shows in one run
    # (time_zone is required: a calendar that took the host's zone would move with the installation)
    known = {key: spec[key] for key in CALENDAR_KEYS if key in spec}
    try:
        calendar = calendar_from_config(known)
    except CalendarError as err:
        for where, message in err.problems:
            if where[:1] != ("hours",) or "hours" in spec:  # a missing hours is reported above
                r.error((*path, *where), message)
        return "process", None
    return "process", calendar  # with a key missing or unknown, the file is refused all the same


def _starts(value: object, r: Reader) -> tuple[tuple[Start, ...], list[KeyPath]]:
    base: KeyPath = ("process", "start")
    if isinstance(value, list):
        items: list[tuple[KeyPath, object]] = [((*base, index), item) for index, item in enumerate(value)]
    else:
        items = [(base, value)]  # a single start without the list
    starts: list[Start] = []
    paths: list[KeyPath] = []
    for path, item in items:
        start = _start(item, path, r)
        if start is not None:
            starts.append(start)
            paths.append(path)
    return tuple(starts), paths


def _start(item: object, path: KeyPath, r: Reader) -> Start | None:
    m = r.mapping(item, path, START_KEYS)
    if m is None:
        return None
    kinds = [kind for kind in START_KINDS if kind in m]
    if len(kinds) != 1:
        r.error(path, "a start needs exactly one of schedule, event or manual")
        return None
    kind = kinds[0]
    for only, owner in (("for_each", "schedule"), ("match", "event")):
        if only in m and kind != owner:
            r.error((*path, only), f"{only} only belongs with {owner}")
    if "key" in m and kind == "manual":
        r.error(
            (*path, "key"), "a manual start gets its key from the caller; key belongs with schedule or event"
        )
    fields: dict[str, object] = {}
    if "fields" in m:
        fields = r.mapping(m["fields"], (*path, "fields")) or {}
        r.templates_in(fields, (*path, "fields"))
    key = r.text(m["key"], (*path, "key"), template=True) if "key" in m else None
    if kind == "manual":
        if m["manual"] not in (None, {}):
            r.error(
                (*path, "manual"),
                "manual takes no options (write manual: {}); put default values under fields:",
            )
        return ManualStart(fields=fields)
    if kind == "event":
        event = r.text(m["event"], (*path, "event")) or ""
        match: dict[str, object] = {}
        if "match" in m:
            match = r.mapping(m["match"], (*path, "match")) or {}
            r.templates_in(match, (*path, "match"))
        return EventStart(event=event, match=match, key=key, fields=fields)
    cron = r.text(m["schedule"], (*path, "schedule")) or ""
    problem = checks.cron_error(cron) if cron else None
    if problem:
        r.error((*path, "schedule"), problem)
    for_each = m.get("for_each")
    if isinstance(for_each, str):
        r.check_template(for_each, (*path, "for_each"))
    elif for_each is not None and not isinstance(for_each, list):
        r.error(
            (*path, "for_each"),
            f"for_each needs a list or a template that renders a list, got {describe(for_each)}",
        )
    return ScheduleStart(cron=cron, for_each=for_each, key=key, fields=fields)


def _limits(value: object, r: Reader) -> Limits:
    path: KeyPath = ("process", "limits")
    m = r.mapping(value, path, ("max_starts", "per"))
    if m is None:
        return Limits()
    max_starts = r.integer(m["max_starts"], (*path, "max_starts"), 1) if "max_starts" in m else None
    window = r.duration(m["per"], (*path, "per")) if "per" in m else 3600.0
    if window == 0:
        r.error((*path, "per"), "per must be longer than 0 seconds")
    return Limits(max_starts=max_starts, window=window or 3600.0)


def _fields(value: object, r: Reader) -> dict[str, FieldDef]:
    path: KeyPath = ("process", "fields")
    m = r.mapping(value, path)
    result: dict[str, FieldDef] = {}
    for name, raw in (m or {}).items():
        field_path = (*path, name)
        r.ident(name, field_path, "a field name")
        spec = r.mapping({} if raw is None else raw, field_path, FIELD_KEYS)
        if spec is None:
            continue
        kind = r.choice(spec["type"], (*field_path, "type"), FIELD_TYPES) if "type" in spec else "text"
        options = r.text_list(spec["options"], (*field_path, "options")) if "options" in spec else ()
        if options and kind != "choice":
            r.error((*field_path, "options"), "options only belong on a field with type: choice")
        default = spec.get("default")
        if kind == "choice" and options and default is not None and default not in options:
            r.error((*field_path, "default"), f"default {describe(default)} is not one of the options")
        result[name] = FieldDef(
            name=name,
            type=kind or "text",
            label=(r.text(spec["label"], (*field_path, "label")) or "")
            if "label" in spec
            else humanise(name),
            required=r.boolean(spec["required"], (*field_path, "required")) if "required" in spec else False,
            pii=r.boolean(spec["pii"], (*field_path, "pii")) if "pii" in spec else False,
            options=options,
            default=default,
        )
    return result
