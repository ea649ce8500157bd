"""To-do lists: "My tasks" per HA person and one queue per directory group.

Each open task is one item (uid = task id) on the list of its assignee/candidates or of its group; the
entities are per person and per queue, never per task. A completed task stays on its lists, ticked, for the
retention period (option ``completed_days``, 7 by default), as HA's local to-do lists keep done items. Lists
are kept by ``task_lists.TaskLists`` and rewritten only when a commit touched one of their tasks.

Checking an item off completes the task through the engine with ``source="todo"``. Tasks that need a
choice of outcome or required form data cannot be completed by a checkbox: the box unticks at once and the
user is sent to the BPO panel (or the ``bpo.complete_task`` action) instead.

Who may check an item off: admins (and calls without a user: automations) anything; other users only items
on their own list or on the queue of a group they belong to; the engine checks the task itself again.
Note that HA's own entity permissions apply first: a read-only user may not call ``todo.update_item`` at
all, and completes their tasks through ``bpo.complete_task``.
"""

from __future__ import annotations

from homeassistant.auth.permissions.const import POLICY_CONTROL
from homeassistant.components.todo import (
    TodoItem,
    TodoItemStatus,
    TodoListEntity,
    TodoListEntityFeature,
)
from homeassistant.const import Platform
from homeassistant.core import Context, Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_state_added_domain
from homeassistant.util import dt as dt_util
from homeassistant.util import slugify

from . import BpoConfigEntry
from .const import DOMAIN, SIGNAL_LIST, TITLE
from .engine.model import Blueprint, Process
from .engine.pii_taint import public_title, shown_description
from .engine.runtime_errors import EngineError, InvalidForm, InvalidOutcome, NotAllowed, TaskNotFound
from .engine.state import Instance, Task
from .engine.visibility import pii_cleared
from .engine_calls import save_failed
from .entity import BpoEntity, EntityAdder
from .exposure import hide_from_assistants
from .manager import BpoManager
from .permissions import PERSON_DOMAIN, async_actor
from .task_lists import person_list, queue_list

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: BpoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """A list per person present now (and added later) and per group queue of the directory."""
    manager = entry.runtime_data.manager

    def person_lists(person: str) -> list[Entity]:
        state = hass.states.get(person)
        return [BpoPersonTasks(manager, person, state.name if state is not None else person)]

    def queue_lists(group: str) -> list[Entity]:
        return [BpoQueueTasks(manager, group)]

    persons = EntityAdder(
        lambda: hass.states.async_entity_ids(PERSON_DOMAIN), person_lists, async_add_entities
    )
    persons.async_start(hass, entry)

    @callback
    def _person_added(_event: Event[EventStateChangedData]) -> None:
        persons.async_update()

    entry.async_on_unload(async_track_state_added_domain(hass, PERSON_DOMAIN, _person_added))
    EntityAdder(lambda: list(manager.directory.groups), queue_lists, async_add_entities).async_start(
        hass, entry
    )


class BpoTaskList(BpoEntity, TodoListEntity):
    """Open tasks of one person or one queue, as to-do items.

    Lists belong to no device: with ``has_entity_name`` a device's name would lead every list's name
    ("BPO Workflows My tasks (Alice)", cut short in the to-do sidebar), so they are named alone
    ("Alice's tasks", "approvers queue"). Their entity ids keep the ``bpo_workflows_`` prefix they always
    had, so automations and existing installs are unaffected and they never clash with other lists.
    """

    _attr_supported_features = TodoListEntityFeature.UPDATE_TODO_ITEM

    def _tasks(self) -> list[Task]:
        raise NotImplementedError

    def _may_complete(self, person: str) -> bool:
        """Whether a non-admin user (as person entity id) may check off items of this list."""
        raise NotImplementedError

    @callback
    def _refresh(self) -> None:
        tasks = self._tasks()
        # open first, by due date; then done ones, most recent first
        open_tasks = sorted(
            (t for t in tasks if t.is_open),
            key=lambda t: (t.due is None, t.due or t.created, t.created, t.id),
        )
        done = sorted((t for t in tasks if not t.is_open), key=lambda t: (t.completed_at or t.created, t.id))
        self._attr_todo_items = [self._item(task) for task in (*open_tasks, *reversed(done))]

    def _version(self, task: Task) -> Blueprint | None:
        """The blueprint version ``task``'s instance runs on: the one whose templates rendered its texts
        (a reload may have changed them since)."""
        instance = self.manager.engine.instance(task.instance_id)
        return self.manager.engine.version_of(instance) if instance is not None else None

    def _item(self, task: Task) -> TodoItem:
        # the title and a rendered description are masked when they carry personal data and the list's
        # people are not cleared for it
        blueprint = self._version(task)
        process = blueprint.process if blueprint is not None else None
        instance = self.manager.engine.instance(task.instance_id)
        cleared = process is not None and self._cleared(process, instance)
        return TodoItem(
            uid=task.id,
            summary=public_title(process, task.step, task.title, cleared),
            status=TodoItemStatus.NEEDS_ACTION if task.is_open else TodoItemStatus.COMPLETED,
            due=dt_util.as_local(task.due) if task.due is not None else None,
            description=self._describe(task, cleared),
        )

    def _cleared(self, process: Process, instance: Instance | None) -> bool:
        """Whether the people this list belongs to are cleared for the process's PII."""
        raise NotImplementedError

    async def async_added_to_hass(self) -> None:
        """Task lists may name people and their data: not exposed to Assist unless the user chooses to."""
        await super().async_added_to_hass()
        hide_from_assistants(self.hass, self.entity_id)

    def _describe(self, task: Task, cleared: bool) -> str:
        """Process and step, the task's description, and what a checkbox cannot supply (outcome choice,
        required form fields)."""
        blueprint = self._version(task)
        lines = [f"{blueprint.name if blueprint and blueprint.name else task.process} · {task.step}"]
        if blueprint is None:
            return lines[0]
        try:
            spec = blueprint.process.step(task.step).task
        except KeyError:
            spec = None  # the step is gone from the current blueprint version
        if spec is None:
            return lines[0]
        if text := shown_description(blueprint.process, spec, task.description, cleared):
            lines.append(text)
        if len(spec.outcomes) > 1:
            lines.append(f"Outcomes: {', '.join(spec.outcomes)}")
        if spec.form:
            fields = blueprint.process.fields
            labels = [
                (fields[name].label or name) + (" *" if name in fields and fields[name].required else "")
                if name in fields
                else name
                for name in spec.form
            ]
            lines.append(f"Form: {', '.join(labels)}")
        return "\n".join(lines)

    async def async_update_todo_item(self, item: TodoItem) -> None:
        """Checking an item off completes its task; anything else is not editable here.

        A refusal writes the list again: the to-do card already shows the box ticked, and only a fresh
        list from its subscription unticks it (otherwise it stays ticked until the page is reloaded).
        """
        try:
            await self._async_check_off(item)
        except HomeAssistantError:
            self.async_write_ha_state()
            raise

    async def _async_check_off(self, item: TodoItem) -> None:
        task = self.manager.engine.task(item.uid) if item.uid is not None else None
        if task is not None and not task.is_open and task.status == "completed":
            if item.status == TodoItemStatus.COMPLETED:
                return  # ticked already: nothing to do
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="todo_read_only")
        if item.uid is None or task is None or not task.is_open:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="not_found",
                translation_placeholders={"detail": item.uid or item.summary or ""},
            )
        if item.status != TodoItemStatus.COMPLETED:
            current = next((i for i in self.todo_items or () if i.uid == item.uid), None)
            if current == item:
                return  # nothing changed
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="todo_read_only")
        context = self._context or Context()
        actor = await async_actor(self.hass, context)
        if not actor.is_admin:
            if actor.person is None:
                raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_person")
            if not self._may_complete(actor.person):
                raise Unauthorized(context=context, entity_id=self.entity_id, permission=POLICY_CONTROL)
        task_id = task.id
        try:
            await self.manager.async_run_grouped(
                lambda engine: engine.complete_task(
                    task_id, user=actor.audit_name, source="todo", on_behalf=actor.is_admin
                )
            )
        except (InvalidOutcome, InvalidForm) as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="needs_service",
                translation_placeholders={
                    # masked even on a cleared person's own list: HA logs this text at error level
                    # when the tick came from the to-do card (a websocket action call)
                    "task": self._public_title(task),
                    "task_id": task_id,
                    "detail": str(err),
                },
            ) from err
        except (NotAllowed, TaskNotFound) as err:
            key = "not_allowed" if isinstance(err, NotAllowed) else "not_found"
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key=key,
                translation_placeholders={"detail": str(err)},
            ) from err
        except EngineError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="engine_error",
                translation_placeholders={"detail": str(err)},
            ) from err
        except HomeAssistantError as err:
            if err.translation_key is not None:
                raise
            raise save_failed(err) from err

    def _public_title(self, task: Task) -> str:
        """The title as anyone may read it (``<Step> (***)`` when it is rendered from personal data)."""
        blueprint = self._version(task)
        return public_title(blueprint.process if blueprint is not None else None, task.step, task.title)


class BpoPersonTasks(BpoTaskList):
    """ "My tasks" of one person: tasks assigned to them or offered to them as a candidate."""

    _attr_translation_key = "my_tasks"

    def __init__(self, manager: BpoManager, person: str, person_name: str) -> None:
        super().__init__(manager)
        self.person = person
        self._attr_unique_id = f"tasks_{person}"
        self._attr_translation_placeholders = {"person": person_name}
        self.entity_id = f"{Platform.TODO}.{slugify(f'{TITLE} my tasks {person_name}')}"

    def _tasks(self) -> list[Task]:
        return self.manager.lists.tasks(person_list(self.person))

    def _signals(self) -> tuple[str, ...]:
        return (SIGNAL_LIST.format(person_list(self.person)),)

    def _may_complete(self, person: str) -> bool:
        return person == self.person

    def _cleared(self, process: Process, instance: Instance | None) -> bool:
        return pii_cleared(self.person, process, self.manager.directory, instance)


class BpoQueueTasks(BpoTaskList):
    """A group's queue: tasks any member may take."""

    _attr_translation_key = "queue"

    def __init__(self, manager: BpoManager, group: str) -> None:
        super().__init__(manager)
        self.group = group
        self._attr_unique_id = f"queue_{group}"
        self._attr_translation_placeholders = {"group": group}
        self.entity_id = f"{Platform.TODO}.{slugify(f'{TITLE} queue {group}')}"

    @property
    def available(self) -> bool:
        return self.group in self.manager.directory.groups

    def _tasks(self) -> list[Task]:
        return self.manager.lists.tasks(queue_list(self.group))

    def _signals(self) -> tuple[str, ...]:
        return (SIGNAL_LIST.format(queue_list(self.group)),)

    def _may_complete(self, person: str) -> bool:
        return self.group in self.manager.directory.groups_of(person)

    def _cleared(self, process: Process, instance: Instance | None) -> bool:
        """Every member may see the queue: the title shows only when all of them are cleared."""
        members = self.manager.directory.members(self.group)
        directory = self.manager.directory
        return bool(members) and all(pii_cleared(m, process, directory, instance) for m in members)
