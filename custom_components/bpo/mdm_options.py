"""Options-flow steps that set up an MDM (Intune, Jamf Pro or Fleet) for the device sync (``mdm_sync.py``).

One step per vendor (``mdm_intune``, ``mdm_jamf``, ``mdm_fleet``) asks for the connection, the sync interval
and the grace period. Before anything is stored, a test call (a token and the first inventory page) must
succeed; a refusal shows a form error and logs nothing. A secret field left empty keeps the stored secret,
so an admin can change the interval without typing the secret again. Stored as
``options["mdm"][<vendor>]``; diagnostics redact the secrets (``diagnostics.TO_REDACT``).
"""

from __future__ import annotations

from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers import selector

from .connectors.base import AuthError, ConnectorConfigError, ConnectorError
from .mdm_sync import (
    CONF_GRACE_DAYS,
    CONF_MDM,
    CONF_SYNC_MINUTES,
    DEFAULT_GRACE_DAYS,
    DEFAULT_SYNC_MINUTES,
    VENDORS,
    async_check,
    build_connector,
)

CONF_MDM_VENDOR = "mdm_vendor"
CONF_REMOVE = "remove"
# Per vendor: (required text settings, secret settings, optional text settings, optional flags)
FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "intune": (("tenant_id", "client_id"), ("client_secret",), ("filter", "graph_url", "login_url"), ()),
    "jamf": (("base_url", "client_id"), ("client_secret",), (), ("mobile_devices",)),
    "fleet": (("base_url",), ("token",), (), ()),
}
_TEXT = selector.TextSelector()
_SECRET = selector.TextSelector(selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD))


def vendor_selector() -> selector.SelectSelector:
    return selector.SelectSelector(
        selector.SelectSelectorConfig(options=list(VENDORS), translation_key="mdm_vendor")
    )


def _number(low: int, high: int, unit: str) -> selector.NumberSelector:
    return selector.NumberSelector(
        selector.NumberSelectorConfig(
            min=low, max=high, step=1, mode=selector.NumberSelectorMode.BOX, unit_of_measurement=unit
        )
    )


class MdmOptionsSteps(OptionsFlow):
    """Mixed into ``BpoOptionsFlow``; ``_after_mdm`` continues the flow with the chosen options."""

    _pending: dict[str, Any]

    async def _after_mdm(self, options: dict[str, Any]) -> ConfigFlowResult:
        return self.async_create_entry(data=options)

    async def async_step_mdm_intune(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        return await self._async_mdm_step("intune", user_input)

    async def async_step_mdm_jamf(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        return await self._async_mdm_step("jamf", user_input)

    async def async_step_mdm_fleet(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        return await self._async_mdm_step("fleet", user_input)

    async def _async_mdm_step(self, vendor: str, user_input: dict[str, Any] | None) -> ConfigFlowResult:
        mdm: dict[str, Any] = dict(self._pending.get(CONF_MDM) or {})
        current: dict[str, Any] = dict(mdm.get(vendor) or {})
        required, secrets, optional, flags = FIELDS[vendor]
        errors: dict[str, str] = {}
        if user_input is not None:
            if user_input.get(CONF_REMOVE):
                mdm.pop(vendor, None)
                return await self._after_mdm({**self._pending, CONF_MDM: mdm})
            config: dict[str, Any] = {}
            for key in (*required, *optional):
                if value := str(user_input.get(key) or "").strip():
                    config[key] = value
            for key in secrets:
                secret = str(user_input.get(key) or "").strip() or current.get(key)  # empty: keep the stored
                if secret:
                    config[key] = secret
            for key in flags:
                config[key] = bool(user_input.get(key, True))
            config[CONF_SYNC_MINUTES] = int(user_input[CONF_SYNC_MINUTES])
            config[CONF_GRACE_DAYS] = int(user_input[CONF_GRACE_DAYS])
            errors = await self._async_validate(vendor, config)
            if not errors:
                mdm[vendor] = config
                return await self._after_mdm({**self._pending, CONF_MDM: mdm})
            current = {**current, **{k: v for k, v in config.items() if k not in secrets}}
        fields: dict[Any, Any] = {}
        for key in required:
            fields[vol.Required(key, description={"suggested_value": current.get(key)})] = _TEXT
        for key in secrets:
            # never sent back to the browser; required only while nothing is stored
            marker = vol.Optional(key) if current.get(key) else vol.Required(key)
            fields[marker] = _SECRET
        for key in optional:
            fields[vol.Optional(key, description={"suggested_value": current.get(key)})] = _TEXT
        for key in flags:
            fields[vol.Optional(key, default=bool(current.get(key, True)))] = selector.BooleanSelector()
        minutes = current.get(CONF_SYNC_MINUTES, DEFAULT_SYNC_MINUTES)
        fields[vol.Required(CONF_SYNC_MINUTES, default=minutes)] = _number(5, 1440, "min")
        grace = current.get(CONF_GRACE_DAYS, DEFAULT_GRACE_DAYS)
        fields[vol.Required(CONF_GRACE_DAYS, default=grace)] = _number(0, 365, "d")
        if vendor in mdm:
            fields[vol.Optional(CONF_REMOVE, default=False)] = selector.BooleanSelector()
        return self.async_show_form(step_id=f"mdm_{vendor}", data_schema=vol.Schema(fields), errors=errors)

    async def _async_validate(self, vendor: str, config: dict[str, Any]) -> dict[str, str]:
        """Form errors of a test call; nothing is logged (messages could name hosts or tenants)."""
        try:
            connector = build_connector(self.hass, vendor, config)
        except ConnectorConfigError as err:
            return {"base": "invalid_url" if "url" in str(err) else "invalid_settings"}
        try:
            await async_check(connector)
        except AuthError:
            return {"base": "invalid_auth"}
        except ConnectorError:
            return {"base": "cannot_connect"}
        return {}
