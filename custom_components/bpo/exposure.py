"""Keep bpo's to-do lists away from voice assistants and LLMs unless the user exposes them.

Home Assistant exposes every ``todo`` entity to Assist by default (``DEFAULT_EXPOSED_DOMAINS``), and an LLM
conversation agent then reads task titles and descriptions, which may name people. When a list is first
registered, bpo records "not exposed" for each assistant through the public helpers of
``homeassistant.components.homeassistant.exposed_entities`` — only where no choice is recorded yet, so a user
who exposes a list under Settings > Voice assistants > Expose keeps that choice.
"""

from __future__ import annotations

from homeassistant.components.homeassistant.exposed_entities import (
    async_expose_entity,
    async_get_entity_settings,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError

# Assist (and LLM agents behind it), and the cloud voice assistants that follow the same settings
ASSISTANTS = ("conversation", "cloud.alexa", "cloud.google_assistant")


@callback
def hide_from_assistants(hass: HomeAssistant, entity_id: str) -> None:
    """Record "not exposed" for every assistant that has no setting yet for ``entity_id``."""
    try:
        settings = async_get_entity_settings(hass, entity_id)
    except (HomeAssistantError, KeyError):
        return  # the homeassistant integration is not set up (bare test harness): nothing exposes anything
    for assistant in ASSISTANTS:
        if "should_expose" not in settings.get(assistant, {}):
            async_expose_entity(hass, assistant, entity_id, False)
