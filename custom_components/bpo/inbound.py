"""The inbound webhook: outside systems POST signed events that start or resume bpo instances.

``POST /api/webhook/<webhook_id>`` with body ``{"event": "<type>", "data": {...}}`` and header
``X-Bpo-Signature: sha256=<hex HMAC-SHA256 of the exact body, keyed with inbound.secret>``. With
``X-Bpo-Timestamp: <unix seconds>`` the HMAC covers ``<timestamp>.<body>`` and the request is refused
once it is more than ``max_age`` seconds off (``require_timestamp`` makes the header mandatory).

Replays: a request whose signature was already accepted is answered 202 with ``"duplicate": true`` and
the instances of the first delivery, without touching the engine. Signatures are remembered for twice
``max_age`` when timestamped (older ones are refused anyway) and for a day otherwise, in
``.storage/bpo.inbound_seen`` (see ``inbound_seen``), so a replay is refused after a restart too.

Bodies are checked before any state changes (``inbound_body``): at most ``max_body`` bytes, valid UTF-8
without lone surrogate escapes, objects/arrays nested at most 32 deep.

Answers: 202 once the engine has committed the event and the replay record is written (so an
acknowledged event survives a restart and is never applied twice), 401 for a missing/bad signature or
timestamp, 413 for a body over ``max_body``, 400 for a malformed payload, 403 for an event type outside
``events``, 503 when it could not be stored (the sender should retry), 500 for anything unexpected.
Rejections are logged without the body (it may carry personal data) and without the webhook id (the
secret half of the URL).

The webhook id lives in the entry options (``webhook_id``), so the URL survives restarts and
diagnostics redact it; it is generated on first use.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING

from aiohttp.web import Request, Response, json_response
from homeassistant.components import webhook
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.setup import async_setup_component

from .connectors.base import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from .const import DOMAIN
from .durable.errors import WriteFailed
from .engine.runtime_errors import EngineError, InvalidForm
from .inbound_body import parse_body
from .inbound_seen import AcceptedRequests

__all__ = ["AcceptedRequests", "InboundSettings", "InboundWebhook"]

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .manager import BpoManager

_LOGGER = logging.getLogger(__name__)

OPTION_WEBHOOK_ID = "webhook_id"  # the key diagnostics.TO_REDACT already hides
WEBHOOK_NAME = "BPO Workflows inbound events"
READ_CHUNK = 16 * 1024
REDACTED_ID = "<webhook_id>"


@dataclass(frozen=True, slots=True)
class InboundSettings:
    """The ``inbound:`` section of ``bpo_connectors.yaml``."""

    secret: str
    local_only: bool = True
    max_body: int = 64 * 1024
    events: frozenset[str] | None = None  # None: any event type may come in
    max_age: int = 300  # seconds a timestamped request may be off
    require_timestamp: bool = False


UNSTAMPED_MEMORY = 24 * 3600  # seconds an untimestamped signature is remembered


def _reply(status: HTTPStatus, message: str) -> Response:
    return json_response({"error": message}, status=status)


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it exceeds ``limit`` (we stop reading there)."""
    # Home Assistant Cloud relays webhooks as a MockRequest, which has no content_length
    declared = getattr(request, "content_length", None)
    if declared is not None and declared > limit:
        return None
    body = bytearray()
    stream = request.content  # fetched once: a MockRequest hands out a fresh reader on every access
    while chunk := await stream.read(READ_CHUNK):
        body.extend(chunk)
        if len(body) > limit:
            return None
    return bytes(body)


class InboundWebhook:
    """One registered webhook feeding ``manager``; replaced on every reload of the connector file."""

    def __init__(
        self,
        hass: HomeAssistant,
        manager: BpoManager,
        webhook_id: str,
        settings: InboundSettings,
        accepted: AcceptedRequests | None = None,
    ) -> None:
        self.hass = hass
        self.manager = manager
        self.webhook_id = webhook_id
        self.settings = settings
        self.accepted = accepted if accepted is not None else AcceptedRequests()
        self._registered = False

    @classmethod
    async def async_create(
        cls,
        hass: HomeAssistant,
        entry: ConfigEntry,
        manager: BpoManager,
        settings: InboundSettings,
        accepted: AcceptedRequests | None = None,
    ) -> InboundWebhook:
        if webhook.DOMAIN not in hass.config.components:
            # only wanted when an admin turned inbound on, so not a hard dependency of every install
            await async_setup_component(hass, webhook.DOMAIN, {})
        webhook_id = entry.options.get(OPTION_WEBHOOK_ID)
        if not isinstance(webhook_id, str) or not webhook_id:
            webhook_id = webhook.async_generate_id()
            # the options flow keeps other keys, and no update listener reloads the entry on this change
            hass.config_entries.async_update_entry(
                entry, options={**entry.options, OPTION_WEBHOOK_ID: webhook_id}
            )
        inbound = cls(hass, manager, webhook_id, settings, accepted)
        await inbound.accepted.async_load(hass)
        inbound.register()
        return inbound

    def register(self) -> None:
        webhook.async_register(
            self.hass,
            DOMAIN,
            WEBHOOK_NAME,
            self.webhook_id,
            self._async_handle,
            local_only=self.settings.local_only,
            allowed_methods=["POST"],
        )
        self._registered = True

    def unregister(self) -> None:
        if self._registered:
            webhook.async_unregister(self.hass, self.webhook_id)
            self._registered = False

    def url(self) -> str:
        """The full URL when HA knows its own address, else the path to append to it."""
        try:
            return webhook.async_generate_url(self.hass, self.webhook_id)
        except NoURLAvailableError:
            return webhook.async_generate_path(self.webhook_id)

    def redacted_url(self) -> str:
        """``url()`` with the id replaced: the id is the secret half of the URL and never logged."""
        return self.url().replace(self.webhook_id, REDACTED_ID)

    def announce(self) -> None:
        """Tell the admin where to send events; the id and the signing secret stay out of the log."""
        _LOGGER.info(
            "bpo inbound webhook is listening at %s (%s; the id is the bpo entry's webhook_id option; "
            "requests must carry %s)",
            self.redacted_url(),
            "local network only" if self.settings.local_only else "reachable from outside",
            SIGNATURE_HEADER,
        )

    async def _async_handle(self, hass: HomeAssistant, webhook_id: str, request: Request) -> Response:
        # Nothing may escape: HA's webhook layer would log it with the webhook id (the secret half of
        # the URL) and answer 200, which the sender takes as "accepted".
        try:
            return await self._async_receive(request)
        except Exception as err:  # noqa: BLE001 - the last line of defence; the cause is named below
            # the type only: a message or traceback could quote the body, which may carry personal data
            _LOGGER.error("bpo inbound request failed unexpectedly: %s", type(err).__name__)  # noqa: TRY400
            return _reply(HTTPStatus.INTERNAL_SERVER_ERROR, "not stored, retry later")

    async def _async_receive(self, request: Request) -> Response:
        remote = getattr(request, "remote", None) or "Home Assistant Cloud"  # a cloud MockRequest has none
        body = await _read_limited(request, self.settings.max_body)
        if body is None:
            limit = self.settings.max_body
            _LOGGER.warning("Rejected bpo inbound event from %s: body over %d bytes", remote, limit)
            return _reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
        header = request.headers.get(SIGNATURE_HEADER)
        stamp = request.headers.get(TIMESTAMP_HEADER)
        timestamp = _timestamp(stamp)
        if (stamp is not None and timestamp is None) or (stamp is None and self.settings.require_timestamp):
            _LOGGER.warning(
                "Rejected bpo inbound event from %s: %s timestamp", remote, (stamp and "bad") or "no"
            )
            return _reply(HTTPStatus.UNAUTHORIZED, f"{TIMESTAMP_HEADER} must be unix seconds")
        if header is None or not verify_signature(self.settings.secret, body, header, timestamp):
            _LOGGER.warning(
                "Rejected bpo inbound event from %s: %s signature", remote, "missing" if not header else "bad"
            )
            return _reply(HTTPStatus.UNAUTHORIZED, "invalid signature")
        now = time.time()
        if timestamp is not None and abs(now - timestamp) > self.settings.max_age:
            _LOGGER.warning(
                "Rejected bpo inbound event from %s: timestamp %d s off (max_age %d)",
                remote,
                now - timestamp,
                self.settings.max_age,
            )
            return _reply(HTTPStatus.UNAUTHORIZED, "timestamp too old or in the future")
        async with self.accepted.lock:
            return await self._async_apply(remote, header.strip(), body, now, timestamp)

    async def _async_apply(
        self, remote: str, signature: str, body: bytes, now: float, timestamp: int | None
    ) -> Response:
        """Apply a signed request once: replay check, body checks, engine, durable replay record."""
        if (earlier := self.accepted.get(signature, now)) is not None:
            try:
                # the first delivery may have been answered 503 because this very write failed
                await self.accepted.async_flush()
            except WriteFailed as err:
                _LOGGER.error("bpo inbound replay memory could not be written: %s", err)  # noqa: TRY400
                return _reply(HTTPStatus.SERVICE_UNAVAILABLE, "not stored, retry later")
            _LOGGER.info("bpo inbound request from %s was already accepted; not applied again", remote)
            return json_response({"accepted": True, "duplicate": True, "instances": earlier}, status=202)
        parsed = parse_body(body)
        if isinstance(parsed, str):
            _LOGGER.warning("Rejected bpo inbound event from %s: %s", remote, parsed)
            return _reply(HTTPStatus.BAD_REQUEST, parsed)
        event, data = parsed
        if self.settings.events is not None and event not in self.settings.events:
            _LOGGER.warning("Rejected bpo inbound event %r from %s: not in inbound.events", event, remote)
            return _reply(HTTPStatus.FORBIDDEN, "event type not accepted")
        try:
            instances = await self.manager.async_run(
                lambda engine: engine.handle_event(event, data, strict=True)
            )
        except InvalidForm as err:
            # the sender's data do not fit the process's fields: resending the same body cannot help
            _LOGGER.warning("Rejected bpo inbound event %r from %s: %s", event, remote, err)
            return _reply(HTTPStatus.BAD_REQUEST, str(err))
        except (EngineError, HomeAssistantError, OSError) as err:
            # store/engine failures become a 503 so the sender retries
            _LOGGER.error("bpo inbound event %r could not be processed: %s", event, err)  # noqa: TRY400 - the cause is known; a traceback adds noise
            return _reply(HTTPStatus.SERVICE_UNAVAILABLE, "not stored, retry later")
        ids = [i.id for i in instances]
        ttl = 2 * self.settings.max_age if timestamp is not None else UNSTAMPED_MEMORY
        try:
            # acknowledged means durable, the replay record included: else a replay after a restart
            # would be applied again. Memory keeps it, so the sender's retry is answered "duplicate".
            await self.accepted.async_add(signature, now, ttl, ids)
        except WriteFailed as err:
            why = "applied, but its replay record was not written"
            _LOGGER.error("bpo inbound event %r %s: %s", event, why, err)  # noqa: TRY400
            return _reply(HTTPStatus.SERVICE_UNAVAILABLE, "not stored, retry later")
        return json_response({"accepted": True, "instances": ids}, status=202)


def _timestamp(value: str | None) -> int | None:
    """``X-Bpo-Timestamp`` as unix seconds, or None when absent or not a plain integer."""
    text = "" if value is None else value.strip()
    # ASCII only: isdigit() also takes superscripts (int() then raises) and other scripts' digits
    if not (text.isascii() and text.isdigit()):
        return None
    return int(text)
