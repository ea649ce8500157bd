"""Runtime state as plain data: instances with their tasks, waits and joins, and the engine meta record.

Everything here is a slotted dataclass with ``to_dict``/``from_dict`` producing JSON-able dicts, so the
engine can snapshot an instance through the StateStore port and restore it exactly
(``Instance.from_dict(i.to_dict()).to_dict() == i.to_dict()``). Records omit default values to stay small:
a freshly fanned-out instance serialises to a few hundred bytes.

Datetimes are aware UTC in memory and ISO strings in records. Blueprint data is never copied into state:
tasks refer to their step by id and the runtime looks the spec up in the (shared) blueprint.

Memory (a fan-out keeps 100k of these open): an instance without fields shares ``NO_FIELDS``
(copy-on-write through :meth:`Instance.update_fields`), and a schedule start keeps only the shared tick
id, not a ``"<key>@<tick>"`` string per instance. History lines, the ISO codec and the restore
``Parser`` (which shares equal datetimes and strings between records) live in :mod:`.history`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple

from .history import HistoryEntry, Parser, dt_in, iso, req_dt

OPEN = "open"
COMPLETED = "completed"
TIMED_OUT = "timed_out"
CANCELLED = "cancelled"
RUNNING = "running"
FAILED = "failed"
# The group of a task whose assignee/group/candidates were given but all rendered empty (an unknown
# supervisor): only administrators may complete it; it never falls back to "anyone".
ADMINS_QUEUE = "_admins"


# Shared "no fields" mapping: read-only, so an accidental write fails loudly instead of leaking
# into every other instance; writes go through Instance.update_fields (copy on first write).
NO_FIELDS: dict[str, Any] = MappingProxyType({})  # type: ignore[assignment]


class Visit(NamedTuple):
    """An on-site appointment of a task (``visit:`` in the blueprint), rendered when the task opened."""

    at: datetime
    location: str | None = None


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
    visit: Visit | None = None  # on-site appointment; None when the step has none (or it did not render)
    # offsets rendered when the task opened, when its step writes some as templates (task_deadlines.py):
    # every reminder's (sorted), and each escalation's in the step's order; None: the step's fixed ones
    remind_after: tuple[float, ...] | None = None
    escalate_after: tuple[float, ...] | None = None
    held: datetime | None = None  # when its assignee got it: ``on_timeout: requeue`` counts from here
    # a templated ``description`` as rendered when the task opened; None: the step's text is literal
    description: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "step": self.step,
            "title": self.title,
            "created": iso(self.created),
        }
        if self.assignee is not None:
            out["assignee"] = self.assignee
        if self.group is not None:
            out["group"] = self.group
        if self.parent is not None:
            out["parent"] = self.parent
        if self.outcome is not None:
            out["outcome"] = self.outcome
        if self.form is not None:
            out["form"] = self.form
        if self.by is not None:
            out["by"] = self.by
        if self.candidates:
            out["candidates"] = list(self.candidates)
        if self.due is not None:
            out["due"] = iso(self.due)
        if self.completed_at is not None:
            out["completed_at"] = iso(self.completed_at)
        if self.status != OPEN:
            out["status"] = self.status
        if self.reminders:
            out["reminders"] = self.reminders
        if self.escalations:
            out["escalations"] = self.escalations
        if self.overdue:
            out["overdue"] = True
        if self.timed_out:
            out["timed_out"] = True
        if self.held is not None:
            out["held"] = iso(self.held)
        if self.visit is not None:
            out["visit"] = iso(self.visit.at)
            if self.visit.location is not None:
                out["visit_location"] = self.visit.location
        if self.remind_after is not None:
            out["remind_after"] = list(self.remind_after)
        if self.escalate_after is not None:
            out["escalate_after"] = list(self.escalate_after)
        if self.description is not None:
            out["description"] = self.description
        return out

    @classmethod
    def from_dict(
        cls, d: dict[str, Any], instance_id: str, process: str, parse: Parser | None = None
    ) -> Task:
        # Record keys are the field names, so the record becomes keyword arguments after converting
        # the few typed values (one pass, no per-field lookups); keys this version does not know are
        # dropped, as before.
        p = parse if parse is not None else Parser()
        kw = dict(d)
        if not kw.keys() <= _TASK_KEYS:
            kw = {k: v for k, v in kw.items() if k in _TASK_KEYS}
        kw["step"] = sys.intern(kw["step"])
        kw["created"] = p.dt(kw["created"])
        if "due" in kw:
            kw["due"] = p.opt_dt(kw["due"])
        if "completed_at" in kw:
            kw["completed_at"] = p.opt_dt(kw["completed_at"])
        if "held" in kw:
            kw["held"] = p.opt_dt(kw["held"])
        if "candidates" in kw:
            kw["candidates"] = tuple(kw["candidates"] or ())
        if kw.get("visit") is not None:
            kw["visit"] = Visit(p.dt(kw["visit"]), d.get("visit_location"))
        for offsets in ("remind_after", "escalate_after"):
            if kw.get(offsets) is not None:
                kw[offsets] = tuple(kw[offsets])
        return cls(instance_id=instance_id, process=process, **kw)


@dataclass(slots=True)
class Wait:
    """An active wait step (event / until / delay)."""

    id: str
    step: str
    since: datetime
    parent: str | None = None
    until: datetime | None = None  # resolved from ``until`` or ``delay`` on entry
    timed_out: bool = False
    child: str | None = None  # a ``call`` step: the id of the instance it runs (steps/call.py)
    key: str | None = None  # a correlated event wait: the key an event must carry (steps/wait.py)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "step": self.step, "since": iso(self.since)}
        if self.parent is not None:
            out["parent"] = self.parent
        if self.until is not None:
            out["until"] = iso(self.until)
        if self.timed_out:
            out["timed_out"] = True
        if self.child is not None:
            out["child"] = self.child
        if self.key is not None:
            out["key"] = self.key
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Wait:
        return cls(
            d["id"],
            d["step"],
            req_dt(d["since"]),
            d.get("parent"),
            dt_in(d.get("until")),
            d.get("timed_out", False),
            d.get("child"),
            d.get("key"),
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
    # for_each (steps/for_each.py): the rendered list, how many items were started, the open item
    # tasks (task id -> item index) and each finished item's outcome (index -> outcome)
    items: list[Any] | None = None
    started: int = 0
    running: dict[str, int] | None = None
    outcomes: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "step": self.step,
            "since": iso(self.since),
            "done": list(self.done),
        }
        if self.parent is not None:
            out["parent"] = self.parent
        if self.timed_out:
            out["timed_out"] = True
        if self.items is not None:
            out["items"] = self.items
            out["started"] = self.started
            out["running"] = dict(self.running or {})
            out["outcomes"] = dict(self.outcomes or {})
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Join:
        return cls(
            d["id"],
            d["step"],
            req_dt(d["since"]),
            d.get("parent"),
            list(d.get("done", ())),
            d.get("timed_out", False),
            list(d["items"]) if d.get("items") is not None else None,
            int(d.get("started", 0)),
            dict(d["running"]) if d.get("items") is not None else None,
            dict(d["outcomes"]) if d.get("items") is not None else None,
        )


Token = Task | Wait | Join


@dataclass(slots=True)
class Instance:
    """One run of a process. ``version`` pins the blueprint version it started with.

    Idempotency: ``dedupe`` is an explicit dedupe id (manual/event starts: usually the key object
    itself); a schedule start instead keeps ``tick`` (the tick id, one string shared by the whole
    fan-out) and its id is ``"<key>@<tick>"`` (:meth:`dedupe_key`), derived rather than stored.
    """

    id: str
    process: str
    version: str
    key: str | None
    started: datetime
    status: str = RUNNING  # running, completed, failed, cancelled
    item: Any = None
    fields: dict[str, Any] = field(default_factory=lambda: NO_FIELDS)
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
    tick: str | None = None  # schedule starts: the tick id (see the class docstring)
    parent: str | None = None  # started by a ``call`` step: the calling instance's id (steps/call.py)
    # templated ``viewers``/``pii_cleared`` entries as rendered at the start (rights.py): kept with the
    # instance, so a restart or a blueprint edit never changes who may see it
    rights: dict[str, list[str]] | None = None

    @property
    def is_running(self) -> bool:
        return self.status == RUNNING

    def dedupe_key(self) -> str | None:
        """The idempotency id this instance answers to (None: no dedupe)."""
        if self.tick is not None:
            return f"{self.key}@{self.tick}"
        return self.dedupe

    def update_fields(self, values: dict[str, Any]) -> None:
        """Write process fields (the shared empty ``NO_FIELDS`` is replaced on first write)."""
        if self.fields is NO_FIELDS:
            self.fields = {}
        self.fields.update(values)

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

    def remove_token(self, token: Wait | Join) -> None:
        """Drop an active wait or join from its list (tasks stay: they keep their final status)."""
        if isinstance(token, Wait):
            if self.waits is not None:
                self.waits.remove(token)
                if not self.waits:
                    self.waits = None
        elif self.joins is not None:
            self.joins.remove(token)
            if not self.joins:
                self.joins = None

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
            "started": iso(self.started),
            "status": self.status,
            "seq": self.seq,
            "tasks": [t.to_dict() for t in self.tasks],
            "history": [h.to_dict() for h in self.history],
        }
        if self.item is not None:
            out["item"] = self.item
        out["source"] = self.source
        if self.user is not None:
            out["user"] = self.user
        dedupe = self.dedupe_key()
        if dedupe is not None:
            out["dedupe"] = dedupe
        if self.error is not None:
            out["error"] = self.error
        if self.results is not None:
            out["results"] = self.results
        if self.fields:
            out["fields"] = dict(self.fields)
        if self.ended is not None:
            out["ended"] = iso(self.ended)
        if self.waits:
            out["waits"] = [w.to_dict() for w in self.waits]
        if self.joins:
            out["joins"] = [j.to_dict() for j in self.joins]
        if self.parent is not None:
            out["parent"] = self.parent
        if self.rights is not None:
            out["rights"] = {k: list(v) for k, v in self.rights.items()}
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any], parse: Parser | None = None) -> Instance:
        p = parse if parse is not None else Parser()
        kw = dict(d)  # see Task.from_dict
        if not kw.keys() <= _INSTANCE_KEYS:
            kw = {k: v for k, v in kw.items() if k in _INSTANCE_KEYS}
        tasks = kw.pop("tasks", None) or ()
        history = kw.pop("history", None) or ()
        waits = kw.pop("waits", None)
        joins = kw.pop("joins", None)
        process = kw["process"] = sys.intern(kw["process"])
        kw["version"] = sys.intern(kw["version"])
        kw["started"] = p.dt(kw["started"])
        if kw.get("ended") is not None:
            kw["ended"] = p.dt(kw["ended"])
        fields = kw.get("fields")
        kw["fields"] = dict(fields) if fields else NO_FIELDS
        source = kw["source"] = sys.intern(kw.get("source", "manual"))
        key = kw.get("key")
        dedupe = kw.get("dedupe")
        if source == "schedule" and dedupe is not None and key is not None:
            head, sep, tail = str(dedupe).rpartition("@")
            if sep and head == key:
                kw["dedupe"], kw["tick"] = None, sys.intern(tail)
        inst = cls(**kw)
        iid = inst.id
        inst.tasks = [Task.from_dict(t, iid, process, p) for t in tasks]
        inst.history = [p.entry(h) for h in history]
        if waits:
            inst.waits = [Wait.from_dict(w) for w in waits]
        if joins:
            inst.joins = [Join.from_dict(j) for j in joins]
        return inst


_TASK_KEYS = frozenset(Task.__dataclass_fields__) - {"instance_id", "process"}
_INSTANCE_KEYS = frozenset(Instance.__dataclass_fields__) - {"tick"}


@dataclass(slots=True)
class Meta:
    """Engine-wide record: id counter, schedule cursors, suspensions, start-rate windows."""

    counter: int = 0
    cursors: dict[str, str] = field(default_factory=dict)  # schedule key -> last fired tick (ISO, UTC)
    suspended: dict[str, str] = field(default_factory=dict)  # process -> suspended at (ISO)
    windows: dict[str, list[float]] = field(default_factory=dict)  # process -> recent start times (epoch)
    # "process@version" -> {path, text, inputs}: blueprint versions still in use, rebuilt after a restart
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "counter": self.counter,
            "cursors": dict(self.cursors),
            "suspended": dict(self.suspended),
            "windows": {k: list(v) for k, v in self.windows.items()},
            "sources": {k: dict(v) for k, v in self.sources.items()},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Meta:
        return cls(
            int(d.get("counter", 0)),
            dict(d.get("cursors", {})),
            dict(d.get("suspended", {})),
            {k: [float(x) for x in v] for k, v in d.get("windows", {}).items()},
            {k: dict(v) for k, v in d.get("sources", {}).items()},
        )
