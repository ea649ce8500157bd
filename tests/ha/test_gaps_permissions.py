"""Who may complete a task through ``bpo.complete_task`` (issue 16): only the group of a group task, only
the candidates of a candidates task, and a ``pii: true`` task only people cleared for PII."""

from __future__ import annotations

import pytest
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError

from .helpers import World, async_setup_world

# the helpers' directory: contractors = dave, internal_audit = erin
QUEUES = """\
blueprint: {name: Queues, domain: bpo}
process:
  key: queues
  start: [{manual: {}}]
  steps:
    - id: inspect
      task: {title: Inspect, group: contractors}
    - id: pick
      task: {title: Pick, candidates: [person.bob, person.carol]}
"""
PII_WORK = """\
blueprint: {name: Identity check, domain: bpo}
process:
  key: identity
  start: [{manual: {}}]
  fields:
    caller: {type: text, pii: true}
  steps:
    - id: check
      task: {title: Check identity, candidates: [person.alice, person.erin], pii: true}
  pii_cleared: [group:internal_audit]
"""


async def _complete(hass: HomeAssistant, world: World, who: str, task_id: str) -> None:
    await hass.services.async_call(
        "bpo",
        "complete_task",
        {"task_id": task_id},
        blocking=True,
        context=Context(user_id=world.users[who].id),
    )


async def _refused(hass: HomeAssistant, world: World, who: str, task_id: str, match: str) -> None:
    with pytest.raises(ServiceValidationError, match=match) as err:
        await _complete(hass, world, who, task_id)
    assert err.value.translation_key == "not_allowed"
    assert world.manager.engine.task(task_id).is_open


async def test_group_and_candidate_tasks_refuse_everyone_outside(hass: HomeAssistant) -> None:
    world = await async_setup_world(hass, blueprints={"queues.yaml": QUEUES})
    await hass.services.async_call("bpo", "start", {"process": "queues", "key": "q1"}, blocking=True)
    engine = world.manager.engine
    [inspect] = engine.open_tasks(process="queues")
    assert (inspect.group, inspect.assignee) == ("contractors", None)

    for outsider in ("alice", "erin", "sam"):  # an employee, another group, a supervisor
        await _refused(hass, world, outsider, inspect.id, f"may not complete task {inspect.id}")
    await _complete(hass, world, "dave", inspect.id)  # the contractor
    assert engine.task(inspect.id).status == "completed"
    assert engine.task(inspect.id).by == "person.dave"

    [pick] = engine.open_tasks(process="queues")
    assert pick.candidates == ("person.bob", "person.carol")
    for outsider in ("alice", "dave"):
        await _refused(hass, world, outsider, pick.id, f"may not complete task {pick.id}")
    await _complete(hass, world, "carol", pick.id)
    assert engine.task(pick.id).status == "completed"
    assert engine.task(pick.id).by == "person.carol"
    assert world.bpo_events("task_completed")[-1][1]["by"] == "person.carol"


async def test_pii_task_only_for_people_cleared_for_pii(hass: HomeAssistant) -> None:
    world = await async_setup_world(hass, blueprints={"identity.yaml": PII_WORK})
    await hass.services.async_call("bpo", "start", {"process": "identity", "key": "c1"}, blocking=True)
    engine = world.manager.engine
    [check] = engine.open_tasks(process="identity")
    # alice is a candidate, but not in pii_cleared (group:internal_audit)
    await _refused(hass, world, "alice", check.id, "not cleared for PII")
    assert world.bpo_events("task_completed") == []
    await _complete(hass, world, "erin", check.id)  # candidate and internal audit: cleared
    assert engine.task(check.id).status == "completed"
    assert engine.task(check.id).by == "person.erin"
