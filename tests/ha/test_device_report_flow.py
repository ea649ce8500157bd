"""The device security report runs end to end inside Home Assistant, driven by HA's clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError

from .helpers import World, async_setup_world, travel

TOKYO = ZoneInfo("Asia/Tokyo")
START = datetime(2026, 11, 30, 12, 0, tzinfo=TOKYO)
FIRST_OF_MONTH = datetime(2026, 12, 1, 9, 0, tzinfo=TOKYO)


async def _complete(hass: HomeAssistant, task_id: str, *, user_id: str | None = None, **data: object) -> dict:
    response = await hass.services.async_call(
        "bpo",
        "complete_task",
        {"task_id": task_id, **data},
        blocking=True,
        return_response=True,
        context=Context(user_id=user_id),
    )
    assert isinstance(response, dict)
    return response


@pytest.fixture
async def world(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> World:
    await hass.config.async_set_time_zone("Asia/Tokyo")
    freezer.move_to(START)
    return await async_setup_world(hass)


async def test_monthly_report_runs_end_to_end(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, world: World
) -> None:
    engine = world.manager.engine
    assert engine.open_tasks() == []

    await travel(hass, freezer, FIRST_OF_MONTH)
    reports = {t.assignee: t for t in engine.open_tasks()}
    assert sorted(reports) == ["person.alice", "person.bob", "person.carol"]
    assert all(t.step == "report" for t in reports.values())
    assert reports["person.alice"].due == FIRST_OF_MONTH + timedelta(days=7)
    created = world.bpo_events("task_created")
    assert sorted(d["assignee"] for _, d in created) == ["person.alice", "person.bob", "person.carol"]

    # alice files her report from her own account
    alice = world.users["alice"]
    await _complete(
        hass,
        reports["person.alice"].id,
        user_id=alice.id,
        form={"scan_history": "scan-2026-12.pdf", "worries": "lost my phone case"},
    )
    review = {t.step: t for t in engine.open_tasks() if t.instance_id == reports["person.alice"].instance_id}
    assert set(review) == {"supervisor_check", "contractor_inspection"}
    assert review["supervisor_check"].assignee == "person.sam"
    assert review["contractor_inspection"].group == "contractors"
    completed = world.bpo_events("task_completed")[-1][1]
    assert completed["form"]["worries"] == "***"  # PII masked on the bus
    assert completed["form"]["scan_history"] == "scan-2026-12.pdf"

    # nobody acts on the supervisor check: 24 h later it closes itself
    await travel(hass, freezer, FIRST_OF_MONTH + timedelta(hours=23, minutes=59))
    assert engine.task(review["supervisor_check"].id).is_open
    await travel(hass, freezer, FIRST_OF_MONTH + timedelta(hours=24, minutes=1))
    assert engine.task(review["supervisor_check"].id).status == "timed_out"
    timeouts = world.bpo_events("timeout")
    assert [d["step"] for _, d in timeouts] == ["supervisor_check"]

    # a contractor (member of the group) inspects; the instance then completes
    await _complete(hass, review["contractor_inspection"].id, user_id=world.users["dave"].id, outcome="ok")
    instance = engine.instance(reports["person.alice"].instance_id)
    assert instance.status == "completed"

    ours = [(t, d.get("step")) for t, d in world.bpo_events() if d.get("instance_id") == instance.id]
    assert ours == [
        ("bpo_instance_started", None),
        ("bpo_task_created", "report"),
        ("bpo_task_completed", "report"),
        ("bpo_task_created", "supervisor_check"),
        ("bpo_task_created", "contractor_inspection"),
        ("bpo_timeout", "supervisor_check"),
        ("bpo_task_completed", "contractor_inspection"),
        ("bpo_instance_completed", None),
    ]


async def test_time_travel_fires_the_schedule_once(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, world: World
) -> None:
    await travel(hass, freezer, FIRST_OF_MONTH)
    await travel(hass, freezer, FIRST_OF_MONTH + timedelta(minutes=1))
    await travel(hass, freezer, FIRST_OF_MONTH + timedelta(hours=1))
    assert len(world.bpo_events("instance_started")) == 3


async def test_non_assignee_cannot_complete_but_assignee_can(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, world: World
) -> None:
    await travel(hass, freezer, FIRST_OF_MONTH)
    engine = world.manager.engine
    alice_task = next(t for t in engine.open_tasks() if t.assignee == "person.alice")
    with pytest.raises(ServiceValidationError, match="may not complete"):
        await _complete(hass, alice_task.id, user_id=world.users["bob"].id, form={"scan_history": "x.pdf"})
    assert engine.task(alice_task.id).is_open
    await _complete(hass, alice_task.id, user_id=world.users["alice"].id, form={"scan_history": "x.pdf"})
    assert not engine.task(alice_task.id).is_open
