"""Answers that must change nothing: another app's buttons, a second tap, a failing notify target."""

from __future__ import annotations

import logging

import pytest
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from .helpers import World
from .notify_helpers import ACTION, phones, press, start, world

__all__ = ["phones", "world"]  # fixtures, imported so pytest finds them here


async def test_other_apps_buttons_and_second_taps_change_nothing(
    hass: HomeAssistant,
    world: World,
    phones: dict[str, str],
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    task_id = await start(hass, world, "refund", agent="person.alice", customer="Taro", amount=1)
    caplog.set_level(logging.WARNING)
    # an actionable notification of some other automation: not bpo's to answer
    await press(hass, hass_client_no_auth, phones["alice_phone"], ACTION, action="ALARM_SNOOZE")
    assert world.manager.engine.task(task_id).is_open

    await press(hass, hass_client_no_auth, phones["alice_phone"], ACTION, action=f"BPO|{task_id}|approve")
    await press(hass, hass_client_no_auth, phones["alice_tablet"], ACTION, action=f"BPO|{task_id}|reject")
    task = world.manager.engine.task(task_id)
    assert (task.status, task.outcome) == ("completed", "approve")  # the late second tap is ignored
    assert len(world.bpo_events("task_completed")) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and "bpo" in r.name]


async def test_a_failing_notify_target_is_logged_and_the_task_stays_open(
    hass: HomeAssistant, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    hass.config_entries.async_update_entry(
        world.entry, options={"people": {"person.sam": {"route": "entity", "entity_id": "notify.pager"}}}
    )

    async def broken(call: ServiceCall) -> None:
        raise HomeAssistantError("pager offline")

    await hass.async_block_till_done()  # notify (set up by mobile_app) has registered its own first
    hass.services.async_register("notify", "send_message", broken)
    caplog.set_level(logging.WARNING)
    task_id = await start(hass, world, "refund", agent="person.sam", customer="Taro Yamada", amount=1)
    failed = [r.getMessage() for r in caplog.records if "Notification for task" in r.getMessage()]
    assert failed == [f"Notification for task {task_id} via notify.send_message failed: pager offline"]
    assert world.manager.engine.task(task_id).is_open
    assert "Taro" not in caplog.text


async def test_a_forged_outcome_is_refused_and_logged_without_the_payload(
    hass: HomeAssistant,
    world: World,
    phones: dict[str, str],
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    task_id = await start(hass, world, "refund", agent="person.alice", customer="Taro", amount=1)
    caplog.set_level(logging.WARNING)
    await press(hass, hass_client_no_auth, phones["alice_phone"], ACTION, action=f"BPO|{task_id}|pay_twice")
    assert world.manager.engine.task(task_id).is_open
    refused = [r.getMessage() for r in caplog.records if "not applied" in r.getMessage()]
    assert refused == [f"Phone answer for task {task_id} not applied: InvalidOutcome"]
