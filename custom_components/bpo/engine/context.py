"""The narrow context every collaborator shares: ports, the state, templates, versions and time helpers.

Step kinds, deadlines, starts and queries get this object instead of inheriting from each other. The
HA layer may swap ``actions`` and ``directory`` at run time (on reload); they are read here on each use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .business_time import WorkingCalendar
from .compiled import Compiled, compile_blueprint
from .datehelpers import date_helpers
from .durations import DurationError, rendered_duration
from .enginestate import EngineState
from .itemscope import item_for
from .ports import ActionPort, BusinessCalendar, Clock, ClosedDays, Directory
from .reports import report_helpers
from .state import OPEN, Instance
from .templates import StepsView, TemplateFailed, Templates


class Context:
    """Shared ports and helpers; see the module docstring."""

    def __init__(
        self,
        *,
        clock: Clock,
        tz: ZoneInfo,
        state: EngineState,
        actions: ActionPort | None,
        directory: Directory | None,
        calendars: Mapping[str, BusinessCalendar] | None,
    ) -> None:
        self.clock = clock
        self.tz = tz
        self.state = state
        self.actions = actions
        self.directory = directory
        self.calendars: Mapping[str, BusinessCalendar] = calendars or {}
        # closed days from the host (Workday sensors) for calendars with closed_from; see calendar_of
        self.closed_days: ClosedDays | None = None
        self._hosted: dict[WorkingCalendar, WorkingCalendar] = {}
        self.templates = Templates(
            {
                "supervisor_of": self._supervisor_of,
                "members": self._members,
                **date_helpers(tz, self._working_calendar),
                **report_helpers(state, self.compiled, tz),
            }
        )
        self._afters: dict[tuple[datetime, float], datetime] = {}  # shared deadlines (see after)
        # zone entity id -> the people in it, as the host last reported (Engine.set_presence); not stored:
        # the host reports every zone again after a restart, and a zone never reported holds nobody
        self.presence: dict[str, frozenset[str]] = {}

    def present(self, person: str | None, zone: str) -> bool:
        """Is ``person`` in ``zone`` (``present_in`` tasks)? Unknown people and zones: no (fail closed)."""
        return person is not None and person in self.presence.get(zone, frozenset())

    # -- directory helpers exposed to templates ------------------------------------------------
    def _supervisor_of(self, who: object) -> str | None:
        if self.directory is None or who is None:
            return None
        return self.directory.supervisor_of(str(who))

    def _members(self, group: object) -> list[str]:
        if self.directory is None or group is None:
            return []
        return self.directory.members(str(group))

    def _working_calendar(self, instance: object) -> WorkingCalendar | None:
        """The calendar of the process the template's ``instance`` runs (for the date helpers)."""
        inst_id = instance.get("id") if isinstance(instance, Mapping) else None
        inst = self.state.instances.get(inst_id) if isinstance(inst_id, str) else None
        cp = self.compiled(inst) if inst is not None else None
        cal = self.calendar_of(cp) if cp is not None else None
        return cal if isinstance(cal, WorkingCalendar) else None

    # -- blueprint versions ----------------------------------------------------------------------
    def compiled(self, inst: Instance) -> Compiled | None:
        """The blueprint version ``inst`` started with (rebuilt from meta if needed), else the current one."""
        state = self.state
        cp = state.versions.get((inst.process, inst.version))
        if cp is None:
            cp = self._rebuild_version(inst.process, inst.version)
        return cp if cp is not None else state.current.get(inst.process)

    def _rebuild_version(self, process: str, version: str) -> Compiled | None:
        """An instance started before a restart on a blueprint version no file holds any more."""
        src = self.state.meta.sources.get(f"{process}@{version}")
        if src is None:
            return None
        # imported here: the loader is only needed for this rare case, and stays out of the hot import
        from .errors import BlueprintError
        from .schema import parse_blueprint

        try:
            bp = parse_blueprint(str(src["text"]), str(src["path"]), src.get("inputs") or None)
        except BlueprintError:
            return None
        if bp.process.key != process or bp.process.version != version:
            return None
        cp = self.state.versions[(process, version)] = compile_blueprint(bp)
        return cp

    def record_sources(self) -> None:
        """Keep the source of every version that is current or still runs an instance; drop the rest."""
        state = self.state
        wanted: dict[str, dict[str, Any]] = {}
        for cp in state.current.values():
            if cp.blueprint.source:
                wanted[f"{cp.process.key}@{cp.process.version}"] = {
                    "path": cp.blueprint.path,
                    "text": cp.blueprint.source,
                    "inputs": dict(cp.blueprint.given_inputs),
                }
        for inst in state.instances.values():
            ref = f"{inst.process}@{inst.version}"
            if inst.is_running and ref not in wanted and ref in state.meta.sources:
                wanted[ref] = state.meta.sources[ref]
        if wanted != state.meta.sources:
            state.meta.sources = wanted
            state.meta_dirty = True

    # -- time ------------------------------------------------------------------------------------------
    def calendar_of(self, cp: Compiled) -> BusinessCalendar | None:
        """The process's business calendar: written in the blueprint, else named and supplied by the host."""
        process = cp.process
        cal = process.business_calendar
        if cal is not None:
            if cal.closed_from and self.closed_days is not None:
                hosted = self._hosted.get(cal)
                if hosted is None or hosted.host is not self.closed_days:
                    hosted = self._hosted[cal] = replace(cal, host=self.closed_days)
                return hosted
            return cal
        return self.calendars.get(process.calendar) if process.calendar is not None else None

    def after(self, cp: Compiled, base: datetime, seconds: float, business: bool) -> datetime:
        if business:
            cal = self.calendar_of(cp)
            if cal is not None:
                return cal.add(base, seconds)
        # A fan-out asks for the same due date thousands of times in a row: hand back one shared
        # (immutable) datetime instead of a copy per task.
        if base.tzinfo is not UTC:  # equal instants in other zones would alias; keep them apart
            return base + timedelta(seconds=seconds)
        memo = self._afters
        when = memo.get((base, seconds))
        if when is None:
            if len(memo) > 64:
                memo.clear()
            when = memo[(base, seconds)] = base + timedelta(seconds=seconds)
        return when

    def rendered_seconds(self, source: str, ctx: Mapping[str, Any]) -> float:
        """A duration template (a task's due, a wait's delay) rendered now; bad results fail the instance."""
        value = self.templates.render_native(source, ctx)
        try:
            return rendered_duration(value)
        except DurationError as err:
            raise TemplateFailed(f"duration template {source[:120]!r}: {err}") from None

    def as_datetime(self, value: object) -> datetime:
        """A rendered date-time (a datetime or ISO text; naive means local time) as aware UTC."""
        if isinstance(value, datetime):
            when = value
        else:
            try:
                when = datetime.fromisoformat(str(value).strip())
            except ValueError as err:
                raise TemplateFailed(f"wait until: {value!r} is not an ISO date/time") from err
        if when.tzinfo is None:
            when = when.replace(tzinfo=self.tz)
        return when.astimezone(UTC)

    # -- templates ---------------------------------------------------------------------------------------
    def matches(self, match: Mapping[str, object], data: Mapping[str, Any], ctx: Mapping[str, Any]) -> bool:
        """Every ``match`` key is in ``data`` with the (rendered) expected value (event starts, waits)."""
        for name, want in match.items():
            if name not in data:
                return False
            expected = self.templates.render_native(want, ctx)
            got = data[name]
            if got != expected and str(got) != str(expected):
                return False
        return True

    def template_ctx(self, inst: Instance, cp: Compiled, now: datetime, **extra: Any) -> dict[str, Any]:
        """The names a step's templates see (templatecheck.py lists the same names)."""
        local_now = now.astimezone(self.tz)
        ctx: dict[str, Any] = {
            "now": lambda: local_now,
            "item": item_for(inst),  # a for_each element while one opens (itemscope.py)
            "fields": inst.fields,
            "steps": StepsView(lambda: self._steps_data(inst)),
            "instance": {"id": inst.id, "key": inst.key, "started": inst.started.astimezone(self.tz)},
            "inputs": cp.inputs,
        }
        ctx.update(extra)
        return ctx

    def _steps_data(self, inst: Instance) -> dict[str, Mapping[str, Any]]:
        out: dict[str, Mapping[str, Any]] = {}
        for task in inst.tasks:
            if task.status != OPEN:
                out[task.step] = {
                    "outcome": task.outcome,
                    "form": task.form or {},
                    "by": task.by,
                    "status": task.status,
                    "completed_at": task.completed_at.astimezone(self.tz) if task.completed_at else None,
                }
        for step_id, result in (inst.results or {}).items():
            out[step_id] = result
        return out
