"""Who is calling (permissions.py), as mutation testing found it unchecked (issue 16): only person
entities link a user to a person, and a refused admin action says who was refused and for what."""

from __future__ import annotations

import pytest
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized

from .helpers import async_setup_world
from .test_permissions_and_files import INTAKE, _start_for


async def test_only_a_person_entity_links_a_user_to_a_person(hass: HomeAssistant) -> None:
    world = await async_setup_world(hass, blueprints={"intake.yaml": INTAKE})
    zed = await hass.auth.async_create_user("Zed", group_ids=["system-users"])
    # another integration's entity that happens to carry a user_id attribute is not a person
    hass.states.async_set("sensor.zed_badge", "in", {"user_id": zed.id})
    task = await _start_for(hass, "sensor.zed_badge", "z1")
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "bpo", "complete_task", {"task_id": task}, blocking=True, context=Context(user_id=zed.id)
        )
    assert err.value.translation_key == "no_person"
    assert world.manager.engine.task(task).is_open


async def test_refused_admin_action_names_the_context_and_the_permission(hass: HomeAssistant) -> None:
    world = await async_setup_world(hass, blueprints={"intake.yaml": INTAKE})
    context = Context(user_id=world.users["alice"].id)
    with pytest.raises(Unauthorized) as err:
        await hass.services.async_call(
            "bpo",
            "start",
            {"process": "intake", "fields": {"owner": "person.alice"}},
            blocking=True,
            context=context,
        )
    assert err.value.context is context
    assert err.value.permission == "admin"
    assert world.manager.engine.instances() == []


async def test_a_context_naming_an_unknown_user_is_refused(hass: HomeAssistant) -> None:
    world = await async_setup_world(hass, blueprints={"intake.yaml": INTAKE})
    task = await _start_for(hass, "person.alice", "a1")
    context = Context(user_id="no-such-user")
    with pytest.raises(Unauthorized) as err:
        await hass.services.async_call(
            "bpo", "complete_task", {"task_id": task}, blocking=True, context=context
        )
    assert err.value.context is context
    assert world.manager.engine.task(task).is_open
