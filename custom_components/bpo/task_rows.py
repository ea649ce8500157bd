"""What one caller may see of tasks and instances, as JSON rows (the ``list_tasks`` action, the web UI).

A :class:`Viewer` is an actor seen through the directory: admins see everything unmasked; anyone else
sees the tasks ``engine.visibility.can_view`` allows, with PII field values replaced by ``***`` and titles
rendered from them by ``<Step> (***)`` (``engine.pii_taint``) unless ``pii_cleared`` names them. Rows are
plain JSON (ISO date-times) and carry no value a viewer may not see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from .engine.model import Blueprint, FieldDef, Process, TaskSpec
from .engine.pii_taint import public_title
from .engine.ports import Directory
from .engine.runtime import Engine
from .engine.state import ADMINS_QUEUE, Instance, Task
from .engine.steps.task_deadlines import reminders as reminder_offsets
from .engine.visibility import can_view, pii_cleared
from .engine_calls import MASK
from .permissions import Actor


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who looks: admin (sees all) or a person; the directory answers groups and clearance."""

    is_admin: bool
    person: str | None
    directory: Directory | None

    @classmethod
    def of(cls, actor: Actor, directory: Directory | None) -> Viewer:
        return cls(actor.is_admin, actor.person, directory)

    def sees(self, task: Task, inst: Instance | None, process: Process | None) -> bool:
        return self.is_admin or (
            self.person is not None and can_view(self.person, task, inst, process, self.directory)
        )

    def sees_instance(self, engine: Engine, inst: Instance) -> bool:
        """Admins see every instance; others those with at least one task they can view."""
        if self.is_admin:
            return True
        process = process_of(engine, inst)
        return any(self.sees(task, inst, process) for task in inst.tasks)

    def cleared(self, process: Process | None, inst: Instance | None) -> bool:
        """May this viewer see the PII of ``inst`` (its own rendered ``pii_cleared`` entries count)?"""
        if self.is_admin:
            return True
        return (
            self.person is not None
            and process is not None
            and pii_cleared(self.person, process, self.directory, inst)
        )

    def in_team(self, task: Task) -> bool:
        """The task is offered to this person: a candidate or a member of its group."""
        if self.person is None:
            return False
        if self.person in task.candidates:
            return True
        return bool(
            task.group and self.directory is not None and self.person in self.directory.members(task.group)
        )

    def may_complete(
        self, task: Task, spec: TaskSpec | None, process: Process | None, inst: Instance | None
    ) -> bool:
        """A hint for the UI; the engine checks again when the task is completed."""
        if not task.is_open:
            return False
        if self.is_admin:
            return True  # admins act on behalf of anyone
        if self.person is None:
            return False
        if task.group == ADMINS_QUEUE and self.person != task.assignee and self.person not in task.candidates:
            return False
        anyone = task.assignee is None and not task.candidates and task.group is None
        if not (anyone or self.person == task.assignee or self.in_team(task)):
            return False
        return not (spec is not None and spec.pii and not self.cleared(process, inst))

    def may_claim(
        self, task: Task, spec: TaskSpec | None, process: Process | None, inst: Instance | None
    ) -> bool:
        """An unassigned group or candidates task this viewer's person may take (and then complete: a
        ``pii`` task only when cleared)."""
        if not (task.is_open and task.assignee is None and (task.group or task.candidates)):
            return False
        if task.group == ADMINS_QUEUE or self.person is None:
            return False
        if not (self.is_admin or self.in_team(task)):
            return False
        return not (spec is not None and spec.pii and not self.cleared(process, inst))


def process_of(engine: Engine, inst: Instance) -> Process | None:
    """The process version ``inst`` runs on (its ``pii`` marks and rights hold after a reload changed or
    dropped its file); None when no version of it is known."""
    bp = engine.version_of(inst)
    return bp.process if bp is not None else None


def title_of(engine: Engine, process: str) -> str:
    bp = engine.blueprint(process)
    return bp.name if bp is not None and bp.name else process


def pii_names(process: Process | None) -> frozenset[str]:
    return frozenset(n for n, f in process.fields.items() if f.pii) if process is not None else frozenset()


def masked_fields(
    fields: Mapping[str, Any], process: Process | None, cleared: bool
) -> tuple[dict[str, Any], bool]:
    """``fields`` with PII values replaced by ``***`` unless ``cleared``; and whether any was. With no
    process known (a version no file holds any more), every value counts as PII: nothing says it is not."""
    if cleared:
        return dict(fields), False
    pii = pii_names(process) if process is not None else frozenset(fields)
    out = {k: (MASK if k in pii and v is not None else v) for k, v in fields.items()}
    return out, any(v is not None and k in pii for k, v in fields.items())


def mask_text(text: str, fields: Mapping[str, Any], process: Process | None, cleared: bool) -> str:
    """Free text (an error, a history detail) with the instance's PII values replaced by ``***``."""
    if cleared:
        return text
    for name in pii_names(process) if process is not None else fields:
        value = fields.get(name)
        if value is not None and str(value):
            text = text.replace(str(value), MASK)
    return text


def task_spec(bp: Blueprint | None, step: str) -> TaskSpec | None:
    if bp is None:
        return None
    try:
        return bp.process.step(step).task
    except KeyError:
        return None  # the step is gone from the current blueprint version


def field_row(fdef: FieldDef, *, optional: bool = False) -> dict[str, Any]:
    """One input of a form: the field's type exactly as the blueprint declares it."""
    return {
        "name": fdef.name,
        "type": fdef.type,
        "label": fdef.label or fdef.name,
        "required": fdef.required and not optional,
        "options": list(fdef.options) if fdef.options else None,
        "pii": fdef.pii,
    }


def form_rows(process: Process | None, spec: TaskSpec | None) -> list[dict[str, Any]]:
    if spec is None:
        return []
    fields = process.fields if process is not None else {}
    return [field_row(fields.get(name) or FieldDef(name), optional=spec.optional) for name in spec.form]


def reminders(task: Task, spec: TaskSpec | None) -> list[str]:
    """The reminders still to come, when they are plain offsets (business time needs the calendar)."""
    if spec is None or spec.business_time or not task.is_open:
        return []
    offsets = reminder_offsets(spec, task)  # templated ones as rendered when the task opened
    return [(task.created + timedelta(seconds=s)).isoformat() for s in offsets[task.reminders :]]


def list_row(task: Task, inst: Instance, process: Process | None, viewer: Viewer) -> dict[str, Any]:
    """The ``bpo.list_tasks`` action's row of one task."""
    cleared = viewer.cleared(process, inst)
    fields, _ = masked_fields(inst.fields, process, cleared)
    return {
        "task_id": task.id,
        "process": task.process,
        "key": inst.key,
        "step": task.step,
        "title": public_title(process, task.step, task.title, cleared),
        "status": task.status,
        "assignee": task.assignee,
        "group": task.group,
        "due": task.due.isoformat() if task.due else None,
        "outcome": task.outcome,
        "fields": fields,
    }


def task_row(engine: Engine, task: Task, inst: Instance, viewer: Viewer) -> dict[str, Any]:
    """The web UI's row of one task: what it needs to show and finish it (see WS_CONTRACT)."""
    bp = engine.version_of(inst)  # the version the engine checks the form and outcome against
    process = bp.process if bp is not None else None
    spec = task_spec(bp, task.step)
    cleared = viewer.cleared(process, inst)
    fields, masked = masked_fields(inst.fields, process, cleared)
    title = public_title(process, task.step, task.title, cleared)
    zone = engine.zone_of(task)  # present_in work: only for people in the zone (admins act on behalf)
    here = zone is None or viewer.is_admin or engine.present(viewer.person, zone)
    return {
        "task_id": task.id,
        "instance_id": inst.id,
        "process": task.process,
        "process_title": bp.name if bp is not None and bp.name else task.process,
        "key": inst.key,
        "step": task.step,
        "title": title,
        "status": task.status,
        "assignee": task.assignee,
        "group": task.group,
        "candidates": list(task.candidates),
        "due": task.due.isoformat() if task.due else None,
        "overdue": task.overdue,
        "reminders": reminders(task, spec),
        "outcomes": list(spec.outcomes) if spec is not None and len(spec.outcomes) > 1 else [],
        "outcome": task.outcome,
        "form": form_rows(process, spec),
        "fields": fields,
        "masked": masked or title != task.title,
        "can_complete": here and viewer.may_complete(task, spec, process, inst),
        "can_claim": here and viewer.may_claim(task, spec, process, inst),
    }
