"""Validated blueprint model: immutable plain data the runtime executes.

The loader (``schema.py``) turns YAML into these objects; nothing here parses or
validates. Durations are seconds (float) so the runtime never re-parses text.
Templates stay as source strings; ``templates.py`` renders them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # wt-time: only for the annotation of Process.business_calendar
    from .business_time import WorkingCalendar

FieldType = Literal["text", "number", "bool", "choice", "date", "file", "entity"]
JoinMode = Literal["all", "any", "n_of_m"]
TimeoutAction = Literal["complete", "fail", "escalate", "goto", "requeue"]
EndStatus = Literal["completed", "failed", "cancelled"]
CatchUp = Literal["fire", "skip"]


@dataclass(frozen=True, slots=True)
class SourcePos:
    """Where a construct was written, for errors raised after loading."""

    file: str
    line: int


@dataclass(frozen=True, slots=True)
class InputDef:
    name: str
    description: str = ""
    default: object = None
    has_default: bool = False
    selector: dict[str, object] | None = None


@dataclass(frozen=True, slots=True)
class FieldDef:
    name: str
    type: FieldType = "text"
    label: str = ""
    required: bool = False
    pii: bool = False
    options: tuple[str, ...] = ()  # for type == "choice"
    default: object = None


@dataclass(frozen=True, slots=True)
class ScheduleStart:
    """Cron start in the engine's local time zone; one instance per ``for_each`` item."""

    cron: str
    for_each: object = None  # list literal, or a template string rendering a list
    key: str | None = None  # template for the instance key; default: the item
    fields: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EventStart:
    """Start when an event of this type arrives (HA bus or connector)."""

    event: str
    match: dict[str, object] = field(default_factory=dict)  # data key -> literal or template
    key: str | None = None  # template over ``event``; default: event id
    fields: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ManualStart:
    """Start from a service call / CLI; ``fields`` are defaults."""

    fields: dict[str, object] = field(default_factory=dict)


Start = ScheduleStart | EventStart | ManualStart


@dataclass(frozen=True, slots=True)
class Limits:
    """Runaway guard: more than ``max_starts`` within ``window`` seconds suspends the blueprint."""

    max_starts: int | None = None
    window: float = 3600.0


@dataclass(frozen=True, slots=True)
class Escalation:
    """After ``after`` seconds from task creation: notify and/or reassign."""

    after: float
    notify: tuple[str, ...] = ()  # assignee expressions (templates allowed)
    reassign: str | None = None
    after_template: str | None = None  # ``after`` written as a template, rendered when the task opens


@dataclass(frozen=True, slots=True)
class TaskSpec:
    title: str = ""  # template; default: step id humanised
    description: str = ""
    assignee: str | None = None  # template -> person/user id
    group: str | None = None  # queue name
    candidates: tuple[str, ...] = ()  # templates
    form: tuple[str, ...] = ()  # field names the task collects
    outcomes: tuple[str, ...] = ("done",)
    optional: bool = False  # may complete with no form data / closes on timeout quietly
    due: float | None = None
    remind: tuple[float, ...] = ()  # offsets from creation
    remind_templates: tuple[str, ...] = ()  # offsets written as templates, rendered when the task opens
    escalate: tuple[Escalation, ...] = ()
    business_time: bool = False  # due/remind/escalate/timeout count working time
    pii: bool = False  # the task itself handles PII: only cleared agents may take it
    visit: str | None = None  # template rendering the on-site appointment (ISO date-time)
    due_template: str | None = None  # wt-time: due written as a template, rendered when the task opens
    visit_duration: float = 3600.0  # how long the visit occupies the calendar
    visit_location: str | None = None  # template: where the visit takes place
    notify: NotifyText | None = None  # blueprint wording for the phone notification
    present_in: str | None = None  # a zone entity id: only people in it may take, keep or complete the task


@dataclass(frozen=True, slots=True)
class NotifyText:
    """Templates replacing the default notification title/message (rendered per recipient, PII masked)."""

    title: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class WaitSpec:
    event: str | None = None
    match: dict[str, object] = field(default_factory=dict)
    until: str | None = None  # template rendering an ISO datetime
    delay: float | None = None
    delay_template: str | None = None  # wt-time: delay written as a template, rendered on entering
    # correlation (steps/wait.py): the event reaches only the instances whose key equals it
    correlate: str | None = None  # template over ``event`` only: the event's correlation key
    key: str | None = None  # template over the instance, rendered on entry; None: the instance key


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """Outbound call through the action port: ``service`` (HA) or ``connector``."""

    service: str | None = None
    connector: str | None = None
    call: str | None = None  # connector operation name
    data: dict[str, object] = field(default_factory=dict)  # values may be templates
    result: str | None = None  # store the result under this field name


@dataclass(frozen=True, slots=True)
class ChooseOption:
    when: str  # template evaluated to bool
    goto: str


@dataclass(frozen=True, slots=True)
class RepeatSpec:
    """A bounded loop: run ``steps`` in order, again, until ``until`` is true or ``max`` rounds ran."""

    max: int
    steps: tuple[Step, ...] = ()
    until: str | None = None  # template evaluated after each round; None: always ``max`` rounds


# -- call (steps/call.py) -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CallSpec:
    """Run another process as a sub-process: ``process`` is its key, ``fields`` its (templated) inputs."""

    process: str
    fields: dict[str, object] = field(default_factory=dict)


# -- end call ---------------------------------------------------------------------------------------


# -- for_each (steps/for_each.py) ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ForEachSpec:
    """One task, action or call per item of ``items``: a template rendering a list, ``item`` in templates."""

    items: str
    join: JoinMode = "all"
    join_n: int = 0  # for n_of_m
    concurrency: int | None = None  # at most this many items open at once; None: all


# -- end for_each -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timeout:
    after: float
    action: TimeoutAction = "fail"
    goto: str | None = None  # when action == "goto"


@dataclass(frozen=True, slots=True)
class Step:
    """One node. Exactly one of task/parallel/choose/wait/action/end/repeat/call is set."""

    id: str
    pos: SourcePos | None = None
    when: str | None = None  # template: skip the step when false
    next: str | None = None  # explicit successor; default: next step in list
    timeout: Timeout | None = None
    task: TaskSpec | None = None
    parallel: tuple[Step, ...] = ()
    join: JoinMode = "all"
    join_n: int = 0  # for n_of_m
    choose: tuple[ChooseOption, ...] = ()
    default: str | None = None  # choose fallback; None = continue to next
    wait: WaitSpec | None = None
    action: ActionSpec | None = None
    end: EndStatus | None = None
    repeat: RepeatSpec | None = None
    call: CallSpec | None = None  # steps/call.py
    for_each: ForEachSpec | None = None  # on a task, action or call step: steps/for_each.py
    sequence: tuple[Step, ...] = ()  # ``steps:`` of a parallel branch run in order: steps/sequence.py

    @property
    def kind(self) -> str:
        """The key of this step's behaviour in the step-kind table (engine/steps/)."""
        if self.for_each is not None:  # wraps the task or action kind, one per item
            return "for_each"
        for name in ("task", "wait", "action", "end", "repeat", "call"):
            if getattr(self, name) is not None:
                return name
        if self.parallel:
            return "parallel"
        if self.sequence:
            return "steps"
        if self.choose:
            return "choose"
        return "noop"

    def inner(self) -> tuple[Step, ...]:
        """The steps this one holds: parallel branches, a repeat body or a branch's sequence."""
        if self.repeat is not None:
            return self.repeat.steps
        return self.sequence or self.parallel


@dataclass(frozen=True, slots=True)
class Process:
    key: str
    version: str = "1"  # content hash by default, set by the loader
    starts: tuple[Start, ...] = ()
    limits: Limits = field(default_factory=Limits)
    catch_up: CatchUp = "fire"
    calendar: str | None = None  # business calendar name for business_time
    # -- business calendars (wt-time): a calendar written in the blueprint itself (calendar: {hours: ...})
    business_calendar: WorkingCalendar | None = None
    fields: dict[str, FieldDef] = field(default_factory=dict)
    steps: tuple[Step, ...] = ()
    viewers: tuple[str, ...] = ()  # "group:x", "user:x", person ids, "supervisor", "assignee"
    pii_cleared: tuple[str, ...] = ()  # who may see pii fields unmasked (same forms)

    def step(self, step_id: str) -> Step:
        """Find a step anywhere, including parallel branches and repeat bodies."""
        found = _find(self.steps, step_id)
        if found is None:
            raise KeyError(step_id)
        return found


def zones_of(steps: tuple[Step, ...]) -> set[str]:
    """Every zone a task among ``steps`` (nested ones too) names in ``present_in``."""
    found: set[str] = set()
    for step in steps:
        if step.task is not None and step.task.present_in is not None:
            found.add(step.task.present_in)
        found |= zones_of(step.inner())
    return found


def _find(steps: tuple[Step, ...], step_id: str) -> Step | None:
    for step in steps:
        if step.id == step_id:
            return step
        inner = _find(step.inner(), step_id)
        if inner is not None:
            return inner
    return None


@dataclass(frozen=True, slots=True)
class Blueprint:
    name: str
    path: str
    process: Process
    description: str = ""
    inputs: dict[str, InputDef] = field(default_factory=dict)
    # the text and caller inputs it was parsed from, so a restart can rebuild this exact version
    source: str = ""
    given_inputs: dict[str, Any] = field(default_factory=dict)
    # "file:line: path: warning: ..." lines: probably wrong, but the file is valid
    warnings: tuple[str, ...] = ()
    # (key path, line, source) of the templates that may read a call step's outcome: checked once the
    # called processes are known (calls.py), since one file cannot know where they end
    call_templates: tuple[tuple[tuple[str | int, ...], int | None, str], ...] = ()

    def input_values(self) -> MappingProxyType[str, Any]:
        """``inputs`` in templates, read-only; what the admin supplied wins over defaults."""
        return MappingProxyType({**{name: d.default for name, d in self.inputs.items()}, **self.given_inputs})
