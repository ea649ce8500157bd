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
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from .clock import VirtualClock
from .cron import CronError, CronSchedule
from .cron import zone as time_zone
from .durations import DurationError, format_duration, parse_duration
from .errors import BlueprintError, Collector
from .memory_store import NullStore
from .model import Blueprint, EventStart, FieldDef, ManualStart, ScheduleStart, Step, zones_of
from .ports import EngineEvent
from .runtime import Engine
from .runtime_errors import ActionFailed, EngineError, NotAllowed
from .scenario import Scenario, ScenarioStart, check_answers, load_answers, load_scenario
from .templates import is_template

AUTO_DELAY = 3600.0
PRINT_LIMIT = 2000  # longer timelines print the first lines and a count of the rest


class SimDirectory:
    """Stand-in people directory (see the module docstring)."""

    def supervisor_of(self, who: str) -> str | None:
        # nobody has no supervisor, as live: the task goes to the admins' queue, not to "-supervisor"
        return f"{who}-supervisor" if who else None

    def members(self, group: str) -> list[str]:
        return [f"{group}-member"]

    def groups_of(self, who: str) -> list[str]:
        return [who[: -len("-member")]] if who.endswith("-member") else []


class Line:
    """One timeline line. The wording is built only when read: a simulated year of 1,000 employees
    records ~100k lines and most runs print only the first ``PRINT_LIMIT`` of them.

    ``facts``: what the wording needs beyond the event's payload, read from the engine when the event
    arrived (the payload is the engine's public shape and stays as it is)."""

    __slots__ = ("_event", "_facts", "_tz", "_utc")

    def __init__(
        self, utc: datetime, event: EngineEvent, tz: ZoneInfo, facts: Mapping[str, Any] | None = None
    ) -> None:
        self._utc = utc
        self._event = event
        self._tz = tz
        self._facts = facts

    @property
    def at(self) -> datetime:  # local time
        return self._utc.astimezone(self._tz)

    @property
    def kind(self) -> str:
        if self._event.type == "instance_completed" and self._event.data.get("status") == "failed":
            return "instance failed"  # the event of a failed instance is instance_completed, status failed
        return self._event.type.replace("_", " ")

    @property
    def instance_id(self) -> str | None:
        value = self._event.data.get("instance_id")
        return None if value is None else str(value)

    @property
    def text(self) -> str:
        return _describe(self._event, self._tz, self._facts)

    def render(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M}  {self.kind:<12} {self.text}"


@dataclass(slots=True)
class Timeline:
    lines: list[Line] = field(default_factory=list)
    summary: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)  # e.g. why nothing started

    def render(self, limit: int | None = PRINT_LIMIT) -> str:
        shown = self.lines if limit is None or len(self.lines) <= limit else self.lines[: limit // 2]
        out = [line.render() for line in shown]
        if len(shown) < len(self.lines):
            out.append(f"... {len(self.lines) - len(shown)} more lines not shown")
        out.extend(self.notes)
        out.append("")
        out.append("Summary")
        for name in sorted(self.summary):
            out.append(f"  {name:<22} {self.summary[name]}")
        return "\n".join(out)


# Summary counter per event type; None: not counted. Types not listed count under their own name.
_COUNTED: dict[str, str | None] = {
    "instance_started": "instances started",
    "task_created": "tasks created",
    "task_completed": "tasks completed",
    "timeout": "timeouts",
    "task_reminded": "reminders",
    "escalated": "escalations",
    "task_overdue": "tasks overdue",
    "task_cancelled": "tasks cancelled",
    "task_reassigned": None,
    "task_unassigned": "tasks to admins' queue",
    "action_called": "actions called",
    "blueprint_suspended": "blueprints suspended",
    "blueprint_resumed": "blueprints resumed",
    "start_failed": "starts failed",
    "schedule_failed": "schedules failed",
    "rights_invalid": "rights entries invalid",
    "instance_error": "instance errors",
    # not events: lines the simulator adds from the instance's history (see _Recorder._from_history)
    "assignee_absent": "assignees absent",
    "reassign_skipped": "reassigns skipped",
    "visit_invalid": "visits invalid",
}


_KEY_NULLED = ("task_unassigned", "rights_invalid")


class SimActions:
    """ActionPort of the simulator: canned answers per ``connector.call`` or service, else no result."""

    def __init__(self, scenario: Scenario, recorder: _Recorder) -> None:
        self.stubs = scenario.stubs
        self.recorder = recorder

    async def call(
        self, service: str | None, connector: str | None, op: str | None, data: Mapping[str, Any]
    ) -> Any:
        name = service or f"{connector}.{op}"
        stub = self.stubs.get(name)
        failed = stub.fail if stub is not None else None
        result = stub.result if stub is not None else None
        timeout = stub is not None and stub.timeout
        self.recorder.called(
            EngineEvent(
                "action_called", {"action": name, "result": result, "failed": failed, "no_answer": timeout}
            )
        )
        if timeout:
            raise TimeoutError  # as asyncio.wait_for raises when the step's timeout runs out
        if failed is not None:
            raise ActionFailed(failed)
        return result


class _Recorder:
    """EventSink that counts events, keeps them as timeline lines and collects answer requests."""

    def __init__(self, clock: VirtualClock, tz: ZoneInfo) -> None:
        self.clock = clock
        self.tz = tz
        self.timeline = Timeline()
        self.created: list[EngineEvent] = []
        self.engine: Engine | None = None  # set once the engine exists; read for facts the payload lacks
        self._opening: dict[tuple[str, str], tuple[str, ...]] = {}  # see _opening_lines
        # Actions called during the running engine operation, placed after the first line of the instance
        # that called them once its events arrive (they are announced after the operation's calls).
        self._calls: list[EngineEvent] = []
        self._read: dict[str, int] = {}  # per instance: history entries already looked at for calls

    def called(self, event: EngineEvent) -> None:
        """An action call (from :class:`SimActions`), placed by :meth:`_place_calls` or :meth:`settle`."""
        self._calls.append(event)

    def settle(self) -> None:
        """End of an engine operation: calls no instance line claimed (the instance announced nothing)
        are listed as they are."""
        for event in self._calls:
            self._add(event, None)
        self._calls.clear()

    def _place_calls(self, event: EngineEvent) -> None:
        """Add the calls the instance of ``event`` made in this operation (its ``action_called`` history
        entries not read before) after its line, with the instance and step."""
        assert self.engine is not None
        iid = str(event.data["instance_id"])
        inst = self.engine.instance(iid)
        if inst is None:
            return
        first = self._read.get(iid, 0)
        self._read[iid] = len(inst.history)
        now = self.clock.now()
        for entry in inst.history[first:]:
            if entry.what != "action_called" or entry.at < now:  # older: listed unclaimed by settle()
                continue
            told = entry.details or {}
            name = told.get("service") or f"{told.get('connector')}.{told.get('call')}"
            call = next((c for c in self._calls if c.data["action"] == name), None)
            if call is None:
                continue
            self._calls.remove(call)  # every call of one name got the same canned answer: any is this one
            where = {"process": inst.process, "instance_id": iid, "key": inst.key, "step": entry.step}
            self._add(EngineEvent("action_called", {**call.data, **where}), None)

    def emit(self, event: EngineEvent) -> None:
        kind = event.type
        if kind == "task_created":
            self.created.append(event)
        if self.engine is None:
            self._add(event, None)
            return
        facts = self._facts(event)
        self._add(event, facts)
        if self._calls and event.data.get("instance_id") is not None:
            self._place_calls(event)
        # What the engine only writes into the instance's history, shown after the event it belongs to
        if kind == "task_created":
            for what in self._opening_lines(event):
                self._from_history(event, facts, what)
        elif kind == "escalated" and event.data.get("reassign"):
            self._from_history(event, facts, "reassign_skipped")

    def _add(self, event: EngineEvent, facts: Mapping[str, Any] | None) -> None:
        kind = event.type
        if kind in ("instance_completed", "instance_cancelled"):
            self.timeline.summary[f"instances {event.data.get('status')}"] += 1
        else:
            name = _COUNTED.get(kind, kind)
            if name is not None:
                self.timeline.summary[name] += 1
        self.timeline.lines.append(Line(self.clock.now(), event, self.tz, facts))

    def _opening_lines(self, event: EngineEvent) -> tuple[str, ...]:
        """The history-only lines the opening of this task may have written: only a step with
        ``present_in`` can refuse its assignee, only one with ``visit`` can fail to render it (kept per
        step, so a year of tasks reads the blueprint once per step)."""
        d = event.data
        where = (str(d.get("process")), str(d.get("step")))
        found = self._opening.get(where)
        if found is None:
            assert self.engine is not None
            bp = self.engine.blueprint(where[0])
            try:
                spec = bp.process.step(where[1]).task if bp is not None else None
            except KeyError:
                spec = None
            steps = (("assignee_absent", spec.present_in), ("visit_invalid", spec.visit)) if spec else ()
            found = self._opening[where] = tuple(what for what, used in steps if used)
        return found if d.get("assignee") is None else tuple(w for w in found if w != "assignee_absent")

    def _from_history(self, event: EngineEvent, facts: Mapping[str, Any] | None, what: str) -> None:
        """Add a ``what`` line when the instance's history holds one for the task of ``event`` from this
        turn: ``assignee_absent`` and ``visit_invalid`` as the task opened, ``reassign_skipped`` right after
        the escalation entry of the event's level."""
        assert self.engine is not None
        d = event.data
        inst = self.engine.instance(str(d.get("instance_id")))
        history = inst.history if inst is not None else []
        now = self.clock.now()
        for index in range(len(history) - 1, -1, -1):
            entry = history[index]
            if entry.at < now:
                return
            details = entry.details or {}
            if details.get("task") != d.get("task_id"):
                continue
            found = None
            if what != "reassign_skipped" and entry.what == what:
                found = entry
            elif (
                what == "reassign_skipped"
                and entry.what == "escalated"
                and details.get("level") == d.get("level")
            ):
                after = history[index + 1] if index + 1 < len(history) else None
                if after is None or after.what != what:
                    return  # this escalation did reassign
                found = after
            if found is not None:
                told = found.details or {}
                self._add(
                    EngineEvent(what, {**d, "zone": told.get("absent"), "error": told.get("error")}), facts
                )
                return

    def _facts(self, event: EngineEvent) -> dict[str, Any] | None:
        """What the line of ``event`` needs that its payload does not carry (see :class:`Line`)."""
        engine = self.engine
        assert engine is not None
        d = event.data
        facts: dict[str, Any] = {}
        queue = d.get("assignee") is None and "candidates" not in d  # only task_created names candidates
        if d.get("task_id") is not None and (queue or event.type == "task_created"):
            task = engine.task(str(d["task_id"]))
            if task is not None and task.candidates and queue:
                facts["candidates"] = list(task.candidates)
            if task is not None and task.visit is not None and event.type == "task_created":
                facts["visit"] = task.visit
        if event.type == "instance_started" and d.get("source") == "call":
            inst = engine.instance(str(d.get("instance_id")))
            caller = engine.instance(inst.parent) if inst is not None and inst.parent else None
            if caller is not None:
                facts["caller"] = (
                    f"{caller.process} {caller.key}" if caller.key is not None else caller.process
                )
        if event.type in _KEY_NULLED and d.get("key") is None and d.get("instance_id") is not None:
            # these payloads leave the key out (it is often a person); the timeline names it like any other
            inst = engine.instance(str(d["instance_id"]))
            if inst is not None and inst.key is not None:
                facts["key"] = inst.key
        if event.type == "timeout" and d.get("action") == "goto":
            bp = engine.blueprint(str(d.get("process")))
            try:
                step = bp.process.step(str(d["step"])) if bp is not None else None
            except KeyError:  # not in the current version: the line stays as the payload has it
                step = None
            if step is not None and step.timeout is not None and step.timeout.goto:
                facts["goto"] = step.timeout.goto
        return facts or None


def _describe(event: EngineEvent, tz: ZoneInfo, facts: Mapping[str, Any] | None = None) -> str:
    d = {**event.data, **facts} if facts else event.data
    who = _who(d)
    key = d.get("key")
    # a key template that rendered nothing left a double space where the key goes
    subject = (
        str(d.get("process")) if key is None else f"{d.get('process')} {key if key != '' else '(empty key)'}"
    )
    kind = event.type
    if kind == "instance_started":
        source = f"call from {d['caller']}" if d.get("caller") else d.get("source")
        return f"{subject} started ({d['instance_id']}, {source})"
    if kind in ("instance_completed", "instance_cancelled"):
        return f"{subject} ended: {d.get('status')}" + (f" ({d['error']})" if d.get("error") else "")
    if kind == "task_created":
        due = f", due {_local(d['due'], tz)}" if d.get("due") else ""
        visit = d.get("visit")
        if visit is not None:
            due += f", visit {visit.at.astimezone(tz):%Y-%m-%d %H:%M}" + (
                f" at {visit.location}" if visit.location else ""
            )
        return f"{subject} task {d['step']} for {who}{due}"
    if kind == "task_completed":
        # without `by` (auto answers): the holder, else the group's name, else one of the candidates
        by = (
            d.get("by")
            or d.get("assignee")
            or d.get("group")
            or ("a candidate" if d.get("candidates") else "-")
        )
        return f"{subject} task {d['step']} completed by {by}: {d.get('outcome')}"
    if kind == "timeout":
        goto = f" {d['goto']}" if d.get("goto") else ""
        return f"{subject} step {d['step']} timed out -> {d.get('action')}{goto}"
    if kind == "task_reminded":
        return f"{subject} task {d['step']} reminder to {who}"
    if kind == "escalated":
        # both the one it is handed to and the ones told; a timeout's escalation has neither
        targets = dict.fromkeys([*([d["reassign"]] if d.get("reassign") else []), *(d.get("notify") or ())])
        told = f" to {', '.join(map(str, targets))}" if targets else ": the task stays open where it is"
        return f"{subject} task {d.get('step')} escalated ({d.get('reason')}){told}"
    if kind == "task_overdue":
        return f"{subject} task {d['step']} overdue ({who})"
    if kind == "task_cancelled":
        return f"{subject} task {d['step']} cancelled ({d.get('reason')})"
    if kind == "action_called":
        by = f" ({subject}, step {d['step']})" if d.get("instance_id") is not None else ""
        if d.get("failed"):
            return f"{d['action']} failed: {d['failed']}{by}"
        if d.get("no_answer"):
            return f"{d['action']} did not answer{by}"
        return f"{d['action']} -> {d.get('result')!r}{by}"
    if kind == "task_unassigned":
        return (
            f"{subject} task {d.get('step')} has nobody to do it (its assignee, group and candidates "
            "rendered empty): it went to the admins' queue"
        )
    if kind == "rights_invalid":
        return f"{subject} {d.get('error')}: the entry grants nobody anything"
    if kind == "instance_error":
        return f"{subject} failed at step {d.get('step')}: {d.get('error')}"
    if kind == "start_failed":
        return f"{subject} {d.get('source')} start failed and was dropped: {d.get('error')}"
    if kind == "schedule_failed":
        return f"{subject} schedule tick failed: {d.get('error')}"
    if kind == "blueprint_suspended":
        window = format_duration(float(d.get("window") or 0))
        return (
            f"{subject} suspended: its start limit ({d.get('max_starts')} per {window}) was reached; "
            "this start and every later one are refused until an admin resumes it"
        )
    if kind == "blueprint_resumed":
        return f"{subject} resumed by {d.get('by')}"
    if kind == "assignee_absent":
        return f"{subject} task {d['step']}: its assignee is not in {d.get('zone')}, so it waits for {who}"
    if kind == "visit_invalid":
        return f"{subject} task {d['step']} opened without its visit: {d.get('error')}"
    if kind == "reassign_skipped":
        return (
            f"{subject} task {d.get('step')} not reassigned to {d.get('reassign')}: not in {d.get('zone')}, "
            f"so it stays with {who}"
        )
    if kind == "task_reassigned":
        if d.get("assignee") is None:  # requeued: back to its group or candidates
            why = "stayed idle" if d.get("reason") == "timeout" else d.get("reason") or "let it go"
            return f"{subject} task {d['step']} back in the queue of {who} ({d.get('previous')} {why})"
        if d.get("previous") is None:
            return f"{subject} task {d['step']} assigned to {who} from its queue"
        return f"{subject} task {d['step']} reassigned {d.get('previous')} -> {who}"
    return f"{subject} {', '.join(f'{k}={v}' for k, v in d.items() if v is not None and k != 'process')}"


def _who(d: Mapping[str, Any]) -> str:
    """Whom a task is for: its assignee, else its queue (group, candidates or both)."""
    if d.get("assignee"):
        return str(d["assignee"])
    queue = [str(d["group"])] if d.get("group") else []
    if d.get("candidates"):
        queue.append("candidates " + ", ".join(map(str, d["candidates"])))
    return " or ".join(queue) or "-"


def _local(iso: str, tz: ZoneInfo) -> str:
    return f"{datetime.fromisoformat(iso).astimezone(tz):%Y-%m-%d %H:%M}"


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
    recorder = _Recorder(clock, tz)
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
