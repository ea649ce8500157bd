"""Who is calling: HA user -> admin flag and person entity (the engine's assignee namespace)."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import Unauthorized

PERSON_DOMAIN = "person"


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: str | None
    is_admin: bool
    person: str | None  # person entity id linked to the user, if any

    @property
    def audit_name(self) -> str | None:
        """What the audit history records as 'who'."""
        return self.person or (f"user:{self.user_id}" if self.user_id else None)


def person_of_user(hass: HomeAssistant, user_id: str) -> str | None:
    for state in hass.states.async_all(PERSON_DOMAIN):
        if state.attributes.get("user_id") == user_id:
            return state.entity_id
    return None


async def async_actor(hass: HomeAssistant, context: Context) -> Actor:
    """Calls without a user (automations, scripts, HA itself) act as the system, like admins."""
    if context.user_id is None:
        return Actor(None, True, None)
    user = await hass.auth.async_get_user(context.user_id)
    if user is None:
        raise Unauthorized(context=context)
    return Actor(user.id, user.is_admin, person_of_user(hass, user.id))


def require_admin(actor: Actor, context: Context) -> None:
    if not actor.is_admin:
        raise Unauthorized(context=context, permission="admin")
