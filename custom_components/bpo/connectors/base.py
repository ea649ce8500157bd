"""The connector SDK: the ``Connector`` contract, typed errors, and an HTTP client that retries politely.

Pure: aiohttp only, no Home Assistant. The HA glue injects HA's shared ``ClientSession``; tests inject
their own plus a virtual ``sleep`` so backoff waits are recorded instead of slept.

Retry rules (``HttpClient.request``):

- 429 and 503 are retried for every method: the server says it did not do the work. A ``Retry-After``
  (seconds or HTTP-date) is waited exactly; without one, exponential backoff with jitter is used. A
  ``Retry-After`` longer than ``RetryPolicy.max_retry_after`` is not waited out: ``RateLimited`` is raised
  so the caller (or the step's timeout) decides.
- other 5xx, timeouts and connection errors are retried only for idempotent requests (GET, HEAD, PUT,
  DELETE, OPTIONS, or ``idempotent=True``): a POST that timed out may have been carried out already.
- 401/403 -> ``AuthError``; any other 4xx -> ``PermanentError``; never retried.

Secrets (tokens, signing keys) never reach an error message or a log line: URLs are shown without their
query string and every message passes through ``redact``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp

_LOGGER = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Bpo-Signature"
TIMESTAMP_HEADER = "X-Bpo-Timestamp"
SIGNATURE_PREFIX = "sha256="
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
REDACTED = "***"
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)

type Sleep = Callable[[float], Awaitable[None]]
type Now = Callable[[], datetime]


# -- errors ---------------------------------------------------------------------------------------------
class ConnectorError(Exception):
    """Base class: a connector call failed. The message is safe to show and log (no secrets, no bodies)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthError(ConnectorError):
    """The credentials were refused (401/403) or could not be obtained. Retrying will not help."""


class RateLimited(ConnectorError):
    """The service asked us to wait longer than we are willing to (or retries ran out while limited)."""

    def __init__(self, message: str, *, retry_after: float, status: int | None = 429) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class TemporaryError(ConnectorError):
    """Timeouts, connection failures, 5xx after the retries: the same call may work later."""


class PermanentError(ConnectorError):
    """The request itself is wrong (4xx other than 401/403/429, bad op, bad data): do not repeat it."""


class ConnectorConfigError(ValueError):
    """A connector's configuration is unusable; the message names the key (never its value)."""


# -- the contract ---------------------------------------------------------------------------------------
class Connector(ABC):
    """One configured outside system. ``call`` returns something JSON-able; it raises ``ConnectorError``s."""

    def __init__(self, name: str) -> None:
        self.name = name

    @abstractmethod
    async def call(self, op: str, data: Mapping[str, Any]) -> Any:
        """Carry out ``op`` with ``data``; the result may be stored in a blueprint field."""

    async def close(self) -> None:  # noqa: B027 - optional hook: most connectors own nothing to release
        """Release what the connector owns (never an injected session)."""


# -- redaction and signing ------------------------------------------------------------------------------
def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret (longest first, so a prefix cannot leave a tail behind) with ``***``."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def safe_url(url: str) -> str:
    """The URL without user info, query or fragment: those are where API keys tend to travel."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def sign_body(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The ``X-Bpo-Signature`` value: ``sha256=`` + hex HMAC-SHA256 of the exact body bytes.

    With a ``timestamp`` (unix seconds, sent as ``X-Bpo-Timestamp``) the HMAC covers
    ``b"<timestamp>." + body`` instead, so a captured request stops working once it is old.
    """
    message = body if timestamp is None else b"%d." % timestamp + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_PREFIX}{digest}"


def verify_signature(secret: str, body: bytes, header: str | None, timestamp: int | None = None) -> bool:
    """Constant-time check of a received ``X-Bpo-Signature`` header (see :func:`sign_body`)."""
    if not header or not secret:
        return False
    return hmac.compare_digest(sign_body(secret, body, timestamp).encode(), header.strip().encode())


# -- retries --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``attempts`` counts the first try. Backoff n (0-based) is ``base * 2**n`` capped at ``max_delay``,
    of which the upper ``jitter`` fraction is random so many clients do not retry in step."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: float = 0.5
    max_retry_after: float = 120.0

    def backoff(self, retry: int, rand: float) -> float:
        delay = min(self.max_delay, self.base_delay * 2.0**retry)
        return delay * (1 - self.jitter) + delay * self.jitter * rand


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from ``now``: delta-seconds or an HTTP-date; None when absent/garbled."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a naive parse means the zone was "-0000"
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class HttpResponse:
    """What a finished request left behind; the connection is already released."""

    status: int
    headers: Mapping[str, str]
    body: bytes = field(repr=False)

    def json(self) -> Any:
        """The body as JSON; an empty body is None. Invalid JSON is the service's fault: PermanentError."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except ValueError as err:
            raise PermanentError(f"response is not JSON (HTTP {self.status})", status=self.status) from err


class HttpClient:
    """Requests over an injected ``aiohttp.ClientSession`` with timeouts, retries and redaction.

    ``secrets`` lists values to scrub from messages (the connector's token, signing key, ...);
    ``headers`` are sent with every request (e.g. ``Authorization``) and are never logged.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        name: str = "http",
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        secrets: Iterable[str] = (),
        sleep: Sleep = asyncio.sleep,
        now: Now = _utcnow,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.session = session
        self.name = name
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.headers = dict(headers or {})
        self.secrets = [s for s in secrets if s]
        self._sleep = sleep
        self._now = now
        self._rand = rand

    def _message(self, method: str, url: str, what: str) -> str:
        return redact(f"{self.name}: {method} {safe_url(url)}: {what}", self.secrets)

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> HttpResponse:
        """One logical request; returns a 2xx/3xx response or raises a ``ConnectorError``."""
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        if json_body is not None:
            body = json.dumps(json_body, separators=(",", ":")).encode()
        sent_headers = {**self.headers, **(headers or {})}
        if json_body is not None:
            sent_headers.setdefault("Content-Type", "application/json")
        attempt = 0
        while True:
            attempt += 1
            last = attempt >= self.retry.attempts
            try:
                response = await self._send(method, url, params, body, sent_headers)
            except (TimeoutError, aiohttp.ClientError) as err:
                # a connection that never opened did nothing, so any method may retry it
                safe = idempotent or isinstance(err, aiohttp.ClientConnectorError)
                what = "timed out" if isinstance(err, TimeoutError) else f"{type(err).__name__}"
                if last or not safe:
                    raise TemporaryError(self._message(method, url, what)) from None
                await self._wait(method, url, what, self.retry.backoff(attempt - 1, self._rand()))
                continue
            status = response.status
            if status < 400:
                return response
            what = f"HTTP {status}"
            if status in (401, 403):
                raise AuthError(self._message(method, url, what), status=status)
            if status in (429, 503):
                retry_after = parse_retry_after(response.headers.get("Retry-After"), self._now())
                if retry_after is not None and retry_after > self.retry.max_retry_after:
                    raise RateLimited(
                        self._message(method, url, f"{what}, retry after {retry_after:.0f}s"),
                        retry_after=retry_after,
                        status=status,
                    )
                delay = self.retry.backoff(attempt - 1, self._rand()) if retry_after is None else retry_after
                if last:
                    if status == 429:
                        raise RateLimited(self._message(method, url, what), retry_after=delay, status=status)
                    raise TemporaryError(self._message(method, url, what), status=status)
                await self._wait(method, url, what, delay)
                continue
            if status >= 500:
                if last or not idempotent:
                    raise TemporaryError(self._message(method, url, what), status=status)
                await self._wait(method, url, what, self.retry.backoff(attempt - 1, self._rand()))
                continue
            raise PermanentError(self._message(method, url, what), status=status)

    async def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        body: bytes | None,
        headers: Mapping[str, str],
    ) -> HttpResponse:
        async with self.session.request(
            method,
            url,
            params=dict(params) if params else None,
            data=body,
            headers=headers,
            timeout=self.timeout,
            allow_redirects=False,  # a redirect to another host would carry our Authorization header along
        ) as resp:
            data = await resp.read()
            return HttpResponse(resp.status, dict(resp.headers), data)

    async def _wait(self, method: str, url: str, what: str, delay: float) -> None:
        _LOGGER.debug("%s; retrying in %.2fs", self._message(method, url, what), delay)
        await self._sleep(delay)

    async def request_json(self, method: str, url: str, **kwargs: Any) -> Any:
        """``request`` and decode the JSON body (None for an empty body).

        A redirect is not followed (see ``_send``), so it is no answer either: ``PermanentError`` saying so,
        rather than a confusing "no items" later. Errors name the client and the URL like every other.
        """
        response = await self.request(method, url, **kwargs)
        if 300 <= response.status < 400:
            location = response.headers.get("Location")
            target = f" to {safe_url(location)}" if location else ""
            what = f"HTTP {response.status} redirect{target} (not followed)"
            raise PermanentError(self._message(method, url, what), status=response.status)
        try:
            return response.json()
        except PermanentError as err:  # the decoder's error holds the body: not passed on
            raise PermanentError(self._message(method, url, str(err)), status=err.status) from None

    # -- pagination ------------------------------------------------------------------------------------
    async def paginate_next_link(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        items_key: str = "value",
        next_key: str = "@odata.nextLink",
        max_pages: int = 1000,
    ) -> AsyncIterator[Any]:
        """Items of a Microsoft Graph-style list: follow ``@odata.nextLink`` (a full URL) until it is gone.

        The first request carries ``params``; next links already contain them. A next link is followed only
        on the first URL's scheme, host and port: the client's headers carry the credentials.
        """
        next_url: str | None = url
        page_params = params
        origin = urlsplit(url)[:2]
        for _ in range(max_pages):
            if next_url is None:
                return
            page = await self.request_json("GET", next_url, params=page_params)
            if not isinstance(page, Mapping):
                raise PermanentError(self._message("GET", next_url, "page is not a JSON object"))
            for item in page.get(items_key) or []:
                yield item
            link = page.get(next_key)
            next_url = link if isinstance(link, str) and link else None
            page_params = None
            if next_url is not None and urlsplit(next_url)[:2] != origin:
                raise PermanentError(
                    self._message("GET", url, f"{next_key} leads to another host; not followed")
                )
        if next_url is not None:
            raise PermanentError(self._message("GET", url, f"more than {max_pages} pages"))

    async def paginate_pages(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        items_key: str | None = None,
        page_param: str = "page",
        size_param: str = "per_page",
        size: int = 100,
        first_page: int = 0,
        max_pages: int = 1000,
    ) -> AsyncIterator[Any]:
        """Items of a page-numbered list (Fleet ``page``/``per_page``, Jamf ``page``/``page-size``).

        Stops at the first page shorter than ``size``. ``items_key`` picks the list out of an object
        page (``"hosts"``, ``"results"``); None means the page is the list itself.
        """
        for number in range(first_page, first_page + max_pages):
            query = {**(params or {}), page_param: number, size_param: size}
            page = await self.request_json("GET", url, params=query)
            items = page.get(items_key) if items_key is not None and isinstance(page, Mapping) else page
            if not isinstance(items, list):
                raise PermanentError(self._message("GET", url, f"page {number} holds no item list"))
            for item in items:
                yield item
            if len(items) < size:
                return
        raise PermanentError(self._message("GET", url, f"more than {max_pages} pages"))
