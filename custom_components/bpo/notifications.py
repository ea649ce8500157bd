"""Human tasks reach people's phones, and their answers come back.

Listens to the manager's committed engine events and, per recipient (a person entity):

- route ``app`` (default): every companion-app device of the person's user (mobile_app config entries whose
  ``user_id`` matches and that can receive pushes) gets ``notify.mobile_app_<device>`` with buttons; a
  person without a device falls back to ``persistent_notification``;
- route ``persistent``: ``persistent_notification`` only; route ``entity``: ``notify.send_message`` to the
  notify entity chosen in the options flow (no buttons: that action takes none).

Who gets what: ``task_created`` -> the assignee and candidates, or every member of the task's group;
``task_reminded`` -> the same people; ``escalated`` -> the blueprint's escalation ``notify`` list (buttons
only for people who may complete the task); ``task_reassigned`` -> cleared for the previous assignee, sent to
the new one, or, for a task back in its queue (requeued: no new assignee), to its group or candidates
again. ``present_in`` work reaches only the people the engine knows are in the zone. When the task ends any
other way (to-do list, service, timeout, cancel, another group member) its notification is cleared on every
device it went to; what went where is kept in a Store so a restart still clears them. Quiet hours per
person delay non-urgent notifications until working time.

Answers (``mobile_app_notification_action``) complete the task only when the event's user — mobile_app
fires it with the registration's context, so ``context.user_id`` is the device owner — is the assignee, a
candidate or a member of the task's group; anything else is refused and logged (ids only, never texts).
A dismissed notification (``mobile_app_notification_cleared``) changes nothing: the task stays open and
its reminders go on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Any

from homeassistant.components import persistent_notification
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util import slugify

from .connectors import notify as payloads
from .const import DOMAIN
from .engine.business_time import CalendarError, WorkingCalendar, calendar_from_config
from .engine.model import Blueprint, FieldDef, TaskSpec
from .engine.pii_taint import public_title
from .engine.pii_text import suspects
from .engine.ports import EngineEvent
from .engine.runtime_errors import EngineError
from .engine.state import Task
from .engine.visibility import pii_cleared
from .manager import BpoManager
from .permissions import person_of_user

if TYPE_CHECKING:
    from . import BpoConfigEntry

_LOGGER = logging.getLogger(__name__)

STORE_KEY = f"{DOMAIN}.notifications"
SAVE_DELAY = 2.0  # seconds; sends within it share one write
STORE_VERSION = 1
MOBILE_APP = "mobile_app"
EVENT_ACTION = "mobile_app_notification_action"
EVENT_CLEARED = "mobile_app_notification_cleared"
ROUTE_APP, ROUTE_PERSISTENT, ROUTE_ENTITY = "app", "persistent", "entity"
ROUTES = (ROUTE_APP, ROUTE_PERSISTENT, ROUTE_ENTITY)
_ENDED = ("task_completed", "task_cancelled", "timeout")
_HANDLED = ("task_created", "task_reminded", "escalated", "task_reassigned", *_ENDED)


async def async_setup_notifications(
    hass: HomeAssistant, entry: BpoConfigEntry
) -> Callable[[], Coroutine[Any, Any, None]]:
    """Start the notifier for this entry; returns what stops it (for ``async_on_unload``)."""
    notifier = Notifier(hass, entry, entry.runtime_data.manager)
    await notifier.async_start()
    return notifier.async_unload


class Notifier:
    """Sends, clears and answers task notifications; see the module docstring."""

    def __init__(self, hass: HomeAssistant, entry: BpoConfigEntry, manager: BpoManager) -> None:
        self.hass = hass
        self.entry = entry
        self.manager = manager
        self._store: Store[dict[str, Any]] = Store(hass, STORE_VERSION, STORE_KEY)
        # task id -> [[route, target, person]] of what was shown where (to clear it later)
        self._sent: dict[str, list[list[str]]] = {}
        # notifications held back by quiet hours: {"task", "person", "kind", "at" (ISO UTC)}
        self._pending: list[dict[str, str]] = []
        self._unsubs: list[CALLBACK_TYPE] = []
        self._unsub_timer: CALLBACK_TYPE | None = None
        self._save_due = False

    # -- lifecycle -------------------------------------------------------------------------------------
    async def async_start(self) -> None:
        data = await self._store.async_load() or {}
        self._sent = dict(data.get("sent", {}))
        self._pending = list(data.get("pending", []))
        self.manager.listeners.append(self._on_engine_event)
        self._unsubs.append(self.hass.bus.async_listen(EVENT_ACTION, self._async_on_action))
        self._unsubs.append(self.hass.bus.async_listen(EVENT_CLEARED, self._on_cleared))
        self._arm_pending()

    @callback
    def async_stop(self) -> None:
        if self._on_engine_event in self.manager.listeners:
            self.manager.listeners.remove(self._on_engine_event)
        while self._unsubs:
            self._unsubs.pop()()
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None

    async def async_unload(self) -> None:
        """Stop, and write the log now (a delayed save would race the next set-up's load)."""
        self.async_stop()
        await self._store.async_save(self._data())

    @callback
    def _save(self) -> None:
        """Coalesced: the log only serves clearing notifications after a restart, and rewriting it whole
        on every send made answering N tasks cost O(N^2). HA writes a pending save when it stops."""
        if not self._save_due:  # one delayed write covers every change until the store reads the log
            self._save_due = True
            self._store.async_delay_save(self._data, SAVE_DELAY)

    @callback
    def _data(self) -> dict[str, Any]:
        self._save_due = False  # the store reads the log now: a later change needs a write of its own
        return {"sent": self._sent, "pending": self._pending}

    # -- engine events ---------------------------------------------------------------------------------
    @callback
    def _on_engine_event(self, event: EngineEvent) -> None:
        task_id = event.data.get("task_id")
        if event.type not in _HANDLED or not task_id:
            return
        if event.type in _ENDED:
            # cleared here, not in a task of its own: answering N tasks must not start N tasks
            task = self.manager.engine.task(task_id)
            if task is None or not task.is_open:  # a timeout that escalates keeps the task open
                self._clear(task_id)
            return
        # the entry's task: unloading the entry waits for a notification that is being sent
        self.entry.async_create_task(self.hass, self._async_handle(event), f"{DOMAIN} notify {event.type}")

    async def _async_handle(self, event: EngineEvent) -> None:
        task_id: str = event.data["task_id"]
        task = self.manager.engine.task(task_id)
        if task is None or not task.is_open:
            return
        if event.type == "task_reassigned":
            previous = event.data.get("previous")
            if previous:
                self._clear(task_id, person=previous)
            if task.assignee:
                await self._async_deliver(task, task.assignee, "task")
            else:  # back in its queue (requeued): the others who may take it hear of it again
                for person in self._task_people(task):
                    if person != previous:
                        await self._async_deliver(task, person, "task")
            return
        if event.type == "escalated":
            people = self._expand(event.data.get("notify") or [])
            kind: payloads.Kind = "escalation"
        else:
            people = self._task_people(task)
            kind = "task" if event.type == "task_created" else "reminder"
        for person in people:
            await self._async_deliver(task, person, kind)

    def _task_people(self, task: Task) -> list[str]:
        """Who may take the task now: its assignee, else its candidates or group; for ``present_in`` work
        only those in the zone."""
        direct = [p for p in (task.assignee, *task.candidates) if p]
        people = list(dict.fromkeys(direct or (self._expand([f"group:{task.group}"]) if task.group else [])))
        engine = self.manager.engine
        zone = engine.zone_of(task)
        return people if zone is None else [p for p in people if engine.present(p, zone)]

    def _expand(self, names: list[str]) -> list[str]:
        out: list[str] = []
        for name in names:
            if name.startswith("group:"):
                out.extend(self.manager.directory.members(name[6:]))
            else:
                out.append(name)
        return list(dict.fromkeys(out))

    # -- sending -----------------------------------------------------------------------------------------
    async def _async_deliver(self, task: Task, person: str, kind: payloads.Kind) -> None:
        """Send now, or hold it until working time when the person has quiet hours and it is not urgent."""
        now = dt_util.utcnow()
        calendar = self._calendar(person)
        if calendar is not None and not payloads.is_urgent(kind, task.due, now):
            at = calendar.next_working(now)
            if at > now:
                self._pending.append({"task": task.id, "person": person, "kind": kind, "at": at.isoformat()})
                self._save()
                self._arm_pending()
                return
        await self._async_send(task, person, kind)

    async def _async_send(self, task: Task, person: str, kind: payloads.Kind) -> None:
        view = self._view(task, person)
        spec = self._spec(task)
        if view is None or spec is None:
            return
        blueprint = self._version(task)
        instance = self.manager.engine.instance(task.instance_id)
        cleared = blueprint is not None and pii_cleared(
            person, blueprint.process, self.manager.directory, instance
        )
        can_act = self._may_act(task, person) and (cleared or not spec.pii)
        lang = payloads.language(self.hass.config.language)
        # Never PII in a notification, not even for a cleared recipient: a notify call's data is kept by the
        # recorder (call_service events) and persistent notifications are shown to every user. The link opens
        # the task, where a cleared person sees the values.
        note = payloads.build(view, kind=kind, lang=lang, cleared=False, can_act=can_act)
        options = self._person_options(person)
        route = options.get("route", ROUTE_APP)
        shown: list[list[str]] = []
        if route == ROUTE_ENTITY and options.get("entity_id"):
            await self._async_call(
                "notify",
                "send_message",
                {"entity_id": options["entity_id"], "title": note.title, "message": note.message},
                task.id,
            )
        elif route == ROUTE_APP and (devices := self._devices(person)):
            for service, os_name in devices:
                fitted = payloads.for_device(note, os_name, lang)
                if await self._async_call("notify", service, fitted.service_data(), task.id):
                    shown.append([MOBILE_APP, service, person])
        else:
            notification_id = f"{DOMAIN}_{slugify(task.id)}_{slugify(person)}"
            persistent_notification.async_create(self.hass, note.markdown(lang), note.title, notification_id)
            shown.append(["persistent", notification_id, person])
        if shown:
            known = self._sent.setdefault(task.id, [])
            known.extend(s for s in shown if s not in known)
            self._save()

    async def _async_call(self, domain: str, service: str, data: dict[str, Any], task_id: str) -> bool:
        try:
            await self.hass.services.async_call(domain, service, data, blocking=True)
        except HomeAssistantError as err:
            # a phone that is offline or a removed notify entity must not stop the others
            _LOGGER.warning("Notification for task %s via %s.%s failed: %s", task_id, domain, service, err)
            return False
        return True

    @callback
    def _clear(self, task_id: str, person: str | None = None) -> None:
        """Remove the task's notification wherever it was shown (only ``person``'s when given)."""
        if task_id not in self._sent and not self._pending:
            return  # nothing was shown for it (the common case of an answer)
        shown = self._sent.get(task_id, [])
        keep = [s for s in shown if person is not None and s[2] != person]
        before = len(self._pending)
        self._pending = [
            p for p in self._pending if p["task"] != task_id or (person is not None and p["person"] != person)
        ]
        if len(keep) == len(shown) and before == len(self._pending):
            return
        if keep:
            self._sent[task_id] = keep
        else:
            self._sent.pop(task_id, None)
        self._save()
        phones = []
        for route, target, _person in (s for s in shown if s not in keep):
            if route == MOBILE_APP:
                phones.append(target)
            else:
                persistent_notification.async_dismiss(self.hass, target)
        if phones:
            self.entry.async_create_task(
                self.hass, self._async_clear_phones(task_id, phones), f"{DOMAIN} notify clear"
            )

    async def _async_clear_phones(self, task_id: str, services: list[str]) -> None:
        for service in services:
            await self._async_call("notify", service, payloads.clear_data(task_id), task_id)

    # -- quiet hours -------------------------------------------------------------------------------------
    def _calendar(self, person: str) -> WorkingCalendar | None:
        hours = self._person_options(person).get("hours")
        if not hours:
            return None
        try:
            return calendar_from_config(
                {"hours": payloads.parse_hours(str(hours))}, default_tz=self.hass.config.time_zone
            )
        except (CalendarError, ValueError):
            return None  # the options flow validates; an unusable value means "no quiet hours"

    @callback
    def _arm_pending(self) -> None:
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        if self._pending:
            first = min(dt_util.parse_datetime(p["at"]) or dt_util.utcnow() for p in self._pending)
            self._unsub_timer = async_track_point_in_utc_time(self.hass, self._async_release, first)

    async def _async_release(self, now: datetime) -> None:
        self._unsub_timer = None
        due = [p for p in self._pending if (dt_util.parse_datetime(p["at"]) or now) <= now]
        self._pending = [p for p in self._pending if p not in due]
        self._save()
        for item in due:
            task = self.manager.engine.task(item["task"])
            if task is not None and task.is_open:
                kind: payloads.Kind = "reminder" if item["kind"] == "reminder" else "task"
                await self._async_send(task, item["person"], kind)
        self._arm_pending()

    # -- answers -----------------------------------------------------------------------------------------
    async def _async_on_action(self, event: Event) -> None:
        answer = payloads.parse_action(event.data.get("action"), event.data.get("tag"))
        if answer is None:
            return  # someone else's actionable notification
        task = self.manager.engine.task(answer.task_id)
        if task is None or not task.is_open:
            _LOGGER.debug("Phone answer for task %s ignored: the task is no longer open", answer.task_id)
            return
        user_id = event.context.user_id
        person = person_of_user(self.hass, user_id) if user_id else None
        if person is None or not self._may_act(task, person):
            _LOGGER.warning(
                "Refused a phone answer for task %s: user %s is not its assignee or in its group",
                task.id,
                user_id or "(none)",
            )
            return
        outcome, field = answer.outcome, answer.field
        if answer.reply and outcome is None:
            view = self._view(task, person)
            if view is None:
                return
            outcome, field = payloads.reply_target(view)
        text = event.data.get("reply_text")
        form = {field: text} if field and isinstance(text, str) and text.strip() else None
        task_id = task.id
        try:
            await self.manager.async_run_grouped(
                lambda engine: engine.complete_task(
                    task_id, outcome=outcome, form=form, user=person, source="notification"
                )
            )
        except EngineError as err:
            # the message may quote the typed value (PII): log only what kind of problem it was
            _LOGGER.warning("Phone answer for task %s not applied: %s", task_id, type(err).__name__)

    @callback
    def _on_cleared(self, event: Event) -> None:
        """A swiped-away notification is not an answer: the task stays open and reminders continue."""
        _LOGGER.debug("Notification dismissed on a phone; its task stays open")

    # -- lookups -----------------------------------------------------------------------------------------
    def _person_options(self, person: str) -> dict[str, Any]:
        people: dict[str, Any] = self.entry.options.get("people", {})
        return dict(people.get(person, {}))

    def _devices(self, person: str) -> list[tuple[str, str | None]]:
        """Notify services, with their OS name, of the person's companion-app devices that take pushes."""
        state = self.hass.states.get(person)
        user_id = state.attributes.get("user_id") if state is not None else None
        if not user_id:
            return []
        out: list[tuple[str, str | None]] = []
        for entry in self.hass.config_entries.async_entries(MOBILE_APP):
            if entry.data.get("user_id") != user_id:
                continue
            app: dict[str, Any] = entry.data.get("app_data") or {}
            if not ({"push_token", "push_url"} <= set(app) or "push_websocket_channel" in app):
                continue
            # mobile_app's legacy notify platform names each target slugify("mobile_app_<device name>")
            service = slugify(f"{MOBILE_APP}_{entry.data.get('device_name', '')}")
            if self.hass.services.has_service("notify", service):
                out.append((service, entry.data.get("os_name")))
        return out

    def _may_act(self, task: Task, person: str) -> bool:
        if task.assignee is None and not task.candidates and task.group is None:
            return True
        if person == task.assignee or person in task.candidates:
            return True
        return bool(task.group and task.group in self.manager.directory.groups_of(person))

    def _version(self, task: Task) -> Blueprint | None:
        """The blueprint version ``task``'s instance runs on: the one whose templates rendered its title
        (a reload may have changed them since), and whose ``pii`` marks its fields carry."""
        instance = self.manager.engine.instance(task.instance_id)
        return self.manager.engine.version_of(instance) if instance is not None else None

    def _spec(self, task: Task) -> TaskSpec | None:
        blueprint = self._version(task)
        try:
            return blueprint.process.step(task.step).task if blueprint is not None else None
        except KeyError:
            return None  # the step is gone from the current blueprint version

    def _view(self, task: Task, person: str) -> payloads.TaskView | None:
        blueprint = self._version(task)
        spec = self._spec(task)
        instance = self.manager.engine.instance(task.instance_id)
        if blueprint is None or spec is None or instance is None:
            return None
        defs = blueprint.process.fields
        # a free-text value that looks like personal data (pii_text) is masked like a pii field's
        suspected = suspects(instance.fields, defs)
        fields = tuple(
            payloads.FieldValue(
                name, fdef.label or name, instance.fields[name], fdef.pii or name in suspected
            )
            for name, fdef in defs.items()
            if name in instance.fields
        )
        form_defs = [defs.get(name) or FieldDef(name) for name in spec.form]
        return payloads.TaskView(
            task_id=task.id,
            title=public_title(blueprint.process, task.step, task.title),
            process=blueprint.name or task.process,
            outcomes=spec.outcomes,
            due=dt_util.as_local(task.due) if task.due is not None else None,
            fields=fields,
            text_fields=tuple(f.name for f in form_defs if f.type == "text"),
            required=() if spec.optional else tuple(f.name for f in form_defs if f.required),
            link=self._link(task, person),
            title_template=spec.notify.title if spec.notify is not None else None,
            message_template=spec.notify.message if spec.notify is not None else None,
            inputs=blueprint.input_values(),
        )

    def _link(self, task: Task, person: str) -> str:
        """The recipient's own to-do list (their "My tasks", or the group queue the task waits in)."""
        registry = er.async_get(self.hass)
        direct = person == task.assignee or person in task.candidates
        unique_id = f"tasks_{person}" if direct or not task.group else f"queue_{task.group}"
        entity_id = registry.async_get_entity_id("todo", DOMAIN, unique_id)
        return f"/todo?entity_id={entity_id}" if entity_id else "/todo"
