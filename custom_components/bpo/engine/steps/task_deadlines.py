"""A task's own timers: reminders, escalation levels, the overdue mark; and reassignment.

Each fires once per level even when handled late (after downtime several missed reminders collapse into
one ``task_reminded`` whose ``count`` says how many were due); see deadlines.py for the timer rules.

Reminder and escalation offsets written as templates are rendered once, when the task opens
(:func:`rendered_offsets`), and kept with the task (``remind_after``, ``escalate_after``), so a restart or a
later field change never moves them; levels then fire in the order of their rendered times.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ..compiled import Compiled
from ..flow import LATE
from ..model import Escalation, Step, TaskSpec
from ..state import Instance, Task, Token
from ..visibility import task_subject
from .base import BaseKind


def rendered_offsets(
    spec: TaskSpec, seconds: Callable[[str], float]
) -> tuple[tuple[float, ...] | None, tuple[float, ...] | None]:
    """The task's reminder and escalation offsets when its step templates some (None: the fixed ones)."""
    remind = None
    if spec.remind_templates:
        remind = tuple(sorted((*spec.remind, *(seconds(t) for t in spec.remind_templates))))
    escalate = None
    if any(e.after_template is not None for e in spec.escalate):
        escalate = tuple(seconds(e.after_template) if e.after_template else e.after for e in spec.escalate)
    return remind, escalate


def reminders(spec: TaskSpec, task: Task) -> tuple[float, ...]:
    return task.remind_after if task.remind_after is not None else spec.remind


def levels(spec: TaskSpec, task: Task) -> list[tuple[float, Escalation]]:
    """(offset, escalation) in the order they fire."""
    if task.escalate_after is None:
        return [(e.after, e) for e in spec.escalate]
    return sorted(zip(task.escalate_after, spec.escalate, strict=False), key=lambda pair: pair[0])


class TaskDeadlines(BaseKind):
    """The deadline half of the task kind (``TaskKind`` adds opening and finishing)."""

    def business_time(self, step: Step) -> bool:
        return step.task is not None and step.task.business_time

    def deadlines(self, cp: Compiled, step: Step, token: Token) -> list[datetime]:
        assert isinstance(token, Task)
        out: list[datetime] = []
        spec = step.task
        if spec is not None:
            after = self.ctx.after
            business = spec.business_time
            remind = reminders(spec, token)
            if token.reminders < len(remind):
                out.append(after(cp, token.created, remind[token.reminders], business))
            escalate = levels(spec, token)
            if token.escalations < len(escalate):
                out.append(after(cp, token.created, escalate[token.escalations][0], business))
        if token.due is not None and not token.overdue:
            out.append(token.due)
        return out

    async def on_timer(self, inst: Instance, cp: Compiled, step: Step, token: Token, now: datetime) -> bool:
        assert isinstance(token, Task)
        if step.task is not None:
            self._due(inst, cp, token, step, now)
        return token.is_open

    def _due(self, inst: Instance, cp: Compiled, task: Task, step: Step, now: datetime) -> None:
        spec = step.task
        assert spec is not None
        after = self.ctx.after
        biz = spec.business_time
        fired = 0
        last_at = now
        remind = reminders(spec, task)
        while task.reminders < len(remind):
            at = after(cp, task.created, remind[task.reminders], biz)
            if at > now:
                break
            task.reminders += 1
            fired += 1
            last_at = at
        if fired:
            self.outbox.log(
                inst, now, "task_reminded", step=task.step, details={"task": task.id, "count": fired}
            )
            self.outbox.emit(
                "task_reminded",
                inst,
                task=task,
                title=task.title,
                count=fired,
                late=now - last_at > LATE,
                due=task.due.isoformat() if task.due else None,
            )
        escalate = levels(spec, task)
        while task.is_open and task.escalations < len(escalate):
            offset, esc = escalate[task.escalations]
            at = after(cp, task.created, offset, biz)
            if at > now:
                break
            task.escalations += 1
            self._escalate(inst, cp, task, esc, now, late=now - at > LATE)
        if task.due is not None and not task.overdue and task.due <= now:
            task.overdue = True
            self.outbox.log(inst, now, "task_overdue", step=task.step, details={"task": task.id})
            self.outbox.emit(
                "task_overdue",
                inst,
                task=task,
                title=task.title,
                due=task.due.isoformat(),
                late=now - task.due > LATE,
            )
        self.state.touch(inst)

    def _escalate(
        self, inst: Instance, cp: Compiled, task: Task, esc: Escalation, now: datetime, *, late: bool
    ) -> None:
        ctx = self.ctx.template_ctx(
            inst, cp, now, task={"assignee": task.assignee, "group": task.group, "id": task.id}
        )
        render = self.ctx.templates.render_str
        named = (render(x, ctx) for x in esc.notify)
        notify = list(
            dict.fromkeys(who for n in named if n and n != "None" for who in self._people(n, inst, task))
        )
        target = render(esc.reassign, ctx) if esc.reassign else None
        target = None if not target or target == "None" else target
        level = task.escalations
        self.outbox.log(
            inst,
            now,
            "escalated",
            step=task.step,
            details={"task": task.id, "level": level, "notify": notify, "reassign": target},
        )
        self.outbox.emit(
            "escalated",
            inst,
            task=task,
            title=task.title,
            level=level,
            reason="escalation",
            notify=notify,
            reassign=target,
            late=late,
        )
        if target is not None and target != task.assignee:
            zone = step_zone(cp, task)
            if zone is not None and not self.ctx.present(target, zone):
                # present_in: never hand the task to someone outside the zone; it stays where it is
                self.outbox.log(
                    inst, now, "reassign_skipped", step=task.step, details={"task": task.id, "absent": zone}
                )
                return
            self.reassign(inst, task, target, now, who=None, source="escalation")

    def _people(self, entry: str, inst: Instance, task: Task) -> list[str]:
        """A notify entry as people to reach: ``assignee`` is who holds the task (its assignee, else its
        group or candidates), ``supervisor`` the supervisor of its subject (as in ``viewers``); others as
        written."""
        if entry == "assignee":
            if task.assignee:
                return [task.assignee]
            return [f"group:{task.group}"] if task.group else list(task.candidates)
        if entry == "supervisor":
            directory, who = self.ctx.directory, task_subject(task, inst)
            boss = directory.supervisor_of(who) if directory is not None and who else None
            return [boss] if boss else []
        return [entry]

    def reassign(
        self, inst: Instance, task: Task, assignee: str, now: datetime, *, who: str | None, source: str
    ) -> None:
        previous = task.assignee
        task.assignee = assignee
        task.held = now
        self.outbox.log(
            inst,
            now,
            "task_reassigned",
            who=who,
            source=source,
            step=task.step,
            details={"task": task.id, "from": previous, "to": assignee},
        )
        self.outbox.emit("task_reassigned", inst, task=task, title=task.title, previous=previous, by=who)

    def requeue(self, inst: Instance, cp: Compiled, task: Task, now: datetime, reason: str) -> None:
        """The same task (id, fields, history) back to its group or candidates, unassigned: its holder
        stayed idle (``on_timeout: requeue``) or left the ``present_in`` zone. The event is a
        ``task_reassigned`` without an assignee, so every list and phone follows it (the HA layer tells
        the group again)."""
        previous = task.assignee
        task.assignee = None
        task.held = None
        self.outbox.log(
            inst,
            now,
            "task_requeued",
            step=task.step,
            details={"task": task.id, "from": previous, "reason": reason},
        )
        self.outbox.emit(
            "task_reassigned",
            inst,
            task=task,
            title=task.title,
            previous=previous,
            by=None,
            requeued=True,
            reason=reason,
        )
        self.flow.arm(cp, task)
        self.state.touch(inst)

    def absent_holders(self, zone: str) -> list[Task]:
        """Open tasks of ``present_in: zone`` steps held by someone not in it (after a presence report)."""
        out: list[Task] = []
        for task in self.state.open.values():
            if task.assignee is None or self.ctx.present(task.assignee, zone):
                continue
            inst = self.state.instances.get(task.instance_id)
            cp = self.ctx.compiled(inst) if inst is not None else None
            if cp is not None and step_zone(cp, task) == zone:
                out.append(task)
        return out


def step_zone(cp: Compiled, task: Task) -> str | None:
    """The ``present_in`` zone of the task's step in its instance's blueprint version."""
    step = cp.steps.get(task.step)
    return step.task.present_in if step is not None and step.task is not None else None
