"""The engine's whole mutable state in one explicit object, shared by its collaborators.

Collaborators (outbox, flow, step kinds, deadlines, starts, queries) never inherit from each other; each
holds this object and reads or changes only what its concern needs. Records (instances, meta) are
durable; every other field is an index rebuilt from them on restore.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .compiled import Compiled
from .ports import EngineEvent
from .state import Instance, Meta, Task
from .stats import ProcessStats
from .timers import TimerHeap


@dataclass(slots=True, eq=False)
class EngineState:
    """Instances, indexes, counters and the outbox; see the module docstring."""

    instances: dict[str, Instance] = field(default_factory=dict)
    open: dict[str, Task] = field(default_factory=dict)  # open task id -> task (queries, to-do lists)
    dedupe: dict[str, dict[str, str]] = field(default_factory=dict)  # process -> dedupe id -> instance id
    # (process, tick id) -> instance key -> instance id: schedule starts, whose dedupe id is derived
    ticks: dict[tuple[str, str], dict[str | None, str]] = field(default_factory=dict)
    waiting: dict[str, set[str]] = field(default_factory=dict)  # event type -> instances waiting for it
    current: dict[str, Compiled] = field(default_factory=dict)  # process key -> current version
    versions: dict[tuple[str, str], Compiled] = field(default_factory=dict)  # versions still referenced
    timers: TimerHeap = field(default_factory=TimerHeap)
    armed: set[str] = field(default_factory=set)  # schedule timer keys currently armed
    meta: Meta = field(default_factory=Meta)  # the id counter, cursors, suspensions, sources
    dirty: set[str] = field(default_factory=set)  # instance ids to save at the next commit
    meta_dirty: bool = False
    outbox: list[EngineEvent] = field(default_factory=list)  # events leave only after the save
    stats: ProcessStats = field(default_factory=ProcessStats)  # counts behind stats(), kept per commit

    def touch(self, inst: Instance) -> None:
        self.dirty.add(inst.id)

    def index(self, inst: Instance) -> None:
        """Record ``inst`` in the idempotency index (see starts.py)."""
        if inst.tick is not None:
            bucket = self.ticks.get((inst.process, inst.tick))
            if bucket is None:
                bucket = self.ticks[(inst.process, inst.tick)] = {}
            bucket[inst.key] = inst.id
        elif inst.dedupe is not None:
            self.dedupe.setdefault(inst.process, {})[inst.dedupe] = inst.id

    def clear_indexes(self) -> None:
        """Forget every instance and index before a restore rebuilds them (blueprints stay)."""
        self.instances.clear()
        self.open.clear()
        self.stats.clear()
        self.dedupe.clear()
        self.ticks.clear()
        self.waiting.clear()
