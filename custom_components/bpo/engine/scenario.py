"""Input files of ``bpo simulate``: the answers and the scenario file, both checked against the blueprint.

Answers (``--answers FILE``): per task step id, how the task is answered::

    report: {outcome: submitted, delay: 2h, by: person.alice, form: {scan_history: scan.pdf}}
    supervisor_check: null          # leave it open (its timeout shows)

Scenario (``--scenario FILE``): starts that a schedule does not make, and stubbed outbound calls::

    starts:
      - at: 2h                      # a duration after --start, or an ISO date-time
        manual: {key: case-1, by: person.alice, fields: {subject: Printer}}
      - at: 2026-01-02T10:00
        event: {type: customer_replied, data: {ticket: case-1}}
    actions:
      jamf.lock: {result: {locked: true}}   # connector.call, or a service like notify.notify
      erp.pay: {fail: ERP is down}          # the call fails; the step fails as it would live
      crm.lookup: {timeout: true}           # no answer in the step's timeout: its on_timeout runs

An action without a stub succeeds with no result. Every mistake is reported with file and line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .checks import suggestion
from .errors import BlueprintError, Collector, KeyPath, Problem
from .model import Blueprint, EventStart, ManualStart, Step
from .reader import Reader, describe
from .yamlload import load_yaml

ANSWER_KEYS = ("outcome", "delay", "by", "form")
START_KEYS = ("at", "manual", "event")
MANUAL_KEYS = ("key", "by", "fields")
EVENT_KEYS = ("type", "data")
STUB_KEYS = ("result", "fail", "timeout")


@dataclass(frozen=True, slots=True)
class ScenarioStart:
    at: datetime
    manual: dict[str, Any] | None = None  # key, by, fields
    event: tuple[str, dict[str, Any]] | None = None  # type, data


@dataclass(frozen=True, slots=True)
class Stub:
    result: Any = None
    fail: str | None = None
    timeout: bool = False  # the call does not answer within its step's timeout


@dataclass(slots=True)
class Scenario:
    starts: list[ScenarioStart] = field(default_factory=list)
    stubs: dict[str, Stub] = field(default_factory=dict)


def _read(file: str | Path) -> tuple[object, Collector]:
    out = Collector(str(file))
    try:
        text = Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BlueprintError([Problem(str(file), None, "", f"cannot read the file: {exc}")]) from None
    return load_yaml(text, out), out


def _steps(bp: Blueprint) -> dict[str, Step]:
    found: dict[str, Step] = {}

    def walk(steps: tuple[Step, ...]) -> None:
        for step in steps:
            found[step.id] = step
            walk(step.inner())

    walk(bp.process.steps)
    return found


def load_answers(file: str | Path, bp: Blueprint, called: Sequence[Blueprint] = ()) -> dict[str, Any]:
    data, out = _read(file)
    return check_answers(data, bp, out, called)


def check_answers(
    data: object, bp: Blueprint, out: Collector, called: Sequence[Blueprint] = ()
) -> dict[str, Any]:
    """The answers mapping, or :class:`BlueprintError` naming every unknown step, key and outcome.

    ``called``: the processes ``bp`` calls (``call`` steps); their task steps may be answered too.
    """
    if data is None:
        return {}
    r = Reader(out)
    answers = r.mapping(data, (), None)
    steps = {sid: step for other in called for sid, step in _steps(other).items()}
    steps.update(_steps(bp))
    tasks = {sid: step for sid, step in steps.items() if step.task is not None}
    for step_id, rule in (answers or {}).items():
        path: KeyPath = (step_id,)
        if step_id not in steps:
            out.add(
                path,
                f"unknown step '{step_id}'{suggestion(step_id, tasks)}; answers are keyed by task step id",
            )
            continue
        spec = steps[step_id].task
        if spec is None:
            out.add(path, f"step '{step_id}' is not a task; only task steps are answered")
            continue
        if rule is None:
            continue
        m = r.mapping(rule, path, ANSWER_KEYS)
        if m is None:
            continue
        if "outcome" in m and m["outcome"] not in spec.outcomes:
            out.add(
                (*path, "outcome"),
                f"step '{step_id}' has no outcome {describe(m['outcome'])} "
                f"(its outcomes: {', '.join(spec.outcomes)})",
            )
        if "delay" in m:
            r.duration(m["delay"], (*path, "delay"))
        if "form" in m:
            form = r.mapping(m["form"], (*path, "form"))
            for name in form or {}:
                if name not in spec.form:
                    out.add((*path, "form", name), f"task '{step_id}' does not collect '{name}'")
        if "by" in m:
            r.text(m["by"], (*path, "by"))
    out.raise_if_any()
    return dict(answers or {})


def load_scenario(file: str | Path, bp: Blueprint, start: datetime) -> Scenario:
    data, out = _read(file)
    return check_scenario(data, bp, start, out)


def check_scenario(data: object, bp: Blueprint, start: datetime, out: Collector) -> Scenario:
    """The scenario, or :class:`BlueprintError` naming every mistake with its line."""
    scenario = Scenario()
    if data is None:
        return scenario
    r = Reader(out)
    m = r.mapping(data, (), ("starts", "actions"))
    if m is None:
        out.raise_if_any()
        return scenario
    starts = m.get("starts") or []
    if not isinstance(starts, list):
        out.add(("starts",), f"expected a list of starts, got {describe(starts)}")
        starts = []
    for index, item in enumerate(starts):
        parsed = _start(item, ("starts", index), bp, start, r)
        if parsed is not None:
            scenario.starts.append(parsed)
    if "actions" in m:
        scenario.stubs = _stubs(m["actions"], bp, r)
    out.raise_if_any()
    scenario.starts.sort(key=lambda s: s.at)
    return scenario


def _at(value: object, path: KeyPath, start: datetime, r: Reader) -> datetime | None:
    if isinstance(value, str) and value[:1].isdigit() and ("-" in value or "T" in value):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            r.error(path, f"expected a duration after --start or an ISO date-time, got {value!r}")
            return None
        return when if when.tzinfo is not None else when.replace(tzinfo=start.tzinfo)
    seconds = r.duration(value, path)
    return None if seconds is None else start + timedelta(seconds=seconds)


def _start(item: object, path: KeyPath, bp: Blueprint, start: datetime, r: Reader) -> ScenarioStart | None:
    m = r.mapping(item, path, START_KEYS, required=("at",))
    if m is None:
        return None
    kinds = [kind for kind in ("manual", "event") if kind in m]
    if len(kinds) != 1:
        r.error(path, "a scenario start needs exactly one of manual or event")
        return None
    at = _at(m["at"], (*path, "at"), start, r) if "at" in m else None
    starts = bp.process.starts
    if kinds[0] == "manual":
        spec = r.mapping(m["manual"] if m["manual"] is not None else {}, (*path, "manual"), MANUAL_KEYS)
        if not any(isinstance(s, ManualStart) for s in starts):
            r.error((*path, "manual"), "the blueprint has no manual start")
        fields = spec.get("fields") if spec else None
        if fields is not None:
            for name in r.mapping(fields, (*path, "manual", "fields")) or {}:
                if name not in bp.process.fields:
                    r.error(
                        (*path, "manual", "fields", name),
                        f"unknown field '{name}'{suggestion(name, bp.process.fields)}",
                    )
        return ScenarioStart(at, manual=dict(spec)) if at is not None and spec is not None else None
    spec = r.mapping(m["event"], (*path, "event"), EVENT_KEYS, required=("type",))
    if spec is None or "type" not in spec:
        return None
    kind = r.text(spec["type"], (*path, "event", "type")) or ""
    data = r.mapping(spec.get("data", {}), (*path, "event", "data")) or {}
    events = {s.event for s in starts if isinstance(s, EventStart)} | _waited(bp)
    if kind and kind not in events:
        known = ", ".join(sorted(events)) or "none"
        r.error(
            (*path, "event", "type"),
            f"no start or wait of the blueprint listens to '{kind}' (it listens to: {known})",
        )
    return ScenarioStart(at, event=(kind, dict(data))) if at is not None else None


def _waited(bp: Blueprint) -> set[str]:
    return {step.wait.event for step in _steps(bp).values() if step.wait is not None and step.wait.event}


def action_names(bp: Blueprint, *, timed: bool = False) -> set[str]:
    """``connector.call`` or ``service`` of every action step (``timed``: of those with a ``timeout``):
    what a stub is keyed by."""
    names: set[str] = set()
    for step in _steps(bp).values():
        spec = step.action
        if spec is not None and (step.timeout is not None or not timed):
            names.add(spec.service or f"{spec.connector}.{spec.call}")
    return names


def _stubs(value: object, bp: Blueprint, r: Reader) -> dict[str, Stub]:
    m = r.mapping(value, ("actions",))
    known = action_names(bp)
    stubs: dict[str, Stub] = {}
    for name, spec in (m or {}).items():
        path: KeyPath = ("actions", name)
        if name not in known:
            calls = ", ".join(sorted(known)) or "none"
            r.error(path, f"no action step calls '{name}' (the blueprint calls: {calls})")
            continue
        if isinstance(spec, Mapping):
            stub = r.mapping(spec, path, STUB_KEYS) or {}
            fail = r.text(stub["fail"], (*path, "fail")) if "fail" in stub else None
            timeout = r.boolean(stub["timeout"], (*path, "timeout")) if "timeout" in stub else False
            if timeout and name not in action_names(bp, timed=True):
                # without a timeout the live call would wait forever: nothing for the simulator to show
                r.error((*path, "timeout"), f"no step that calls '{name}' has a timeout")
                continue
            stubs[name] = Stub(result=stub.get("result"), fail=fail, timeout=timeout)
        else:
            stubs[name] = Stub(result=spec)
    return stubs
