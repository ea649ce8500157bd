"""Websocket commands behind bpo's web panel and card (``bpo/...``, see WS_CONTRACT / docs).

The same owner and admin rules as the actions (``services.py``): callers are resolved by
``permissions.async_actor``; admins see and act on everything (completing on behalf of the assignee);
other users must be linked to a person, see the tasks ``engine.visibility`` lets them see, with PII values
masked unless cleared. Form values sent to ``bpo/task/complete`` travel over the websocket only: unlike an
action call they are never written to the recorder as a ``call_service`` event.

Refusals are answered with HA's websocket error codes (``not_found``, ``unauthorized``,
``invalid_format``, ``home_assistant_error``) and the translated message, without quoting the values
sent; expected refusals are not logged as errors.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from pathlib import Path
from typing import Any

import voluptuous as vol
from homeassistant.components import websocket_api
from homeassistant.components.websocket_api import ActiveConnection
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .const import DOMAIN, SIGNAL_CHANGED
from .engine.field_values import MAX_NAME
from .engine.graph import to_mermaid
from .engine.history import HistoryEntry
from .engine.model import ManualStart, Process
from .engine.runtime import Engine
from .engine.state import Instance, Task
from .engine_calls import form_sizes, loaded_manager, require_person, run, start_fields
from .manager import BpoManager
from .permissions import Actor, async_actor
from .task_rows import (
    Viewer,
    field_row,
    mask_text,
    masked_fields,
    process_of,
    task_row,
    task_spec,
    title_of,
)

type Message = dict[str, Any]
type Handler = Callable[[HomeAssistant, ActiveConnection, Message], Awaitable[None]]

# translation key of a refusal -> the websocket error code it is answered with
_CODES: dict[str, str] = {
    "not_found": websocket_api.ERR_NOT_FOUND,
    "unknown_process": websocket_api.ERR_NOT_FOUND,
    "invalid_outcome": websocket_api.ERR_INVALID_FORMAT,
    "invalid_form": websocket_api.ERR_INVALID_FORMAT,
    "not_allowed": websocket_api.ERR_UNAUTHORIZED,
    "no_person": websocket_api.ERR_UNAUTHORIZED,
    "not_your_task": websocket_api.ERR_UNAUTHORIZED,
    "not_your_instance": websocket_api.ERR_UNAUTHORIZED,
    "not_claimable": websocket_api.ERR_UNAUTHORIZED,
    "unknown_person": websocket_api.ERR_NOT_FOUND,
}


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_NAME


# What each value a command takes must be, checked by bpo itself: a schema error is answered (and logged by
# HA at error level) with voluptuous's humanize_error, which quotes the value - and a form sent as a string,
# say, may be personal data. So the schemas take any value, drop unknown keys, and refusals name the key.
_NAME_TEXT = f"text of at most {MAX_NAME} characters"
_SHAPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    **dict.fromkeys(
        ("task_id", "instance_id", "process", "key", "outcome", "assignee", "status"), (_is_name, _NAME_TEXT)
    ),
    "form": (lambda v: isinstance(v, dict), "a mapping of field names to values"),
    "fields": (lambda v: isinstance(v, dict), "a mapping of field names to values"),
    "include_closed": (lambda v: isinstance(v, bool), "true or false"),
}


def _command(command: str, *required: str, **optional: Any) -> vol.All:
    """A command's schema: ``required`` and ``optional`` (name=default) keys take any value here (see
    ``_SHAPES``); other keys are dropped unread."""
    spec: dict[Any, Any] = {vol.Required("type"): command}
    spec.update({vol.Required(name): object for name in required})
    spec.update({vol.Optional(name, default=default): object for name, default in optional.items()})
    return vol.All(vol.Schema(spec, extra=vol.REMOVE_EXTRA))


_NO_DEFAULT = vol.UNDEFINED


def _check_shapes(msg: Message) -> None:
    wrong = [
        f"{name}: expected {what}"
        for name, (ok, what) in _SHAPES.items()
        if name in msg and not ok(msg[name])
    ]
    if wrong:
        raise _refuse("invalid_form", detail="; ".join(wrong))


def _refusals(handler: Handler) -> Handler:
    """Answer refusals with their code and translated message instead of HA's logged generic error."""

    @wraps(handler)
    async def wrapper(hass: HomeAssistant, connection: ActiveConnection, msg: Message) -> None:
        try:
            _check_shapes(msg)
            await handler(hass, connection, msg)
        except Unauthorized:
            connection.send_error(msg["id"], websocket_api.ERR_UNAUTHORIZED, "Unauthorized")
        except HomeAssistantError as err:
            if err.translation_key is None:
                raise  # unexpected: HA logs it
            connection.send_error(
                msg["id"],
                _CODES.get(err.translation_key, websocket_api.ERR_HOME_ASSISTANT_ERROR),
                str(err),
                translation_key=err.translation_key,
                translation_domain=err.translation_domain,
                translation_placeholders=err.translation_placeholders,
            )

    return wrapper


def _refuse(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders or None
    )


async def _caller(
    hass: HomeAssistant, connection: ActiveConnection, msg: Message, *, admin: bool = False
) -> tuple[BpoManager, Actor, Viewer]:
    """The loaded manager and who calls; non-admins must be linked to a person (or are refused)."""
    manager = loaded_manager(hass)
    actor = await async_actor(hass, connection.context(msg))
    if admin and not actor.is_admin:
        raise Unauthorized(context=connection.context(msg), permission="admin")
    if not actor.is_admin and actor.person is None:
        raise _refuse("no_person")
    return manager, actor, Viewer.of(actor, manager.directory)


def _visible_task(engine: Engine, viewer: Viewer, task_id: str) -> tuple[Instance, Task]:
    """The task, if it exists and the viewer may see it (others' tasks are refused, not described)."""
    task = engine.task(task_id)
    inst = engine.instance(task.instance_id) if task is not None else None
    if task is None or inst is None:
        raise _refuse("not_found", detail=task_id)
    if not viewer.sees(task, inst, process_of(engine, inst)):
        raise _refuse("not_your_task", task_id=task_id)
    return inst, task


def _open(task: Task) -> None:
    if not task.is_open:
        raise _refuse("task_closed", task_id=task.id, status=task.status)


# -- tasks ----------------------------------------------------------------------------------------------
@websocket_api.websocket_command(_command("bpo/tasks/list", include_closed=False, process=_NO_DEFAULT))
@websocket_api.async_response
@_refusals
async def ws_tasks_list(hass: HomeAssistant, connection: ActiveConnection, msg: Message) -> None:
    manager, _actor, viewer = await _caller(hass, connection, msg)
    engine = manager.engine
    wanted = msg.get("process")
    if msg["include_closed"]:
        tasks = [task for inst in engine.instances(process=wanted) for task in inst.tasks]
    else:
        tasks = engine.open_tasks(process=wanted)  # the engine's index: no scan of finished instances
    rows: list[dict[str, Any]] = []
    for task in tasks:
        inst = engine.instance(task.instance_id)
        if inst is not None and viewer.sees(task, inst, process_of(engine, inst)):
            rows.append(task_row(engine, task, inst, viewer))
    connection.send_result(msg["id"], {"tasks": rows})


@websocket_api.websocket_command(_command("bpo/tasks/subscribe"))
@websocket_api.async_response
@_refusals
async def ws_tasks_subscribe(hass: HomeAssistant, connection: ActiveConnection, msg: Message) -> None:
    """Events ``{"tasks": [...], "processes": [...]}`` after every commit; the client re-fetches.

    Non-admins are told only the tasks they may see (and their processes); a commit that touched none
    still sends an empty event, because a task may just have left their view (reassigned, say).
    """
    _manager, actor, _viewer = await _caller(hass, connection, msg)
    msg_id: int = msg["id"]

    @callback
    def forward(tasks: set[str], processes: set[str]) -> None:
        if actor.is_admin:
            connection.send_message(
                websocket_api.event_message(msg_id, {"tasks": sorted(tasks), "processes": sorted(processes)})
            )
            return
        entries = hass.config_entries.async_loaded_entries(DOMAIN)
        if not entries:
            return
        manager: BpoManager = entries[0].runtime_data.manager
        engine, viewer = manager.engine, Viewer.of(actor, manager.directory)
        shown: list[str] = []
        seen_processes: set[str] = set()
        for task_id in tasks:
            task = engine.task(task_id)
            inst = engine.instance(task.instance_id) if task is not None else None
            if task is not None and inst is not None and viewer.sees(task, inst, process_of(engine, inst)):
                shown.append(task_id)
                seen_processes.add(task.process)
        connection.send_message(
            websocket_api.event_message(msg_id, {"tasks": sorted(shown), "processes": sorted(seen_processes)})
        )

    connection.subscriptions[msg_id] = async_dispatcher_connect(hass, SIGNAL_CHANGED, forward)
    connection.send_result(msg_id)


@websocket_api.websocket_command(_command("bpo/task/complete", "task_id", outcome=_NO_DEFAULT, form=dict))
@websocket_api.async_response
@_refusals
async def ws_task_complete(hass: HomeAssistant, connection: ActiveConnection, msg: Message) -> None:
    manager, actor, viewer = await _caller(hass, connection, msg)
    task_id: str = msg["task_id"]
    _inst, found = _visible_task(manager.engine, viewer, task_id)
    _open(found)
    form_sizes(msg["form"])  # names and sizes, as for the action; the engine checks the field types
    task = await run(
        hass,
        lambda e: e.complete_task(
            task_id,
            outcome=msg.get("outcome"),
            form=msg["form"],
            user=actor.audit_name,
            source="panel",
            on_behalf=actor.is_admin,
        ),
        sent=[msg.get("outcome"), *msg["form"].values()],
        grouped=True,  # answers arriving together share one durable write, as the action's do
    )
    connection.send_result(msg["id"], {"task_id": task.id, "status": task.status, "outcome": task.outcome})


@websocket_api.websocket_command(_command("bpo/task/claim", "task_id"))
@websocket_api.async_response
@_refusals
async def ws_task_claim(hass: HomeAssistant, connection: ActiveConnection, msg: Message) -> None:
    """An unassigned group/candidates task becomes the caller's own (through ``engine.reassign``)."""
    manager, actor, viewer = await _caller(hass, connection, msg)
    task_id: str = msg["task_id"]
    person = actor.person
    if person is None:  # an admin without a person has no "own" to claim for
        raise _refuse("no_person")

    async def claim(engine: Engine) -> Task:
        # checked under the engine lock: two members claiming at once, only the first gets it
        inst, task = _visible_task(engine, viewer, task_id)
        _open(task)
        if task.assignee is not None:
            raise _refuse("already_assigned", task_id=task_id)
        version = engine.version_of(inst)
        spec = task_spec(version, task.step)
        if not viewer.may_claim(task, spec, version.process if version is not None else None, inst):
            raise _refuse("not_claimable", task_id=task_id)
        return await engine.reassign(task_id, person, user=actor.audit_name)

    task = await run(hass, claim)
    connection.send_result(msg["id"], {"task_id": task.id, "assignee": task.assignee})


# -- instances -------------------------------------------------------------------------------------------
def _current_steps(inst: Instance) -> list[str]:
    steps = [t.step for t in inst.tasks if t.is_open] + [w.step for w in inst.waits or ()]
    return list(dict.fromkeys(steps))


def _history_row(entry: HistoryEntry, inst: Instance, process: Process | None, cleared: bool) -> Message:
    """One audit line; its details as short text, PII values masked for viewers not cleared."""
    details = dict(entry.details or {})
    task_id = details.pop("task", None)
    text = ", ".join(f"{k}: {v}" for k, v in details.items() if v is not None and v != [])
    return {
        "at": entry.at.isoformat(),
        "type": entry.what,
        "step": entry.step,
        "task_id": task_id,
        "by": entry.who,
        "source": entry.source,
        "detail": mask_text(text, inst.fields, process, cleared) if text else None,
    }


@websocket_api.websocket_command(_command("bpo/instances/list", process=_NO_DEFAULT, status=_NO_DEFAULT))
@websocket_api.async_response
@_refusals
async def ws_instances_list(hass: HomeAssistant, connection: ActiveConnection, msg: Message) -> None:
    manager, _actor, viewer = await _caller(hass, connection, msg)
    engine = manager.engine
    rows = [
        {
            "instance_id": inst.id,
            "process": inst.process,
            "process_title": title_of(engine, inst.process),
            "key": inst.key,
            "status": inst.status,
            "current_steps": _current_steps(inst),
            "started": inst.started.isoformat(),
            "updated": inst.history[-1].at.isoformat() if inst.history else None,
        }
        for inst in engine.instances(process=msg.get("process"), status=msg.get("status"))
        if viewer.sees_instance(engine, inst)
    ]
    connection.send_result(msg["id"], {"instances": rows})


@websocket_api.websocket_command(_command("bpo/instance/get", "instance_id"))
@websocket_api.async_response
@_refusals
async def ws_instance_get(hass: HomeAssistant, connection: ActiveConnection, msg: Message) -> None:
    manager, _actor, viewer = await _caller(hass, connection, msg)
    engine = manager.engine
    instance_id: str = msg["instance_id"]
    inst = engine.instance(instance_id)
    if inst is None:
        raise _refuse("not_found", detail=instance_id)
    if not viewer.sees_instance(engine, inst):
        raise _refuse("not_your_instance", instance_id=instance_id)
    bp = engine.version_of(inst)  # its pii marks hold after a reload changed or dropped its file
    process = bp.process if bp is not None else None
    cleared = viewer.cleared(process, inst)
    fields, masked = masked_fields(inst.fields, process, cleared)
    connection.send_result(
        msg["id"],
        {
            "instance_id": inst.id,
            "process": inst.process,
            "process_title": title_of(engine, inst.process),
            "key": inst.key,
            "status": inst.status,
            "started": inst.started.isoformat(),
            "ended": inst.ended.isoformat() if inst.ended else None,
            "error": mask_text(inst.error, inst.fields, process, cleared) if inst.error else None,
            "current_steps": _current_steps(inst),
            "fields": fields,
            "masked": masked,
            "tasks": [task_row(engine, t, inst, viewer) for t in inst.tasks if viewer.sees(t, inst, process)],
            "history": [_history_row(h, inst, process, cleared) for h in inst.history],
            "graph": to_mermaid(bp) if bp is not None else "",
        },
    )


# -- admin -----------------------------------------------------------------------------------------------
@websocket_api.websocket_command(_command("bpo/instance/cancel", "instance_id"))
@websocket_api.async_response
@_refusals
async def ws_instance_cancel(hass: HomeAssistant, connection: ActiveConnection, msg: Message) -> None:
    manager, actor, _viewer = await _caller(hass, connection, msg, admin=True)
    found = manager.engine.instance(msg["instance_id"])
    if found is not None and not found.is_running:  # said plainly, not as the engine's "not allowed"
        raise _refuse("instance_closed", instance_id=found.id, status=found.status)
    inst = await run(hass, lambda e: e.cancel(msg["instance_id"], user=actor.audit_name))
    connection.send_result(msg["id"], {"instance_id": inst.id, "status": inst.status})


@websocket_api.websocket_command(_command("bpo/task/reassign", "task_id", "assignee"))
@websocket_api.async_response
@_refusals
async def ws_task_reassign(hass: HomeAssistant, connection: ActiveConnection, msg: Message) -> None:
    manager, actor, _viewer = await _caller(hass, connection, msg, admin=True)
    if (found := manager.engine.task(msg["task_id"])) is not None:
        _open(found)
    assignee = require_person(hass, msg["assignee"])
    task = await run(hass, lambda e: e.reassign(msg["task_id"], assignee, user=actor.audit_name))
    connection.send_result(msg["id"], {"task_id": task.id, "assignee": task.assignee})


@websocket_api.websocket_command(_command("bpo/process/resume", "process"))
@websocket_api.async_response
@_refusals
async def ws_process_resume(hass: HomeAssistant, connection: ActiveConnection, msg: Message) -> None:
    _manager, actor, _viewer = await _caller(hass, connection, msg, admin=True)
    await run(hass, lambda e: e.resume(msg["process"], user=actor.audit_name))
    connection.send_result(msg["id"], {"process": msg["process"], "suspended": False})


@websocket_api.websocket_command(_command("bpo/blueprints/list"))
@websocket_api.async_response
@_refusals
async def ws_blueprints_list(hass: HomeAssistant, connection: ActiveConnection, msg: Message) -> None:
    manager, _actor, _viewer = await _caller(hass, connection, msg, admin=True)
    engine = manager.engine
    suspended = engine.suspended()
    config = Path(hass.config.config_dir)

    def shown(file: str) -> str:
        """Paths under the config folder as the admin knows them (``blueprints/bpo/x.yaml``)."""
        path = Path(file)
        return path.relative_to(config).as_posix() if path.is_relative_to(config) else file

    blueprints = [
        {
            "process": bp.process.key,
            "title": bp.name or bp.process.key,
            "file": shown(bp.path),
            "suspended": bp.process.key in suspended,
            "manual": any(isinstance(start, ManualStart) for start in bp.process.starts),
            "fields": [field_row(fdef) for fdef in bp.process.fields.values()],
            "limits": {"max_starts": bp.process.limits.max_starts, "window": bp.process.limits.window},
        }
        for bp in sorted(engine.blueprints(), key=lambda b: b.process.key)
    ]
    errors = [
        {"file": shown(p.file), "line": p.line, "field": p.path or None, "message": p.message}
        for error in manager.blueprint_errors
        for p in error.problems
    ]
    connection.send_result(msg["id"], {"blueprints": blueprints, "errors": errors})


@websocket_api.websocket_command(_command("bpo/process/start", "process", key=_NO_DEFAULT, fields=dict))
@websocket_api.async_response
@_refusals
async def ws_process_start(hass: HomeAssistant, connection: ActiveConnection, msg: Message) -> None:
    _manager, actor, _viewer = await _caller(hass, connection, msg, admin=True)
    process: str = msg["process"]
    inst = await run(
        hass,
        lambda e: e.start(
            process,
            key=msg.get("key"),
            fields=start_fields(e, process, msg["fields"]),
            source="panel",
            user=actor.audit_name,
        ),
        sent=msg["fields"].values(),
    )
    connection.send_result(msg["id"], {"instance_id": inst.id, "key": inst.key, "status": inst.status})


COMMANDS = (
    ws_tasks_list,
    ws_tasks_subscribe,
    ws_task_complete,
    ws_task_claim,
    ws_instances_list,
    ws_instance_get,
    ws_instance_cancel,
    ws_task_reassign,
    ws_process_resume,
    ws_blueprints_list,
    ws_process_start,
)


@callback
def async_register_websocket_commands(hass: HomeAssistant) -> None:
    """Once for the domain (like the actions); each command looks up the loaded entry itself."""
    for command in COMMANDS:
        websocket_api.async_register_command(hass, command)
