"""Repair issues: invalid blueprint files, suspended blueprints with a fix flow that resumes them, tasks
that went to the admins' queue because nobody was assigned (one issue per process and step), and failures
(an instance failed, an automatic start or a schedule tick dropped: one issue per process and kind, which an
admin acknowledges; a start failure clears itself once the process starts again)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import voluptuous as vol
from homeassistant import data_entry_flow
from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN
from .engine.errors import BlueprintError
from .engine.ports import EngineEvent
from .engine.state import ADMINS_QUEUE
from .manager import BpoManager

INVALID_PREFIX = "invalid_file_"
SUSPENDED_PREFIX = "suspended_"
UNASSIGNED_PREFIX = "unassigned_"
FAILED_PREFIX = "failed_"
# engine events that are failures an admin must see; the payload's error names the error type only
_FAILURES = frozenset({"instance_error", "start_failed", "schedule_failed", "rights_invalid"})
# events after which an admins'-queue task may be gone (completed, reassigned, closed with its instance)
_TASK_GONE = frozenset(
    {
        "task_completed",
        "task_reassigned",
        "task_cancelled",
        "timeout",
        "instance_completed",
        "instance_cancelled",
    }
)
MAX_LISTED = 5  # problems shown in the repair text; the log has all of them


def unassigned_issue_id(process: str, step: str) -> str:
    return f"{UNASSIGNED_PREFIX}{process}.{step}"


def _failure(event: EngineEvent) -> str | None:
    """The failure kind an event reports: an instance that failed (a step or a deadline it could not
    handle), a dropped start or a failed schedule tick; None for anything else."""
    if event.type == "instance_completed":
        return "instance_error" if event.data.get("status") == "failed" else None
    return event.type if event.type in _FAILURES else None


def failure_issue_id(kind: str, process: str) -> str:
    return f"{FAILED_PREFIX}{kind}.{process}"


def _file_issue_id(path: str) -> str:
    return INVALID_PREFIX + hashlib.sha256(path.encode()).hexdigest()[:12]


@callback
def async_sync_file_issues(hass: HomeAssistant, errors: list[BlueprintError]) -> None:
    """One issue per invalid file; issues of files that are valid again are removed."""
    wanted: set[str] = set()
    for error in errors:
        first = error.problems[0]
        issue_id = _file_issue_id(first.file)
        wanted.add(issue_id)
        lines = [str(p) for p in error.problems[:MAX_LISTED]]
        if len(error.problems) > MAX_LISTED:
            lines.append(f"… {len(error.problems) - MAX_LISTED} more in the log")
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="invalid_file",
            translation_placeholders={
                "file": first.file,
                "line": str(first.line or "?"),
                "problems": "\n".join(lines),
            },
        )
    registry = ir.async_get(hass)
    for domain, issue_id in list(registry.issues):
        if domain == DOMAIN and issue_id.startswith(INVALID_PREFIX) and issue_id not in wanted:
            ir.async_delete_issue(hass, DOMAIN, issue_id)


@callback
def async_track(hass: HomeAssistant, manager: BpoManager) -> Callable[[], None]:
    """Keep repair issues in step with the manager; returns the unsubscribe callback."""
    # processes with a task_unassigned issue open: a task leaving any other process costs nothing
    # (checking every completion against all open tasks made answering N tasks O(N^2))
    unassigned = {
        issue_id[len(UNASSIGNED_PREFIX) :].rsplit(".", 1)[0]
        for domain, issue_id in ir.async_get(hass).issues
        if domain == DOMAIN and issue_id.startswith(UNASSIGNED_PREFIX)
    }

    @callback
    def on_event(event: EngineEvent) -> None:
        process = event.data.get("process")
        if event.type == "blueprint_suspended" and process:
            ir.async_create_issue(
                hass,
                DOMAIN,
                SUSPENDED_PREFIX + process,
                is_fixable=True,
                severity=ir.IssueSeverity.ERROR,
                translation_key="blueprint_suspended",
                data={"process": process},
                translation_placeholders={
                    "process": process,
                    "max_starts": str(event.data.get("max_starts")),
                },
            )
        elif event.type == "blueprint_resumed" and process:
            ir.async_delete_issue(hass, DOMAIN, SUSPENDED_PREFIX + process)
        elif event.type == "task_unassigned" and process and (step := event.data.get("step")):
            # names only the process and step: the instance key and title may carry personal data
            ir.async_create_issue(
                hass,
                DOMAIN,
                unassigned_issue_id(process, step),
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="task_unassigned",
                translation_placeholders={"process": process, "step": step},
            )
            unassigned.add(process)
        elif (kind := _failure(event)) and process:
            ir.async_create_issue(
                hass,
                DOMAIN,
                failure_issue_id(kind, process),
                is_fixable=True,
                severity=ir.IssueSeverity.ERROR,
                translation_key=kind,
                data={"acknowledge": True},
                # process, step and error type only: keys, fields and messages may carry personal data
                translation_placeholders={
                    "process": process,
                    "step": str(event.data.get("step") or "-"),
                    "error": str(event.data.get("error") or "-"),
                },
            )
        elif event.type == "instance_started" and process:
            for kind in ("start_failed", "schedule_failed"):  # starting works again
                ir.async_delete_issue(hass, DOMAIN, failure_issue_id(kind, process))
        elif event.type in _TASK_GONE and process in unassigned:
            still_open = _drop_settled_unassigned(hass, manager, process)
            if not still_open:
                unassigned.discard(process)

    @callback
    def on_files() -> None:
        async_sync_file_issues(hass, manager.blueprint_errors)

    manager.listeners.append(on_event)
    manager.file_listeners.append(on_files)
    on_files()

    def unsubscribe() -> None:
        manager.listeners.remove(on_event)
        manager.file_listeners.remove(on_files)

    return unsubscribe


@callback
def _drop_settled_unassigned(hass: HomeAssistant, manager: BpoManager, process: str) -> bool:
    """Remove the issues of this process whose step has no task left in the admins' queue.

    Returns whether any issue of the process is still open.
    """
    waiting = {
        t.step for t in manager.engine.open_tasks(group=ADMINS_QUEUE, process=process) if t.assignee is None
    }
    prefix = f"{UNASSIGNED_PREFIX}{process}."
    left = False
    for domain, issue_id in list(ir.async_get(hass).issues):
        if domain == DOMAIN and issue_id.startswith(prefix):
            if issue_id[len(prefix) :] in waiting:
                left = True
            else:
                ir.async_delete_issue(hass, DOMAIN, issue_id)
    return left


class ResumeBlueprintFlow(RepairsFlow):
    """Confirming the issue resumes the suspended blueprint."""

    def __init__(self, process: str) -> None:
        self.process = process

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> data_entry_flow.FlowResult:
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        if user_input is not None:
            entries = self.hass.config_entries.async_loaded_entries(DOMAIN)
            if not entries:
                return self.async_abort(reason="not_loaded")
            manager: BpoManager = entries[0].runtime_data.manager
            await manager.async_run(lambda e: e.resume(self.process, user="repair"))
            return self.async_create_entry(data={})
        return self.async_show_form(
            step_id="confirm", data_schema=vol.Schema({}), description_placeholders={"process": self.process}
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    if issue_id.startswith(FAILED_PREFIX):
        return ConfirmRepairFlow()  # confirming acknowledges: HA removes the issue
    return ResumeBlueprintFlow(str((data or {}).get("process") or issue_id.removeprefix(SUSPENDED_PREFIX)))
