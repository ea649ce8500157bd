"""The shipped HA automation blueprints load in HA's own blueprint loader and react to bpo events."""

from __future__ import annotations

from pathlib import Path

import pytest
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint import models
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml

from custom_components.bpo.blueprint_files import SHIPPED

from .helpers import async_setup_world

AUTOMATION_BLUEPRINTS = sorted((SHIPPED / "automation" / "bpo").glob("*.yaml"))


@pytest.mark.parametrize("path", AUTOMATION_BLUEPRINTS, ids=lambda p: p.name)
def test_blueprint_is_valid_for_ha(path: Path) -> None:
    blueprint = models.Blueprint(
        load_yaml(path), expected_domain="automation", schema=AUTOMATION_BLUEPRINT_SCHEMA
    )
    assert blueprint.domain == "automation"
    assert blueprint.metadata["name"].startswith("bpo")


async def test_escalation_blueprint_runs_its_actions(hass: HomeAssistant) -> None:
    await async_setup_world(hass)  # copies the automation blueprints into <config>/blueprints/automation/bpo
    assert Path(hass.config.path("blueprints/automation/bpo/notify_on_escalation.yaml")).is_file()
    assert await async_setup_component(hass, "persistent_notification", {})
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "id": "esc",
                    "use_blueprint": {
                        "path": "bpo/notify_on_escalation.yaml",
                        "input": {"process": "device_security_report"},
                    },
                }
            ]
        },
    )
    await hass.async_block_till_done()
    assert [s.state for s in hass.states.async_all("automation")] == ["on"]

    hass.bus.async_fire("bpo_escalated", {"process": "other", "step": "x", "level": 1})
    await hass.async_block_till_done()
    from homeassistant.components.persistent_notification import (
        _async_get_or_create_notifications,
    )

    assert _async_get_or_create_notifications(hass) == {}
    hass.bus.async_fire("bpo_escalated", {"process": "device_security_report", "step": "report", "level": 2})
    await hass.async_block_till_done()
    notes = list(_async_get_or_create_notifications(hass).values())
    assert len(notes) == 1
    assert "report" in notes[0]["message"] and "level 2" in notes[0]["message"]
