"""The shipped device registration and cancellation flows inside Home Assistant: an employee's request
arrives as an event (fired by a script she runs), her supervisor decides through ``bpo.complete_task``, and
an approval makes bpo call the real ``bpo.register_device`` / ``bpo.retire_device``."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError

from custom_components.bpo.device_records import DeviceRecords

from .helpers import World, as_user, async_setup_world, bpo_device, complete_as

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
# dave has no supervisor: the approvers group (erin) decides his requests
DIRECTORY = """\
groups:
  device_approvers: [person.erin]
supervisors:
  person.alice: person.sam
  person.bob: person.sam
"""
PHONE = {"device_id": "C02XK1", "name": "Alice's iPhone", "platform": "ios", "model": "iPhone 15"}


async def _world(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> World:
    await hass.config.async_set_time_zone("Asia/Tokyo")
    freezer.move_to(NOW)
    return await async_setup_world(hass, directory=DIRECTORY)


async def _request(hass: HomeAssistant, world: World, who: str, kind: str, **data: Any) -> None:
    """What the employee's script does: fire the request event from her own account."""
    hass.bus.async_fire(
        f"bpo_device_{kind}_requested", {"employee": f"person.{who}", **data}, context=as_user(world, who)
    )
    await hass.async_block_till_done()


def _open(world: World, process: str, step: str) -> Any:
    (task,) = [t for t in world.manager.engine.open_tasks(process=process) if t.step == step]
    return task


async def test_an_approved_registration_request_puts_the_device_in_the_registry(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    world = await _world(hass, freezer)
    engine = world.manager.engine
    await _request(hass, world, "alice", "registration", request_id="REG-101", **PHONE)
    approval = _open(world, "device_registration", "approval")
    assert approval.assignee == "person.sam" and approval.group is None
    assert engine.instance(approval.instance_id).key == "REG-101"  # the request id, not the person
    assert bpo_device(hass, "device_C02XK1") is None

    await complete_as(hass, world, "sam", approval.id, "approve", decision_note="Fine for work")
    device = bpo_device(hass, "device_C02XK1")
    assert device is not None and device.name == "Alice's iPhone" and device.model == "iPhone 15"
    records: DeviceRecords = world.entry.runtime_data.records
    record = records.get("C02XK1")
    assert record is not None and record.owner == "person.alice" and record.retired is None

    told = _open(world, "device_registration", "tell_employee")
    assert told.assignee == "person.alice" and told.title == "Alice's iPhone is registered"
    await complete_as(hass, world, "alice", told.id)
    assert engine.instance(approval.instance_id).status == "completed"


async def test_a_rejected_registration_registers_nothing_and_tells_the_employee(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    world = await _world(hass, freezer)
    await _request(hass, world, "alice", "registration", request_id="REG-102", **PHONE)
    approval = _open(world, "device_registration", "approval")
    await complete_as(hass, world, "sam", approval.id, "reject", decision_note="Too old")
    assert bpo_device(hass, "device_C02XK1") is None
    assert world.entry.runtime_data.records.get("C02XK1") is None
    told = _open(world, "device_registration", "tell_employee")
    assert told.assignee == "person.alice" and told.title == "Alice's iPhone was not approved"
    assert told.description == "Too old"


async def test_only_the_supervisor_may_decide_and_the_group_stands_in_for_a_missing_one(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    world = await _world(hass, freezer)
    await _request(hass, world, "alice", "registration", request_id="REG-103", **PHONE)
    approval = _open(world, "device_registration", "approval")
    for who in ("alice", "bob", "erin"):  # the asker herself, a colleague, an approver of others
        with pytest.raises(ServiceValidationError):
            await complete_as(hass, world, who, approval.id, "approve")
    assert bpo_device(hass, "device_C02XK1") is None

    # dave has no supervisor: his request goes to the approvers group, not to the admins' queue
    laptop = {"device_id": "PF3A9Z", "name": "Dave's ThinkPad", "platform": "windows"}
    await _request(hass, world, "dave", "registration", request_id="REG-104", **laptop)
    dave = next(
        t for t in world.manager.engine.open_tasks(process="device_registration") if t.id != approval.id
    )
    assert dave.assignee is None and dave.group == "device_approvers"
    with pytest.raises(ServiceValidationError):
        await complete_as(hass, world, "sam", dave.id, "approve")
    await complete_as(hass, world, "erin", dave.id, "approve")
    device = bpo_device(hass, "device_PF3A9Z")
    assert device is not None and device.model == "unknown"  # the form gave no model


async def test_an_approved_cancellation_retires_the_device_and_a_rejected_one_keeps_it(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    world = await _world(hass, freezer)
    await _request(hass, world, "alice", "registration", request_id="REG-105", **PHONE)
    await complete_as(hass, world, "sam", _open(world, "device_registration", "approval").id, "approve")
    assert bpo_device(hass, "device_C02XK1") is not None

    await _request(hass, world, "alice", "cancellation", request_id="CAN-201", device_id="C02XK1")
    approval = _open(world, "device_cancellation", "approval")
    assert approval.assignee == "person.sam"
    with pytest.raises(ServiceValidationError):
        await complete_as(hass, world, "bob", approval.id, "approve")
    await complete_as(hass, world, "sam", approval.id, "reject", decision_note="Still on call")
    assert bpo_device(hass, "device_C02XK1") is not None
    told = _open(world, "device_cancellation", "tell_employee")
    assert told.assignee == "person.alice" and told.title == "Device C02XK1 stays registered"

    await _request(
        hass, world, "alice", "cancellation", request_id="CAN-202", device_id="C02XK1", reason="sold"
    )
    approval = next(
        t for t in world.manager.engine.open_tasks(process="device_cancellation") if t.step == "approval"
    )
    await complete_as(hass, world, "sam", approval.id, "approve")
    assert bpo_device(hass, "device_C02XK1") is None
    record = world.entry.runtime_data.records.get("C02XK1")
    assert record is not None and record.retired is not None  # kept for audits
    titles = {t.title for t in world.manager.engine.open_tasks(process="device_cancellation")}
    assert titles == {"Device C02XK1 stays registered", "Device C02XK1 is retired"}
