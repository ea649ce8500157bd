"""Human task steps: open a task (title, people, due date, visit) and finish it with an outcome.

``TaskSteps`` sits between ``Core`` and ``Flow`` in the engine's class chain (see :mod:`.core`); finishing
a task hands over to ``Flow._step_done``, and a visit is parsed with ``Flow._as_datetime``.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .core import Compiled, Core
from .model import Step
from .state import ADMINS_QUEUE, COMPLETED, Instance, Task, Visit
from .templates import TemplateFailed


@lru_cache(maxsize=4096)
def humanise(step_id: str) -> str:
    """``supervisor_check`` -> ``Supervisor check`` (cached, so every task shares one string)."""
    text = step_id.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def _person(value: str | None) -> str | None:
    """A rendered assignee; empty or "None" (an unknown supervisor) means nobody."""
    return None if not value or value == "None" else value


class TaskSteps(Core):
    """Task steps; see the module docstring."""

    if TYPE_CHECKING:  # defined in Flow

        def _as_datetime(self, value: object) -> datetime: ...

        async def _step_done(
            self, inst: Instance, cp: Compiled, step: Step, parent: str | None, now: datetime
        ) -> None: ...

    def _create_task(
        self, inst: Instance, cp: Compiled, step: Step, parent: str | None, now: datetime
    ) -> Task:
        spec = step.task
        assert spec is not None
        ctx = self._ctx(inst, cp, now)
        render = self._templates.render_str
        assignee = render(spec.assignee, ctx) if spec.assignee else None
        group = render(spec.group, ctx) if spec.group else None
        task = Task(
            id=inst.next_id(),
            instance_id=inst.id,
            process=inst.process,
            step=step.id,
            title=render(spec.title, ctx) if spec.title else humanise(step.id),
            created=now,
            assignee=_person(assignee),
            group=_person(group),
            candidates=tuple(c for c in (_person(render(x, ctx)) for x in spec.candidates) if c),
            due=self._after(cp, now, spec.due, spec.business_time) if spec.due is not None else None,
            parent=parent,
        )
        # People were named but none rendered (an unknown supervisor, an empty group): the admins' queue,
        # never "anyone" (a task without any assignee, group or candidates at all stays open to anyone).
        unassigned = (
            task.assignee is None
            and task.group is None
            and not task.candidates
            and (spec.assignee is not None or spec.group is not None or bool(spec.candidates))
        )
        if unassigned:
            task.group = ADMINS_QUEUE
        if spec.visit:
            task.visit = self._render_visit(inst, task, spec.visit, spec.visit_location, ctx, now)
        if inst.tasks:
            inst.tasks.append(task)
        else:
            inst.tasks = [task]  # exact size: most instances only ever hold one task at a time
        self._open[task.id] = task
        self._arm(cp, task)
        self._log(inst, now, "task_created", step=step.id)
        self._emit(
            "task_created",
            inst,
            task=task,
            title=task.title,
            optional=spec.optional,
            due=task.due.isoformat() if task.due else None,
            candidates=list(task.candidates),
        )
        if unassigned:
            self._to_admins(inst, task, now)
        return task

    def _to_admins(self, inst: Instance, task: Task, now: datetime) -> None:
        """Record and announce a task sent to the admins' queue. The event carries ids only (``key`` is
        nulled: it is often a person): the HA layer turns it into a Repair naming process and step."""
        self._log(
            inst, now, "task_unassigned", step=task.step, details={"task": task.id, "queue": ADMINS_QUEUE}
        )
        self._emit("task_unassigned", inst, task=task, key=None)

    def _render_visit(
        self, inst: Instance, task: Task, source: str, where: str | None, ctx: dict[str, Any], now: datetime
    ) -> Visit | None:
        """The appointment of ``task``; an empty render means no visit, anything else that is not a
        date-time is recorded as a problem in the history (the task still opens, without a visit)."""
        value = self._templates.render_native(source, ctx)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            at = self._as_datetime(value)
        except TemplateFailed:
            problem = f"visit: {str(value)[:80]!r} is not an ISO date/time"
            self._log(inst, now, "visit_invalid", step=task.step, details={"task": task.id, "error": problem})
            return None
        location = self._templates.render_str(where, ctx).strip() if where else ""
        return Visit(at, location or None)

    async def _finish_task(
        self,
        inst: Instance,
        cp: Compiled,
        task: Task,
        now: datetime,
        *,
        outcome: str | None,
        form: dict[str, Any] | None,
        user: str | None,
        source: str,
    ) -> None:
        task.status = COMPLETED
        task.outcome = outcome
        task.form = form or None
        task.by = user
        task.completed_at = now
        if form:
            inst.update_fields(form)
        self._drop_token(inst, task)
        self._log(
            inst,
            now,
            "task_completed",
            who=user,
            source=source,
            step=task.step,
            details={"task": task.id, "outcome": outcome},
        )
        self._emit("task_completed", inst, task=task, by=user, source=source, form=self._mask(cp, form))
        await self._step_done(inst, cp, cp.steps[task.step], task.parent, now)
