"""Admin-only services, reload, invalid-file repairs and the runaway-suspension fix flow."""

from __future__ import annotations

from pathlib import Path

import pytest
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockUser

from custom_components.bpo.repairs import SUSPENDED_PREFIX

from .helpers import async_setup_world

MANUAL = """\
blueprint: {{name: Manual, domain: bpo}}
process:
  key: manual_check
  start:
    - manual: {{}}
  limits: {{max_starts: {limit}, per: 1h}}
  steps:
    - id: check
      task: {{title: "{title}", group: contractors}}
"""


async def test_admin_services_refuse_non_admins(hass: HomeAssistant) -> None:
    world = await async_setup_world(hass, blueprints={"manual.yaml": MANUAL.format(limit=10, title="Check")})
    bob = Context(user_id=world.users["bob"].id)
    for service, data in (
        ("start", {"process": "manual_check"}),
        ("reload", {}),
        ("resume", {"process": "manual_check"}),
        ("cancel", {"instance_id": "x"}),
        ("reassign", {"task_id": "x", "assignee": "person.bob"}),
    ):
        with pytest.raises(Unauthorized):
            await hass.services.async_call("bpo", service, data, blocking=True, context=bob)
    assert world.manager.engine.instances() == []
    # an automation (no user) may start
    response = await hass.services.async_call(
        "bpo", "start", {"process": "manual_check", "key": "k1"}, blocking=True, return_response=True
    )
    assert response["status"] == "running"
    assert len(world.manager.engine.instances()) == 1


async def test_invalid_blueprint_raises_repair_and_valid_ones_keep_working(hass: HomeAssistant) -> None:
    broken = "blueprint: {name: Broken, domain: bpo}\nprocess:\n  key: broken\n  stepz: []\n"
    world = await async_setup_world(hass, blueprints={"broken.yaml": broken})
    keys = [bp.process.key for bp in world.manager.engine.blueprints()]
    assert "device_security_report" in keys
    assert "broken" not in keys
    issues = [i for (d, _), i in ir.async_get(hass).issues.items() if d == "bpo"]
    assert len(issues) == 1
    placeholders = issues[0].translation_placeholders or {}
    assert placeholders["file"].endswith("broken.yaml")
    assert placeholders["line"] == "4" or placeholders["line"].isdigit()
    assert "stepz" in placeholders["problems"]

    # fixing the file and reloading clears the issue and loads the process
    Path(hass.config.path("blueprints/bpo/broken.yaml")).write_text(
        MANUAL.format(limit=5, title="Fixed").replace("manual_check", "broken"), encoding="utf-8"
    )
    await hass.services.async_call("bpo", "reload", {}, blocking=True)
    assert "broken" in [bp.process.key for bp in world.manager.engine.blueprints()]
    assert not [i for (d, _), i in ir.async_get(hass).issues.items() if d == "bpo"]


async def test_reload_keeps_running_instances_on_their_version(hass: HomeAssistant) -> None:
    world = await async_setup_world(hass, blueprints={"manual.yaml": MANUAL.format(limit=10, title="Old")})
    engine = world.manager.engine
    await hass.services.async_call("bpo", "start", {"process": "manual_check", "key": "a"}, blocking=True)
    first = engine.instances()[0]
    Path(hass.config.path("blueprints/bpo/manual.yaml")).write_text(
        MANUAL.format(limit=10, title="New"), encoding="utf-8"
    )
    await hass.services.async_call("bpo", "reload", {}, blocking=True)
    await hass.services.async_call("bpo", "start", {"process": "manual_check", "key": "b"}, blocking=True)
    second = next(i for i in engine.instances() if i.key == "b")
    assert first.version != second.version
    titles = {t.instance_id: t.title for t in engine.open_tasks()}
    assert titles == {first.id: "Old", second.id: "New"}
    # the old instance still completes under its own version
    task = next(t for t in engine.open_tasks() if t.instance_id == first.id)
    await hass.services.async_call("bpo", "complete_task", {"task_id": task.id}, blocking=True)
    assert engine.instance(first.id).status == "completed"


async def test_runaway_suspension_raises_fixable_issue_that_resumes(hass: HomeAssistant) -> None:
    world = await async_setup_world(hass, blueprints={"manual.yaml": MANUAL.format(limit=2, title="Check")})
    for key in ("a", "b"):
        await hass.services.async_call("bpo", "start", {"process": "manual_check", "key": key}, blocking=True)
    with pytest.raises(ServiceValidationError, match="suspended|limit"):
        await hass.services.async_call("bpo", "start", {"process": "manual_check", "key": "c"}, blocking=True)
    engine = world.manager.engine
    assert "manual_check" in engine.suspended()
    assert len(engine.instances(status="running")) == 2  # running ones unharmed
    issue = ir.async_get(hass).async_get_issue("bpo", SUSPENDED_PREFIX + "manual_check")
    assert issue is not None and issue.is_fixable
    assert world.bpo_events("blueprint_suspended")

    assert await async_setup_component(hass, "repairs", {})
    from homeassistant.components.repairs import repairs_flow_manager

    flow_manager = repairs_flow_manager(hass)
    assert flow_manager is not None
    result = await flow_manager.async_init("bpo", data={"issue_id": issue.issue_id})
    assert result["step_id"] == "confirm"
    result = await flow_manager.async_configure(result["flow_id"], {})
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    assert engine.suspended() == {}
    assert ir.async_get(hass).async_get_issue("bpo", SUSPENDED_PREFIX + "manual_check") is None
    await hass.services.async_call("bpo", "start", {"process": "manual_check", "key": "c"}, blocking=True)
    assert len(engine.instances(status="running")) == 3


async def test_admin_completing_for_someone_is_recorded_as_the_admin(
    hass: HomeAssistant, hass_admin_user: MockUser
) -> None:
    world = await async_setup_world(hass, blueprints={"manual.yaml": MANUAL.format(limit=10, title="Check")})
    await hass.services.async_call("bpo", "start", {"process": "manual_check", "key": "a"}, blocking=True)
    engine = world.manager.engine
    task = engine.open_tasks(process="manual_check")[0]
    await hass.services.async_call(
        "bpo",
        "complete_task",
        {"task_id": task.id},
        blocking=True,
        context=Context(user_id=hass_admin_user.id),
    )
    done = engine.task(task.id)
    assert done.status == "completed"
    assert done.by == f"user:{hass_admin_user.id}"  # the admin has no person; the audit names the user
    history = engine.instance(task.instance_id).history
    assert any(h.who == f"user:{hass_admin_user.id}" for h in history)
