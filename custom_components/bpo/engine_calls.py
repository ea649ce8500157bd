"""Running one engine operation for a user request (an action, a websocket command, a to-do tick).

Shared by ``services.py`` and ``websocket_api.py`` so both find the loaded entry, refuse and translate
engine errors the same way: engine refusals become translated ``ServiceValidationError``s, a save that
did not reach the disk becomes ``save_failed``. Values the user sent (form values, an outcome) are
replaced by ``***`` in the error text, so a refusal never echoes what may be PII.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN
from .engine.field_values import check_values
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
from .permissions import PERSON_DOMAIN

if TYPE_CHECKING:
    from .manager import BpoManager

MASK = "***"
ERROR_KEYS: dict[type[EngineError], str] = {
    TaskNotFound: "not_found",
    InvalidOutcome: "invalid_outcome",
    InvalidForm: "invalid_form",
    NotAllowed: "not_allowed",
    BlueprintSuspended: "suspended",
    UnknownProcess: "unknown_process",
}


def loaded_manager(hass: HomeAssistant) -> BpoManager:
    """The loaded entry's manager, or the translated "not set up" refusal."""
    entries = hass.config_entries.async_loaded_entries(DOMAIN)
    if not entries:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="not_loaded")
    manager: BpoManager = entries[0].runtime_data.manager
    return manager


def redact(text: str, values: Iterable[Any]) -> str:
    """``text`` with every quoted (``repr``) form of ``values`` replaced by ``***``.

    The engine quotes offending values with ``!r``; longest first so a value containing another is
    masked whole.
    """
    quoted = sorted({repr(v) for v in values if v is not None and v != ""}, key=len, reverse=True)
    for q in quoted:
        text = text.replace(q, MASK)
    return text


def translate(err: EngineError, sent: Iterable[Any] = ()) -> ServiceValidationError:
    """The engine's refusal in the user's words; ``sent``: values the user sent, never echoed."""
    key = next((k for cls, k in ERROR_KEYS.items() if isinstance(err, cls)), "engine_error")
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"detail": redact(str(err), sent)},
    )


def start_fields(engine: Engine, process_key: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A start's field values checked against their declared types and the size limits (the check a task
    form gets, ``engine.field_values``).

    Without this a manual start stores whatever it is given; a wrong value is refused (``InvalidForm``,
    naming every bad field and what it expects, never the value) before anything is stored. An unknown
    process or field is left to the engine's own refusal, which lists what it knows.
    """
    bp = engine.blueprint(process_key)
    try:
        return check_values(fields, bp.process.fields if bp is not None else {}, "fields")
    except ValueError as err:
        raise InvalidForm(f"process {process_key}: {err}") from None


def form_sizes(form: Mapping[str, Any]) -> None:
    """A form's names and sizes, before the engine checks its values against the task's field types."""
    try:
        check_values(form, {}, "form")
    except ValueError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_form",
            translation_placeholders={"detail": str(err)},
        ) from None


def require_person(hass: HomeAssistant, assignee: str) -> str:
    """A reassignment's target: a person Home Assistant has (whose lists and notifications exist).
    Anything else - empty, a group entry, another domain, a person since deleted - would park the task
    where no list shows it and only an admin can finish it."""
    state = hass.states.get(assignee) if assignee.startswith(f"{PERSON_DOMAIN}.") else None
    if state is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_person",
            translation_placeholders={"person": assignee},
        )
    return assignee


def save_failed(err: HomeAssistantError) -> HomeAssistantError:
    """A save that did not reach the disk (the change was not made), in words the user gets."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="save_failed",
        translation_placeholders={"detail": str(err)},
    )


async def run[T](
    hass: HomeAssistant,
    operation: Callable[[Engine], Awaitable[T]],
    sent: Iterable[Any] = (),
    *,
    grouped: bool = False,
) -> T:
    """One engine operation for a user: engine refusals and failed saves become translated errors.

    ``grouped``: answers arriving together share one durable write (BpoManager.async_run_grouped).
    """
    manager = loaded_manager(hass)
    try:
        if grouped:
            return await manager.async_run_grouped(operation)
        return await manager.async_run(operation)
    except EngineError as err:
        raise translate(err, sent) from err
    except HomeAssistantError as err:
        if err.translation_key is not None:
            raise
        raise save_failed(err) from err
