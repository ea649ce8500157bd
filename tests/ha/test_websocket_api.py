"""The web UI's websocket commands: the same owner, group, PII and admin rules as the actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockUser
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from .helpers import World, async_setup_bare_world
from .ws_helpers import Ws, ws_as

TZ = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=TZ)
DIRECTORY = """\
groups:
  hr: [person.erin, person.sam]
"""
ONBOARDING = """\
blueprint: {name: Onboarding, domain: bpo}
process:
  key: onboarding
  start: [{manual: {}}]
  pii_cleared: [group:hr]
  fields:
    ssn: {type: text, label: Social security number, pii: true}
    laptops: {type: number, label: Laptops, required: true}
    verdict: {type: choice, options: [ok, follow_up]}
  steps:
    - id: intake
      task:
        title: Intake
        assignee: "{{ instance.key }}"
        form: [laptops]
        due: 1d
        remind: [1h, "{{ 3 * 3600 }}"]  # a templated one is listed as rendered
    - id: review
      task: {title: Review, group: hr, outcomes: [approve, reject], form: [verdict]}
    - id: identity
      task: {title: Check identity, assignee: person.bob, pii: true, form: [ssn]}
"""
BROKEN = """\
blueprint: {name: Broken, domain: bpo}
process:
  key: broken
  start: [{manual: {}}]
  steps:
    - id: a
      task: {title: A, assignee: person.alice, due: soon}
"""
SSN = "123-45-6789"


@pytest.fixture
async def world(hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_admin_user: MockUser) -> World:
    return await async_setup_bare_world(
        hass,
        freezer,
        NOW,
        blueprints={"onboarding.yaml": ONBOARDING, "broken.yaml": BROKEN},
        directory=DIRECTORY,
    )


@pytest.fixture
async def admin(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, world: World, hass_admin_user: MockUser
) -> Ws:
    return await ws_as(hass, hass_ws_client, hass_admin_user)


async def as_person(hass: HomeAssistant, hass_ws_client: WebSocketGenerator, world: World, name: str) -> Ws:
    return await ws_as(hass, hass_ws_client, world.users[name])


async def onboard(admin: Ws, who: str) -> str:
    started = await admin.ok("bpo/process/start", process="onboarding", key=who, fields={"ssn": SSN})
    assert started["status"] == "running"
    return str(started["instance_id"])


def by_title(tasks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {t["title"]: t for t in tasks}


async def test_a_person_lists_only_their_own_tasks_with_pii_masked_and_an_admin_everything(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, world: World, admin: Ws
) -> None:
    alice_instance = await onboard(admin, "person.alice")
    await onboard(admin, "person.carol")
    alice = await as_person(hass, hass_ws_client, world, "alice")

    [task] = (await alice.ok("bpo/tasks/list"))["tasks"]
    assert task["instance_id"] == alice_instance
    assert (task["title"], task["assignee"], task["process_title"]) == (
        "Intake",
        "person.alice",
        "Onboarding",
    )
    assert task["fields"] == {"ssn": "***"} and task["masked"] is True
    assert task["form"] == [
        {
            "name": "laptops",
            "type": "number",
            "label": "Laptops",
            "required": True,
            "options": None,
            "pii": False,
        }
    ]
    assert task["outcomes"] == []  # one outcome: nothing to choose
    assert task["due"] == "2026-03-04T01:00:00+00:00" and task["overdue"] is False
    assert task["reminders"] == ["2026-03-03T02:00:00+00:00", "2026-03-03T04:00:00+00:00"]
    assert (task["can_complete"], task["can_claim"]) == (True, False)

    everything = (await admin.ok("bpo/tasks/list"))["tasks"]
    assert sorted(t["assignee"] for t in everything) == ["person.alice", "person.carol"]
    assert all(t["fields"] == {"ssn": SSN} and t["masked"] is False for t in everything)
    assert (await admin.ok("bpo/tasks/list", process="no_such"))["tasks"] == []


async def test_a_person_completes_their_own_task_but_is_refused_on_another_persons_task(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, world: World, admin: Ws
) -> None:
    await onboard(admin, "person.alice")
    await onboard(admin, "person.carol")
    engine = world.manager.engine
    [alices] = engine.open_tasks(assignee="person.alice")
    [carols] = engine.open_tasks(assignee="person.carol")
    alice = await as_person(hass, hass_ws_client, world, "alice")

    error = await alice.refused("bpo/task/complete", "unauthorized", task_id=carols.id, form={"laptops": 2})
    assert error["translation_key"] == "not_your_task"
    assert "Intake" not in error["message"]  # nothing about a task she may not see
    assert engine.task(carols.id).is_open

    done = await alice.ok("bpo/task/complete", task_id=alices.id, form={"laptops": 2})
    assert done == {"task_id": alices.id, "status": "completed", "outcome": "done"}
    finished = engine.task(alices.id)
    assert (finished.by, finished.form) == ("person.alice", {"laptops": 2})
    assert (await alice.ok("bpo/tasks/list"))["tasks"] == []  # the group's review is not hers
    [closed] = (await alice.ok("bpo/tasks/list", include_closed=True))["tasks"]
    assert (closed["task_id"], closed["status"], closed["outcome"]) == (alices.id, "completed", "done")
    assert (closed["can_complete"], closed["reminders"]) == (False, [])
    # finished once: a second try is told it is closed
    error = await alice.refused("bpo/task/complete", "home_assistant_error", task_id=alices.id)
    assert error["translation_key"] == "task_closed" and "completed" in error["message"]
    await alice.refused("bpo/task/complete", "not_found", task_id="onboarding:nope.1")


async def test_bad_outcome_or_form_values_are_refused_without_echoing_them(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, world: World, admin: Ws
) -> None:
    await onboard(admin, "person.alice")
    engine = world.manager.engine
    [intake] = engine.open_tasks(assignee="person.alice")
    alice = await as_person(hass, hass_ws_client, world, "alice")
    error = await alice.refused(
        "bpo/task/complete", "invalid_format", task_id=intake.id, form={"laptops": "secret-word"}
    )
    assert error["translation_key"] == "invalid_form"
    assert "laptops: expected a number" in error["message"] and "secret-word" not in error["message"]
    error = await alice.refused("bpo/task/complete", "invalid_format", task_id=intake.id, form={})
    assert "laptops is required" in error["message"]
    long_name = "k" * 300  # sizes are checked as for the action, before the engine sees the form
    error = await alice.refused("bpo/task/complete", "invalid_format", task_id=intake.id, form={long_name: 1})
    assert "form: a name that is empty, not text or longer than 255" in error["message"]
    assert long_name not in error["message"]
    await alice.ok("bpo/task/complete", task_id=intake.id, form={"laptops": 1})

    [review] = engine.open_tasks(group="hr")
    erin = await as_person(hass, hass_ws_client, world, "erin")
    error = await erin.refused(
        "bpo/task/complete", "invalid_format", task_id=review.id, outcome="maybe-later"
    )
    assert error["translation_key"] == "invalid_outcome"
    assert "approve, reject" in error["message"] and "maybe-later" not in error["message"]
    error = await erin.refused(
        "bpo/task/complete", "invalid_format", task_id=review.id, outcome="approve", form={"verdict": "g00d"}
    )
    assert "verdict: expected one of ok, follow_up" in error["message"] and "g00d" not in error["message"]
    assert engine.task(review.id).is_open and engine.task(review.id).form is None


async def test_a_pii_task_is_refused_to_a_person_not_cleared(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, world: World, admin: Ws
) -> None:
    await onboard(admin, "person.alice")
    engine = world.manager.engine
    [intake] = engine.open_tasks(assignee="person.alice")
    await admin.ok("bpo/task/complete", task_id=intake.id, form={"laptops": 1})
    [review] = engine.open_tasks(group="hr")
    await admin.ok("bpo/task/complete", task_id=review.id, outcome="approve")
    [identity] = engine.open_tasks(assignee="person.bob")
    bob = await as_person(hass, hass_ws_client, world, "bob")

    [row] = (await bob.ok("bpo/tasks/list"))["tasks"]
    assert row["task_id"] == identity.id and row["can_complete"] is False  # the UI can say so up front
    assert row["form"][0]["pii"] is True and row["fields"]["ssn"] == "***"
    error = await bob.refused("bpo/task/complete", "unauthorized", task_id=identity.id, form={"ssn": "987"})
    assert "not cleared for PII work" in error["message"] and "987" not in error["message"]
    assert engine.task(identity.id).is_open
    assert engine.instance(identity.instance_id).fields["ssn"] == SSN


async def test_group_members_claim_unassigned_tasks_and_others_are_refused(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, world: World, admin: Ws
) -> None:
    await onboard(admin, "person.alice")
    engine = world.manager.engine
    [intake] = engine.open_tasks(assignee="person.alice")
    alice = await as_person(hass, hass_ws_client, world, "alice")
    error = await alice.refused("bpo/task/claim", "home_assistant_error", task_id=intake.id)
    assert error["translation_key"] == "already_assigned"
    await alice.ok("bpo/task/complete", task_id=intake.id, form={"laptops": 1})
    [review] = engine.open_tasks(group="hr")

    dave = await as_person(hass, hass_ws_client, world, "dave")
    error = await dave.refused("bpo/task/claim", "unauthorized", task_id=review.id)
    assert engine.task(review.id).assignee is None
    error = await admin.refused("bpo/task/claim", "unauthorized", task_id=review.id)
    assert error["translation_key"] == "no_person"  # an admin without a person has no "self"

    erin = await as_person(hass, hass_ws_client, world, "erin")
    [row] = (await erin.ok("bpo/tasks/list"))["tasks"]
    assert (row["task_id"], row["can_claim"], row["fields"]) == (review.id, True, {"ssn": SSN, "laptops": 1})
    assert row["outcomes"] == ["approve", "reject"]
    assert row["form"][0] == {
        "name": "verdict",
        "type": "choice",
        "label": "Verdict",
        "required": False,
        "options": ["ok", "follow_up"],
        "pii": False,
    }
    assert await erin.ok("bpo/task/claim", task_id=review.id) == {
        "task_id": review.id,
        "assignee": "person.erin",
    }
    assert engine.task(review.id).assignee == "person.erin"
    sam = await as_person(hass, hass_ws_client, world, "sam")
    error = await sam.refused("bpo/task/claim", "home_assistant_error", task_id=review.id)
    assert error["translation_key"] == "already_assigned"
    assert engine.task(review.id).assignee == "person.erin"


async def test_subscribers_hear_which_tasks_changed_and_only_those_they_may_see(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    world: World,
    admin: Ws,
    hass_admin_user: MockUser,
) -> None:
    await onboard(admin, "person.alice")
    await onboard(admin, "person.carol")
    engine = world.manager.engine
    [alices] = engine.open_tasks(assignee="person.alice")
    [carols] = engine.open_tasks(assignee="person.carol")
    watcher = await ws_as(hass, hass_ws_client, world.users["alice"])
    admin_watch = await ws_as(hass, hass_ws_client, hass_admin_user)
    assert await watcher.ok("bpo/tasks/subscribe") is None
    assert await admin_watch.ok("bpo/tasks/subscribe") is None

    alice = await as_person(hass, hass_ws_client, world, "alice")
    await alice.ok("bpo/task/complete", task_id=alices.id, form={"laptops": 3})
    await hass.async_block_till_done()
    [review] = engine.open_tasks(group="hr")
    heard = await watcher.client.receive_json()
    assert heard["type"] == "event"
    assert heard["event"] == {"tasks": [alices.id], "processes": ["onboarding"]}
    heard = await admin_watch.client.receive_json()
    assert heard["event"] == {"tasks": sorted([alices.id, review.id]), "processes": ["onboarding"]}

    carol = await as_person(hass, hass_ws_client, world, "carol")
    await carol.ok("bpo/task/complete", task_id=carols.id, form={"laptops": 1})
    await hass.async_block_till_done()
    heard = await watcher.client.receive_json()
    assert heard["event"] == {"tasks": [], "processes": []}  # something changed, nothing of hers
    heard = await admin_watch.client.receive_json()
    assert carols.id in heard["event"]["tasks"]

    # a reload may change every blueprint: admins hear all processes (the blueprints page re-reads)
    await hass.services.async_call("bpo", "reload", {}, blocking=True)
    heard = await admin_watch.client.receive_json()
    assert heard["event"]["tasks"] == [] and "onboarding" in heard["event"]["processes"]
    # once unsubscribed, nothing more arrives: the next message is the answer to a ping
    subscription = heard["id"]
    assert await admin_watch.ok("unsubscribe_events", subscription=subscription) is None
    await admin.ok("bpo/task/complete", task_id=review.id, outcome="approve")
    await admin_watch.client.send_json_auto_id({"type": "ping"})
    assert (await admin_watch.client.receive_json())["type"] == "pong"


async def test_instances_list_and_get_with_history_and_graph_for_those_who_may_see_them(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, world: World, admin: Ws
) -> None:
    mine = await onboard(admin, "person.alice")
    theirs = await onboard(admin, "person.carol")
    engine = world.manager.engine
    [intake] = engine.open_tasks(assignee="person.alice")
    alice = await as_person(hass, hass_ws_client, world, "alice")
    await alice.ok("bpo/task/complete", task_id=intake.id, form={"laptops": 2})

    [row] = (await alice.ok("bpo/instances/list"))["instances"]
    assert (row["instance_id"], row["process_title"], row["status"]) == (mine, "Onboarding", "running")
    assert row["current_steps"] == ["review"] and row["started"] == "2026-03-03T01:00:00+00:00"
    listed = (await admin.ok("bpo/instances/list", process="onboarding"))["instances"]
    assert sorted(i["instance_id"] for i in listed) == sorted([mine, theirs])
    assert (await admin.ok("bpo/instances/list", status="completed"))["instances"] == []

    got = await alice.ok("bpo/instance/get", instance_id=mine)
    assert got["fields"] == {"ssn": "***", "laptops": 2} and got["masked"] is True
    assert [t["title"] for t in got["tasks"]] == ["Intake"]  # the group's review is not hers
    kinds = [(h["type"], h["step"], h["by"]) for h in got["history"]]
    assert ("task_completed", "intake", "person.alice") in kinds
    assert kinds[0][0] == "instance_started"
    completed = next(h for h in got["history"] if h["type"] == "task_completed")
    assert (completed["task_id"], completed["detail"]) == (intake.id, "outcome: done")
    assert got["graph"].startswith("flowchart TD") and "Check identity" in got["graph"]
    assert SSN not in str(got)

    error = await alice.refused("bpo/instance/get", "unauthorized", instance_id=theirs)
    assert error["translation_key"] == "not_your_instance"
    await alice.refused("bpo/instance/get", "not_found", instance_id="nope")
    full = await admin.ok("bpo/instance/get", instance_id=mine)
    assert full["fields"]["ssn"] == SSN and len(full["tasks"]) == 2


async def test_admin_commands_are_refused_to_other_users(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, world: World, admin: Ws
) -> None:
    instance = await onboard(admin, "person.alice")
    [intake] = world.manager.engine.open_tasks(assignee="person.alice")
    alice = await as_person(hass, hass_ws_client, world, "alice")
    for command, data in (
        ("bpo/instance/cancel", {"instance_id": instance}),
        ("bpo/task/reassign", {"task_id": intake.id, "assignee": "person.alice"}),
        ("bpo/process/resume", {"process": "onboarding"}),
        ("bpo/blueprints/list", {}),
        ("bpo/process/start", {"process": "onboarding", "key": "person.alice"}),
    ):
        await alice.refused(command, "unauthorized", **data)
    assert len(world.manager.engine.instances()) == 1
    assert world.manager.engine.instance(instance).status == "running"


async def test_admins_list_blueprints_with_problems_start_reassign_cancel_and_resume(
    hass: HomeAssistant, world: World, admin: Ws
) -> None:
    listed = await admin.ok("bpo/blueprints/list")
    [onboarding] = [b for b in listed["blueprints"] if b["process"] == "onboarding"]
    assert (onboarding["title"], onboarding["manual"], onboarding["suspended"]) == ("Onboarding", True, False)
    assert onboarding["file"] == "blueprints/bpo/onboarding.yaml"
    assert [f["name"] for f in onboarding["fields"]] == ["ssn", "laptops", "verdict"]
    assert onboarding["fields"][0]["pii"] is True and onboarding["fields"][1]["required"] is True
    assert onboarding["limits"] == {"max_starts": None, "window": 3600.0}
    [problem] = listed["errors"]
    assert (problem["file"], problem["line"]) == ("blueprints/bpo/broken.yaml", 7)
    assert problem["field"] == "process.steps[0].task.due" and "got 'soon'" in problem["message"]

    engine = world.manager.engine
    error = await admin.refused(
        "bpo/process/start", "invalid_format", process="onboarding", key="x", fields={"laptops": "lots"}
    )
    assert "laptops: expected a number" in error["message"] and "lots" not in error["message"]
    assert engine.instances() == []  # nothing stored
    error = await admin.refused("bpo/process/start", "not_found", process="nope")
    assert "known: onboarding" in error["message"]

    started = await admin.ok(
        "bpo/process/start", process="onboarding", key="person.alice", fields={"laptops": "2"}
    )
    assert engine.instance(started["instance_id"]).fields == {"laptops": 2}  # stored as its type
    [intake] = engine.open_tasks(assignee="person.alice")
    assert await admin.ok("bpo/task/reassign", task_id=intake.id, assignee="person.bob") == {
        "task_id": intake.id,
        "assignee": "person.bob",
    }
    assert await admin.ok("bpo/process/resume", process="onboarding") == {
        "process": "onboarding",
        "suspended": False,
    }
    cancelled = await admin.ok("bpo/instance/cancel", instance_id=started["instance_id"])
    assert cancelled == {"instance_id": started["instance_id"], "status": "cancelled"}
    assert engine.task(intake.id).status == "cancelled"
    # done already: said as such (not as a permission problem), and nothing changes
    error = await admin.refused(
        "bpo/instance/cancel", "home_assistant_error", instance_id=started["instance_id"]
    )
    assert error["translation_key"] == "instance_closed" and "cancelled" in error["message"]
    error = await admin.refused(
        "bpo/task/reassign", "home_assistant_error", task_id=intake.id, assignee="person.sam"
    )
    assert error["translation_key"] == "task_closed" and engine.task(intake.id).assignee == "person.bob"
    await admin.refused("bpo/instance/cancel", "not_found", instance_id="i99")


async def test_commands_say_bpo_is_not_set_up_and_unlinked_users_have_no_tasks(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, world: World, admin: Ws
) -> None:
    stranger = await hass.auth.async_create_user("Stranger", group_ids=["system-users"])
    unlinked = await ws_as(hass, hass_ws_client, stranger)
    error = await unlinked.refused("bpo/tasks/list", "unauthorized")
    assert error["translation_key"] == "no_person"
    assert await hass.config_entries.async_unload(world.entry.entry_id)
    error = await admin.refused("bpo/tasks/list", "home_assistant_error")
    assert error["translation_key"] == "not_loaded"
