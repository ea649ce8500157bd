"""``task``: a human task — opened with title, people, due date and visit; finished with an outcome.

Its timers (reminders, escalations, the overdue mark) are in :mod:`.task_deadlines`.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from ..compiled import Compiled
from ..model import Step, TaskSpec
from ..outbox import mask
from ..state import ADMINS_QUEUE, CANCELLED, COMPLETED, TIMED_OUT, Instance, Task, Token, Visit
from ..templates import TemplateFailed, is_template
from .task_deadlines import TaskDeadlines, rendered_offsets


@lru_cache(maxsize=4096)
def humanise(step_id: str) -> str:
    """``supervisor_check`` -> ``Supervisor check`` (cached, so every task shares one string)."""
    text = step_id.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def _person(value: str | None) -> str | None:
    """A rendered assignee; empty or "None" (an unknown supervisor) means nobody."""
    return None if not value or value == "None" else value


class TaskKind(TaskDeadlines):
    def _due_at(self, cp: Compiled, spec: TaskSpec, ctx: dict[str, Any], now: datetime) -> datetime | None:
        """The due instant, from a fixed duration or one a template renders now (kept with the task)."""
        seconds = spec.due
        if spec.due_template is not None:
            seconds = self.ctx.rendered_seconds(spec.due_template, ctx)
        return None if seconds is None else self.ctx.after(cp, now, seconds, spec.business_time)

    async def enter(
        self, inst: Instance, cp: Compiled, step: Step, parent: str | None, now: datetime
    ) -> None:
        self.create(inst, cp, step, parent, now)

    def create(self, inst: Instance, cp: Compiled, step: Step, parent: str | None, now: datetime) -> Task:
        spec = step.task
        assert spec is not None
        ctx = self.ctx.template_ctx(inst, cp, now)
        render = self.ctx.templates.render_str
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
            due=self._due_at(cp, spec, ctx, now),
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
        if is_template(spec.description):
            task.description = render(spec.description, ctx)
        task.remind_after, task.escalate_after = rendered_offsets(
            spec, lambda source: self.ctx.rendered_seconds(source, ctx)
        )
        zone = spec.present_in
        if task.assignee is not None and zone and not self.ctx.present(task.assignee, zone):
            # the person offered it is not in the zone: it waits in its queue (stepschema requires one)
            details = {"task": task.id, "absent": zone}
            self.outbox.log(inst, now, "assignee_absent", step=step.id, details=details)
            task.assignee = None
        task.held = now if task.assignee is not None else None
        if spec.visit:
            task.visit = self._render_visit(inst, task, spec.visit, spec.visit_location, ctx, now)
        if inst.tasks:
            inst.tasks.append(task)
        else:
            inst.tasks = [task]  # exact size: most instances only ever hold one task at a time
        self.state.open[task.id] = task
        self.flow.arm(cp, task)
        self.outbox.log(inst, now, "task_created", step=step.id)
        self.outbox.emit(
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
        self.outbox.log(
            inst, now, "task_unassigned", step=task.step, details={"task": task.id, "queue": ADMINS_QUEUE}
        )
        self.outbox.emit("task_unassigned", inst, task=task, key=None)

    def _render_visit(
        self, inst: Instance, task: Task, source: str, where: str | None, ctx: dict[str, Any], now: datetime
    ) -> Visit | None:
        """The appointment of ``task``; an empty render means no visit, anything else that is not a
        date-time is recorded as a problem in the history (the task still opens, without a visit)."""
        templates = self.ctx.templates
        value = templates.render_native(source, ctx)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            at = self.ctx.as_datetime(value)
        except TemplateFailed:
            problem = f"visit: {str(value)[:80]!r} is not an ISO date/time"
            self.outbox.log(
                inst, now, "visit_invalid", step=task.step, details={"task": task.id, "error": problem}
            )
            return None
        location = templates.render_str(where, ctx).strip() if where else ""
        return Visit(at, location or None)

    async def finish(
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
        self.flow.drop_token(inst, task)
        self.outbox.log(
            inst,
            now,
            "task_completed",
            who=user,
            source=source,
            step=task.step,
            details={"task": task.id, "outcome": outcome},
        )
        self.outbox.emit("task_completed", inst, task=task, by=user, source=source, form=mask(cp, form))
        await self.flow.step_done(inst, cp, cp.steps[task.step], task.parent, now)

    def cancel(self, inst: Instance, cp: Compiled, token: Token, now: datetime, reason: str) -> None:
        assert isinstance(token, Task)
        token.status = CANCELLED
        token.completed_at = now
        self.outbox.log(
            inst, now, "task_cancelled", step=token.step, details={"task": token.id, "reason": reason}
        )
        self.outbox.emit("task_cancelled", inst, task=token, reason=reason)

    def expire(self, inst: Instance, cp: Compiled, token: Token, now: datetime) -> None:
        assert isinstance(token, Task)
        token.status = TIMED_OUT
        token.completed_at = now
