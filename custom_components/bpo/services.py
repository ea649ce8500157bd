"""bpo services, registered once for the domain and routed to the loaded entry's manager."""

from __future__ import annotations

from typing import Any

import voluptuous as vol
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util.json import JsonValueType

from .const import DOMAIN
from .engine.field_values import MAX_NAME
from .engine.state import ADMINS_QUEUE
from .engine_calls import form_sizes, loaded_manager, require_person, run, start_fields
from .entity import process_of_device
from .manager import BpoManager
from .permissions import Actor, async_actor, require_admin
from .task_rows import Viewer, list_row, process_of

# ids, keys, names: bounded text (field_values.MAX_NAME); voluptuous's messages name the key, not the value
_NAME = vol.All(cv.string, vol.Length(max=MAX_NAME))
START_SCHEMA = vol.Schema(
    {
        vol.Required("process"): _NAME,
        vol.Optional("key"): _NAME,
        vol.Optional("fields", default=dict): dict,
    }
)
COMPLETE_SCHEMA = vol.Schema(
    {
        vol.Required("task_id"): _NAME,
        vol.Optional("outcome"): _NAME,
        vol.Optional("form", default=dict): dict,
    }
)
REASSIGN_SCHEMA = vol.Schema({vol.Required("task_id"): _NAME, vol.Required("assignee"): _NAME})
CANCEL_SCHEMA = vol.Schema({vol.Required("instance_id"): _NAME})
RESUME_SCHEMA = vol.Schema({vol.Required("process"): _NAME})
LIST_SCHEMA = vol.Schema(
    {vol.Optional("process"): _NAME, vol.Optional("include_closed", default=False): bool}
)
_manager = loaded_manager
_run = run


async def _start(call: ServiceCall) -> ServiceResponse:
    actor = await async_actor(call.hass, call.context)
    require_admin(actor, call.context)
    data = call.data
    process = process_of_device(call.hass, data["process"])
    inst = await _run(
        call.hass,
        lambda e: e.start(
            process,
            key=data.get("key"),
            fields=start_fields(e, process, data["fields"]),
            source="service",
            user=actor.audit_name,
        ),
        sent=data["fields"].values(),
    )
    return {"instance_id": inst.id, "key": inst.key, "status": inst.status}


def _refuse_unseen(manager: BpoManager, actor: Actor, task_id: str) -> None:
    """A task the caller may not even see is refused as not theirs, before the engine checks its outcome
    and form: those refusals (and the engine's own) describe the task - its step, outcomes, fields and
    holder - and task ids are easy to guess. An unknown id is left to the engine ("no task")."""
    engine = manager.engine
    task = engine.task(task_id)
    inst = engine.instance(task.instance_id) if task is not None else None
    if task is None or inst is None:
        return
    if not Viewer.of(actor, manager.directory).sees(task, inst, process_of(engine, inst)):
        detail = f"{actor.audit_name} may not complete task {task_id}"
        if task.group == ADMINS_QUEUE:  # says what to do, as the engine would; nothing of the task itself
            detail += "; nobody was assigned, so it is in the admins' queue: an administrator completes it"
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_allowed",
            translation_placeholders={"detail": detail},
        )


async def _complete_task(call: ServiceCall) -> ServiceResponse:
    actor = await async_actor(call.hass, call.context)
    manager = _manager(call.hass)  # "not loaded" before "no person"
    task_id: str = call.data["task_id"]
    if not actor.is_admin and actor.person is None:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_person")
    if not actor.is_admin:
        _refuse_unseen(manager, actor, task_id)
    form_sizes(call.data["form"])  # names and sizes here; the engine checks the task's field types
    # Non-admins are checked by the engine against assignee/candidates/group; admins act on behalf of
    # anyone and are still recorded as who completed it.
    task = await _run(
        call.hass,
        lambda e: e.complete_task(
            task_id,
            outcome=call.data.get("outcome"),
            form=call.data["form"],
            user=actor.audit_name,
            source="service",
            on_behalf=actor.is_admin,
        ),
        # never echoed: HA logs an action's refusal at error level when a client called it
        sent=[call.data.get("outcome"), *call.data["form"].values()],
        grouped=True,
    )
    return {"task_id": task.id, "status": task.status, "outcome": task.outcome}


async def _reassign(call: ServiceCall) -> None:
    actor = await async_actor(call.hass, call.context)
    require_admin(actor, call.context)
    assignee = require_person(call.hass, call.data["assignee"])
    await _run(call.hass, lambda e: e.reassign(call.data["task_id"], assignee, user=actor.audit_name))


async def _cancel(call: ServiceCall) -> None:
    actor = await async_actor(call.hass, call.context)
    require_admin(actor, call.context)
    await _run(call.hass, lambda e: e.cancel(call.data["instance_id"], user=actor.audit_name))


async def _resume(call: ServiceCall) -> None:
    actor = await async_actor(call.hass, call.context)
    require_admin(actor, call.context)
    process = process_of_device(call.hass, call.data["process"])
    await _run(call.hass, lambda e: e.resume(process, user=actor.audit_name))


async def _reload(call: ServiceCall) -> None:
    actor = await async_actor(call.hass, call.context)
    require_admin(actor, call.context)
    try:
        await _manager(call.hass).async_load_files()
    except OSError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="reload_failed",
            translation_placeholders={"detail": str(err)},
        ) from err


async def _list_tasks(call: ServiceCall) -> ServiceResponse:
    """Tasks the caller may see: everything for admins; own, group and ``viewers`` tasks for others."""
    actor = await async_actor(call.hass, call.context)
    manager = _manager(call.hass)
    engine = manager.engine
    if not actor.is_admin and actor.person is None:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_person")
    wanted = call.data.get("process")
    viewer = Viewer.of(actor, manager.directory)
    rows: list[JsonValueType] = []
    for inst in engine.instances(process=wanted):
        process = process_of(engine, inst)
        for task in inst.tasks:
            if not (task.is_open or call.data["include_closed"]):
                continue
            if viewer.sees(task, inst, process):
                rows.append(list_row(task, inst, process, viewer))
    return {"tasks": rows}


SERVICES: dict[str, tuple[Any, vol.Schema, SupportsResponse]] = {
    "start": (_start, START_SCHEMA, SupportsResponse.OPTIONAL),
    "complete_task": (_complete_task, COMPLETE_SCHEMA, SupportsResponse.OPTIONAL),
    "reassign": (_reassign, REASSIGN_SCHEMA, SupportsResponse.NONE),
    "cancel": (_cancel, CANCEL_SCHEMA, SupportsResponse.NONE),
    "resume": (_resume, RESUME_SCHEMA, SupportsResponse.NONE),
    "reload": (_reload, vol.Schema({}), SupportsResponse.NONE),
    "list_tasks": (_list_tasks, LIST_SCHEMA, SupportsResponse.ONLY),
}


def async_register_services(hass: HomeAssistant) -> None:
    for name, (handler, schema, response) in SERVICES.items():
        hass.services.async_register(DOMAIN, name, handler, schema=schema, supports_response=response)
