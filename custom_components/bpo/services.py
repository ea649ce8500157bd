"""bpo services, registered once for the domain and routed to the loaded entry's manager."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import voluptuous as vol
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util.json import JsonValueType

from .const import DOMAIN
from .engine.field_values import MAX_NAME, check_values
from .engine.model import FieldDef
from .engine.pii_taint import public_title
from .engine.runtime import Engine
from .engine.runtime_errors import (
    BlueprintSuspended,
    EngineError,
    InvalidForm,
    InvalidOutcome,
    NotAllowed,
    TaskNotFound,
    UnknownProcess,
)
from .engine.visibility import can_view, pii_cleared
from .manager import BpoManager
from .permissions import async_actor, require_admin

_ERROR_KEYS: dict[type[EngineError], str] = {
    TaskNotFound: "not_found",
    InvalidOutcome: "invalid_outcome",
    InvalidForm: "invalid_form",
    NotAllowed: "not_allowed",
    BlueprintSuspended: "suspended",
    UnknownProcess: "unknown_process",
}

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
MASK = "***"


def _manager(hass: HomeAssistant) -> BpoManager:
    entries = hass.config_entries.async_loaded_entries(DOMAIN)
    if not entries:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="not_loaded")
    manager: BpoManager = entries[0].runtime_data.manager
    return manager


def _translate(err: EngineError) -> ServiceValidationError:
    key = next((k for cls, k in _ERROR_KEYS.items() if isinstance(err, cls)), "engine_error")
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"detail": str(err)},
    )


def save_failed(err: HomeAssistantError) -> HomeAssistantError:
    """A save that did not reach the disk (the change was not made), in words the user gets."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="save_failed",
        translation_placeholders={"detail": str(err)},
    )


async def _run[T](hass: HomeAssistant, operation: Callable[[Engine], Awaitable[T]]) -> T:
    """One engine operation for an action: engine refusals and failed saves become translated errors."""
    try:
        return await _manager(hass).async_run(operation)
    except EngineError as err:
        raise _translate(err) from err
    except HomeAssistantError as err:
        if err.translation_key is not None:
            raise
        raise save_failed(err) from err


def _checked(values: dict[str, Any], fields: Mapping[str, FieldDef], what: str) -> dict[str, Any]:
    """``values`` checked against the declared field types and size limits before anything is stored; the
    error names fields and expected types only (never a value: it may be personal data)."""
    try:
        return check_values(values, fields, what)
    except ValueError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_form",
            translation_placeholders={"detail": str(err)},
        ) from err


async def _start(call: ServiceCall) -> ServiceResponse:
    actor = await async_actor(call.hass, call.context)
    require_admin(actor, call.context)
    data = call.data
    blueprint = _manager(call.hass).engine.blueprint(data["process"])
    fields = _checked(data["fields"], blueprint.process.fields if blueprint is not None else {}, "fields")
    inst = await _run(
        call.hass,
        lambda e: e.start(
            data["process"],
            key=data.get("key"),
            fields=fields,
            source="service",
            user=actor.audit_name,
        ),
    )
    return {"instance_id": inst.id, "key": inst.key, "status": inst.status}


async def _complete_task(call: ServiceCall) -> ServiceResponse:
    actor = await async_actor(call.hass, call.context)
    _manager(call.hass)  # "not loaded" before "no person"
    task_id: str = call.data["task_id"]
    if not actor.is_admin and actor.person is None:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_person")
    _checked(call.data["form"], {}, "form")  # names and sizes here; the engine checks the task's field types
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
    )
    return {"task_id": task.id, "status": task.status, "outcome": task.outcome}


async def _reassign(call: ServiceCall) -> None:
    actor = await async_actor(call.hass, call.context)
    require_admin(actor, call.context)
    await _run(
        call.hass, lambda e: e.reassign(call.data["task_id"], call.data["assignee"], user=actor.audit_name)
    )


async def _cancel(call: ServiceCall) -> None:
    actor = await async_actor(call.hass, call.context)
    require_admin(actor, call.context)
    await _run(call.hass, lambda e: e.cancel(call.data["instance_id"], user=actor.audit_name))


async def _resume(call: ServiceCall) -> None:
    actor = await async_actor(call.hass, call.context)
    require_admin(actor, call.context)
    await _run(call.hass, lambda e: e.resume(call.data["process"], user=actor.audit_name))


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
    rows: list[JsonValueType] = []
    for inst in engine.instances(process=wanted):
        bp = engine.blueprint(inst.process)
        process = bp.process if bp is not None else None
        for task in inst.tasks:
            if not (task.is_open or call.data["include_closed"]):
                continue
            if not actor.is_admin and not can_view(
                actor.person or "", task, inst, process, manager.directory
            ):
                continue
            cleared = actor.is_admin or (
                process is not None and pii_cleared(actor.person or "", process, manager.directory)
            )
            pii = {n for n, f in process.fields.items() if f.pii} if process is not None else set()
            rows.append(
                {
                    "task_id": task.id,
                    "process": task.process,
                    "key": inst.key,
                    "step": task.step,
                    "title": public_title(process, task.step, task.title, cleared),
                    "status": task.status,
                    "assignee": task.assignee,
                    "group": task.group,
                    "due": task.due.isoformat() if task.due else None,
                    "outcome": task.outcome,
                    "fields": {k: (v if cleared or k not in pii else MASK) for k, v in inst.fields.items()},
                }
            )
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
