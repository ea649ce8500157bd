"""Runtime state as plain data: instances, tasks, waits, joins, history.

Everything here is a slotted dataclass with ``to_dict``/``from_dict`` producing JSON-able dicts, so the
engine can snapshot an instance through the StateStore port and restore it exactly
(``Instance.from_dict(i.to_dict()).to_dict() == i.to_dict()``). Records omit default values to stay small:
a freshly fanned-out instance serialises to a few hundred bytes.

Datetimes are aware UTC in memory and ISO strings in records. Blueprint data is never copied into state:
tasks refer to their step by id and the runtime looks the spec up in the (shared) blueprint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

OPEN = "open"
COMPLETED = "completed"
TIMED_OUT = "timed_out"
CANCELLED = "cancelled"
RUNNING = "running"
FAILED = "failed"


def dt_out(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def dt_in(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def _req_dt(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


@dataclass(slots=True)
class HistoryEntry:
    """One audit line: when, what, who, from which source, about which step."""

    at: datetime
    what: str
    who: str | None = None
    source: str = "engine"
    step: str | None = None
    details: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"at": self.at.isoformat(), "what": self.what}
        if self.who is not None:
            out["who"] = self.who
        if self.source != "engine":
            out["source"] = self.source
        if self.step is not None:
            out["step"] = self.step
        if self.details:
            out["details"] = self.details
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> HistoryEntry:
        return cls(
            _req_dt(d["at"]),
            d["what"],
            d.get("who"),
            d.get("source", "engine"),
            d.get("step"),
            d.get("details"),
        )


@dataclass(slots=True)
class Task:
    """A human task. Open tasks are also the token marking where their branch of the flow is."""

    id: str
    instance_id: str
    process: str
    step: str
    title: str
    created: datetime
    assignee: str | None = None
    group: str | None = None
    candidates: tuple[str, ...] = ()
    due: datetime | None = None
    parent: str | None = None  # id of the Join this task is a branch of
    status: str = OPEN  # open, completed, timed_out, cancelled
    outcome: str | None = None
    form: dict[str, Any] | None = None
    by: str | None = None
    completed_at: datetime | None = None
    reminders: int = 0  # how many reminder offsets have fired
    escalations: int = 0  # how many escalation levels have fired
    overdue: bool = False
    timed_out: bool = False  # the step timeout fired (escalate keeps the task open)

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "step": self.step,
            "title": self.title,
            "created": self.created.isoformat(),
        }
        for name in ("assignee", "group", "parent", "outcome", "form", "by"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.candidates:
            out["candidates"] = list(self.candidates)
        if self.due is not None:
            out["due"] = self.due.isoformat()
        if self.completed_at is not None:
            out["completed_at"] = self.completed_at.isoformat()
        if self.status != OPEN:
            out["status"] = self.status
        for name in ("reminders", "escalations"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        for name in ("overdue", "timed_out"):
            if getattr(self, name):
                out[name] = True
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any], instance_id: str, process: str) -> Task:
        return cls(
            id=d["id"],
            instance_id=instance_id,
            process=process,
            step=d["step"],
            title=d["title"],
            created=_req_dt(d["created"]),
            assignee=d.get("assignee"),
            group=d.get("group"),
            candidates=tuple(d.get("candidates", ())),
            due=dt_in(d.get("due")),
            parent=d.get("parent"),
            status=d.get("status", OPEN),
            outcome=d.get("outcome"),
            form=d.get("form"),
            by=d.get("by"),
            completed_at=dt_in(d.get("completed_at")),
            reminders=d.get("reminders", 0),
            escalations=d.get("escalations", 0),
            overdue=d.get("overdue", False),
            timed_out=d.get("timed_out", False),
        )


@dataclass(slots=True)
class Wait:
    """An active wait step (event / until / delay)."""

    id: str
    step: str
    since: datetime
    parent: str | None = None
    until: datetime | None = None  # resolved from ``until`` or ``delay`` on entry
    timed_out: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "step": self.step, "since": self.since.isoformat()}
        if self.parent is not None:
            out["parent"] = self.parent
        if self.until is not None:
            out["until"] = self.until.isoformat()
        if self.timed_out:
            out["timed_out"] = True
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Wait:
        return cls(
            d["id"],
            d["step"],
            _req_dt(d["since"]),
            d.get("parent"),
            dt_in(d.get("until")),
            d.get("timed_out", False),
        )


@dataclass(slots=True)
class Join:
    """An active parallel step: which branches are done."""

    id: str
    step: str
    since: datetime
    parent: str | None = None
    done: list[str] = field(default_factory=list)
    timed_out: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "step": self.step,
            "since": self.since.isoformat(),
            "done": list(self.done),
        }
        if self.parent is not None:
            out["parent"] = self.parent
        if self.timed_out:
            out["timed_out"] = True
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Join:
        return cls(
            d["id"],
            d["step"],
            _req_dt(d["since"]),
            d.get("parent"),
            list(d.get("done", ())),
            d.get("timed_out", False),
        )


Token = Task | Wait | Join


@dataclass(slots=True)
class Instance:
    """One run of a process. ``version`` pins the blueprint version it started with."""

    id: str
    process: str
    version: str
    key: str | None
    started: datetime
    status: str = RUNNING  # running, completed, failed, cancelled
    item: Any = None
    fields: dict[str, Any] = field(default_factory=dict)
    source: str = "manual"
    user: str | None = None
    dedupe: str | None = None
    ended: datetime | None = None
    error: str | None = None
    seq: int = 0  # per-instance counter for token ids
    tasks: list[Task] = field(default_factory=list)
    waits: list[Wait] | None = None
    joins: list[Join] | None = None
    results: dict[str, dict[str, Any]] | None = None  # non-task step results (wait event, action)
    history: list[HistoryEntry] = field(default_factory=list)

    @property
    def is_running(self) -> bool:
        return self.status == RUNNING

    def next_id(self) -> str:
        self.seq += 1
        return f"{self.id}.{self.seq}"

    def open_tasks(self) -> list[Task]:
        return [t for t in self.tasks if t.status == OPEN]

    def tokens(self) -> list[Token]:
        """Every active position in the flow."""
        out: list[Token] = [t for t in self.tasks if t.status == OPEN]
        out.extend(self.waits or ())
        out.extend(self.joins or ())
        return out

    def token(self, token_id: str) -> Token | None:
        for tok in self.tokens():
            if tok.id == token_id:
                return tok
        return None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "process": self.process,
            "version": self.version,
            "key": self.key,
            "started": self.started.isoformat(),
            "status": self.status,
            "seq": self.seq,
            "tasks": [t.to_dict() for t in self.tasks],
            "history": [h.to_dict() for h in self.history],
        }
        for name in ("item", "source", "user", "dedupe", "error", "results"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.fields:
            out["fields"] = self.fields
        if self.ended is not None:
            out["ended"] = self.ended.isoformat()
        if self.waits:
            out["waits"] = [w.to_dict() for w in self.waits]
        if self.joins:
            out["joins"] = [j.to_dict() for j in self.joins]
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Instance:
        inst = cls(
            id=d["id"],
            process=d["process"],
            version=d["version"],
            key=d.get("key"),
            started=_req_dt(d["started"]),
            status=d.get("status", RUNNING),
            item=d.get("item"),
            fields=dict(d.get("fields", {})),
            source=d.get("source", "manual"),
            user=d.get("user"),
            dedupe=d.get("dedupe"),
            ended=dt_in(d.get("ended")),
            error=d.get("error"),
            seq=d.get("seq", 0),
            results=d.get("results"),
            history=[HistoryEntry.from_dict(h) for h in d.get("history", ())],
        )
        inst.tasks = [Task.from_dict(t, inst.id, inst.process) for t in d.get("tasks", ())]
        if d.get("waits"):
            inst.waits = [Wait.from_dict(w) for w in d["waits"]]
        if d.get("joins"):
            inst.joins = [Join.from_dict(j) for j in d["joins"]]
        return inst


@dataclass(slots=True)
class Meta:
    """Engine-wide record: id counter, schedule cursors, suspensions, start-rate windows."""

    counter: int = 0
    cursors: dict[str, str] = field(default_factory=dict)  # schedule key -> last fired tick (ISO, UTC)
    suspended: dict[str, str] = field(default_factory=dict)  # process -> suspended at (ISO)
    windows: dict[str, list[float]] = field(default_factory=dict)  # process -> recent start times (epoch)

    def to_dict(self) -> dict[str, Any]:
        return {
            "counter": self.counter,
            "cursors": dict(self.cursors),
            "suspended": dict(self.suspended),
            "windows": {k: list(v) for k, v in self.windows.items()},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Meta:
        return cls(
            int(d.get("counter", 0)),
            dict(d.get("cursors", {})),
            dict(d.get("suspended", {})),
            {k: [float(x) for x in v] for k, v in d.get("windows", {}).items()},
        )
