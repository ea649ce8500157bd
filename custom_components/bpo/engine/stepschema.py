"""Steps of a process: YAML mappings -> :class:`model.Step` (structure only).

Cross-step rules (references, reachability, loops) live in ``checks.py``; this
module checks each step on its own and records where it was written.
"""

from __future__ import annotations

import re

from .errors import KeyPath
from .model import (
    ActionSpec,
    CallSpec,
    ChooseOption,
    EndStatus,
    Escalation,
    ForEachSpec,
    JoinMode,
    NotifyText,
    RepeatSpec,
    SourcePos,
    Step,
    TaskSpec,
    Timeout,
    TimeoutAction,
    WaitSpec,
)
from .policy import notify_problem
from .reader import Reader, describe
from .templates import is_template

KINDS = ("task", "parallel", "choose", "wait", "action", "end", "repeat", "call")
BRANCH_KINDS = ("task", "wait", "action", "parallel", "repeat", "call")  # also what a repeat body may hold
SEQUENCE = "steps"  # a parallel branch that is a step sequence (steps/sequence.py); only there
STEP_KEYS = (
    "id",
    "when",
    "next",
    "timeout",
    "on_timeout",
    "join",
    "default",
    *KINDS,
    "for_each",
    "concurrency",
    SEQUENCE,
)
TASK_KEYS = (
    "title",
    "description",
    "assignee",
    "group",
    "candidates",
    "form",
    "outcomes",
    "optional",
    "due",
    "remind",
    "escalate",
    "business_time",
    "pii",
    "notify",
    "visit",
    "visit_duration",
    "visit_location",
    "present_in",
)
NOTIFY_KEYS = ("title", "message")
ESCALATION_KEYS = ("after", "notify", "reassign")
WAIT_KEYS = ("event", "match", "until", "delay", "correlate", "key")
REPEAT_KEYS = ("max", "until", "steps")
REPEAT_MAX = 100  # rounds a repeat may run at most (documented in docs/blueprint-language.md)
ACTION_KEYS = ("service", "connector", "call", "data", "result")
TIMEOUT_ACTIONS: tuple[TimeoutAction, ...] = ("complete", "fail", "escalate", "requeue")
END_STATUSES: tuple[EndStatus, ...] = ("completed", "failed", "cancelled")
_SERVICE = re.compile(r"[a-z0-9_]+\.[a-z0-9_]+")
_ZONE = re.compile(r"zone\.[a-z0-9_]+")

Located = list[tuple[KeyPath, Step]]


def parse_steps(
    value: object,
    path: KeyPath,
    r: Reader,
    located: Located,
    *,
    branch: bool = False,
    holder: str = "parallel",
) -> tuple[Step, ...]:
    """``branch``: the steps are held by a ``holder`` step (parallel, repeat) and follow its rules."""
    if not isinstance(value, list):
        r.error(path, f"expected a list of steps, got {describe(value)}")
        return ()
    steps = [
        parse_step(item, (*path, index), r, located, branch=branch, holder=holder)
        for index, item in enumerate(value)
    ]
    return tuple(step for step in steps if step is not None)


def parse_step(
    raw: object, path: KeyPath, r: Reader, located: Located, *, branch: bool, holder: str = "parallel"
) -> Step | None:
    m = r.mapping(raw, path, STEP_KEYS, required=("id",))
    if m is None:
        return None
    raw_id = m.get("id")
    step_id = r.ident(raw_id, (*path, "id"), "a step id") if "id" in m else None
    if step_id is None:  # keep going with a stand-in so later checks still see this step
        step_id = raw_id if isinstance(raw_id, str) else f"<step {path[-1]}>"
    kinds = [kind for kind in (*KINDS, SEQUENCE) if kind in m]
    sequence_ok = branch and holder == "parallel"
    allowed = BRANCH_KINDS if branch else KINDS
    if len(kinds) != 1:
        found = f"it has {', '.join(kinds)}" if kinds else "it has none"
        r.error(path, f"a step needs exactly one of {', '.join(allowed)}; {found}")
    kind = kinds[0] if kinds else None
    if kind == SEQUENCE:
        if not sequence_ok:
            r.error(
                (*path, kind),
                "steps (a sequence) only makes a parallel branch; elsewhere steps follow each other",
            )
    elif kind is not None and kind not in allowed:
        r.error(
            (*path, kind),
            f"'{kind}' is not allowed inside {holder}; "
            + (
                f"a branch is one {', '.join(BRANCH_KINDS)} step"
                if holder == "parallel"
                else f"its steps are {', '.join(BRANCH_KINDS)} steps"
            ),
        )
    fields: dict[str, object] = {"id": step_id, "pos": SourcePos(r.out.file, r.out.line(path) or 0)}
    if "when" in m:
        fields["when"] = _when(m["when"], (*path, "when"), r)
    if "next" in m:
        if branch:
            ends = "branches end at the join" if holder == "parallel" else "the body runs in order"
            r.error((*path, "next"), f"a step inside {holder} cannot have next; {ends}")
        elif kind == "end":
            r.error((*path, "next"), "an end step cannot have next")
        fields["next"] = r.text(m["next"], (*path, "next"))
    _timeout(m, path, r, kind, branch, fields, holder)
    if "join" in m and kind != "parallel" and "for_each" not in m:
        r.error((*path, "join"), "join only belongs on a parallel step or with for_each")
    if "default" in m and kind != "choose":
        r.error((*path, "default"), "default only belongs on a choose step")
    if kind == "task":
        fields["task"] = parse_task(m["task"], (*path, "task"), r, step_id)
    elif kind == "wait":
        fields["wait"] = parse_wait(m["wait"], (*path, "wait"), r)
    elif kind == "action":
        fields["action"] = parse_action(m["action"], (*path, "action"), r)
    elif kind == "end":
        fields["end"] = r.choice(m["end"], (*path, "end"), END_STATUSES)
    elif kind == "parallel":
        branches = parse_steps(m["parallel"], (*path, "parallel"), r, located, branch=True)
        if not branches and isinstance(m["parallel"], list):
            r.error((*path, "parallel"), "parallel needs at least one branch")
        fields["parallel"] = branches
        _join(m, path, r, fields)
    elif kind == "repeat":
        fields["repeat"] = parse_repeat(m["repeat"], (*path, "repeat"), r, located)
    elif kind == SEQUENCE:  # a parallel branch that is a step sequence (steps/sequence.py)
        inner = parse_steps(m["steps"], (*path, "steps"), r, located, branch=True, holder="a branch's steps")
        if not inner and isinstance(m["steps"], list):
            r.error((*path, "steps"), "a branch's steps need at least one step")
        fields["sequence"] = inner
    elif kind == "call":
        fields["call"] = parse_call(m["call"], (*path, "call"), r)
    elif kind == "choose":
        fields["choose"] = _choose(m["choose"], (*path, "choose"), r)
        if "default" in m:
            fields["default"] = r.text(m["default"], (*path, "default"))
    if "for_each" in m or "concurrency" in m:
        fields["for_each"] = parse_for_each(m, path, r, kind)
    step = Step(**fields)  # type: ignore[arg-type]  # keys above are Step's own field names
    located.append((path, step))
    return step


# -- for_each (steps/for_each.py) ------------------------------------------------------------------
FOR_EACH_MAX = 1000  # items a for_each may have at most (documented in docs/blueprint-language.md)


def parse_for_each(m: dict[str, object], path: KeyPath, r: Reader, kind: str | None) -> ForEachSpec | None:
    """``for_each: <template list>`` with ``join`` and ``concurrency`` on a task, action or call step."""
    if "for_each" not in m:
        r.error((*path, "concurrency"), "concurrency only belongs with for_each")
        return None
    if kind not in ("task", "action", "call"):
        where = kind or "this step"
        r.error((*path, "for_each"), f"for_each belongs on a task, action or call step, not {where}")
    if "timeout" in m:
        bound = (
            "give the called process its own timeouts"
            if kind == "call"
            else "bound each task with due or escalate"
        )
        r.error((*path, "timeout"), f"a for_each step has no timeout; {bound}")
    items = r.text(m["for_each"], (*path, "for_each"), template=True)
    joined: dict[str, object] = {}
    if "join" in m:
        _join(m, path, r, joined)
    concurrency = r.integer(m["concurrency"], (*path, "concurrency"), 1) if "concurrency" in m else None
    if items is None:
        return None
    return ForEachSpec(
        items=items,
        join=joined.get("join", "all"),  # type: ignore[arg-type]  # _join stores a JoinMode
        join_n=int(joined.get("join_n", 0)),  # type: ignore[call-overload]
        concurrency=concurrency,
    )


# -- end for_each -----------------------------------------------------------------------------------


def _timeout(
    m: dict[str, object],
    path: KeyPath,
    r: Reader,
    kind: str | None,
    branch: bool,
    fields: dict[str, object],
    holder: str,
) -> None:
    if "on_timeout" in m and "timeout" not in m:
        r.error((*path, "on_timeout"), "on_timeout needs a timeout on the same step")
    if "timeout" not in m:
        return
    if kind in ("end", "choose"):
        r.error(
            (*path, "timeout"),
            f"a {kind} step finishes at once; timeout belongs on task, wait, action or parallel steps",
        )
    after = r.duration(m["timeout"], (*path, "timeout"))
    action: TimeoutAction = "fail"
    goto: str | None = None
    raw = m.get("on_timeout", "fail")
    on_path = (*path, "on_timeout")
    if isinstance(raw, dict):
        target = r.mapping(raw, on_path, ("goto",), required=("goto",))
        if target is not None and "goto" in target:
            action, goto = "goto", r.text(target["goto"], (*on_path, "goto"))
            if branch:
                r.error(on_path, f"inside {holder}, on_timeout can be complete, fail or escalate (not goto)")
    elif raw in TIMEOUT_ACTIONS:
        action = TIMEOUT_ACTIONS[TIMEOUT_ACTIONS.index(raw)]
        if action == "requeue":
            _requeue_problem(m, on_path, r, kind)
    else:
        r.error(
            on_path, f"expected complete, fail, escalate, requeue or {{goto: <step id>}}, got {describe(raw)}"
        )
    if after is not None:
        fields["timeout"] = Timeout(after=after, action=action, goto=goto)


def _requeue_problem(m: dict[str, object], path: KeyPath, r: Reader, kind: str | None) -> None:
    """``on_timeout: requeue`` hands a task back to its queue: a task step that has one."""
    task = m.get("task")
    if kind != "task" or "for_each" in m:
        r.error(path, "requeue hands a task back to its queue: it belongs on a task step (without for_each)")
    elif isinstance(task, dict) and not ("group" in task or "candidates" in task):
        r.error(path, "requeue needs a group or candidates on the task: the queue it goes back to")


def parse_repeat(value: object, path: KeyPath, r: Reader, located: Located) -> RepeatSpec | None:
    """``repeat: {max: N, until: <template>, steps: [...]}``: a bounded loop over a step sequence."""
    m = r.mapping(value, path, REPEAT_KEYS, required=("max", "steps"))
    if m is None:
        return None
    rounds = r.integer(m["max"], (*path, "max"), 1) if "max" in m else None
    if rounds is not None and rounds > REPEAT_MAX:
        r.error((*path, "max"), f"max is at most {REPEAT_MAX} rounds, got {rounds}")
    until = _when(m["until"], (*path, "until"), r) if "until" in m else None
    steps: tuple[Step, ...] = ()
    if "steps" in m:
        steps = parse_steps(m["steps"], (*path, "steps"), r, located, branch=True, holder="repeat")
        if not steps and isinstance(m["steps"], list):
            r.error((*path, "steps"), "repeat needs at least one step")
    if rounds is None or rounds > REPEAT_MAX or not steps:
        return None
    return RepeatSpec(max=rounds, steps=steps, until=until)


# -- call (steps/call.py) -------------------------------------------------------------------------
CALL_KEYS = ("process", "fields")


def parse_call(value: object, path: KeyPath, r: Reader) -> CallSpec | None:
    """``call: {process: <key>, fields: {name: <template>}}``: another process run as a sub-process.

    Whether ``process`` exists is checked where every blueprint is known (calls.py).
    """
    m = r.mapping(value, path, CALL_KEYS, required=("process",))
    if m is None:
        return None
    process = r.ident(m["process"], (*path, "process"), "a process key") if "process" in m else None
    fields: dict[str, object] = {}
    if "fields" in m:
        fields = r.mapping(m["fields"], (*path, "fields")) or {}
        r.templates_in(fields, (*path, "fields"))
    return CallSpec(process=process, fields=fields) if process is not None else None


# -- end call ---------------------------------------------------------------------------------------


def _join(m: dict[str, object], path: KeyPath, r: Reader, fields: dict[str, object]) -> None:
    """``join: all | any | N`` of a parallel step (branches) or a for_each step (items)."""
    raw = m.get("join", "all")
    join: JoinMode = "all"
    if raw in ("all", "any"):
        join = "all" if raw == "all" else "any"
    elif isinstance(raw, int) and not isinstance(raw, bool):
        if raw < 1:
            r.error((*path, "join"), f"join must be all, any or a number of branches (1 or more), got {raw}")
        join = "n_of_m"
        fields["join_n"] = raw
    else:
        r.error((*path, "join"), f"join must be all, any or a number of branches, got {describe(raw)}")
    fields["join"] = join


def _choose(value: object, path: KeyPath, r: Reader) -> tuple[ChooseOption, ...]:
    if not isinstance(value, list) or not value:
        r.error(path, f"choose needs a list of options ({{when: ..., goto: ...}}), got {describe(value)}")
        return ()
    options: list[ChooseOption] = []
    for index, item in enumerate(value):
        item_path = (*path, index)
        m = r.mapping(item, item_path, ("when", "goto"), required=("when", "goto"))
        if m is None:
            continue
        when = _when(m["when"], (*item_path, "when"), r) if "when" in m else None
        goto = r.text(m["goto"], (*item_path, "goto")) if "goto" in m else None
        if when is not None and goto is not None:
            options.append(ChooseOption(when=when, goto=goto))
    return tuple(options)


def _when(value: object, path: KeyPath, r: Reader) -> str | None:
    """A condition template; a literal true/false is accepted as the template of that value."""
    if isinstance(value, bool):
        return "{{ true }}" if value else "{{ false }}"
    return r.text(value, path, template=True)


def humanise(step_id: str) -> str:
    return step_id.replace("_", " ").strip().capitalize()


def parse_task(value: object, path: KeyPath, r: Reader, step_id: str) -> TaskSpec | None:
    m = r.mapping(value, path, TASK_KEYS)
    if m is None:
        return None
    if not any(key in m for key in ("assignee", "group", "candidates")):
        r.error(path, "a task needs an assignee, a group or candidates")
    out: dict[str, object] = {"title": humanise(step_id)}
    for key in ("title", "description", "assignee", "group"):
        if key in m:
            out[key] = r.text(m[key], (*path, key), template=True)
    if "candidates" in m:
        out["candidates"] = r.text_list(m["candidates"], (*path, "candidates"), template=True)
    if "form" in m:
        out["form"] = r.text_list(m["form"], (*path, "form"))
    if "outcomes" in m:
        outcomes = r.text_list(m["outcomes"], (*path, "outcomes"))
        if not outcomes and isinstance(m["outcomes"], list):
            r.error((*path, "outcomes"), "outcomes needs at least one name, like [ok, follow_up]")
        if len(set(outcomes)) != len(outcomes):
            r.error((*path, "outcomes"), "outcome names must be different from each other")
        out["outcomes"] = outcomes or ("done",)
    for key in ("optional", "business_time", "pii"):
        if key in m:
            out[key] = r.boolean(m[key], (*path, key))
    if "due" in m:
        out["due"], out["due_template"] = r.duration_or_template(m["due"], (*path, "due"))
    if "remind" in m:
        out["remind"], out["remind_templates"] = r.durations_or_templates(m["remind"], (*path, "remind"))
    if "escalate" in m:
        out["escalate"] = _escalations(m["escalate"], (*path, "escalate"), r)
    if "notify" in m:
        out["notify"] = _notify_text(m["notify"], (*path, "notify"), r)
    _visit(m, path, r, out)
    if "present_in" in m:
        out["present_in"] = _zone(m, (*path, "present_in"), r)
    return TaskSpec(**out)  # type: ignore[arg-type]  # keys above are TaskSpec's own field names


def _zone(m: dict[str, object], path: KeyPath, r: Reader) -> str | None:
    """``present_in: zone.<id>``: only people in that zone may take, keep or complete the task."""
    zone = r.text(m["present_in"], path)
    if zone is not None and not _ZONE.fullmatch(zone):
        r.error(path, f"present_in is a zone entity id, like zone.center; got {describe(zone)}")
        return None
    if not any(key in m for key in ("group", "candidates")):
        r.error(path, "present_in needs a group or candidates on the task: the queue it goes back to")
    return zone


def _visit(m: dict[str, object], path: KeyPath, r: Reader, out: dict[str, object]) -> None:
    """``visit`` (template -> ISO date-time), ``visit_duration`` (default 1h), ``visit_location``."""
    for key in ("visit", "visit_location"):
        if key in m:
            out[key] = r.text(m[key], (*path, key), template=True)
    for key in ("visit_duration", "visit_location"):
        if key in m and "visit" not in m:
            r.error(
                (*path, key),
                f'{key} needs visit: the appointment time, like visit: "{{{{ fields.appointment }}}}"',
            )
    if "visit_duration" in m:
        duration = r.duration(m["visit_duration"], (*path, "visit_duration"))
        if duration is not None and duration <= 0:
            r.error((*path, "visit_duration"), "visit_duration must be longer than zero, like 90m or 2h")
        elif duration is not None:
            out["visit_duration"] = duration


def _notify_text(value: object, path: KeyPath, r: Reader) -> NotifyText | None:
    """``notify: {title: <template>, message: <template>}`` — the task's phone notification wording."""
    m = r.mapping(value, path, NOTIFY_KEYS)
    if m is None:
        return None
    if not m:
        r.error(path, "notify needs title, message or both")
    title = r.text(m["title"], (*path, "title"), template=True) if "title" in m else None
    message = r.text(m["message"], (*path, "message"), template=True) if "message" in m else None
    return NotifyText(title=title, message=message)


def _escalations(value: object, path: KeyPath, r: Reader) -> tuple[Escalation, ...]:
    items = value if isinstance(value, list) else [value]
    result: list[Escalation] = []
    for index, item in enumerate(items):
        item_path = (*path, index) if isinstance(value, list) else path
        m = r.mapping(item, item_path, ESCALATION_KEYS, required=("after",))
        if m is None:
            continue
        if "notify" not in m and "reassign" not in m:
            r.error(item_path, "an escalation needs notify, reassign or both")
        after, template = (
            r.duration_or_template(m["after"], (*item_path, "after")) if "after" in m else (None, None)
        )
        notify = r.text_list(m["notify"], (*item_path, "notify"), template=True) if "notify" in m else ()
        _check_notify(m.get("notify"), notify, (*item_path, "notify"), r)
        reassign = r.text(m["reassign"], (*item_path, "reassign"), template=True) if "reassign" in m else None
        if after is not None or template is not None:
            result.append(Escalation(after or 0.0, notify, reassign, template))
    # fixed levels fire in order of their time; with templates, the order the times render to (task_deadlines)
    return (
        tuple(sorted(result, key=lambda e: e.after))
        if all(e.after_template is None for e in result)
        else tuple(result)
    )


def _check_notify(raw: object, entries: tuple[str, ...], path: KeyPath, r: Reader) -> None:
    if len(entries) != (len(raw) if isinstance(raw, list) else 1):
        return  # an entry that is not text is reported already, and indexes would no longer line up
    for index, entry in enumerate(entries):
        problem = None if is_template(entry) else notify_problem(entry)
        if problem:
            r.error((*path, index) if isinstance(raw, list) else path, problem)


def parse_wait(value: object, path: KeyPath, r: Reader) -> WaitSpec | None:
    m = r.mapping(value, path, WAIT_KEYS)
    if m is None:
        return None
    kinds = [key for key in ("event", "until", "delay") if key in m]
    if len(kinds) != 1:
        r.error(path, "wait needs exactly one of event, until or delay")
    if "match" in m and "event" not in m:
        r.error((*path, "match"), "match only belongs with event")
    match: dict[str, object] = {}
    if "match" in m:
        match = r.mapping(m["match"], (*path, "match")) or {}
        r.templates_in(match, (*path, "match"))
    delay, delay_template = (
        r.duration_or_template(m["delay"], (*path, "delay")) if "delay" in m else (None, None)
    )
    # -- correlation (steps/wait.py) ---------------------------------------------------------------
    for name in ("correlate", "key"):
        if name in m and "event" not in m:
            r.error((*path, name), f"{name} only belongs with event")
    if "key" in m and "correlate" not in m:
        r.error((*path, "key"), "key needs correlate (the event's side of the match)")
    # -- end correlation ----------------------------------------------------------------------------
    return WaitSpec(
        event=r.text(m["event"], (*path, "event")) if "event" in m else None,
        match=match,
        until=r.text(m["until"], (*path, "until"), template=True) if "until" in m else None,
        delay=delay,
        delay_template=delay_template,
        correlate=r.text(m["correlate"], (*path, "correlate"), template=True) if "correlate" in m else None,
        key=r.text(m["key"], (*path, "key"), template=True) if "key" in m else None,
    )


def parse_action(value: object, path: KeyPath, r: Reader) -> ActionSpec | None:
    m = r.mapping(value, path, ACTION_KEYS)
    if m is None:
        return None
    if ("service" in m) == ("connector" in m):
        r.error(path, "an action needs exactly one of service (like notify.notify) or connector")
    service = r.text(m["service"], (*path, "service")) if "service" in m else None
    if service is not None and not _SERVICE.fullmatch(service):
        r.error((*path, "service"), f"a service looks like domain.name (notify.notify), got {service!r}")
    if "connector" in m and "call" not in m:
        r.error(path, "a connector action needs call (the operation, like lock)")
    if "call" in m and "connector" not in m:
        r.error((*path, "call"), "call only belongs with connector")
    data: dict[str, object] = {}
    if "data" in m:
        data = r.mapping(m["data"], (*path, "data")) or {}
        r.templates_in(data, (*path, "data"))
    return ActionSpec(
        service=service,
        connector=r.text(m["connector"], (*path, "connector")) if "connector" in m else None,
        call=r.text(m["call"], (*path, "call")) if "call" in m else None,
        data=data,
        result=r.text(m["result"], (*path, "result")) if "result" in m else None,
    )
