"""The public ``Engine``: what the HA layer, the CLI simulator and the tests call.

Lifecycle: ``Engine(...)`` -> ``set_blueprints(...)`` -> ``await restore()`` -> then any of the operations
below; after each, arm ONE host timer at ``next_deadline()`` and call ``await tick()`` when it fires
(``tick`` returns the next deadline too). Operations persist the changed instance records and the meta
record through the StateStore before any event leaves through the EventSink.

Events (``EngineEvent.type``; every payload has ``process, instance_id, key, task_id, step, assignee,
group, outcome`` — None where not applicable — plus the extras listed; PII fields are ``"***"``):

- ``instance_started``: source, by, item, fields
- ``instance_completed``: status (completed | failed), error, by, fields
- ``instance_cancelled``: status, error, by, fields
- ``task_created``: title, optional, due (ISO), candidates
- ``task_completed``: by, source, form
- ``task_reminded``: title, count, late, due
- ``task_overdue``: title, due, late
- ``task_reassigned``: title, previous, by
- ``task_cancelled``: reason (join | goto | cancelled | failed | completed)
- ``escalated``: level, reason (escalation | timeout), notify (list), reassign, late
- ``timeout``: action (complete | fail | escalate | goto), late — a task closed by timeout has status
  ``timed_out``
- ``blueprint_suspended``: max_starts, window, at; ``blueprint_resumed``: by
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from .core import Compiled, compile_blueprint, paused_gc
from .model import Blueprint, FieldDef, ScheduleStart, TaskSpec
from .runtime_errors import (
    BlueprintSuspended,
    InvalidForm,
    InvalidOutcome,
    NotAllowed,
    TaskNotFound,
    UnknownProcess,
)
from .starts import SCHEDULE_PREFIX, Starts
from .state import CANCELLED, COMPLETED, OPEN, Instance, Meta, Parser, Task


@dataclass(frozen=True, slots=True)
class Upcoming:
    """A calendar entry: a scheduled start, a task due date, or an on-site visit (which has an end)."""

    kind: str  # "start" | "due" | "visit"
    at: datetime
    process: str
    title: str
    instance_id: str | None = None
    task_id: str | None = None
    assignee: str | None = None
    end: datetime | None = None  # visits: at + visit_duration
    location: str | None = None  # visits: the rendered visit_location


class Engine(Starts):
    """Durable, deterministic workflow runtime; see the module docstring."""

    # -- configuration --------------------------------------------------------------------------------
    def set_blueprints(self, blueprints: Iterable[Blueprint]) -> None:
        """Install the current blueprints; running instances keep the version they started with."""
        current = {bp.process.key: compile_blueprint(bp) for bp in blueprints}
        versions: dict[tuple[str, str], Compiled] = {(k, cp.process.version): cp for k, cp in current.items()}
        for inst in self._instances.values():
            ref = (inst.process, inst.version)
            if inst.is_running and ref not in versions and ref in self._versions:
                versions[ref] = self._versions[ref]
        self._current = current
        self._versions = versions
        self._record_sources()
        now = self.clock.now()
        self._arm_schedules(now)
        for inst in self._instances.values():
            self._arm_instance(inst)

    def _arm_instance(self, inst: Instance) -> None:
        cp = self._compiled(inst)
        if cp is None or not inst.is_running:
            return
        for tok in inst.tokens():
            self._arm(cp, tok)

    async def restore(self) -> None:
        """Load every record from the store and rebuild indexes and the timer heap."""
        with paused_gc():  # bulk load builds ~10 acyclic objects per record (see core.paused_gc)
            meta, records = await self.store.load()
            self._load_records(meta, records)
        self._dirty.clear()
        self._record_sources()  # the stored meta replaced what set_blueprints recorded
        self._arm_schedules(self.clock.now())

    def _load_records(self, meta: Mapping[str, Any] | None, records: Iterable[Mapping[str, Any]]) -> None:
        self._meta = Meta.from_dict(dict(meta)) if meta else Meta()
        self._instances.clear()
        self._open.clear()
        self._dedupe.clear()
        self._ticks.clear()
        self._waiting.clear()
        for key in list(self._armed):
            self._timers.cancel(key)
        parse = Parser()  # shares equal datetimes and history lines across records
        for rec in records:
            inst = Instance.from_dict(rec if isinstance(rec, dict) else dict(rec), parse)
            self._instances[inst.id] = inst
            self._index(inst)
            if not inst.is_running:
                continue
            for task in inst.tasks:
                if task.status == OPEN:
                    self._open[task.id] = task
            cp = self._compiled(inst)
            for wait in inst.waits or ():
                spec = cp.steps[wait.step].wait if cp is not None and wait.step in cp.steps else None
                if spec is not None and spec.event:
                    self._waiting.setdefault(spec.event, set()).add(inst.id)
            self._arm_instance(inst)

    # -- operations -----------------------------------------------------------------------------------
    async def start(
        self,
        process_key: str,
        *,
        key: str | None = None,
        fields: Mapping[str, Any] | None = None,
        item: Any = None,
        source: str = "manual",
        user: str | None = None,
        dedupe: str | None = None,
    ) -> Instance:
        """Start one instance; with a key (or dedupe id) a running duplicate is returned instead."""
        cp = self._process(process_key)
        if process_key in self._meta.suspended:
            raise BlueprintSuspended(
                f"process {process_key!r} is suspended (start limit reached); resume it first"
            )
        unknown = sorted(set(fields or {}) - set(cp.process.fields))
        if unknown:
            raise InvalidForm(
                f"process {process_key!r} has no field(s) {', '.join(unknown)}; "
                f"it defines {', '.join(cp.process.fields) or 'none'}"
            )
        try:
            inst = await self._start(
                cp,
                key=key,
                item=item,
                fields=dict(fields or {}),
                source=source,
                user=user,
                dedupe=dedupe if dedupe is not None else key,
                now=self.clock.now(),
                strict=True,
            )
        finally:
            await self._commit()  # a start that tripped the limit still records the suspension
        assert inst is not None  # strict=True raises instead of returning None
        return inst

    async def complete_task(
        self,
        task_id: str,
        *,
        outcome: str | None = None,
        form: Mapping[str, Any] | None = None,
        user: str | None = None,
        source: str = "service",
        on_behalf: bool = False,
    ) -> Task:
        """Complete an open task; validates outcome, form and who may act.

        ``on_behalf``: an administrator acts for the assignee; ``user`` is recorded as who did it but is
        not checked against the assignee, candidates or group.
        """
        inst, task = self._find_task(task_id)
        if not task.is_open:
            raise NotAllowed(f"task {task_id} is already {task.status}")
        cp = self._compiled(inst)
        spec = cp.steps[task.step].task if cp is not None else None
        if cp is None or spec is None:
            raise TaskNotFound(f"task {task_id}: its blueprint {inst.process!r} is not loaded")
        outcome = self._check_outcome(task, spec, outcome)
        clean = self._check_form(cp, task, spec, dict(form or {}))
        if not on_behalf:
            self._check_user(cp, task, spec, user)
        await self._finish_task(
            inst, cp, task, self.clock.now(), outcome=outcome, form=clean, user=user, source=source
        )
        await self._commit()
        return task

    async def reassign(self, task_id: str, assignee: str, *, user: str | None = None) -> Task:
        inst, task = self._find_task(task_id)
        if not task.is_open:
            raise NotAllowed(f"task {task_id} is already {task.status}")
        if assignee != task.assignee:
            self._reassign_task(inst, task, assignee, self.clock.now(), who=user, source="service")
            await self._commit()
        return task

    async def cancel(self, instance_id: str, *, user: str | None = None) -> Instance:
        inst = self._instances.get(instance_id)
        if inst is None:
            raise TaskNotFound(f"no instance {instance_id!r}")
        if not inst.is_running:
            raise NotAllowed(f"instance {instance_id} is already {inst.status}")
        self._close(inst, self._compiled(inst), CANCELLED, self.clock.now(), who=user, source="service")
        await self._commit()
        return inst

    async def resume(self, process_key: str, *, user: str | None = None) -> None:
        """Lift a start-limit suspension and forget the start window."""
        self._process(process_key)
        if self._meta.suspended.pop(process_key, None) is not None:
            self._meta.windows.pop(process_key, None)
            self._meta_dirty = True
            self._emit("blueprint_resumed", None, process=process_key, by=user)
            await self._commit()

    async def handle_event(self, event_type: str, data: Mapping[str, Any]) -> list[Instance]:
        """Event starts plus waits resumed by this event; returns those instances."""
        now = self.clock.now()
        started = await self._event_starts(event_type, data, now)
        resumed = await self._resume_waits(event_type, data, now)
        await self._commit()
        return started + [i for i in resumed if i not in started]

    async def tick(self) -> datetime | None:
        """Fire everything due at ``clock.now()``; returns the next deadline to arm."""
        now = self.clock.now()
        while (key := self._timers.pop_next_key(now)) is not None:
            if key.startswith(SCHEDULE_PREFIX):
                await self._fire_schedule(key, now)
            else:
                await self._fire_token(key, now)
        await self._commit()
        return self.next_deadline()

    def next_deadline(self) -> datetime | None:
        return self._timers.next_due()

    # -- queries ---------------------------------------------------------------------------------------
    def blueprints(self) -> list[Blueprint]:
        return [cp.blueprint for cp in self._current.values()]

    def blueprint(self, process_key: str) -> Blueprint | None:
        cp = self._current.get(process_key)
        return cp.blueprint if cp is not None else None

    def suspended(self) -> dict[str, datetime]:
        return {k: datetime.fromisoformat(v) for k, v in self._meta.suspended.items()}

    def instance(self, instance_id: str) -> Instance | None:
        return self._instances.get(instance_id)

    def instances(
        self, *, process: str | None = None, status: str | None = None, key: str | None = None
    ) -> list[Instance]:
        return [
            i
            for i in self._instances.values()
            if (process is None or i.process == process)
            and (status is None or i.status == status)
            and (key is None or i.key == key)
        ]

    def task(self, task_id: str) -> Task | None:
        try:
            return self._find_task(task_id)[1]
        except TaskNotFound:
            return None

    def open_tasks(
        self, assignee: str | None = None, group: str | None = None, process: str | None = None
    ) -> list[Task]:
        return [
            t
            for t in self._open.values()
            if (assignee is None or t.assignee == assignee or assignee in t.candidates)
            and (group is None or t.group == group)
            and (process is None or t.process == process)
        ]

    def stats(self, process_key: str, *, period: timedelta = timedelta(days=30)) -> dict[str, int]:
        """Running instances, overdue open tasks, and instances completed within ``period``."""
        since = self.clock.now() - period
        running = completed = 0
        for inst in self._instances.values():
            if inst.process != process_key:
                continue
            if inst.is_running:
                running += 1
            elif inst.status == COMPLETED and inst.ended is not None and inst.ended >= since:
                completed += 1
        overdue = sum(1 for t in self._open.values() if t.process == process_key and t.overdue)
        return {"open": running, "overdue": overdue, "completed_period": completed}

    def upcoming(self, start: datetime, end: datetime) -> list[Upcoming]:
        """Scheduled starts and open-task due dates in ``(start, end]``, plus open-task visits that overlap
        that range (a visit that began before ``start`` but is still going on is included), in time order."""
        out: list[Upcoming] = []
        for proc, cp in self._current.items():
            if proc in self._meta.suspended:
                continue
            for sched_start in cp.process.starts:
                if isinstance(sched_start, ScheduleStart):
                    for at in self._cron(sched_start.cron).between(start, end):
                        out.append(Upcoming("start", at, proc, cp.blueprint.name or proc))
        for task in self._open.values():
            if task.visit is not None and task.visit.at <= end:
                visit = self._visit_entry(task)
                if visit is not None and visit.end is not None and visit.end > start:
                    out.append(visit)
            if task.due is not None and start < task.due <= end:
                out.append(
                    Upcoming(
                        "due", task.due, task.process, task.title, task.instance_id, task.id, task.assignee
                    )
                )
        out.sort(key=lambda u: (u.at, u.kind, u.process, u.task_id or ""))
        return out

    def _visit_entry(self, task: Task) -> Upcoming | None:
        inst = self._instances.get(task.instance_id)
        cp = self._compiled(inst) if inst is not None else None
        step = cp.steps.get(task.step) if cp is not None else None
        if task.visit is None or step is None or step.task is None:
            return None
        at = task.visit.at
        return Upcoming(
            "visit",
            at,
            task.process,
            task.title,
            task.instance_id,
            task.id,
            task.assignee,
            at + timedelta(seconds=step.task.visit_duration),
            task.visit.location,
        )

    # -- validation helpers ------------------------------------------------------------------------------
    def _process(self, process_key: str) -> Compiled:
        cp = self._current.get(process_key)
        if cp is None:
            known = ", ".join(sorted(self._current)) or "none loaded"
            raise UnknownProcess(f"no blueprint defines process {process_key!r} (known: {known})")
        return cp

    def _find_task(self, task_id: str) -> tuple[Instance, Task]:
        inst = self._instances.get(task_id.split(".", 1)[0])
        if inst is not None:
            for task in inst.tasks:
                if task.id == task_id:
                    return inst, task
        raise TaskNotFound(f"no task {task_id!r}")

    @staticmethod
    def _check_outcome(task: Task, spec: TaskSpec, outcome: str | None) -> str:
        if outcome is None:
            if len(spec.outcomes) == 1:
                return spec.outcomes[0]
            raise InvalidOutcome(
                f"task {task.id} ({task.title}) needs an outcome: one of {', '.join(spec.outcomes)}"
            )
        if outcome not in spec.outcomes:
            raise InvalidOutcome(
                f"task {task.id} ({task.title}) has no outcome {outcome!r}; "
                f"expected one of {', '.join(spec.outcomes)}"
            )
        return outcome

    def _check_form(self, cp: Compiled, task: Task, spec: TaskSpec, form: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(form) - set(spec.form))
        if unknown:
            raise InvalidForm(
                f"task {task.id} ({task.title}) has no form field(s) {', '.join(unknown)}; "
                f"it collects {', '.join(spec.form) or 'nothing'}"
            )
        problems: list[str] = []
        out: dict[str, Any] = {}
        for name in spec.form:
            fdef = cp.process.fields.get(name) or FieldDef(name)
            value = form.get(name)
            if value is None or value == "":
                if fdef.required and not spec.optional:
                    problems.append(f"{name} is required")
                continue
            try:
                out[name] = _coerce(fdef, value)
            except ValueError as err:
                problems.append(f"{name}: {err}")
        if problems:
            raise InvalidForm(f"task {task.id} ({task.title}): " + "; ".join(problems))
        return out

    def _check_user(self, cp: Compiled, task: Task, spec: TaskSpec, user: str | None) -> None:
        """``user`` is a person id in the assignee namespace; None means a system/admin action."""
        if user is None:
            return
        anyone = task.assignee is None and not task.candidates and task.group is None
        in_group = bool(
            task.group and self.directory is not None and task.group in self.directory.groups_of(user)
        )
        if not (anyone or user == task.assignee or user in task.candidates or in_group):
            owner = task.assignee or task.group or ", ".join(task.candidates)
            raise NotAllowed(f"{user} may not complete task {task.id} ({task.title}); it belongs to {owner}")
        if spec.pii and not self._cleared(cp, user):
            raise NotAllowed(f"{user} is not cleared for PII work and may not complete task {task.id}")

    def _cleared(self, cp: Compiled, user: str) -> bool:
        groups = set(self.directory.groups_of(user)) if self.directory is not None else set()
        for entry in cp.process.pii_cleared:
            if entry in (user, f"user:{user}") or (entry.startswith("group:") and entry[6:] in groups):
                return True
        return False


def _coerce(fdef: FieldDef, value: Any) -> Any:
    """Light type check of a form value; returns the JSON-able value to store."""
    kind = fdef.type
    if kind == "number":
        if isinstance(value, bool):
            raise ValueError("expected a number")
        if isinstance(value, int | float):
            return value
        text = str(value).strip()
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                raise ValueError(f"expected a number, got {value!r}") from None
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "on", "1"):
            return True
        if text in ("false", "no", "off", "0"):
            return False
        raise ValueError(f"expected true or false, got {value!r}")
    if kind == "choice":
        if fdef.options and str(value) not in fdef.options:
            raise ValueError(f"expected one of {', '.join(fdef.options)}, got {value!r}")
        return str(value)
    if kind == "date":
        if isinstance(value, date):
            return value.isoformat()
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError(f"expected a date like 2026-01-31, got {value!r}") from None
    if isinstance(value, dict | list | int | float | bool):
        return value
    return str(value)
