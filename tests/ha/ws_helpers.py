"""A websocket client per HA user, for the ``bpo/...`` commands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.auth.models import User
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import CLIENT_ID
from pytest_homeassistant_custom_component.typing import MockHAClientWebSocket, WebSocketGenerator


@dataclass
class Ws:
    """One user's connection: ``call`` sends a command and returns HA's answer message."""

    client: MockHAClientWebSocket

    async def call(self, command: str, **data: Any) -> dict[str, Any]:
        await self.client.send_json_auto_id({"type": command, **data})
        answer: dict[str, Any] = await self.client.receive_json()
        return answer

    async def ok(self, command: str, **data: Any) -> Any:
        answer = await self.call(command, **data)
        assert answer["success"], answer
        return answer["result"]

    async def refused(self, command: str, code: str, **data: Any) -> dict[str, Any]:
        """The error of a refused command (asserting its code)."""
        answer = await self.call(command, **data)
        assert not answer["success"], answer
        assert answer["error"]["code"] == code, answer["error"]
        error: dict[str, Any] = answer["error"]
        return error


async def ws_as(hass: HomeAssistant, hass_ws_client: WebSocketGenerator, user: User) -> Ws:
    """A connection authenticated as ``user`` (a token dated by the test's frozen clock)."""
    refresh = await hass.auth.async_create_refresh_token(user, CLIENT_ID)
    return Ws(await hass_ws_client(hass, access_token=hass.auth.async_create_access_token(refresh)))
