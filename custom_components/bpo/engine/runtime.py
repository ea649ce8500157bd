"""The public ``Engine``: what the HA layer, the CLI simulator and the tests call.

Lifecycle: ``Engine(...)`` -> ``set_blueprints(...)`` -> ``await restore()`` -> then any of the operations
below; after each, arm ONE host timer at ``next_deadline()`` and call ``await tick()`` when it fires
(``tick`` returns the next deadline too). Operations persist the changed instance records and the meta
record through the StateStore before any event leaves through the EventSink.

Events (``EngineEvent.type``; every payload has ``process, instance_id, key, task_id, step, assignee,
group, outcome`` — None where not applicable — plus the extras listed; PII fields are ``"***"``):

- ``instance_started``: source, by, item, fields
- ``instance_completed``: status (completed | failed), error, by, fields
- ``instance_cancelled``: status, error, by, fields
- ``task_created``: title, optional, due (ISO), candidates
- ``task_completed``: by, source, form
- ``task_reminded``: title, count, late, due
- ``task_overdue``: title, due, late
- ``task_reassigned``: title, previous, by
- ``task_cancelled``: reason (join | goto | cancelled | failed | completed)
- ``escalated``: level, reason (escalation | timeout), notify (list), reassign, late
- ``timeout``: action (complete | fail | escalate | goto), late — a task closed by timeout has status
  ``timed_out``
- ``blueprint_suspended``: max_starts, window, at; ``blueprint_resumed``: by
- ``instance_error``: step, error — handling a deadline, event or answer of this instance raised; the
  instance is failed (its ``error`` says why, by error type only) and the others carry on: a Repair candidate
- ``start_failed``: key, source, error — an automatic start failed part-way and was dropped entirely
  (a manual ``start`` raises ``StartFailed`` instead)
- ``schedule_failed``: error — a schedule tick could not be handled (e.g. its ``for_each`` failed)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from .core import Compiled, compile_blueprint, paused_gc
from .history import Parser
from .model import Blueprint
from .queries import Queries, Upcoming
from .runtime_errors import (
    BlueprintSuspended,
    InvalidForm,
    NotAllowed,
    StepError,
    TaskNotFound,
    failure_text,
)
from .starts import SCHEDULE_PREFIX
from .state import CANCELLED, OPEN, Instance, Meta, Task

__all__ = ["Engine", "Upcoming"]  # Upcoming: re-exported for the HA calendar


class Engine(Queries):
    """Durable, deterministic workflow runtime; see the module docstring (queries: :mod:`.queries`)."""

    # -- configuration --------------------------------------------------------------------------------
    def set_blueprints(self, blueprints: Iterable[Blueprint]) -> None:
        """Install the current blueprints; running instances keep the version they started with."""
        current = {bp.process.key: compile_blueprint(bp) for bp in blueprints}
        versions: dict[tuple[str, str], Compiled] = {(k, cp.process.version): cp for k, cp in current.items()}
        for inst in self._instances.values():
            ref = (inst.process, inst.version)
            if inst.is_running and ref not in versions and ref in self._versions:
                versions[ref] = self._versions[ref]
        self._current = current
        self._versions = versions
        self._record_sources()
        now = self.clock.now()
        self._arm_schedules(now)
        for inst in self._instances.values():
            self._arm_instance(inst)

    def _arm_instance(self, inst: Instance) -> None:
        cp = self._compiled(inst)
        if cp is None or not inst.is_running:
            return
        try:
            for tok in inst.tokens():
                self._arm(cp, tok)
        except Exception as err:  # noqa: BLE001 - one instance's deadline never stops loading the others
            self._fail_instance(inst, self.clock.now(), f"deadline failed: {failure_text(err)}", None)

    async def restore(self) -> None:
        """Load every record from the store and rebuild indexes and the timer heap."""
        with paused_gc():  # bulk load builds ~10 acyclic objects per record (see core.paused_gc)
            meta, records = await self.store.load()
            self._load_records(meta, records)
        self._dirty.clear()
        self._record_sources()  # the stored meta replaced what set_blueprints recorded
        self._arm_schedules(self.clock.now())

    def _load_records(self, meta: Mapping[str, Any] | None, records: Iterable[Mapping[str, Any]]) -> None:
        self._meta = Meta.from_dict(dict(meta)) if meta else Meta()
        self._instances.clear()
        self._open.clear()
        self._stats.clear()
        self._dedupe.clear()
        self._ticks.clear()
        self._waiting.clear()
        for key in list(self._armed):
            self._timers.cancel(key)
        parse = Parser()  # shares equal datetimes and history lines across records
        for rec in records:
            inst = Instance.from_dict(rec if isinstance(rec, dict) else dict(rec), parse)
            self._instances[inst.id] = inst
            self._index(inst)
            self._stats.update(inst.id, inst)
            if not inst.is_running:
                continue
            for task in inst.tasks:
                if task.status == OPEN:
                    self._open[task.id] = task
            cp = self._compiled(inst)
            for wait in inst.waits or ():
                spec = cp.steps[wait.step].wait if cp is not None and wait.step in cp.steps else None
                if spec is not None and spec.event:
                    self._waiting.setdefault(spec.event, set()).add(inst.id)
            self._arm_instance(inst)

    # -- operations -----------------------------------------------------------------------------------
    async def start(
        self,
        process_key: str,
        *,
        key: str | None = None,
        fields: Mapping[str, Any] | None = None,
        item: Any = None,
        source: str = "manual",
        user: str | None = None,
        dedupe: str | None = None,
    ) -> Instance:
        """Start one instance; with a key (or dedupe id) a running duplicate is returned instead."""
        cp = self._process(process_key)
        if process_key in self._meta.suspended:
            raise BlueprintSuspended(
                f"process {process_key!r} is suspended (start limit reached); resume it first"
            )
        unknown = sorted(set(fields or {}) - set(cp.process.fields))
        if unknown:
            raise InvalidForm(
                f"process {process_key!r} has no field(s) {', '.join(unknown)}; "
                f"it defines {', '.join(cp.process.fields) or 'none'}"
            )
        try:
            inst = await self._start(
                cp,
                key=key,
                item=item,
                fields=dict(fields or {}),
                source=source,
                user=user,
                dedupe=dedupe if dedupe is not None else key,
                now=self.clock.now(),
                strict=True,
            )
        finally:
            await self._commit()  # a start that tripped the limit still records the suspension
        assert inst is not None  # strict=True raises instead of returning None
        return inst

    async def complete_task(
        self,
        task_id: str,
        *,
        outcome: str | None = None,
        form: Mapping[str, Any] | None = None,
        user: str | None = None,
        source: str = "service",
        on_behalf: bool = False,
    ) -> Task:
        """Complete an open task; validates outcome, form and who may act.

        ``on_behalf``: an administrator acts for the assignee; ``user`` is recorded as who did it but is
        not checked against the assignee, candidates or group.
        """
        inst, task = self._find_task(task_id)
        if not task.is_open:
            raise NotAllowed(f"task {task_id} is already {task.status}")
        cp = self._compiled(inst)
        spec = cp.steps[task.step].task if cp is not None else None
        if cp is None or spec is None:
            raise TaskNotFound(f"task {task_id}: its blueprint {inst.process!r} is not loaded")
        outcome = self._check_outcome(task, spec, outcome)
        clean = self._check_form(cp, task, spec, dict(form or {}))
        if not on_behalf:
            self._check_user(cp, task, spec, user)
        now = self.clock.now()
        try:
            await self._finish_task(
                inst, cp, task, now, outcome=outcome, form=clean, user=user, source=source
            )
        except Exception as err:  # noqa: BLE001 - what follows the task broke: fail this instance only
            step = err.step if isinstance(err, StepError) else task.step
            self._fail_instance(inst, now, f"after task {task.step}: {failure_text(err)}", step)
        await self._commit()
        return task

    async def reassign(self, task_id: str, assignee: str, *, user: str | None = None) -> Task:
        inst, task = self._find_task(task_id)
        if not task.is_open:
            raise NotAllowed(f"task {task_id} is already {task.status}")
        if assignee != task.assignee:
            self._reassign_task(inst, task, assignee, self.clock.now(), who=user, source="service")
            await self._commit()
        return task

    async def cancel(self, instance_id: str, *, user: str | None = None) -> Instance:
        inst = self._instances.get(instance_id)
        if inst is None:
            raise TaskNotFound(f"no instance {instance_id!r}")
        if not inst.is_running:
            raise NotAllowed(f"instance {instance_id} is already {inst.status}")
        self._close(inst, self._compiled(inst), CANCELLED, self.clock.now(), who=user, source="service")
        await self._commit()
        return inst

    async def resume(self, process_key: str, *, user: str | None = None) -> None:
        """Lift a start-limit suspension and forget the start window."""
        self._process(process_key)
        if self._meta.suspended.pop(process_key, None) is not None:
            self._meta.windows.pop(process_key, None)
            self._meta_dirty = True
            self._emit("blueprint_resumed", None, process=process_key, by=user)
            await self._commit()

    async def handle_event(self, event_type: str, data: Mapping[str, Any]) -> list[Instance]:
        """Event starts plus waits resumed by this event; returns those instances."""
        now = self.clock.now()
        started = await self._event_starts(event_type, data, now)
        resumed = await self._resume_waits(event_type, data, now)
        await self._commit()
        return started + [i for i in resumed if i not in started]

    async def tick(self) -> datetime | None:
        """Fire everything due at ``clock.now()``; returns the next deadline to arm."""
        now = self.clock.now()
        while (key := self._timers.pop_next_key(now)) is not None:
            try:
                if key.startswith(SCHEDULE_PREFIX):
                    await self._fire_schedule(key, now)
                else:
                    await self._fire_token(key, now)
            except Exception as err:  # noqa: BLE001 - isolation: see deadlines.py
                self._deadline_failed(key, now, err, SCHEDULE_PREFIX)
        await self._commit()
        return self.next_deadline()

    def next_deadline(self) -> datetime | None:
        return self._timers.next_due()
