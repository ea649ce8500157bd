"""What ``bpo simulate`` records while the engine runs: the engine's events as timeline lines (with the
facts their wording needs, read from the engine when they arrive), the summary counts, and the stand-in
actions that answer outbound calls from the scenario."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from .clock import VirtualClock
from .ports import EngineEvent
from .runtime import Engine
from .runtime_errors import ActionFailed
from .scenario import Scenario
from .sim_timeline import Line, Timeline

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
    # not events: lines the simulator adds from the instance's history (see Recorder._from_history)
    "assignee_absent": "assignees absent",
    "reassign_skipped": "reassigns skipped",
    "visit_invalid": "visits invalid",
}


_KEY_NULLED = ("task_unassigned", "rights_invalid")


class SimActions:
    """ActionPort of the simulator: canned answers per ``connector.call`` or service, else no result."""

    def __init__(self, scenario: Scenario, recorder: Recorder) -> None:
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


class Recorder:
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
