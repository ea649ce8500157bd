"""``bpo simulate``: run one blueprint on a virtual clock and print what would happen.

The clock jumps from deadline to deadline (engine timers, scripted answers), so a simulated year costs
only as many steps as there are events. Answers:

- ``auto``: every task is completed with its first outcome one hour after it appears (required form
  fields get placeholder values); optional tasks are left alone so their timeouts show;
- ``answers`` (YAML): ``{step_id: {outcome: ok, delay: 2h, by: someone, form: {...}}}`` per step;
  ``{step_id: null}`` leaves that step's tasks open. Answers override ``auto`` per step. Unknown step
  ids, outcomes and form fields are errors (:mod:`.scenario` checks the file).

A ``scenario`` (:mod:`.scenario`) adds manual and event starts at given times and canned answers for
outbound actions; an action without one succeeds with no result. Each call is listed after the first line
of the instance that made it in that turn (the engine announces its lines after the turn's calls). A start
the engine refuses (suspended by its limit, a key that does not render) is a note after the timeline, and
the run goes on. When nothing starts in the simulated period, the timeline ends with a line saying why.

People come from a stand-in directory: ``supervisor_of(x)`` is ``"<x>-supervisor"`` (none for an empty
x) and ``members(g)`` is ``["<g>-member"]``. There is no host to say who is where: every zone a
``present_in`` task names holds every group's stand-in member and everyone the answers name in ``by``.
``employees=N`` replaces every schedule's ``for_each`` with N
synthetic people ``employee-0001`` ... so large runs need no input file.
"""

from __future__ import annotations

import asyncio
import heapq
from argparse import Namespace
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from .clock import VirtualClock
from .cron import CronError, CronSchedule
from .cron import zone as time_zone
from .durations import DurationError, parse_duration
from .errors import BlueprintError, Collector
from .memory_store import NullStore
from .model import Blueprint, EventStart, FieldDef, ManualStart, ScheduleStart, Step, zones_of
from .ports import EngineEvent
from .runtime import Engine
from .runtime_errors import EngineError, NotAllowed
from .scenario import Scenario, ScenarioStart, check_answers, load_answers, load_scenario
from .sim_recorder import Recorder, SimActions
from .sim_timeline import Timeline
from .templates import is_template

AUTO_DELAY = 3600.0


class SimDirectory:
    """Stand-in people directory (see the module docstring)."""

    def supervisor_of(self, who: str) -> str | None:
        # nobody has no supervisor, as live: the task goes to the admins' queue, not to "-supervisor"
        return f"{who}-supervisor" if who else None

    def members(self, group: str) -> list[str]:
        return [f"{group}-member"]

    def groups_of(self, who: str) -> list[str]:
        return [who[: -len("-member")]] if who.endswith("-member") else []


def with_employees(bp: Blueprint, count: int) -> Blueprint:
    """Replace every schedule's ``for_each`` with ``count`` synthetic people."""
    people = [f"employee-{i:04d}" for i in range(1, count + 1)]
    starts = tuple(
        replace(s, for_each=people) if isinstance(s, ScheduleStart) else s for s in bp.process.starts
    )
    return replace(bp, process=replace(bp.process, starts=starts))


def _placeholder(fdef: FieldDef, today: date) -> Any:
    return {
        "number": 0,
        "bool": True,
        "date": today.isoformat(),
        "file": "simulated.pdf",
        "entity": "sensor.simulated",
        "choice": fdef.options[0] if fdef.options else "x",
    }.get(fdef.type, "simulated")


async def simulate_async(
    blueprint: Blueprint,
    *,
    start: datetime,
    days: float,
    tz: ZoneInfo,
    answers: Mapping[str, Any] | None = None,
    auto: bool = False,
    employees: int | None = None,
    scenario: Scenario | None = None,
    called: Sequence[Blueprint] = (),
) -> Timeline:
    """Run ``blueprint`` from ``start`` for ``days``; see the module docstring.

    ``called``: the processes its ``call`` steps run (loaded alongside; see :func:`called_blueprints`).
    """
    bp = with_employees(blueprint, employees) if employees else blueprint
    scripted = check_answers(dict(answers), bp, Collector("answers"), called) if answers else {}
    scenario = scenario or Scenario()
    clock = VirtualClock(start)
    recorder = Recorder(clock, tz)
    engine = Engine(
        clock=clock,
        store=NullStore(),
        events=recorder,
        tz=tz,
        directory=SimDirectory(),
        actions=SimActions(scenario, recorder),
    )
    recorder.engine = engine
    engine.set_blueprints([bp, *(other for other in called if other.process.key != bp.process.key)])
    await engine.restore()
    await _everyone_present(engine, scripted)
    end = clock.now() + timedelta(days=days)
    # scripted task answers and scenario starts, in time order: (when, seq, what)
    pending: list[tuple[datetime, int, _Answer | ScenarioStart]] = []
    seq = 0
    for item in scenario.starts:
        seq += 1
        heapq.heappush(pending, (max(item.at, clock.now()), seq, item))
    while True:
        for event in recorder.created:
            plan = _plan(engine, event, scripted, auto)
            if plan is not None:
                delay, outcome, form, by = plan
                seq += 1
                answer = _Answer(str(event.data["task_id"]), outcome, form, by)
                heapq.heappush(pending, (clock.now() + timedelta(seconds=delay), seq, answer))
        recorder.created.clear()
        deadline = engine.next_deadline()
        answer_at = pending[0][0] if pending else None
        if deadline is not None and (answer_at is None or deadline <= answer_at):
            if deadline > end:
                break
            clock.advance_to(deadline)
            await engine.tick()
            recorder.settle()
        elif answer_at is not None:
            if answer_at > end:
                break
            clock.advance_to(answer_at)
            what = heapq.heappop(pending)[2]
            try:
                await _apply(engine, bp, what)
            except EngineError as err:
                if isinstance(what, _Answer) and not isinstance(err, NotAllowed):
                    raise
                # The task no longer takes this answer (requeued first, or `by` outside its group), or the
                # engine refused a start (suspended by its limit, a key that failed to render) as it would
                # live, where the caller gets the error: say so and go on, so the lines that explain it and
                # the rest of the run are still printed.
                when = clock.now().astimezone(tz)
                label = "answer" if isinstance(what, _Answer) else _start_label(what)
                recorder.timeline.notes.append(f"{when:%Y-%m-%d %H:%M}  {label} refused: {err}")
                recorder.timeline.summary["answers refused" if label == "answer" else "starts refused"] += 1
            recorder.settle()
        else:
            break
    running = engine.instances(status="running")
    summary = recorder.timeline.summary
    summary["instances running at end"] = len(running)
    summary["tasks open at end"] = len(engine.open_tasks())
    if not summary["instances started"]:
        recorder.timeline.notes.append(nothing_started(bp, scenario, start, end, tz))
    return recorder.timeline


async def _everyone_present(engine: Engine, scripted: Mapping[str, Any]) -> None:
    """Put the simulated people in every ``present_in`` zone (see the module docstring)."""
    steps = [b.process.steps for b in engine.blueprints()]
    zones = {zone for top in steps for zone in zones_of(top)}
    if not zones:
        return
    people = {str(rule["by"]) for rule in scripted.values() if isinstance(rule, Mapping) and rule.get("by")}
    for top in steps:
        people |= _stand_ins(top)
    for zone in sorted(zones):
        await engine.set_presence(zone, people)


def _stand_ins(steps: Sequence[Step]) -> set[str]:
    """The stand-in member of every literal task group among ``steps`` (nested ones too)."""
    found: set[str] = set()
    for step in steps:
        group = step.task.group if step.task is not None else None
        if group and not is_template(group):
            found.add(f"{group}-member")
        found |= _stand_ins(step.inner())
    return found


@dataclass(frozen=True, slots=True)
class _Answer:
    task_id: str
    outcome: str | None
    form: dict[str, Any] | None
    by: str | None


def _start_label(start: ScenarioStart) -> str:
    if start.event is not None:
        return f"event {start.event[0]}"
    key = (start.manual or {}).get("key")
    return "manual start" + (f" of {key}" if key is not None else "")


async def _apply(engine: Engine, bp: Blueprint, what: _Answer | ScenarioStart) -> None:
    if isinstance(what, _Answer):
        task = engine.task(what.task_id)
        if task is not None and task.is_open:
            await engine.complete_task(
                what.task_id, outcome=what.outcome, form=what.form, user=what.by, source="simulation"
            )
        return
    if what.event is not None:
        await engine.handle_event(what.event[0], what.event[1])
        return
    manual = what.manual or {}
    key = manual.get("key")
    await engine.start(
        bp.process.key,
        key=None if key is None else str(key),
        fields=manual.get("fields") or None,
        user=None if manual.get("by") is None else str(manual["by"]),
        source="simulation",
    )


def nothing_started(bp: Blueprint, scenario: Scenario, start: datetime, end: datetime, tz: ZoneInfo) -> str:
    """One line saying why no instance started between ``start`` and ``end``."""
    reasons: list[str] = []
    for item in bp.process.starts:
        if isinstance(item, ScheduleStart):
            tick = CronSchedule.parse(item.cron, tz).next_after(start)
            if tick > end:
                reasons.append(
                    f"schedule '{item.cron}' has no tick before {end.astimezone(tz):%Y-%m-%d %H:%M}"
                )
            else:
                reasons.append(
                    f"schedule '{item.cron}' fired but for_each gave no items "
                    "(list people in an --inputs file or use --employees N)"
                )
        elif isinstance(item, ManualStart) and not any(s.manual is not None for s in scenario.starts):
            reasons.append("the manual start needs a manual: entry in a --scenario file")
        elif isinstance(item, EventStart) and not any(
            s.event is not None and s.event[0] == item.event for s in scenario.starts
        ):
            reasons.append(f"the event start needs an event of type '{item.event}' in a --scenario file")
        elif isinstance(item, EventStart) and _none_match(item, scenario):
            wanted = ", ".join(f"{name}: {value}" for name, value in item.match.items())
            reasons.append(
                f"no '{item.event}' event of the scenario has the data its match asks for ({wanted})"
            )
    if any(s.at > end for s in scenario.starts):
        reasons.append("some scenario starts are after the simulated period (raise --days)")
    if not reasons:
        reasons.append("every start of the scenario was refused (see the lines above)")
    return "Nothing started: " + "; ".join(reasons) + "."


def _none_match(item: EventStart, scenario: Scenario) -> bool:
    """Whether no scenario event of ``item``'s type fits its ``match`` (compared as the engine does); False
    when a match value is a template, which only the engine can render."""
    if not item.match or any(isinstance(v, str) and is_template(v) for v in item.match.values()):
        return False
    sent = [s.event[1] for s in scenario.starts if s.event is not None and s.event[0] == item.event]
    return not any(
        all(
            name in data and (data[name] == want or str(data[name]) == str(want))
            for name, want in item.match.items()
        )
        for data in sent
    )


def _plan(
    engine: Engine, event: EngineEvent, scripted: Mapping[str, Any], auto: bool
) -> tuple[float, str | None, dict[str, Any] | None, str | None] | None:
    """When and how to answer a new task, or None to leave it open."""
    task = engine.task(str(event.data["task_id"]))
    bp = engine.blueprint(task.process) if task is not None else None
    if task is None or bp is None:
        return None
    spec = bp.process.step(task.step).task
    if spec is None:
        return None
    if task.step in scripted:
        rule = scripted[task.step]
        if rule is None:
            return None
        rule = dict(rule)
        delay = parse_duration(rule.get("delay", AUTO_DELAY))
        form = rule.get("form")
        if form is None:
            form = _auto_form(bp, spec.form, task.created.date())
        return delay, rule.get("outcome", spec.outcomes[0]), form, rule.get("by")
    if not auto or spec.optional:
        return None
    return AUTO_DELAY, spec.outcomes[0], _auto_form(bp, spec.form, task.created.date()), None


def _auto_form(bp: Blueprint, names: tuple[str, ...], today: date) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        fdef = bp.process.fields.get(name)
        if fdef is not None and fdef.required:
            out[name] = _placeholder(fdef, today)
    return out


def simulate(
    blueprint: Blueprint,
    *,
    start: datetime,
    days: float,
    tz: ZoneInfo,
    inputs: Mapping[str, Any] | None = None,
    answers: Mapping[str, Any] | None = None,
    auto: bool = False,
    employees: int | None = None,
    scenario: Scenario | None = None,
    called: Sequence[Blueprint] = (),
) -> Timeline:
    """Synchronous wrapper around :func:`simulate_async` (``inputs`` are applied by the loader)."""
    del inputs  # the blueprint arrives with inputs already substituted by the loader
    return asyncio.run(
        simulate_async(
            blueprint,
            start=start,
            days=days,
            tz=tz,
            answers=answers,
            auto=auto,
            employees=employees,
            scenario=scenario,
            called=called,
        )
    )


def called_blueprints(bp: Blueprint, folder: str | Path) -> list[Blueprint]:
    """The blueprints ``bp`` calls, directly or not, found among the valid ones in ``folder``."""
    from .calls import call_steps
    from .schema import load_directory

    wanted = {s.call.process for s in call_steps(bp) if s.call is not None}
    if not wanted:
        return []
    found, _errors = load_directory(folder)  # other files' problems are theirs; a missing one fails its step
    out: dict[str, Blueprint] = {}
    while wanted:
        key = wanted.pop()
        other = found.get(key)
        if other is None or key in out or key == bp.process.key:
            continue
        out[key] = other
        wanted |= {s.call.process for s in call_steps(other) if s.call is not None}
    return list(out.values())


def parse_start(text: str | None, tz: ZoneInfo) -> datetime:
    """ISO date or date-time; naive means local in ``tz``; None means today 00:00 local."""
    if text is None:
        value = datetime.combine(datetime.now(tz).date(), time(0), tz)
    else:
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"--start: expected an ISO date or date-time such as 2026-03-02T08:00, got {text!r}"
            ) from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=tz)
    return value


def run_cli(ns: Namespace) -> int:
    """``bpo simulate`` entry point; returns the exit code."""
    from .schema import load_blueprint  # the loader is only needed here, not by simulate()

    try:
        tz = time_zone(ns.tz or "UTC")  # the schema's lookup: the same errors, the same shortened message
    except CronError as err:
        print(f"bpo simulate: --tz: {err}")
        return 1
    assert isinstance(tz, ZoneInfo)  # time_zone() of a name is always a ZoneInfo
    try:
        inputs = yaml.safe_load(Path(ns.inputs).read_text(encoding="utf-8")) if ns.inputs else None
        bp = load_blueprint(ns.blueprint, inputs=inputs)
        called = called_blueprints(bp, Path(ns.blueprint).parent)
        start = parse_start(ns.start, tz)
        answers = load_answers(ns.answers, bp, called) if ns.answers else None
        scenario_file = getattr(ns, "scenario", None)
        scenario = load_scenario(scenario_file, bp, start) if scenario_file else None
    except BlueprintError as err:
        print(err)
        return 1
    except (OSError, ValueError, ZoneInfoNotFoundError, yaml.YAMLError) as err:
        print(f"bpo simulate: {err}")
        return 1
    try:
        timeline = simulate(
            bp,
            start=start,
            days=ns.days,
            tz=tz,
            answers=answers,
            auto=ns.auto,
            employees=ns.employees,
            scenario=scenario,
            called=called,
        )
    except (EngineError, DurationError) as err:
        print(f"bpo simulate: {err}")
        return 1
    print(timeline.render())
    return 0
