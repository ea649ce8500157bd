"""The read side of ``Engine``: queries the HA layer calls, and the lookups and checks operations use.

The validation helpers raise the ``runtime_errors`` that the public operations (:mod:`.runtime`) pass
on: unknown process or task, a wrong outcome, a bad form, or a user who may not act on the task.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .compiled import Compiled
from .context import Context
from .cron import CronSchedule
from .field_values import coerce as _coerce
from .model import Blueprint, EventStart, FieldDef, ScheduleStart, TaskSpec
from .runtime_errors import InvalidForm, InvalidOutcome, NotAllowed, TaskNotFound, UnknownProcess
from .state import ADMINS_QUEUE, Instance, Task
from .visibility import pii_cleared


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


class Queries:
    """Queries and validation helpers of the engine over the shared state; see the module docstring."""

    def __init__(self, ctx: Context, cron: Callable[[str], CronSchedule]) -> None:
        self.ctx = ctx
        self.state = ctx.state
        self._cron = cron  # the starts' cron cache: parsed once per expression

    # -- queries ---------------------------------------------------------------------------------------
    def blueprints(self) -> list[Blueprint]:
        return [cp.blueprint for cp in self.state.current.values()]

    def process_keys(self) -> list[str]:
        return list(self.state.current)

    def event_types(self) -> set[str]:
        """Event types to feed to :meth:`handle_event`: current event starts, and the waits of every
        version still in use (an instance keeps its version, so after a reload it may wait for an
        event the current version no longer mentions)."""
        found = {
            start.event
            for cp in self.state.current.values()
            for start in cp.process.starts
            if isinstance(start, EventStart)
        }
        for cp in self.state.versions.values():
            found.update(s.wait.event for s in cp.steps.values() if s.wait is not None and s.wait.event)
        return found

    def blueprint(self, process_key: str) -> Blueprint | None:
        cp = self.state.current.get(process_key)
        return cp.blueprint if cp is not None else None

    def suspended(self) -> dict[str, datetime]:
        return {k: datetime.fromisoformat(v) for k, v in self.state.meta.suspended.items()}

    def instance(self, instance_id: str) -> Instance | None:
        return self.state.instances.get(instance_id)

    def instances(
        self, *, process: str | None = None, status: str | None = None, key: str | None = None
    ) -> list[Instance]:
        return [
            i
            for i in self.state.instances.values()
            if (process is None or i.process == process)
            and (status is None or i.status == status)
            and (key is None or i.key == key)
        ]

    def task(self, task_id: str) -> Task | None:
        try:
            return self.find_task(task_id)[1]
        except TaskNotFound:
            return None

    def open_tasks(
        self, assignee: str | None = None, group: str | None = None, process: str | None = None
    ) -> list[Task]:
        return [
            t
            for t in self.state.open.values()
            if (assignee is None or t.assignee == assignee or assignee in t.candidates)
            and (group is None or t.group == group)
            and (process is None or t.process == process)
        ]

    def stats(self, process_key: str, *, period: timedelta = timedelta(days=30)) -> dict[str, int]:
        """Running instances, overdue open tasks, and instances completed within ``period`` (no scan)."""
        return self.state.stats.query(process_key, self.ctx.clock.now() - period)

    def upcoming(self, start: datetime, end: datetime, *, per_schedule: int | None = None) -> list[Upcoming]:
        """Scheduled starts and open-task due dates in ``(start, end]``, plus open-task visits that overlap
        that range (a visit that began before ``start`` but is still going on is included), in time order.
        ``per_schedule`` caps the starts listed per schedule (an every-minute schedule fires 44,640 times
        a month)."""
        out: list[Upcoming] = []
        for proc, cp in self.state.current.items():
            if proc in self.state.meta.suspended:
                continue
            for sched_start in cp.process.starts:
                if isinstance(sched_start, ScheduleStart):
                    for at in self._cron(sched_start.cron).between(start, end, per_schedule):
                        out.append(Upcoming("start", at, proc, cp.blueprint.name or proc))
        for task in self.state.open.values():
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

    def task_entries(self, task_id: str) -> list[Upcoming]:
        """The calendar entries of one open task (its due date, its visit): O(1), for incremental views."""
        task = self.state.open.get(task_id)
        if task is None:
            return []
        out: list[Upcoming] = []
        if task.visit is not None and (visit := self._visit_entry(task)) is not None:
            out.append(visit)
        if task.due is not None:
            out.append(
                Upcoming("due", task.due, task.process, task.title, task.instance_id, task.id, task.assignee)
            )
        return out

    def next_starts(self, after: datetime) -> list[Upcoming]:
        """The next scheduled start of every schedule of every running blueprint: O(schedules)."""
        out: list[Upcoming] = []
        for proc, cp in self.state.current.items():
            if proc in self.state.meta.suspended:
                continue
            for sched_start in cp.process.starts:
                if isinstance(sched_start, ScheduleStart):
                    at = self._cron(sched_start.cron).next_after(after)
                    if at is not None:
                        out.append(Upcoming("start", at, proc, cp.blueprint.name or proc))
        return out

    def _visit_entry(self, task: Task) -> Upcoming | None:
        inst = self.state.instances.get(task.instance_id)
        cp = self.ctx.compiled(inst) if inst is not None else None
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
    def process(self, process_key: str) -> Compiled:
        cp = self.state.current.get(process_key)
        if cp is None:
            known = ", ".join(sorted(self.state.current)) or "none loaded"
            raise UnknownProcess(f"no blueprint defines process {process_key!r} (known: {known})")
        return cp

    def find_task(self, task_id: str) -> tuple[Instance, Task]:
        inst = self.state.instances.get(task_id.split(".", 1)[0])
        if inst is not None:
            for task in inst.tasks:
                if task.id == task_id:
                    return inst, task
        raise TaskNotFound(f"no task {task_id!r}")

    @staticmethod
    def check_outcome(task: Task, spec: TaskSpec, outcome: str | None) -> str:
        if outcome is None:
            if len(spec.outcomes) == 1:
                return spec.outcomes[0]
            raise InvalidOutcome(
                f"task {task.id} ({task.step}) needs an outcome: one of {', '.join(spec.outcomes)}"
            )
        if outcome not in spec.outcomes:
            raise InvalidOutcome(
                f"task {task.id} ({task.step}) has no outcome {outcome!r}; "
                f"expected one of {', '.join(spec.outcomes)}"
            )
        return outcome

    def check_form(self, cp: Compiled, task: Task, spec: TaskSpec, form: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(form) - set(spec.form))
        if unknown:
            raise InvalidForm(
                f"task {task.id} ({task.step}) has no form field(s) {', '.join(unknown)}; "
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
            raise InvalidForm(f"task {task.id} ({task.step}): " + "; ".join(problems))
        return out

    def check_user(self, cp: Compiled, task: Task, spec: TaskSpec, user: str | None) -> None:
        """``user`` is a person id in the assignee namespace; None means a system/admin action."""
        if user is None:
            return
        if task.group == ADMINS_QUEUE and user != task.assignee and user not in task.candidates:
            raise NotAllowed(
                f"{user} may not complete task {task.id} ({task.step}); nobody was assigned, so it is in "
                "the admins' queue: an administrator completes or reassigns it"
            )
        anyone = task.assignee is None and not task.candidates and task.group is None
        in_group = bool(
            task.group and self.ctx.directory is not None and task.group in self.ctx.directory.groups_of(user)
        )
        if not (anyone or user == task.assignee or user in task.candidates or in_group):
            owner = task.assignee or task.group or ", ".join(task.candidates)
            raise NotAllowed(f"{user} may not complete task {task.id} ({task.step}); it belongs to {owner}")
        if spec.pii and not self._cleared(cp, task, user):
            raise NotAllowed(f"{user} is not cleared for PII work and may not complete task {task.id}")
        if spec.present_in is not None and not self.ctx.present(user, spec.present_in):
            raise NotAllowed(
                f"{user} is not in {spec.present_in} and may not complete task {task.id} ({task.step}); "
                "it is done only there"
            )

    def _cleared(self, cp: Compiled, task: Task, user: str) -> bool:
        inst = self.state.instances.get(task.instance_id)  # its rendered pii_cleared entries count too
        return pii_cleared(user, cp.process, self.ctx.directory, inst)
