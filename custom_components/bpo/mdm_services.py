"""``bpo.sync_devices``: sync the configured MDMs now (admins and automations only)."""

from __future__ import annotations

import voluptuous as vol
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse, callback
from homeassistant.exceptions import ServiceValidationError

from .const import DOMAIN
from .mdm_sync import VENDORS, MdmSync
from .permissions import async_actor, require_admin

SERVICE_SYNC_DEVICES = "sync_devices"
SYNC_SCHEMA = vol.Schema({vol.Optional("vendor"): vol.In(VENDORS)})


def _sync(hass: HomeAssistant) -> MdmSync:
    entries = hass.config_entries.async_loaded_entries(DOMAIN)
    if not entries:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="not_loaded")
    sync: MdmSync = entries[0].runtime_data.mdm
    return sync


async def _async_sync_devices(call: ServiceCall) -> ServiceResponse:
    """Answers per vendor the device count or the (redacted) error; a failure also raises a repair."""
    require_admin(await async_actor(call.hass, call.context), call.context)
    vendor = call.data.get("vendor")
    results = await _sync(call.hass).async_sync([vendor] if vendor else None)
    return {"results": dict(results)}


@callback
def async_register_mdm_services(hass: HomeAssistant) -> None:
    hass.services.async_register(
        DOMAIN,
        SERVICE_SYNC_DEVICES,
        _async_sync_devices,
        schema=SYNC_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
