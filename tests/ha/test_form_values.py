"""Form data sent with ``bpo.complete_task`` is checked against the field types the blueprint declares."""

from __future__ import annotations

from typing import Any

import pytest
import voluptuous as vol
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from pytest_homeassistant_custom_component.common import MockUser

from custom_components.bpo.const import DOMAIN

from .helpers import World, async_setup_bare_world, bpo_device
from .test_device_records import IPHONE
from .test_todo import DIRECTORY, NOW

INSPECTION = """\
blueprint: {name: Inspection, domain: bpo}
process:
  key: inspection
  start: [{manual: {}}]
  fields:
    devices: {type: number}
    agreed: {type: bool}
    verdict: {type: choice, options: [ok, follow_up]}
    checked_on: {type: date}
    notes: {type: text}
    extra: {type: file}
    owner: {type: entity}
  steps:
    - id: inspect
      task:
        title: Inspect
        assignee: person.alice
        form: [devices, agreed, verdict, checked_on, notes, extra, owner]
"""
ACCEPTED: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {
    "typed values": (
        {"devices": 3, "agreed": True, "verdict": "ok", "checked_on": "2026-03-03", "extra": {"a": [1]}},
        {"devices": 3, "agreed": True, "verdict": "ok", "checked_on": "2026-03-03", "extra": {"a": [1]}},
    ),
    "text from a form": (
        {"devices": " 12 ", "agreed": "yes", "verdict": "follow_up", "notes": "seen"},
        {"devices": 12, "agreed": True, "verdict": "follow_up", "notes": "seen"},
    ),
    "decimals and no": ({"devices": "1.5", "agreed": "off"}, {"devices": 1.5, "agreed": False}),
    "empty means not given": ({"devices": "", "notes": None}, None),  # nothing to store
}
# the message names the field and what it expects, never the value (it may be personal data)
REFUSED: dict[str, tuple[dict[str, Any], str]] = {
    "a word for a number": ({"devices": "many"}, "devices: expected a number"),
    "true for a number": ({"devices": True}, "devices: expected a number"),
    "not a number": ({"devices": "nan"}, "devices: expected a finite number"),
    "a card number for a number": ({"devices": "4111-1111-1111-1111"}, "devices: expected a number"),
    "maybe for a bool": ({"agreed": "maybe"}, "agreed: expected true or false"),
    "an unlisted choice": ({"verdict": "great"}, "verdict: expected one of ok, follow_up"),
    "a date written otherwise": ({"checked_on": "03/03/2026"}, "checked_on: expected a date like 2026-01-31"),
    "a list for an entity": ({"owner": ["person.alice"]}, "owner: expected an entity id like person.alice"),
    "text too long": ({"notes": "n" * 10_001}, "notes: expected text of at most 10000 characters"),
    "a structure too deep": ({"extra": [[[[[["x"]]]]]]}, "extra: nested more than 5 levels"),
    "a field the task lacks": ({"salary": 1}, "has no form field(s) salary"),
    "a name too long": ({"k" * 300: 1}, "form: a name that is empty, not text or longer than 255 characters"),
}


async def _world(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> World:
    return await async_setup_bare_world(
        hass, freezer, NOW, blueprints={"inspection.yaml": INSPECTION}, directory=DIRECTORY
    )


async def _task(hass: HomeAssistant, world: World) -> str:
    await hass.services.async_call(DOMAIN, "start", {"process": "inspection", "key": "k"}, blocking=True)
    [task] = world.manager.engine.open_tasks(assignee="person.alice")
    return str(task.id)


@pytest.mark.parametrize("case", sorted(ACCEPTED))
async def test_form_values_are_stored_as_their_type(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser, case: str
) -> None:
    sent, stored = ACCEPTED[case]
    world = await _world(hass, freezer)
    task_id = await _task(hass, world)
    await hass.services.async_call(DOMAIN, "complete_task", {"task_id": task_id, "form": sent}, blocking=True)
    task = world.manager.engine.task(task_id)
    assert (task.status, task.form) == ("completed", stored)


@pytest.mark.parametrize("case", sorted(REFUSED))
async def test_a_wrong_value_is_refused_naming_the_field(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser, case: str
) -> None:
    sent, message = REFUSED[case]
    world = await _world(hass, freezer)
    task_id = await _task(hass, world)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "complete_task", {"task_id": task_id, "form": sent}, blocking=True
        )
    assert err.value.translation_key == "invalid_form"
    assert message in str(err.value)
    for value in sent.values():
        if isinstance(value, str) and value not in message:
            assert value not in str(err.value)  # the value itself is never echoed
    assert world.manager.engine.task(task_id).is_open
    assert world.manager.engine.task(task_id).form is None


START_REFUSED: dict[str, tuple[dict[str, Any], str]] = {
    "a word for a number": ({"fields": {"devices": "abc"}}, "devices: expected a number"),
    "nan for a number": ({"fields": {"devices": "nan"}}, "devices: expected a finite number"),
    "a nested list for an entity": (
        {"fields": {"owner": [["person.alice"]]}},
        "owner: expected an entity id like person.alice",
    ),
    "a 1 MB field name": (
        {"fields": {"k" * 1_000_000: 1}},
        "fields: a name that is empty, not text or longer",
    ),
    "a card number for a date": (
        {"fields": {"checked_on": "4111 1111 1111 1111"}},
        "checked_on: expected a date like 2026-01-31",
    ),
}


@pytest.mark.parametrize("case", sorted(START_REFUSED))
async def test_start_fields_are_checked_before_anything_is_stored(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser, case: str
) -> None:
    sent, message = START_REFUSED[case]
    world = await _world(hass, freezer)
    store = world.entry.runtime_data.store
    before = store.stats()
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "start", {"process": "inspection", **sent}, blocking=True)
    assert err.value.translation_key == "invalid_form"
    assert message in str(err.value)
    assert "4111" not in str(err.value) and "abc" not in str(err.value)
    assert list(world.manager.engine.instances()) == []
    assert store.stats() == before  # nothing written


@pytest.mark.parametrize(
    ("service", "data"),
    [
        ("start", {"process": "inspection", "key": "k" * 256}),
        ("complete_task", {"task_id": "t" * 256}),
        ("reassign", {"task_id": "i1.1", "assignee": "a" * 256}),
        ("cancel", {"instance_id": "i" * 256}),
        ("resume", {"process": "p" * 256}),
    ],
)
async def test_ids_and_keys_have_a_size_limit(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
    service: str,
    data: dict[str, Any],
) -> None:
    world = await _world(hass, freezer)
    before = world.entry.runtime_data.store.stats()
    with pytest.raises(vol.Invalid, match="length of value must be at most 255"):
        await hass.services.async_call(DOMAIN, service, data, blocking=True)
    assert list(world.manager.engine.instances()) == []
    assert world.entry.runtime_data.store.stats() == before


async def test_start_fields_are_stored_as_their_type(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser
) -> None:
    world = await _world(hass, freezer)
    fields = {"devices": " 12 ", "agreed": "yes", "owner": "person.alice", "notes": None}
    before = world.entry.runtime_data.store.stats()
    data = {"process": "inspection", "fields": fields}
    await hass.services.async_call(DOMAIN, "start", data, blocking=True)
    assert world.entry.runtime_data.store.stats() != before  # what the refusals above leave unchanged
    [inst] = world.manager.engine.instances()
    assert {k: inst.fields[k] for k in ("devices", "agreed", "owner")} == {
        "devices": 12,
        "agreed": True,
        "owner": "person.alice",
    }


@pytest.mark.parametrize("key", ["device_id", "name", "model"])
async def test_device_names_have_a_size_limit(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser, key: str
) -> None:
    await _world(hass, freezer)
    data = {**IPHONE, key: "n" * 1_000_000}
    with pytest.raises(vol.Invalid, match="length of value must be at most 255"):
        await hass.services.async_call(DOMAIN, "register_device", data, blocking=True, return_response=True)
    assert bpo_device(hass, f"device_{data['device_id']}") is None
    assert bpo_device(hass, f"device_{IPHONE['device_id']}") is None
