"""Phone notifications for human tasks: payloads, texts (en/ja), action ids, PII masking. Pure.

The HA glue (``notifications.py``) decides *who* gets *what* and sends it; this module only turns a task
into what the companion app understands and back:

- buttons: one per outcome, ``{"action": "BPO|<task_id>|<outcome>", "title": ...}``. The task id is in the
  action string because iOS does not echo ``tag`` in ``mobile_app_notification_action``; each id is
  therefore unique per task, and a press can never complete the wrong task;
- a text reply button (``behavior: textInput``) when the task's form takes a text field; its id is
  ``BPO|<task_id>|<outcome>|<field>``. Android's special ``REPLY`` action (which does echo ``tag``) is
  understood too;
- ``data.tag = "bpo-<task_id>"`` so a later ``clear_notification`` with that tag removes it;
- ``data.url`` (iOS) and ``data.clickAction`` (Android) open the recipient's task list in HA;
- per device, :func:`for_device` keeps the buttons within what its platform shows (Android 3, iOS about
  10): when there are more, the last one shown opens the task instead, so no outcome is out of reach.

PII: a recipient not cleared for the process (``pii_cleared``, decided by ``engine.visibility.pii_cleared``)
sees ``***`` for every field marked ``pii``, in the default text and in blueprint ``notify:`` templates alike;
``build(cleared=True)`` shows the values. The HA glue builds every notification with ``cleared=False``: a
notify call's data is kept by the recorder (see notifications.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from ..engine.templates import TemplateFailed, Templates

Lang = Literal["en", "ja"]
Kind = Literal["task", "reminder", "escalation"]

ACTION_PREFIX = "BPO"
ANDROID_REPLY = "REPLY"  # Android's built-in text-reply action; the event then carries ``tag``
TAG_PREFIX = "bpo-"
MASK = "***"
CLEAR_MESSAGE = "clear_notification"
URGENT_WITHIN = timedelta(hours=24)
MAX_FIELD_LINES = 8
MAX_VALUE_CHARS = 80
# Buttons the companion app shows per notification (companion docs, actionable notifications).
MAX_ACTIONS = {"android": 3, "ios": 10}
URI_ACTION = "URI"  # the companion app opens ``uri`` instead of firing an event

_TEXTS: dict[Lang, dict[str, str]] = {
    "en": {
        "task": "New task: {title}",
        "reminder": "Reminder: {title}",
        "escalation": "Escalated: {title}",
        "due": "Due {due}",
        "reply": "Reply",
        "reply_with": "Reply ({outcome})",
        "send": "Send",
        "placeholder": "Type your answer",
        "open": "Open task",
    },
    "ja": {
        "task": "新しいタスク: {title}",
        "reminder": "リマインダー: {title}",
        "escalation": "エスカレーション: {title}",
        "due": "期限 {due}",
        "reply": "返信",
        "reply_with": "返信 ({outcome})",
        "send": "送信",
        "placeholder": "回答を入力",
        "open": "タスクを開く",
    },
}

_OUTCOMES: dict[Lang, dict[str, str]] = {
    "en": {"done": "Done", "ok": "OK", "follow_up": "Follow up", "approve": "Approve", "reject": "Reject"},
    "ja": {
        "done": "完了",
        "ok": "OK",
        "follow_up": "要フォロー",
        "approve": "承認",
        "approved": "承認",
        "reject": "却下",
        "rejected": "却下",
        "accept": "受理",
        "yes": "はい",
        "no": "いいえ",
    },
}

_HOURS_PART = re.compile(r"^\s*([a-z,\-\s]+?)\s+(\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2})\s*$")
_TEMPLATES = Templates()


def language(configured: str | None) -> Lang:
    """HA's configured language mapped onto the languages we ship (``ja-JP`` -> ja, anything else -> en)."""
    return "ja" if (configured or "").lower().startswith("ja") else "en"


def outcome_label(outcome: str, lang: Lang) -> str:
    known = _OUTCOMES[lang].get(outcome) or _OUTCOMES["en"].get(outcome)
    return known or outcome.replace("_", " ").strip().capitalize()


def tag_for(task_id: str) -> str:
    return f"{TAG_PREFIX}{task_id}"


def action_id(task_id: str, outcome: str, reply_field: str | None = None) -> str:
    if "|" in task_id or "|" in outcome:
        raise ValueError("task ids and outcomes must not contain '|'")
    parts = [ACTION_PREFIX, task_id, outcome] + ([reply_field] if reply_field else [])
    return "|".join(parts)


@dataclass(frozen=True, slots=True)
class Answer:
    """A press on one of our buttons. ``outcome``/``field`` are None for Android's generic ``REPLY``."""

    task_id: str
    outcome: str | None
    field: str | None = None
    reply: bool = False


def parse_action(action: object, tag: object = None) -> Answer | None:
    """Our action id (or ``REPLY`` + our tag) back into an answer; None for anyone else's action."""
    if not isinstance(action, str):
        return None
    if action == ANDROID_REPLY:
        if isinstance(tag, str) and tag.startswith(TAG_PREFIX) and len(tag) > len(TAG_PREFIX):
            return Answer(tag[len(TAG_PREFIX) :], None, None, reply=True)
        return None
    parts = action.split("|")
    if parts[0] != ACTION_PREFIX or len(parts) not in (3, 4) or not all(parts[1:]):
        return None
    reply_field = parts[3] if len(parts) == 4 else None
    return Answer(parts[1], parts[2], reply_field, reply=reply_field is not None)


def is_urgent(kind: Kind, due: datetime | None, now: datetime) -> bool:
    """Urgent = escalations, and anything about a task due within 24 h; quiet hours never delay those."""
    return kind == "escalation" or (due is not None and due - now <= URGENT_WITHIN)


def parse_hours(text: str) -> dict[str, str]:
    """``"mon-fri 09:00-18:00; sat 10:00-12:00"`` -> ``{"mon-fri": "09:00-18:00", "sat": "10:00-12:00"}``.

    The result is the ``hours`` mapping of :func:`engine.business_time.calendar_from_config`, which checks
    day names and times; this only splits the one-line form people type in the options dialog.
    """
    out: dict[str, str] = {}
    for part in (p for p in text.lower().split(";") if p.strip()):
        match = _HOURS_PART.match(part)
        if match is None:
            raise ValueError(f"expected like 'mon-fri 09:00-18:00', got {part.strip()!r}")
        days = match.group(1).replace(" ", "")
        out[days] = match.group(2).replace(" ", "")
    if not out:
        raise ValueError("no working hours given")
    return out


@dataclass(frozen=True, slots=True)
class FieldValue:
    name: str
    label: str
    value: object
    pii: bool = False


@dataclass(frozen=True, slots=True)
class TaskView:
    """What a notification may say about one task, read from the engine by the glue."""

    task_id: str
    title: str
    process: str  # the blueprint's name
    outcomes: tuple[str, ...] = ("done",)
    due: datetime | None = None  # local time
    fields: tuple[FieldValue, ...] = ()
    text_fields: tuple[str, ...] = ()  # form fields of type text, in form order
    required: tuple[str, ...] = ()  # form fields that must be filled (none when the task is optional)
    link: str = "/todo"
    title_template: str | None = None  # blueprint ``notify.title``
    message_template: str | None = None  # blueprint ``notify.message``
    inputs: Mapping[str, Any] = field(default_factory=dict)  # the blueprint's input values (``inputs``)


@dataclass(frozen=True, slots=True)
class Notification:
    title: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)

    def service_data(self) -> dict[str, Any]:
        """The ``notify.mobile_app_<device>`` call data."""
        return {"title": self.title, "message": self.message, "data": self.data}

    def markdown(self, lang: Lang) -> str:
        """The text for persistent_notification (no buttons there: a link to the task instead)."""
        return f"{self.message}\n\n[{_TEXTS[lang]['open']}]({self.data.get('url', '/todo')})"


def for_device(note: Notification, os_name: str | None, lang: Lang) -> Notification:
    """``note`` as one device gets it: at most as many buttons as its platform shows (3 if unknown)."""
    actions = note.data.get("actions") or []
    limit = MAX_ACTIONS.get((os_name or "").lower(), MAX_ACTIONS["android"])
    if len(actions) <= limit:
        return note
    opener = {"action": URI_ACTION, "title": _TEXTS[lang]["open"], "uri": note.data.get("url", "/todo")}
    return Notification(note.title, note.message, {**note.data, "actions": [*actions[: limit - 1], opener]})


def clear_data(task_id: str) -> dict[str, Any]:
    """Removes the task's notification from a device (companion app notification command)."""
    return {"message": CLEAR_MESSAGE, "data": {"tag": tag_for(task_id)}}


def buttons(view: TaskView, lang: Lang) -> list[dict[str, str]]:
    """Outcome buttons when a tap alone can complete the task, plus a text reply where the form takes text.

    A required field other than the reply's text cannot be filled from a phone, so such a task gets no
    buttons at all: the link opens it in HA instead.
    """
    texts = _TEXTS[lang]
    reply_field = _reply_field(view)
    others_required = [f for f in view.required if f != reply_field]
    if others_required:
        return []
    out: list[dict[str, str]] = []
    if not view.required:
        out = [{"action": action_id(view.task_id, o), "title": outcome_label(o, lang)} for o in view.outcomes]
    if reply_field is not None:
        outcome = view.outcomes[0]
        title = (
            texts["reply"]
            if len(view.outcomes) == 1
            else texts["reply_with"].format(outcome=outcome_label(outcome, lang))
        )
        out.append(
            {
                "action": action_id(view.task_id, outcome, reply_field),
                "title": title,
                "behavior": "textInput",
                "textInputButtonTitle": texts["send"],
                "textInputPlaceholder": texts["placeholder"],
            }
        )
    return out


def reply_target(view: TaskView) -> tuple[str, str | None]:
    """What an Android ``REPLY`` (no id of ours in it) stands for: the same as our reply button."""
    reply_field = _reply_field(view)
    return view.outcomes[0], reply_field


def _reply_field(view: TaskView) -> str | None:
    """The text field a reply fills: a required one first, else the first text field of the form."""
    required = [f for f in view.text_fields if f in view.required]
    candidates = required or list(view.text_fields)
    return candidates[0] if candidates else None


def visible_fields(view: TaskView, cleared: bool) -> dict[str, object]:
    return {f.name: (MASK if f.pii and not cleared and f.value is not None else f.value) for f in view.fields}


def build(view: TaskView, *, kind: Kind, lang: Lang, cleared: bool, can_act: bool) -> Notification:
    """The notification one recipient gets; ``can_act`` False (e.g. a supervisor told of an escalation)
    means no buttons, only the link."""
    texts = _TEXTS[lang]
    fields = visible_fields(view, cleared)
    due = view.due.strftime("%Y-%m-%d %H:%M") if view.due is not None else None
    title = texts[kind].format(title=view.title)
    lines = [view.process] if view.process and view.process != view.title else []
    if due is not None:
        lines.append(texts["due"].format(due=due))
    for item in view.fields[:MAX_FIELD_LINES]:
        value = fields[item.name]
        if value is None or value == "" or isinstance(value, dict | list):
            continue
        text = str(value)
        if len(text) > MAX_VALUE_CHARS:
            text = text[: MAX_VALUE_CHARS - 1] + "…"
        lines.append(f"{item.label}: {text}")
    message = "\n".join(lines) or view.title
    if view.title_template or view.message_template:
        ctx = _template_context(view, fields, kind, lang, due)
        # Blueprint text comes from admins; a broken template falls back to ours rather than losing
        # the notification (bpo validate already checked the syntax).
        if view.title_template:
            title = _render(view.title_template, ctx, title)
        if view.message_template:
            message = _render(view.message_template, ctx, message)
    data: dict[str, Any] = {"tag": tag_for(view.task_id), "url": view.link, "clickAction": view.link}
    actions = buttons(view, lang) if can_act else []
    if actions:
        data["actions"] = actions
    if kind == "escalation":
        data["push"] = {"interruption-level": "time-sensitive"}
    return Notification(title, message, data)


def _template_context(
    view: TaskView, fields: Mapping[str, object], kind: Kind, lang: Lang, due: str | None
) -> dict[str, Any]:
    return {
        "task": {"id": view.task_id, "title": view.title, "due": due, "outcomes": list(view.outcomes)},
        "process": view.process,
        "fields": dict(fields),
        "kind": kind,
        "lang": lang,
        "inputs": view.inputs,
    }


def _render(source: str, ctx: Mapping[str, Any], fallback: str) -> str:
    try:
        return _TEMPLATES.render_str(source, ctx).strip() or fallback
    except TemplateFailed:
        return fallback
