"""Options: how each person is notified (companion app, persistent notification or a notify entity) and their
working hours, outside which non-urgent notifications wait.

Stored as ``entry.options["people"][<person entity id>] = {"route", "entity_id"?, "hours"?}``; the notifier
reads the options on every send, so a change applies at once without reloading the entry.
"""

from __future__ import annotations

from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigFlowResult
from homeassistant.helpers import selector

from .connectors.notify import parse_hours
from .engine.business_time import CalendarError, calendar_from_config
from .mdm_options import CONF_MDM_VENDOR, MdmOptionsSteps, vendor_selector
from .notifications import ROUTE_APP, ROUTE_ENTITY, ROUTES
from .permissions import PERSON_DOMAIN

CONF_PERSON = "person"
CONF_ROUTE = "route"
CONF_ENTITY = "entity_id"
CONF_HOURS = "hours"
CONF_COMPLETED_DAYS = "completed_days"
DEFAULT_COMPLETED_DAYS = 7


class BpoOptionsFlow(MdmOptionsSteps):
    """Pick a person, then set their notification route and working hours; or set up an MDM (mdm_options)."""

    def __init__(self) -> None:
        self._person: str | None = None
        self._pending: dict[str, Any] = {}  # options chosen in the first step

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """How long done tasks stay on to-do lists; optionally a person whose notifications to set."""
        options = dict(self.config_entry.options)
        if user_input is not None:
            options[CONF_COMPLETED_DAYS] = int(user_input[CONF_COMPLETED_DAYS])
            if vendor := user_input.get(CONF_MDM_VENDOR):  # the MDM step first, then the person's
                self._person = user_input.get(CONF_PERSON)
                self._pending = options
                return await getattr(self, f"async_step_mdm_{vendor}")()
            if person := user_input.get(CONF_PERSON):
                self._person = person
                self._pending = options
                return await self.async_step_person()
            return self.async_create_entry(data=options)
        schema = vol.Schema(
            {
                vol.Optional(CONF_PERSON): selector.EntitySelector(
                    selector.EntitySelectorConfig(domain=PERSON_DOMAIN)
                ),
                vol.Required(
                    CONF_COMPLETED_DAYS, default=options.get(CONF_COMPLETED_DAYS, DEFAULT_COMPLETED_DAYS)
                ): selector.NumberSelector(
                    selector.NumberSelectorConfig(
                        min=0, max=90, step=1, mode=selector.NumberSelectorMode.BOX, unit_of_measurement="d"
                    )
                ),
                vol.Optional(CONF_MDM_VENDOR): vendor_selector(),
            }
        )
        return self.async_show_form(step_id="init", data_schema=schema)

    async def _after_mdm(self, options: dict[str, Any]) -> ConfigFlowResult:
        if self._person is None:
            return self.async_create_entry(data=options)
        self._pending = options
        return await self.async_step_person()

    async def async_step_person(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        assert self._person is not None
        people: dict[str, Any] = dict(self.config_entry.options.get("people", {}))
        current: dict[str, Any] = dict(people.get(self._person, {}))
        errors: dict[str, str] = {}
        if user_input is not None:
            route = user_input[CONF_ROUTE]
            hours = str(user_input.get(CONF_HOURS) or "").strip()
            if route == ROUTE_ENTITY and not user_input.get(CONF_ENTITY):
                errors[CONF_ENTITY] = "entity_required"
            if hours:
                try:
                    calendar_from_config({"hours": parse_hours(hours)}, self.hass.config.time_zone)
                except (CalendarError, ValueError):
                    errors[CONF_HOURS] = "invalid_hours"
            if not errors:
                chosen: dict[str, Any] = {CONF_ROUTE: route}
                if route == ROUTE_ENTITY:
                    chosen[CONF_ENTITY] = user_input[CONF_ENTITY]
                if hours:
                    chosen[CONF_HOURS] = hours
                people[self._person] = chosen
                return self.async_create_entry(
                    data={**self.config_entry.options, **self._pending, "people": people}
                )
            current = {**current, **user_input}
        fields: dict[Any, Any] = {
            vol.Required(CONF_ROUTE, default=current.get(CONF_ROUTE, ROUTE_APP)): selector.SelectSelector(
                selector.SelectSelectorConfig(options=list(ROUTES), translation_key="route")
            ),
            vol.Optional(
                CONF_ENTITY, description={"suggested_value": current.get(CONF_ENTITY)}
            ): selector.EntitySelector(selector.EntitySelectorConfig(domain="notify")),
            vol.Optional(CONF_HOURS, description={"suggested_value": current.get(CONF_HOURS)}): str,
        }
        return self.async_show_form(
            step_id="person",
            data_schema=vol.Schema(fields),
            errors=errors,
            description_placeholders={"person": self._person},
        )
