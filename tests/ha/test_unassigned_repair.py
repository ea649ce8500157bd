"""The shipped device report with a directory that names no supervisor for alice: her supervisor check
goes to the admins' queue (alice may not complete it), a Repair names process and step, an admin
completes it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir

from custom_components.bpo.engine.state import ADMINS_QUEUE
from custom_components.bpo.repairs import unassigned_issue_id

from .helpers import DIRECTORY, async_setup_world, travel

TOKYO = ZoneInfo("Asia/Tokyo")
FIRST_OF_MONTH = datetime(2026, 12, 1, 9, 0, tzinfo=TOKYO)
NO_SUPERVISOR_FOR_ALICE = DIRECTORY.replace("  person.alice: person.sam\n", "")
ISSUE = unassigned_issue_id("device_security_report", "supervisor_check")


async def _complete(hass: HomeAssistant, task_id: str, user_id: str, **data: object) -> None:
    await hass.services.async_call(
        "bpo", "complete_task", {"task_id": task_id, **data}, blocking=True, context=Context(user_id=user_id)
    )


@pytest.mark.parametrize("restart", [False, True])
async def test_supervisor_check_without_supervisor_goes_to_admins(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, restart: bool
) -> None:
    assert NO_SUPERVISOR_FOR_ALICE != DIRECTORY
    await hass.config.async_set_time_zone("Asia/Tokyo")
    freezer.move_to(datetime(2026, 11, 30, 12, 0, tzinfo=TOKYO))
    world = await async_setup_world(hass, directory=NO_SUPERVISOR_FOR_ALICE)
    engine = world.manager.engine
    admin = await hass.auth.async_create_user("Admin", group_ids=["system-admin"])

    await travel(hass, freezer, FIRST_OF_MONTH)
    report = next(t for t in engine.open_tasks() if t.assignee == "person.alice")
    await _complete(hass, report.id, world.users["alice"].id, form={"scan_history": "scan.pdf"})
    check = next(t for t in engine.open_tasks() if t.step == "supervisor_check")
    assert check.instance_id == report.instance_id
    assert check.assignee is None and check.group == ADMINS_QUEUE

    # bob's supervisor is known: his check stays with sam, no issue about it
    assert not [t for t in engine.open_tasks(group=ADMINS_QUEUE) if t.instance_id != report.instance_id]

    issue = ir.async_get(hass).async_get_issue("bpo", ISSUE)
    assert issue is not None and issue.translation_key == "task_unassigned"
    assert issue.translation_placeholders == {"process": "device_security_report", "step": "supervisor_check"}
    unassigned = world.bpo_events("task_unassigned")
    assert [d["task_id"] for _, d in unassigned] == [check.id]
    assert "person.alice" not in str(unassigned)  # ids only, no person

    # alice (whose supervisor check it is), an internal auditor and a contractor are refused
    for name in ("alice", "erin", "dave"):
        with pytest.raises(ServiceValidationError, match="admins' queue"):
            await _complete(hass, check.id, world.users[name].id)
        assert engine.task(check.id).is_open

    if restart:  # the issue outlives the entry: the new one must still settle it
        assert await hass.config_entries.async_unload(world.entry.entry_id)
        assert await hass.config_entries.async_setup(world.entry.entry_id)
        await hass.async_block_till_done()
        engine = world.manager.engine
        assert ir.async_get(hass).async_get_issue("bpo", ISSUE) is not None
    await _complete(hass, check.id, admin.id)
    done = engine.task(check.id)
    assert done.status == "completed" and done.by == f"user:{admin.id}"
    assert ir.async_get(hass).async_get_issue("bpo", ISSUE) is None
