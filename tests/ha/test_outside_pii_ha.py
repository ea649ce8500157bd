"""An outside tester's findings against the HA layer, personal data: what a reload, a refused tick, a failed
action or diagnostics could show of a `pii` field to people not cleared for it. Each test names what a planted
(or real) bug would break."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from pytest_homeassistant_custom_component.common import MockUser
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.bpo.diagnostics import async_get_config_entry_diagnostics

from .helpers import as_user
from .outside_helpers import CALLS, MARK, dump, reload_with, start_call, world_with
from .ws_helpers import ws_as


@pytest.mark.parametrize("change", ["deleted", "broken"])
async def test_pii_stays_masked_after_a_reload_drops_the_blueprint_of_a_running_instance(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
    change: str,
) -> None:
    """An instance keeps the blueprint version it started with, so its ``pii: true`` fields stay personal
    data after its file is deleted or broken by an edit. A candidate who is not cleared (erin) must not see
    the caller's name in ``bpo.list_tasks``, the panel's task list or instance view, nor diagnostics."""
    world = await world_with(hass, freezer)
    instance_id = await start_call(hass, world)
    await reload_with(hass, "calls.yaml", None if change == "deleted" else CALLS.replace("steps:", "stepz:"))
    assert world.manager.engine.blueprint("calls") is None  # the file no longer defines it
    assert world.manager.engine.instance(instance_id).is_running  # the instance carries on

    listed = await hass.services.async_call(
        "bpo", "list_tasks", {}, blocking=True, return_response=True, context=as_user(world, "erin")
    )
    erin = await ws_as(hass, hass_ws_client, world.users["erin"])
    rows = (await erin.ok("bpo/tasks/list"))["tasks"]
    seen = await erin.ok("bpo/instance/get", instance_id=instance_id)
    assert len(rows) == 1 and rows[0]["fields"]["caller_name"] == "***"
    assert seen["fields"]["caller_name"] == "***"
    assert MARK not in dump(listed) + dump(rows) + dump(seen)
    diagnostics = await async_get_config_entry_diagnostics(hass, world.entry)
    assert MARK not in dump(diagnostics)


async def test_closed_tasks_of_a_process_no_file_defines_show_no_field_values(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_ws_client: WebSocketGenerator
) -> None:
    """Once an instance ended and its blueprint file is gone, bpo no longer knows which of its fields were
    ``pii``: a candidate who was never cleared still sees its closed task (``include_closed``) but no field
    value, and diagnostics export none either."""
    world = await world_with(hass, freezer)
    instance_id = await start_call(hass, world)
    await hass.services.async_call("bpo", "cancel", {"instance_id": instance_id}, blocking=True)
    await reload_with(hass, "calls.yaml", None)
    assert world.manager.engine.version_of(world.manager.engine.instance(instance_id)) is None

    listed = await hass.services.async_call(
        "bpo",
        "list_tasks",
        {"include_closed": True},
        blocking=True,
        return_response=True,
        context=as_user(world, "erin"),
    )
    assert isinstance(listed, dict)
    [row] = listed["tasks"]
    assert row["fields"] == {"caller_name": "***", "topic": "***"}
    erin = await ws_as(hass, hass_ws_client, world.users["erin"])
    seen = await erin.ok("bpo/instance/get", instance_id=instance_id)
    assert seen["masked"] is True and MARK not in dump(seen)
    diagnostics = await async_get_config_entry_diagnostics(hass, world.entry)
    [recent] = [i for i in diagnostics["recent_instances"] if i["id"] == instance_id]
    assert recent["fields"] == {"caller_name": "**REDACTED**", "topic": "**REDACTED**"}


async def test_a_tick_refused_in_the_to_do_card_logs_no_personal_data(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The to-do card ticks an item with ``todo.update_item`` over the websocket; HA logs the text of a
    ``ServiceValidationError`` from such a call at error level. carol is cleared and sees ``Call back
    <caller>`` on her list, but a task that needs an outcome is refused - and that refusal, quoting her
    list's title, must not put the caller's name into the log (docs: error messages carry field names and
    expected types only, for cleared people too)."""
    world = await world_with(hass, freezer)
    instance_id = await start_call(hass, world)
    task = world.manager.engine.instance(instance_id).tasks[0]
    carol = await ws_as(hass, hass_ws_client, world.users["carol"])
    with caplog.at_level(logging.INFO):
        answer = await carol.call(
            "call_service",
            domain="todo",
            service="update_item",
            service_data={"item": task.id, "status": "completed"},
            target={"entity_id": "todo.bpo_workflows_my_tasks_carol"},
        )
    assert not answer["success"]
    assert answer["error"]["translation_key"] == "needs_service"
    assert "Call back (***)" in answer["error"]["message"]  # still says which task
    assert MARK not in caplog.text
    assert MARK not in dump(answer)
    assert world.manager.engine.task(task.id).is_open


LOOKUP = """\
blueprint: {name: Lookup, domain: bpo}
process:
  key: lookup
  start: [{manual: {}}]
  pii_cleared: [group:center]
  fields:
    caller_name: {type: text, pii: true}
    topic: {type: text}
  steps:
    - id: crm
      action:
        service: crm.find
        data: {name: "{{ fields.caller_name }}", topic: "{{ fields.topic }}"}
    - id: after
      task: {title: After, assignee: person.erin}
"""


async def test_an_action_that_fails_quoting_its_data_leaks_no_pii(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Another integration's action may fail with a message that quotes what it was sent (here a ``pii``
    field). The instance fails and says which step and action; the caller's name must not reach bpo's
    events (``bpo_instance_completed``'s ``error``: the bus, logbook and recorder), the log or
    diagnostics."""

    async def find(call: ServiceCall) -> None:
        raise HomeAssistantError(f"no CRM record for {call.data['name']} ({call.data['topic']})")

    hass.services.async_register("crm", "find", find)
    world = await world_with(hass, freezer, lookup=LOOKUP)
    with caplog.at_level(logging.DEBUG, logger="custom_components.bpo"):
        await hass.services.async_call(
            "bpo",
            "start",
            {"process": "lookup", "key": "l1", "fields": {"caller_name": MARK, "topic": "billing"}},
            blocking=True,
        )
        await hass.async_block_till_done()
    [inst] = world.manager.engine.instances(process="lookup")
    assert inst.status == "failed" and "crm.find" in (inst.error or "")
    assert MARK not in dump(world.bpo_events())
    assert MARK not in caplog.text
    assert MARK not in dump(await async_get_config_entry_diagnostics(hass, world.entry))


async def test_titles_rendered_from_pii_stay_masked_after_a_reload_drops_the_template(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_ws_client: WebSocketGenerator
) -> None:
    """An open task's title was rendered from a ``pii`` field under the version it started with. The admin
    then rewrites the step's title without a template and reloads: the open task still holds the caller's
    name, so erin's to-do list, the calendar (one entity every user reads, and the recorder keeps) and the
    panel must still mask it - the taint of a title is that of the template that rendered it."""
    world = await world_with(hass, freezer)
    instance_id = await start_call(hass, world)
    task = world.manager.engine.instance(instance_id).tasks[0]
    assert task.title == f"Call back {MARK}"
    v2 = CALLS.replace('title: "Call back {{ fields.caller_name }}"', "title: Call back")
    await reload_with(hass, "calls.yaml", v2)
    assert (
        world.manager.engine.blueprint("calls").process.version
        != world.manager.engine.instance(instance_id).version
    )
    items = await hass.services.async_call(
        "todo",
        "get_items",
        {"entity_id": "todo.bpo_workflows_my_tasks_erin"},
        blocking=True,
        return_response=True,
    )
    erin = await ws_as(hass, hass_ws_client, world.users["erin"])
    rows = (await erin.ok("bpo/tasks/list"))["tasks"]
    assert [r["title"] for r in rows] == ["Call back (***)"]
    calendar = await hass.services.async_call(
        "calendar",
        "get_events",
        {"entity_id": "calendar.bpo_workflows_schedule", "duration": {"days": 30}},
        blocking=True,
        return_response=True,
    )
    states = [s.as_dict() for s in hass.states.async_all()]
    events = calendar["calendar.bpo_workflows_schedule"]["events"]  # type: ignore[index]
    assert "Due: Call back (***)" in [e["summary"] for e in events]
    assert MARK not in dump(items), items
    assert MARK not in dump(calendar) + dump(states)


PII_NUMBER = """\
blueprint: {name: Payroll, domain: bpo}
process:
  key: payroll
  start: [{manual: {}}]
  fields:
    salary: {type: number, pii: true}
    birthday: {type: date, pii: true}
    owner: {type: entity, pii: true}
  steps:
    - id: check
      task: {title: Check, assignee: person.sam}
"""


@pytest.mark.parametrize(
    "fields",
    [
        {"salary": MARK},
        {"salary": [MARK]},
        {"birthday": MARK},
        {"owner": f"person {MARK}"},
        {"salary": 1, "unknown": MARK},
        {"salary": {"deep": [[[[[[MARK]]]]]]}},
    ],
)
async def test_a_start_with_a_pii_field_of_the_wrong_type_is_refused_without_the_value(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
    hass_admin_user: MockUser,
    caplog: pytest.LogCaptureFixture,
    fields: dict[str, Any],
) -> None:
    """By action and by websocket: refused naming the field, never quoting the value (in the answer or the
    log), and nothing stored."""
    world = await world_with(hass, freezer, payroll=PII_NUMBER)
    admin = await ws_as(hass, hass_ws_client, hass_admin_user)
    with caplog.at_level(logging.DEBUG, logger="custom_components.bpo"):
        answer = await admin.call("bpo/process/start", process="payroll", key="p1", fields=fields)
        assert not answer["success"] and MARK not in dump(answer)
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                "bpo", "start", {"process": "payroll", "key": "p1", "fields": fields}, blocking=True
            )
    assert MARK not in str(err.value) + dump(err.value.translation_placeholders)
    # HA's websocket logger writes every message at debug (documented); bpo's own at any level, the rest
    # from info up
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("custom_components.bpo")]
    logged += [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert MARK not in "\n".join(logged)
    assert world.manager.engine.instances(process="payroll") == []
    assert world.bpo_events("instance_started") == []


NOTES = """\
blueprint: {name: Notes, domain: bpo}
process:
  key: notes
  start: [{manual: {}}]
  fields:
    notes: {type: text}
    memo: {type: text}
  steps:
    - id: write
      task: {title: Write, assignee: person.carol, form: [notes]}
"""


async def test_diagnostics_mask_free_text_that_looks_like_personal_data(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Diagnostics are made to be attached to public bug reports. A card number or an e-mail address typed
    into a free-text field not marked ``pii`` is masked in events and notifications (docs) - and must not
    be exported by diagnostics either, neither as a start field nor as a task's form value."""
    world = await world_with(hass, freezer, notes=NOTES)
    card, mail = "4111 1111 1111 1111", "jane.doe@example.com"
    await hass.services.async_call(
        "bpo",
        "start",
        {"process": "notes", "key": "n1", "fields": {"memo": f"write to {mail}"}},
        blocking=True,
    )
    [task] = world.manager.engine.open_tasks(process="notes")
    await hass.services.async_call(
        "bpo", "complete_task", {"task_id": task.id, "form": {"notes": f"paid by {card}"}}, blocking=True
    )
    diagnostics = dump(await async_get_config_entry_diagnostics(hass, world.entry))
    assert card not in diagnostics and mail not in diagnostics
    assert '"n1"' in diagnostics or "notes" in diagnostics  # the instance is there, its values masked


IDENTITY = """\
blueprint: {name: Identity check, domain: bpo}
process:
  key: identity
  start: [{manual: {}}]
  pii_cleared: [group:center]
  fields:
    caller_name: {type: text, pii: true}
  steps:
    - id: check
      task: {title: Check identity, candidates: [person.erin, person.carol], pii: true}
"""


async def test_a_pii_task_cannot_be_claimed_by_a_candidate_not_cleared(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_ws_client: WebSocketGenerator
) -> None:
    """erin is a candidate of a ``pii: true`` task but not cleared: she may not complete it, so she may not
    claim it either (a claim would take it off the list of carol, who is cleared); the panel does not
    offer her the claim."""
    world = await world_with(hass, freezer, identity=IDENTITY)
    await hass.services.async_call("bpo", "start", {"process": "identity", "key": "x1"}, blocking=True)
    [task] = world.manager.engine.open_tasks(process="identity")
    erin = await ws_as(hass, hass_ws_client, world.users["erin"])
    [row] = (await erin.ok("bpo/tasks/list"))["tasks"]
    assert row["can_complete"] is False and row["can_claim"] is False
    await erin.refused("bpo/task/claim", "unauthorized", task_id=task.id)
    assert world.manager.engine.task(task.id).assignee is None
    carol = await ws_as(hass, hass_ws_client, world.users["carol"])
    assert (await carol.ok("bpo/task/claim", task_id=task.id))["assignee"] == "person.carol"


async def test_an_instance_whose_file_a_reload_removed_finishes_on_its_version_across_a_restart(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_ws_client: WebSocketGenerator
) -> None:
    """The file goes, the running instance stays: after a reload and a restart its task is still listed
    with its outcomes and form, carol (cleared) still sees the caller's name, erin still does not, and the
    answer completes the instance on the version it started with."""
    world = await world_with(hass, freezer)
    instance_id = await start_call(hass, world)
    task = world.manager.engine.instance(instance_id).tasks[0]
    await reload_with(hass, "calls.yaml", None)
    assert await hass.config_entries.async_unload(world.entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(world.entry.entry_id)
    await hass.async_block_till_done()
    carol = await ws_as(hass, hass_ws_client, world.users["carol"])
    erin = await ws_as(hass, hass_ws_client, world.users["erin"])
    [mine] = (await carol.ok("bpo/tasks/list"))["tasks"]
    assert mine["outcomes"] == ["reached", "no_answer"] and [f["name"] for f in mine["form"]] == ["amount"]
    assert mine["title"] == f"Call back {MARK}" and mine["fields"]["caller_name"] == MARK
    [hers] = (await erin.ok("bpo/tasks/list"))["tasks"]
    assert hers["title"] == "Call back (***)" and MARK not in dump(hers)
    done = await carol.ok("bpo/task/complete", task_id=task.id, outcome="reached", form={"amount": 2})
    assert done["status"] == "completed"
    assert world.manager.engine.instance(instance_id).status == "completed"
