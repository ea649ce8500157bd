"""UI set-up: one entry per Home Assistant (manifest ``single_config_entry``)."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigFlow, ConfigFlowResult
from homeassistant.core import callback

from .const import DOMAIN, TITLE
from .options_flow import BpoOptionsFlow


class BpoConfigFlow(ConfigFlow, domain=DOMAIN):
    """Confirm-only flow: blueprints are files, so there is nothing to ask yet."""

    VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> BpoOptionsFlow:
        """Per-person notification routes and working hours."""
        return BpoOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        if user_input is not None:
            return self.async_create_entry(title=TITLE, data={})
        return self.async_show_form(step_id="user")
