"""The device security report (DESIGN.md §2 item 1) in Home Assistant with the set-up of
docs/scenarios/device-security-report.md: its directory, its register and retire calls.

The shipped blueprint runs as an admin installs it (employees listed in the copy); people work through
``bpo.complete_task`` and look through ``bpo.list_tasks``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from pytest_homeassistant_custom_component.common import MockUser

from custom_components.bpo.device_records import DeviceRecords

from .helpers import World, as_user, async_setup_world, bpo_device, complete_as, list_tasks_as, travel

DOC = Path(__file__).parents[2] / "docs" / "scenarios" / "device-security-report.md"
BLOCK = re.compile(r"<!-- ([\w. ]+) -->\n```yaml\n(.*?)```", re.S)
TOKYO = ZoneInfo("Asia/Tokyo")
FIRST = datetime(2026, 3, 1, 9, 0, tzinfo=TOKYO)


def _block(kind: str) -> str:
    (found,) = [t for m, t in BLOCK.findall(DOC.read_text(encoding="utf-8")) if m == kind]
    return found


async def _world(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> World:
    await hass.config.async_set_time_zone("Asia/Tokyo")
    freezer.move_to(FIRST - timedelta(hours=1))
    return await async_setup_world(
        hass, directory=_block("directory"), employees=("person.alice", "person.bob")
    )


async def _call(hass: HomeAssistant, call: dict[str, Any], admin: MockUser) -> dict[str, Any]:
    domain, service = call["action"].split(".")
    response = await hass.services.async_call(
        domain, service, call["data"], blocking=True, return_response=True, context=Context(user_id=admin.id)
    )
    await hass.async_block_till_done()
    assert isinstance(response, dict)
    return response


async def test_the_pages_directory_runs_the_report_with_view_rights_and_an_optional_comment(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    world = await _world(hass, freezer)
    engine = world.manager.engine
    await travel(hass, freezer, FIRST)
    reports = {t.assignee: t for t in engine.open_tasks(process="device_security_report")}
    assert sorted(reports) == ["person.alice", "person.bob"]  # the employees of the copy, not carol

    for who in ("alice", "bob"):
        await complete_as(
            hass,
            world,
            who,
            reports[f"person.{who}"].id,
            scan_history="scan.pdf",
            worries="phone left on a train",
        )
    owner = {t.instance_id: who for who, t in reports.items()}
    checks = {owner[t.instance_id]: t for t in engine.open_tasks() if t.step == "supervisor_check"}
    assert {t.assignee for t in checks.values()} == {"person.sam"}  # the page's supervisors
    inspections = {owner[t.instance_id]: t for t in engine.open_tasks() if t.step == "contractor_inspection"}
    assert {t.group for t in inspections.values()} == {"contractors"}

    # a comment may be given (alice's check) or not (bob's)
    await complete_as(hass, world, "sam", checks["person.alice"].id, comment="Scan is recent")
    await complete_as(hass, world, "sam", checks["person.bob"].id)
    assert engine.task(checks["person.alice"].id).form == {"comment": "Scan is recent"}
    assert engine.task(checks["person.bob"].id).status == "completed"
    with pytest.raises(ServiceValidationError):  # viewing is not acting: audit may not inspect
        await complete_as(hass, world, "erin", inspections["person.alice"].id, "ok")
    await complete_as(hass, world, "dave", inspections["person.alice"].id, "follow_up")

    # the supervisor, internal audit (erin) and the officers (carol) see both reports, read only and masked
    for viewer in ("sam", "erin", "carol"):
        rows = [
            r for r in await list_tasks_as(hass, world, viewer) if r["process"] == "device_security_report"
        ]
        assert {r["key"] for r in rows} == {"person.alice", "person.bob"}, viewer
        # alice's follow_up opened a fix for her
        assert {r["step"] for r in rows} == {"report", "supervisor_check", "contractor_inspection", "fix"}
        assert {r["fields"].get("worries") for r in rows} == {"***"}, viewer
    # an employee sees their own report only
    bob = [r for r in await list_tasks_as(hass, world, "bob") if r["process"] == "device_security_report"]
    assert {r["key"] for r in bob} == {"person.bob"}
    assert engine.instance(reports["person.alice"].instance_id).status == "running"  # fix, then re-inspection


async def test_a_follow_up_opens_a_fix_for_the_employee_then_a_new_inspection(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    world = await _world(hass, freezer)
    engine = world.manager.engine
    await travel(hass, freezer, FIRST)
    (report,) = [
        t for t in engine.open_tasks(process="device_security_report") if t.assignee == "person.alice"
    ]
    await complete_as(hass, world, "alice", report.id, scan_history="scan.pdf")

    def open_step(step: str) -> Any:
        found = [t for t in engine.open_tasks() if t.instance_id == report.instance_id and t.step == step]
        return found[0] if found else None

    # the supervisor's check still closes itself after 24 hours while the inspection loop runs
    await complete_as(
        hass, world, "dave", open_step("contractor_inspection").id, "follow_up", findings="No disk encryption"
    )
    fix = open_step("fix")
    assert fix.assignee == "person.alice" and fix.description == "No disk encryption"
    assert open_step("contractor_inspection") is None  # no new inspection until the fix is done
    with pytest.raises(ServiceValidationError):  # the contractor does not fix the employee's device
        await complete_as(hass, world, "dave", fix.id)
    await travel(hass, freezer, FIRST + timedelta(hours=25))
    assert open_step("supervisor_check") is None
    assert engine.instance(report.instance_id).status == "running"
    await complete_as(hass, world, "alice", fix.id)

    again = open_step("contractor_inspection")
    assert again is not None and again.group == "contractors"
    await complete_as(hass, world, "dave", again.id, "ok")
    assert open_step("fix") is None
    assert engine.instance(report.instance_id).status == "completed"


async def test_the_pages_register_and_retire_calls_work(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser
) -> None:
    world = await _world(hass, freezer)
    calls = {kind: yaml.safe_load(_block(kind)) for kind in ("register", "retire")}
    domain, service = calls["register"]["action"].split(".")
    with pytest.raises(Unauthorized):  # an employee may not register a device
        await hass.services.async_call(
            domain, service, calls["register"]["data"], blocking=True, context=as_user(world, "alice")
        )
    response = await _call(hass, calls["register"], hass_admin_user)
    assert response["owner"] == "person.alice" and response["active"] is True
    device = bpo_device(hass, "device_C02XK1")
    assert device is not None and device.name == "Alice's iPhone"
    assert hass.states.get("sensor.alice_s_iphone_compliance") is not None

    response = await _call(hass, calls["retire"], hass_admin_user)
    assert response["active"] is False
    assert bpo_device(hass, "device_C02XK1") is None
    records: DeviceRecords = world.entry.runtime_data.records
    record = records.get("C02XK1")
    assert record is not None and record.retired is not None  # kept for audits
