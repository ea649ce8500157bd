"""The wording of ``bpo simulate``'s timeline: one :class:`Line` per engine event (built only when read),
the :class:`Timeline` of a run and its printed form."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .durations import format_duration
from .ports import EngineEvent

PRINT_LIMIT = 2000  # longer timelines print the first lines and a count of the rest


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
        return describe(self._event, self._tz, self._facts)

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


def describe(event: EngineEvent, tz: ZoneInfo, facts: Mapping[str, Any] | None = None) -> str:
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
