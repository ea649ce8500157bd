"""Tasks reach phones as actionable notifications; answers come back through mobile_app's own webhook.

Devices are registered the way the companion app does it (POST /api/mobile_app/registrations with each
user's own token); mobile_app's push goes to the registration's push_url, captured with aioclient_mock;
button presses are sent as the phone sends them (the registration's webhook, ``fire_event``), so HA itself
puts the device owner's user into the event context.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import async_fire_time_changed, async_mock_service
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator, WebSocketGenerator

from custom_components.bpo.const import DOMAIN
from custom_components.bpo.notifications import SAVE_DELAY, STORE_KEY

from .helpers import World, travel
from .notify_helpers import ACTION, MONDAY, phones, press, pushes, start, world

__all__ = ["phones", "world"]  # fixtures, imported so pytest finds them here


async def test_one_notification_per_device_and_only_the_assignee_can_answer(
    hass: HomeAssistant,
    world: World,
    phones: dict[str, str],
    aioclient_mock: AiohttpClientMocker,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    task_id = await start(hass, world, "refund", agent="person.alice", customer="Taro Yamada", amount=120)
    other_id = await start(hass, world, "refund", agent="person.alice", customer="Hanako", amount=5)
    for device in ("alice_phone", "alice_tablet"):
        sent = pushes(aioclient_mock, device)
        assert len(sent) == 2  # one per task
        first = sent[0]
        assert first["title"] == "New task: Refund decision"
        assert first["data"]["tag"] == f"bpo-{task_id}"
        assert first["data"]["actions"] == [
            {"action": f"BPO|{task_id}|approve", "title": "Approve"},
            {"action": f"BPO|{task_id}|reject", "title": "Reject"},
        ]
        entity_id = er.async_get(hass).async_get_entity_id("todo", DOMAIN, "tasks_person.alice")
        assert first["data"]["url"] == first["data"]["clickAction"] == f"/todo?entity_id={entity_id}"
        assert {a["action"] for a in sent[1]["data"]["actions"]} == {
            f"BPO|{other_id}|approve",
            f"BPO|{other_id}|reject",
        }
    for device in ("bob_phone", "carol_phone", "erin_phone"):
        assert pushes(aioclient_mock, device) == []

    # bob replays alice's button from his own phone: refused, logged, the task stays open
    caplog.set_level(logging.WARNING)
    await press(hass, hass_client_no_auth, phones["bob_phone"], ACTION, action=f"BPO|{task_id}|approve")
    assert world.manager.engine.task(task_id).is_open
    refused = [r for r in caplog.records if "Refused a phone answer" in r.getMessage()]
    assert len(refused) == 1 and task_id in refused[0].getMessage()
    assert world.users["bob"].id in refused[0].getMessage()

    await press(hass, hass_client_no_auth, phones["alice_tablet"], ACTION, action=f"BPO|{task_id}|approve")
    task = world.manager.engine.task(task_id)
    assert (task.status, task.outcome, task.by) == ("completed", "approve", "person.alice")
    completed = world.bpo_events("task_completed")[-1][1]
    assert completed["source"] == "notification"
    assert world.manager.engine.task(other_id).is_open  # the other task's buttons are its own
    for device in ("alice_phone", "alice_tablet"):  # the answered notification goes away everywhere
        clear = [p for p in pushes(aioclient_mock, device) if p["message"] == "clear_notification"]
        assert [c["data"] for c in clear] == [{"tag": f"bpo-{task_id}"}]
    assert "Taro" not in caplog.text


async def test_text_reply_lands_in_the_form_field(
    hass: HomeAssistant,
    world: World,
    phones: dict[str, str],
    aioclient_mock: AiohttpClientMocker,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    decide = await start(hass, world, "refund", agent="person.carol", customer="Jiro", amount=10)
    await press(hass, hass_client_no_auth, phones["carol_phone"], ACTION, action=f"BPO|{decide}|reject")
    explain = next(t for t in world.manager.engine.open_tasks() if t.step == "explain")
    note = pushes(aioclient_mock, "carol_phone")[-1]
    reply = note["data"]["actions"][-1]
    assert reply["action"] == f"BPO|{explain.id}|done|comment"
    assert reply["behavior"] == "textInput"
    await press(
        hass,
        hass_client_no_auth,
        phones["carol_phone"],
        ACTION,
        action=reply["action"],
        reply_text="Outside the 30-day window",
    )
    done = world.manager.engine.task(explain.id)
    assert done.status == "completed"
    assert done.form == {"comment": "Outside the 30-day window"}
    assert world.manager.engine.instance(explain.instance_id).fields["comment"] == "Outside the 30-day window"


async def test_completing_from_the_todo_list_clears_every_device(
    hass: HomeAssistant, world: World, phones: dict[str, str], aioclient_mock: AiohttpClientMocker
) -> None:
    task_id = await start(hass, world, "refund", agent="person.alice", customer="Taro", amount=1)
    # the decision needs an outcome: pick the "explain" task (single outcome) from a reject
    await world.manager.async_run(lambda e: e.complete_task(task_id, outcome="reject"))
    await hass.async_block_till_done()
    explain = next(t for t in world.manager.engine.open_tasks() if t.step == "explain")
    entity_id = er.async_get(hass).async_get_entity_id("todo", DOMAIN, "tasks_person.alice")
    await hass.services.async_call(
        "todo",
        "update_item",
        {"item": explain.id, "status": "completed"},
        target={"entity_id": entity_id},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert world.manager.engine.task(explain.id).status == "completed"
    for device in ("alice_phone", "alice_tablet"):
        clears = [p["data"] for p in pushes(aioclient_mock, device) if p["message"] == "clear_notification"]
        assert {"tag": f"bpo-{explain.id}"} in clears


async def test_dismissed_notification_leaves_the_task_open_and_the_reminder_comes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    world: World,
    phones: dict[str, str],
    aioclient_mock: AiohttpClientMocker,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    task_id = await start(hass, world, "refund", agent="person.alice", customer="Taro", amount=1)
    await press(
        hass,
        hass_client_no_auth,
        phones["alice_phone"],
        "mobile_app_notification_cleared",
        tag=f"bpo-{task_id}",
    )
    assert world.manager.engine.task(task_id).is_open
    await travel(hass, freezer, MONDAY + timedelta(hours=1, minutes=59))
    assert len(pushes(aioclient_mock, "alice_phone")) == 1
    await travel(hass, freezer, MONDAY + timedelta(hours=2, seconds=1))
    reminder = pushes(aioclient_mock, "alice_phone")[-1]
    assert reminder["title"] == "Reminder: Refund decision"
    assert reminder["data"]["tag"] == f"bpo-{task_id}"
    assert len(reminder["data"]["actions"]) == 2
    assert world.manager.engine.task(task_id).is_open


async def test_pii_masked_for_home_agents_and_for_the_center_too(
    hass: HomeAssistant,
    world: World,
    phones: dict[str, str],
    aioclient_mock: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await start(hass, world, "refund", agent="person.erin", customer="Taro Yamada", amount=120)
    await start(hass, world, "refund", agent="person.carol", customer="Taro Yamada", amount=120)
    home = pushes(aioclient_mock, "erin_phone")[-1]["message"]
    center = pushes(aioclient_mock, "carol_phone")[-1]["message"]
    assert "Customer: ***" in home and "Taro" not in home
    assert "Amount: 120" in home
    # cleared, yet masked: a notify call's data is kept by the recorder (call_service events); the center
    # agent opens the task from the notification's link and sees the value there
    assert "Customer: ***" in center and "Taro" not in center
    assert "/todo?entity_id=todo." in pushes(aioclient_mock, "carol_phone")[-1]["data"]["url"]
    assert "Taro" not in caplog.text


@pytest.mark.parametrize(
    ("language", "title", "buttons"),
    [
        ("en", "New task: Refund decision", ["Approve", "Reject"]),
        ("ja", "新しいタスク: Refund decision", ["承認", "却下"]),
    ],
)
async def test_language_follows_home_assistant(
    hass: HomeAssistant,
    world: World,
    phones: dict[str, str],
    aioclient_mock: AiohttpClientMocker,
    language: str,
    title: str,
    buttons: list[str],
) -> None:
    hass.config.language = language
    await start(hass, world, "refund", agent="person.alice", customer="Taro", amount=1)
    note = pushes(aioclient_mock, "alice_phone")[-1]
    assert note["title"] == title
    assert [a["title"] for a in note["data"]["actions"]] == buttons


async def test_person_without_the_app_gets_a_persistent_notification_or_their_notify_entity(
    hass: HomeAssistant,
    world: World,
    phones: dict[str, str],
    hass_ws_client: WebSocketGenerator,
) -> None:
    task_id = await start(hass, world, "refund", agent="person.sam", customer="Taro", amount=1)
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "persistent_notification/get"})
    shown = (await client.receive_json())["result"]
    assert [n["title"] for n in shown] == ["New task: Refund decision"]
    assert "Customer: ***" in shown[0]["message"]  # sam is not in the center group
    # the task ends: the persistent notification goes too
    await world.manager.async_run(lambda e: e.complete_task(task_id, outcome="approve"))
    await hass.async_block_till_done()
    await client.send_json_auto_id({"type": "persistent_notification/get"})
    left = (await client.receive_json())["result"]
    assert [n["title"] for n in left] == ["New task: Explain the decision"]  # the next step's task

    # the admin routes sam to a notify entity through the options flow
    flow = await hass.config_entries.options.async_init(world.entry.entry_id)
    assert flow["step_id"] == "init"
    flow = await hass.config_entries.options.async_configure(flow["flow_id"], {"person": "person.sam"})
    assert flow["step_id"] == "person"
    flow = await hass.config_entries.options.async_configure(flow["flow_id"], {"route": "entity"})
    assert flow["errors"] == {"entity_id": "entity_required"}
    flow = await hass.config_entries.options.async_configure(
        flow["flow_id"], {"route": "entity", "entity_id": "notify.sam_pager", "hours": "mon-fri 9-18"}
    )
    assert flow["errors"] == {"hours": "invalid_hours"}
    flow = await hass.config_entries.options.async_configure(
        flow["flow_id"], {"route": "entity", "entity_id": "notify.sam_pager", "hours": "mon-fri 09:00-18:00"}
    )
    assert flow["type"] is FlowResultType.CREATE_ENTRY
    assert world.entry.options["people"]["person.sam"] == {
        "route": "entity",
        "entity_id": "notify.sam_pager",
        "hours": "mon-fri 09:00-18:00",
    }
    calls = async_mock_service(hass, "notify", "send_message")
    await start(hass, world, "refund", agent="person.sam", customer="Taro", amount=2)
    assert len(calls) == 1
    assert calls[0].data["entity_id"] == "notify.sam_pager"
    assert calls[0].data["title"] == "New task: Refund decision"


async def test_group_task_goes_to_every_member_and_quiet_hours_hold_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    world: World,
    phones: dict[str, str],
    aioclient_mock: AiohttpClientMocker,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    flow = await hass.config_entries.options.async_init(world.entry.entry_id)
    flow = await hass.config_entries.options.async_configure(flow["flow_id"], {"person": "person.carol"})
    flow = await hass.config_entries.options.async_configure(
        flow["flow_id"], {"route": "app", "hours": "mon-fri 12:00-18:00"}
    )
    assert flow["type"] is FlowResultType.CREATE_ENTRY
    task_id = await start(hass, world, "callback")
    assert len(pushes(aioclient_mock, "alice_phone")) == 1  # alice: no quiet hours
    assert pushes(aioclient_mock, "carol_phone") == []  # 10:00 is before carol's working hours
    await travel(hass, freezer, MONDAY.replace(hour=12, second=1))
    held = pushes(aioclient_mock, "carol_phone")
    assert len(held) == 1 and held[0]["data"]["tag"] == f"bpo-{task_id}"
    # carol is in the center group: her press completes the group task; alice's notification is cleared
    await press(hass, hass_client_no_auth, phones["carol_phone"], ACTION, action=f"BPO|{task_id}|done")
    assert world.manager.engine.task(task_id).by == "person.carol"
    last = pushes(aioclient_mock, "alice_phone")[-1]
    assert (last["message"], last["data"]) == ("clear_notification", {"tag": f"bpo-{task_id}"})


async def test_a_restart_still_clears_what_was_sent_before(
    hass: HomeAssistant, world: World, phones: dict[str, str], aioclient_mock: AiohttpClientMocker
) -> None:
    task_id = await start(hass, world, "refund", agent="person.alice", customer="Taro", amount=1)
    assert await hass.config_entries.async_reload(world.entry.entry_id)
    await hass.async_block_till_done()
    await world.manager.async_run(lambda e: e.complete_task(task_id, outcome="approve"))
    await hass.async_block_till_done()
    for device in ("alice_phone", "alice_tablet"):
        clears = [p["data"] for p in pushes(aioclient_mock, device) if p["message"] == "clear_notification"]
        assert clears == [{"tag": f"bpo-{task_id}"}]


async def test_an_android_phone_gets_three_buttons_the_last_opening_the_task(
    hass: HomeAssistant, world: World, phones: dict[str, str], aioclient_mock: AiohttpClientMocker
) -> None:
    await start(hass, world, "triage", agent="person.bob")
    await start(hass, world, "triage", agent="person.carol")
    android = pushes(aioclient_mock, "bob_phone")[0]["data"]["actions"]
    iphone = pushes(aioclient_mock, "carol_phone")[0]["data"]["actions"]
    assert [a["title"] for a in iphone] == ["Fix", "Forward", "Wait", "Close"]
    assert [a["title"] for a in android] == ["Fix", "Forward", "Open task"]
    assert android[-1]["action"] == "URI" and android[-1]["uri"].startswith("/todo")


async def test_the_sent_log_is_written_again_after_every_later_change(
    hass: HomeAssistant,
    world: World,
    phones: dict[str, str],
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """One delayed write covers a burst of changes, and a change after that write gets its own: a clear
    that was never written would be sent again after a restart, a send never written never cleared."""

    async def written() -> dict[str, Any]:
        freezer.tick(timedelta(seconds=SAVE_DELAY + 1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        return dict(hass_storage[STORE_KEY]["data"]["sent"])

    first = await start(hass, world, "refund", agent="person.sam", customer="Taro", amount=1)
    second = await start(hass, world, "refund", agent="person.sam", customer="Jiro", amount=2)
    assert set(await written()) == {first, second}
    await world.manager.async_run(lambda e: e.complete_task(first, outcome="approve"))
    await hass.async_block_till_done()
    sent = await written()
    assert first not in sent and second in sent
    assert len(sent) == 2  # the next step's task of the first refund was shown and logged too
    await world.manager.async_run(lambda e: e.cancel(e.task(second).instance_id))
    await hass.async_block_till_done()
    assert second not in await written()


async def test_an_escalation_to_supervisor_and_assignee_reaches_both(
    hass: HomeAssistant,
    world: World,
    phones: dict[str, str],
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """``notify: [supervisor, assignee]``: alice's supervisor sam (no phone: a persistent notification) and
    alice herself, on both her devices; nobody else."""
    client = await hass_ws_client(hass)  # connected before the clock moves: its token is checked then
    await start(hass, world, "late", agent="person.alice")
    before = {device: len(pushes(aioclient_mock, device)) for device in ("alice_phone", "alice_tablet")}
    await travel(hass, freezer, MONDAY + timedelta(hours=1, minutes=1))
    for device, count in before.items():
        [escalation] = pushes(aioclient_mock, device)[count:]
        assert "Answer the client" in escalation["title"] + escalation["message"]
    for device in ("bob_phone", "carol_phone", "erin_phone"):
        assert pushes(aioclient_mock, device) == []
    await client.send_json_auto_id({"type": "persistent_notification/get"})
    shown = (await client.receive_json())["result"]
    assert len(shown) == 1 and "Answer the client" in shown[0]["title"] + shown[0]["message"]
    assert shown[0]["notification_id"].endswith("_person_sam")  # sam's own, not a name nobody reads
