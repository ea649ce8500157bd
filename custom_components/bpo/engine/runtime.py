"""The public ``Engine``: what the HA layer, the CLI simulator and the tests call.

A facade over composed parts, none inheriting from another: the state object (:mod:`.enginestate`), the
shared context (:mod:`.context`), the outbox (:mod:`.outbox`), the flow and its table of step kinds
(:mod:`.flow`, :mod:`.steps`), token deadlines (:mod:`.deadlines`), starts (:mod:`.starts`) and the read
side (:mod:`.queries`).

Lifecycle: ``Engine(...)`` -> ``set_blueprints(...)`` -> ``await restore()`` -> then any of the operations
below; after each, arm ONE host timer at ``next_deadline()`` and call ``await tick()`` when it fires
(``tick`` returns the next deadline too). Operations persist the changed instance records and the meta
record through the StateStore before any event leaves through the EventSink.

Events (``EngineEvent.type``; every payload has ``process, instance_id, key, task_id, step, assignee,
group, outcome`` — None where not applicable — plus the extras listed; PII fields are ``"***"``):

- ``instance_started``: source (manual | schedule | event | call — started by a ``call`` step), by, item,
  fields
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
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .compiled import Compiled, compile_blueprint, paused_gc
from .context import Context
from .deadlines import Deadlines
from .enginestate import EngineState
from .flow import Flow
from .history import Parser
from .model import Blueprint
from .outbox import Outbox
from .ports import ActionPort, BusinessCalendar, Clock, ClosedDays, Directory, EventSink, StateStore
from .queries import Queries, Upcoming
from .runtime_errors import (
    BlueprintSuspended,
    InvalidForm,
    NotAllowed,
    StepError,
    TaskNotFound,
    failure_text,
)
from .starts import SCHEDULE_PREFIX, Starts
from .state import CANCELLED, OPEN, Instance, Meta, Task
from .steps import install_kinds
from .steps.call import CallKind
from .steps.task import TaskKind
from .steps.task_deadlines import step_zone
from .steps.wait import WaitKind

__all__ = ["Engine", "Upcoming"]  # Upcoming: re-exported for the HA calendar


class Engine:
    """Durable, deterministic workflow runtime; see the module docstring."""

    def __init__(
        self,
        *,
        clock: Clock,
        store: StateStore,
        events: EventSink,
        tz: ZoneInfo,
        actions: ActionPort | None = None,
        directory: Directory | None = None,
        calendars: Mapping[str, BusinessCalendar] | None = None,
    ) -> None:
        self.store = store
        self.events = events
        self.tz = tz
        self.state = EngineState()  # read it for inspection only; operations below change it
        self._ctx = ctx = Context(
            clock=clock, tz=tz, state=self.state, actions=actions, directory=directory, calendars=calendars
        )
        self._outbox = Outbox(self.state, store, events)
        self._flow = flow = Flow(ctx, self._outbox)
        install_kinds(flow)
        self._tasks = flow.kind("task", TaskKind)
        self._waits = flow.kind("wait", WaitKind)
        self._deadlines = Deadlines(flow)
        self._starts = Starts(flow)
        self._calls = flow.kind("call", CallKind)
        self._calls.starts = self._starts
        self._queries = Queries(ctx, self._starts.cron)
        # instance records the last restore could not read: id -> why. They stay in the store untouched
        # (nothing here writes or deletes them); the host tells the admin.
        self.unreadable: dict[str, str] = {}

    # -- ports the host may swap at run time (tests, reloads) ---------------------------------------
    # wt-time: closed days of host sources (Workday sensors) named by a calendar's closed_from
    @property
    def closed_days(self) -> ClosedDays | None:
        return self._ctx.closed_days

    @closed_days.setter
    def closed_days(self, port: ClosedDays | None) -> None:
        self._ctx.closed_days = port

    @property
    def clock(self) -> Clock:
        return self._ctx.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self._ctx.clock = clock

    @property
    def actions(self) -> ActionPort | None:
        return self._ctx.actions

    @actions.setter
    def actions(self, actions: ActionPort | None) -> None:
        self._ctx.actions = actions

    @property
    def directory(self) -> Directory | None:
        return self._ctx.directory

    @directory.setter
    def directory(self, directory: Directory | None) -> None:
        self._ctx.directory = directory

    @property
    def calendars(self) -> Mapping[str, BusinessCalendar]:
        return self._ctx.calendars

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.tz)

    # -- configuration --------------------------------------------------------------------------------
    def set_blueprints(self, blueprints: Iterable[Blueprint]) -> None:
        """Install the current blueprints; running instances keep the version they started with."""
        state = self.state
        current = {bp.process.key: compile_blueprint(bp) for bp in blueprints}
        versions: dict[tuple[str, str], Compiled] = {(k, cp.process.version): cp for k, cp in current.items()}
        for inst in state.instances.values():
            ref = (inst.process, inst.version)
            if inst.is_running and ref not in versions and ref in state.versions:
                versions[ref] = state.versions[ref]
        state.current = current
        state.versions = versions
        self._ctx.record_sources()
        self._starts.arm_schedules(self.clock.now())
        for inst in state.instances.values():
            self._arm_instance(inst)

    def _arm_instance(self, inst: Instance) -> None:
        cp = self._ctx.compiled(inst)
        if cp is None or not inst.is_running:
            return
        try:
            for tok in inst.tokens():
                self._flow.arm(cp, tok)
        except Exception as err:  # noqa: BLE001 - one instance's deadline never stops loading the others
            self._flow.fail_instance(inst, self.clock.now(), f"deadline failed: {failure_text(err)}", None)

    async def restore(self) -> None:
        """Load every record from the store and rebuild indexes and the timer heap."""
        with paused_gc():  # bulk load builds ~10 acyclic objects per record (see compiled.paused_gc)
            meta, records = await self.store.load()
            self._load_records(meta, records)
        self.state.dirty.clear()
        self._ctx.record_sources()  # the stored meta replaced what set_blueprints recorded
        self._starts.arm_schedules(self.clock.now())
        if self.state.returns:  # a called instance ended just before the restart (steps/call.py)
            await self._commit()

    def _load_records(self, meta: Mapping[str, Any] | None, records: Iterable[Mapping[str, Any]]) -> None:
        state = self.state
        state.meta = Meta.from_dict(dict(meta)) if meta else Meta()
        state.clear_indexes()
        for key in list(state.armed):
            state.timers.cancel(key)
        parse = Parser()  # shares equal datetimes and history lines across records
        flow = self._flow
        self.unreadable = {}
        for rec in records:
            try:
                inst = Instance.from_dict(rec if isinstance(rec, dict) else dict(rec), parse)
            except (KeyError, TypeError, ValueError, AttributeError) as err:
                # one damaged (or foreign) record must not keep every other instance from loading
                self.unreadable[str(rec.get("id", "?"))] = f"{type(err).__name__}: {err}"
                continue
            state.instances[inst.id] = inst
            state.index(inst)
            state.stats.update(inst.id, inst)
            if not inst.is_running:
                continue
            for task in inst.tasks:
                if task.status == OPEN:
                    state.open[task.id] = task
            cp = self._ctx.compiled(inst)
            if cp is not None:
                for tok in inst.tokens():
                    step = cp.steps.get(tok.step)
                    if step is not None:
                        flow.kind_of(cp, step.id, tok).restored(inst, cp, step, tok)
            self._arm_instance(inst)

    async def _commit(self) -> None:
        """Hand ended called instances to their callers (steps/call.py), then save and send."""
        if self.state.returns:
            await self._calls.settle(self.clock.now())
        await self._outbox.commit()

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
        cp = self._queries.process(process_key)
        if process_key in self.state.meta.suspended:
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
            inst = await self._starts.start(
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
        queries = self._queries
        inst, task = queries.find_task(task_id)
        if not task.is_open:
            raise NotAllowed(f"task {task_id} is already {task.status}")
        cp = self._ctx.compiled(inst)
        if cp is None:
            raise TaskNotFound(f"task {task_id}: its blueprint {inst.process!r} is not loaded")
        at = cp.steps.get(task.step)
        spec = at.task if at is not None else None
        if spec is None:  # a lost version's task: the version it runs on now has no such task step
            raise TaskNotFound(f"task {task_id}: unknown step {task.step!r} in process {inst.process!r}")
        outcome = queries.check_outcome(task, spec, outcome)
        clean = queries.check_form(cp, task, spec, dict(form or {}))
        if not on_behalf:
            queries.check_user(cp, task, spec, user)
        now = self.clock.now()
        try:
            await self._tasks.finish(
                inst, cp, task, now, outcome=outcome, form=clean, user=user, source=source
            )
        except Exception as err:  # noqa: BLE001 - what follows the task broke: fail this instance only
            step = err.step if isinstance(err, StepError) else task.step
            self._flow.fail_instance(inst, now, f"after task {task.step}: {failure_text(err)}", step)
        await self._commit()
        return task

    async def reassign(self, task_id: str, assignee: str, *, user: str | None = None) -> Task:
        inst, task = self._queries.find_task(task_id)
        if not task.is_open:
            raise NotAllowed(f"task {task_id} is already {task.status}")
        zone = self.zone_of(task)
        if zone is not None and not self._ctx.present(assignee, zone):
            raise NotAllowed(f"{assignee} is not in {zone}; task {task_id} ({task.step}) is done only there")
        if assignee != task.assignee:
            self._tasks.reassign(inst, task, assignee, self.clock.now(), who=user, source="service")
            cp = self._ctx.compiled(inst)
            if cp is not None:
                self._flow.arm(cp, task)  # an ``on_timeout: requeue`` timeout counts from now
            await self._commit()
        return task

    async def set_presence(self, zone: str, persons: Iterable[str]) -> list[Task]:
        """The host reports who is in ``zone`` now (HA: the zone's ``persons``). Tasks of ``present_in: zone``
        steps held by anyone else go back to their queue; returns them."""
        now_in = frozenset(persons)
        before = self._ctx.presence.get(zone)
        self._ctx.presence[zone] = now_in
        if before is not None and before <= now_in:
            return []  # nobody left: no holder to look for (a scan of every open task otherwise)
        moved = self._tasks.absent_holders(zone)
        now = self.clock.now()
        for task in moved:
            inst = self.state.instances[task.instance_id]
            cp = self._ctx.compiled(inst)
            if cp is not None:
                self._tasks.requeue(inst, cp, task, now, f"left {zone}")
        if moved:
            await self._commit()
        return moved

    def present(self, person: str | None, zone: str) -> bool:
        """Is ``person`` in ``zone``, as last reported to :meth:`set_presence`?"""
        return self._ctx.present(person, zone)

    def zone_of(self, task: Task) -> str | None:
        """The ``present_in`` zone of ``task``'s step (None: anywhere)."""
        inst = self.state.instances.get(task.instance_id)
        cp = self._ctx.compiled(inst) if inst is not None else None
        return step_zone(cp, task) if cp is not None else None

    async def cancel(self, instance_id: str, *, user: str | None = None) -> Instance:
        inst = self.state.instances.get(instance_id)
        if inst is None:
            raise TaskNotFound(f"no instance {instance_id!r}")
        if not inst.is_running:
            raise NotAllowed(f"instance {instance_id} is already {inst.status}")
        self._flow.close(
            inst, self._ctx.compiled(inst), CANCELLED, self.clock.now(), who=user, source="service"
        )
        await self._commit()
        return inst

    async def resume(self, process_key: str, *, user: str | None = None) -> None:
        """Lift a start-limit suspension and forget the start window."""
        self._queries.process(process_key)
        meta = self.state.meta
        if meta.suspended.pop(process_key, None) is not None:
            meta.windows.pop(process_key, None)
            self.state.meta_dirty = True
            self._outbox.emit("blueprint_resumed", None, process=process_key, by=user)
            await self._commit()

    async def handle_event(
        self, event_type: str, data: Mapping[str, Any], *, strict: bool = False
    ) -> list[Instance]:
        """Event starts plus waits resumed by this event; returns those instances. ``strict``: data that
        do not fit a start's fields raise ``InvalidForm`` and nothing of the event is applied (starts.py)."""
        now = self.clock.now()
        started = await self._starts.event_starts(event_type, data, now, strict=strict)
        resumed = await self._waits.resume(event_type, data, now)
        await self._commit()
        return started + [i for i in resumed if i not in started]

    async def tick(self) -> datetime | None:
        """Fire everything due at ``clock.now()``; returns the next deadline to arm."""
        now = self.clock.now()
        timers = self.state.timers
        while (key := timers.pop_next_key(now)) is not None:
            try:
                if key.startswith(SCHEDULE_PREFIX):
                    await self._starts.fire_schedule(key, now)
                else:
                    await self._deadlines.fire(key, now)
            except Exception as err:  # noqa: BLE001 - isolation: see deadlines.py
                self._deadlines.failed(key, now, err, SCHEDULE_PREFIX)
        await self._commit()
        return self.next_deadline()

    def next_deadline(self) -> datetime | None:
        return self.state.timers.next_due()

    async def save_all(self) -> None:
        """Write every instance record and the meta record through the store (full snapshot)."""
        await self._outbox.save_all()

    # -- queries (see queries.py) ---------------------------------------------------------------------
    def blueprints(self) -> list[Blueprint]:
        return self._queries.blueprints()

    def process_keys(self) -> list[str]:
        return self._queries.process_keys()

    def event_types(self) -> set[str]:
        return self._queries.event_types()

    def blueprint(self, process_key: str) -> Blueprint | None:
        return self._queries.blueprint(process_key)

    def version_of(self, inst: Instance) -> Blueprint | None:
        """The blueprint version ``inst`` runs on: kept while it runs, after its file changed, broke or went
        away; else the current version of its process; None when neither is known any more."""
        cp = self._ctx.compiled(inst)
        return cp.blueprint if cp is not None else None

    def suspended(self) -> dict[str, datetime]:
        return self._queries.suspended()

    def instance(self, instance_id: str) -> Instance | None:
        return self._queries.instance(instance_id)

    def instances(
        self, *, process: str | None = None, status: str | None = None, key: str | None = None
    ) -> list[Instance]:
        return self._queries.instances(process=process, status=status, key=key)

    def task(self, task_id: str) -> Task | None:
        return self._queries.task(task_id)

    def open_tasks(
        self, assignee: str | None = None, group: str | None = None, process: str | None = None
    ) -> list[Task]:
        return self._queries.open_tasks(assignee, group, process)

    def stats(self, process_key: str, *, period: timedelta = timedelta(days=30)) -> dict[str, int]:
        return self._queries.stats(process_key, period=period)

    def upcoming(self, start: datetime, end: datetime, *, per_schedule: int | None = None) -> list[Upcoming]:
        return self._queries.upcoming(start, end, per_schedule=per_schedule)

    def task_entries(self, task_id: str) -> list[Upcoming]:
        return self._queries.task_entries(task_id)

    def next_starts(self, after: datetime) -> list[Upcoming]:
        return self._queries.next_starts(after)
