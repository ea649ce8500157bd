"""Logbook lines for task and instance milestones (the bus events bpo fires)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook import LOGBOOK_ENTRY_MESSAGE, LOGBOOK_ENTRY_NAME, LazyEventPartialState
from homeassistant.core import HomeAssistant, callback

from .const import DOMAIN, EVENT_PREFIX

# event type -> message template over the event payload; PII is already masked in payloads
MESSAGES: dict[str, str] = {
    "instance_started": "started {key}",
    "instance_completed": "finished {key} ({status})",
    "instance_cancelled": "cancelled {key}",
    "task_created": "task '{title}' created for {who}",
    "task_completed": "task '{step}' completed by {by} with outcome {outcome}",
    "task_reminded": "reminded {who} of task '{title}'",
    "task_reassigned": "task '{title}' reassigned to {who}",
    "escalated": "task '{step}' escalated (level {level})",
    "timeout": "step '{step}' timed out ({action})",
    "blueprint_suspended": "suspended: more than {max_starts} starts in its window",
    "blueprint_resumed": "resumed",
}


# what a line says where the payload lacks a key (an older event, a step without a task): never "?"
_FALLBACKS: dict[str, str] = {
    "key": "an instance",
    "status": "ended",
    "outcome": "none",
    "level": "next",
    "action": "its timeout action",
    "max_starts": "the limit of",
}


class _Defaulting(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return _FALLBACKS.get(key, "(not given)")


def describe(event_type: str, data: dict[str, Any]) -> dict[str, str]:
    values = _Defaulting({k: v for k, v in data.items() if v is not None and v != ""})
    # only task_created lists candidates; other events of a candidates task name none of its people
    people = ", ".join(str(c) for c in data.get("candidates") or ()) or (
        "anyone" if "candidates" in data else "the task's people"
    )
    values.setdefault("who", data.get("assignee") or data.get("group") or people)
    values.setdefault("by", "system")
    # a task is named by its (already masked) title, else its step, else its id
    values.setdefault("title", data.get("step") or data.get("task_id") or "a task")
    values.setdefault("step", data.get("title") or data.get("task_id") or "a step")
    if "key" not in values and data.get("instance_id"):
        values["key"] = data["instance_id"]
    message = MESSAGES[event_type].format_map(values)
    return {LOGBOOK_ENTRY_NAME: f"bpo {data.get('process', '')}".strip(), LOGBOOK_ENTRY_MESSAGE: message}


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[LazyEventPartialState], dict[str, Any]]], None],
) -> None:
    for event_type in MESSAGES:

        @callback
        def _describe(event: LazyEventPartialState, event_type: str = event_type) -> dict[str, Any]:
            return describe(event_type, dict(event.data))

        async_describe_event(DOMAIN, EVENT_PREFIX + event_type, _describe)
