"""Report helpers for templates: ``instances``, ``count_by``, ``sla_breaches`` and ``csv_line``.

A scheduled step renders a daily, weekly or monthly report over the instances of a process. Nothing is
kept per event for this: the rows are built from the engine state only when a template calls
``instances()``, at most ``MAX_ROWS`` of them (oldest first), so a report's cost is bounded and paid by
the report alone. Rows are fresh plain dicts (changing one changes nothing in the engine) and PII is
masked in them always: a report is a file anyone with access to the config folder may read, so PII
fields are ``***``, and so is an instance key equal to one of its PII values.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, tzinfo
from typing import Any

from jinja2 import pass_context
from jinja2.exceptions import TemplateRuntimeError
from jinja2.runtime import Context as JinjaContext

from .compiled import Compiled
from .enginestate import EngineState
from .state import COMPLETED, FAILED, OPEN, RUNNING, Instance, Task

MAX_ROWS = 10_000  # rows one instances() call gives at most (the oldest first)
MASK = "***"
STATUSES = frozenset({RUNNING, COMPLETED, FAILED, "cancelled"})
COUNT_BY = ("status", "step", "assignee", "process")
# what templatecheck.py treats as known names, their parameters and arity
NAMES = frozenset({"instances", "count_by", "sla_breaches", "csv_line"})
PARAMS: dict[str, tuple[str, ...]] = {
    "instances": ("process", "status", "step"),
    "count_by": ("rows", "by"),
    "sla_breaches": ("rows",),
    "csv_line": ("values",),
}
ARITY = {"instances": (0, 3), "count_by": (2, 2), "sla_breaches": (1, 1), "csv_line": (1, 1)}

CompiledOf = Callable[[Instance], Compiled | None]


def report_helpers(state: EngineState, compiled: CompiledOf, local: tzinfo) -> dict[str, Callable[..., Any]]:
    """The helpers, over ``state``; ``compiled`` gives an instance's blueprint version (for its PII)."""

    def now_of(context: JinjaContext) -> datetime:
        now = context.get("now")
        value = now() if callable(now) else None
        if not isinstance(value, datetime):
            raise TemplateRuntimeError("instances() needs now() in the template context")
        return value

    @pass_context
    def instances(
        context: JinjaContext, process: object = None, status: object = None, step: object = None
    ) -> list[dict[str, Any]]:
        if process is None:
            own = context.get("instance")
            own_id = own.get("id") if isinstance(own, Mapping) else None
            inst = state.instances.get(own_id) if isinstance(own_id, str) else None
            process = inst.process if inst is not None else None
            if process is None:
                raise TemplateRuntimeError("instances(): name the process (process='...')")
        if status is not None and status not in STATUSES:
            raise TemplateRuntimeError(f"instances(): status is one of {', '.join(sorted(STATUSES))}")
        now = now_of(context)
        picked: list[Instance] = []
        for inst in state.instances.values():
            if inst.process != process or (status is not None and inst.status != status):
                continue
            if step is not None and step not in _current_steps(inst):
                continue
            picked.append(inst)
        picked.sort(key=lambda i: (i.started, i.id))
        return [_row(inst, compiled(inst), now, local) for inst in picked[:MAX_ROWS]]

    return {
        "instances": instances,
        "count_by": count_by,
        "sla_breaches": sla_breaches,
        "csv_line": csv_line,
    }


def _current_steps(inst: Instance) -> list[str]:
    steps = [t.step for t in inst.tasks if t.status == OPEN]
    steps.extend(w.step for w in inst.waits or ())
    return list(dict.fromkeys(steps))


def _row(inst: Instance, cp: Compiled | None, now: datetime, local: tzinfo) -> dict[str, Any]:
    pii = cp.pii if cp is not None else frozenset()
    secret = {str(v) for k, v in inst.fields.items() if k in pii and v is not None}
    key = MASK if inst.key is not None and inst.key in secret else inst.key
    return {
        "id": inst.id,
        "process": inst.process,
        "key": key,
        "status": inst.status,
        "started": inst.started.astimezone(local),
        "ended": inst.ended.astimezone(local) if inst.ended is not None else None,
        "steps": _current_steps(inst),
        "tasks": [_task(inst, key, t, now, local) for t in inst.tasks if t.status == OPEN],
        "fields": {k: (MASK if k in pii and v is not None else v) for k, v in inst.fields.items()},
    }


def _task(inst: Instance, key: str | None, task: Task, now: datetime, local: tzinfo) -> dict[str, Any]:
    due = task.due.astimezone(local) if task.due is not None else None
    return {
        "id": task.id,
        "instance": inst.id,
        "key": key,
        "step": task.step,
        "title": task.title,
        "assignee": task.assignee,
        "group": task.group,
        "due": due,
        "overdue": task.overdue or (task.due is not None and task.due < now),
    }


def _rows(rows: object, helper: str) -> list[Mapping[str, Any]]:
    if not isinstance(rows, list | tuple) or not all(isinstance(r, Mapping) for r in rows):
        raise TemplateRuntimeError(f"{helper}: expected the rows of instances()")
    return list(rows)


def count_by(rows: object, by: object) -> dict[str, int]:
    """Rows counted by ``status`` or ``process`` (per instance), or ``step`` or ``assignee`` (per open
    task or wait: an instance at two steps counts once for each); most frequent first."""
    if by not in COUNT_BY:
        raise TemplateRuntimeError(f"count_by: the second argument is one of {', '.join(COUNT_BY)}")
    counts: dict[str, int] = {}
    for row in _rows(rows, "count_by"):
        if by in ("status", "process"):
            values: Iterable[object] = (row.get(str(by)),)
        elif by == "step":
            values = row.get("steps") or ()
        else:
            values = (t.get("assignee") or t.get("group") or "nobody" for t in row.get("tasks") or ())
        for value in values:
            counts[str(value)] = counts.get(str(value), 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def sla_breaches(rows: object) -> list[dict[str, Any]]:
    """The open tasks of ``rows`` past their due date, the longest overdue first."""
    found = [
        dict(t) for row in _rows(rows, "sla_breaches") for t in row.get("tasks") or () if t.get("overdue")
    ]
    found.sort(key=lambda t: (t["due"] is None, t["due"].isoformat() if t["due"] else "", t["id"]))
    return found


def csv_line(values: object) -> str:
    """One CSV line (quoted as needed, no line end) from a list of values; datetimes in ISO."""
    if not isinstance(values, list | tuple):
        raise TemplateRuntimeError("csv_line: expected a list of values")
    out = io.StringIO()
    cells = [
        v.isoformat(timespec="minutes") if isinstance(v, datetime) else ("" if v is None else v)
        for v in values
    ]
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()
