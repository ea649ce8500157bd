"""What the MDM connectors share: the device model, an OAuth2 token cache and authenticated paging. Pure.

Each vendor module (``intune``, ``jamf``, ``fleet``) turns its own inventory into ``MdmDevice`` records so
the rest of bpo never learns a vendor's field names. ``MdmConnector.call("devices", {})`` answers the whole
inventory as JSON-able dicts, so a blueprint ``action`` step can read it like any other connector.

Credentials: client secrets, API tokens and the access tokens obtained from them are handed to the
``HttpClient`` as secrets, so every error message has them replaced by ``***``; nothing here logs a
response body.
"""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import aiohttp

from .base import (
    DEFAULT_TIMEOUT,
    AuthError,
    Connector,
    ConnectorConfigError,
    HttpClient,
    Now,
    PermanentError,
    RetryPolicy,
    Sleep,
)

TOKEN_MARGIN = timedelta(seconds=60)  # renew this long before expiry: a page request takes a while
DEFAULT_TOKEN_LIFETIME = 300.0  # seconds, when a token answer gives no usable expires_in
MAX_TOKEN_LIFETIME = 86_400.0  # a longer expires_in is not believed (and 1e20 would overflow a datetime)
FORM = "application/x-www-form-urlencoded"
MAX_PAGES = 10_000  # a looping API must not hang a sync: 10k pages x 100 devices is far beyond any fleet


@dataclass(frozen=True, slots=True)
class MdmDevice:
    """One device as bpo sees it, whatever MDM reported it. ``None`` means "the MDM did not say"."""

    source: str  # "intune" | "jamf" | "fleet"
    vendor_id: str  # unique within one connector; Jamf prefixes "computer:" / "mobile:"
    name: str
    serial: str | None = None
    owner: str | None = None  # e-mail or user principal name, lower-cased
    platform: str | None = None
    os_version: str | None = None
    compliant: bool | None = None
    encrypted: bool | None = None
    last_check_in: datetime | None = None  # always timezone-aware (UTC when the vendor gave no zone)
    managed: bool | None = None
    failing_policies: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """JSON-able: what ``call("devices")`` returns and what may be stored in a blueprint field."""
        return {
            "source": self.source,
            "vendor_id": self.vendor_id,
            "name": self.name,
            "serial": self.serial,
            "owner": self.owner,
            "platform": self.platform,
            "os_version": self.os_version,
            "compliant": self.compliant,
            "encrypted": self.encrypted,
            "last_check_in": self.last_check_in.isoformat() if self.last_check_in else None,
            "managed": self.managed,
            "failing_policies": list(self.failing_policies),
        }


# -- field helpers (vendor JSON is untrusted: wrong types become None, never an exception) ---------------
def text(value: Any) -> str | None:
    """A non-empty stripped string, else None."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def owner(value: Any) -> str | None:
    """E-mail / UPN compared case-insensitively everywhere, so stored lower-cased."""
    found = text(value)
    return found.lower() if found else None


def timestamp(value: Any) -> datetime | None:
    """ISO 8601 (``Z`` or offset) as an aware datetime; year 1 (Graph's "never") and garbage are None."""
    raw = text(value)
    if raw is None:
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.year <= 1:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def path(data: Any, *keys: str) -> Any:
    """``data[k1][k2]...`` or None when any level is missing or not an object."""
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def derive_compliance(checks: Mapping[str, bool | None]) -> tuple[bool | None, tuple[str, ...]]:
    """Compliant when every known check passed; any failed check makes it non-compliant and is listed.

    With no failed check but some unknown, the answer is unknown (None): bpo does not call a device
    compliant on missing data.
    """
    failing = tuple(name for name, ok in checks.items() if ok is False)
    if failing:
        return False, failing
    if not checks or any(ok is None for ok in checks.values()):
        return None, ()
    return True, ()


# -- configuration helpers ------------------------------------------------------------------------------
def require_text(config: Mapping[str, Any], key: str) -> str:
    value = config.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConnectorConfigError(f"{key} is required (a string)")
    return value.strip()


def check_url(value: str, key: str) -> str:
    if urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).hostname:
        raise ConnectorConfigError(f"{key} must be an http:// or https:// URL")
    return value.rstrip("/")


def check_keys(config: Any, allowed: frozenset[str]) -> Mapping[str, Any]:
    if not isinstance(config, Mapping):
        raise ConnectorConfigError("expected a mapping of settings")
    unknown = set(config) - allowed
    if unknown:
        raise ConnectorConfigError(f"unknown keys: {', '.join(sorted(map(str, unknown)))}")
    return config


def common_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """``timeout`` (seconds per attempt) and ``retries`` exactly as the HTTP connector reads them."""
    seconds = config.get("timeout", DEFAULT_TIMEOUT.total)
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds <= 0:
        raise ConnectorConfigError("timeout must be a positive number of seconds")
    retries = config.get("retries", RetryPolicy().attempts - 1)
    if not isinstance(retries, int) or isinstance(retries, bool) or not 0 <= retries <= 10:
        raise ConnectorConfigError("retries must be a whole number from 0 to 10")
    return {
        "timeout": aiohttp.ClientTimeout(total=float(seconds), connect=min(10.0, float(seconds))),
        "retry": RetryPolicy(attempts=retries + 1),
    }


def page_size(config: Mapping[str, Any], default: int, maximum: int) -> int:
    size = config.get("page_size", default)
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= maximum:
        raise ConnectorConfigError(f"page_size must be a whole number from 1 to {maximum}")
    return size


def boolean(config: Mapping[str, Any], key: str, default: bool) -> bool:
    value = config.get(key, default)
    if not isinstance(value, bool):
        raise ConnectorConfigError(f"{key} must be true or false")
    return value


# -- authentication -------------------------------------------------------------------------------------
class ClientCredentials:
    """OAuth2 client-credentials grant with a cached bearer token, renewed ``TOKEN_MARGIN`` before expiry.

    ``form`` is sent URL-encoded to ``token_url``; the answer must carry ``access_token`` and may carry
    ``expires_in`` (seconds). Any refusal (4xx) is an ``AuthError`` naming the status, never the secret.
    """

    def __init__(self, http: HttpClient, token_url: str, form: Mapping[str, str], now: Now) -> None:
        self.http = http
        self.token_url = token_url
        self._form = dict(form)
        self._now = now
        self._token: str | None = None
        self._expires = datetime.min.replace(tzinfo=UTC)
        self._lock = asyncio.Lock()  # one token request at a time, even with concurrent page fetches
        self._fixed_secrets = list(http.secrets)
        self._last_issued: str | None = None  # kept when invalidated: its requests may still be failing

    def invalidate(self, token: str) -> None:
        """Forget ``token`` (the API refused it) unless a newer one already replaced it."""
        if self._token == token:
            self._token = None

    async def token(self) -> str:
        async with self._lock:
            if self._token is not None and self._now() < self._expires - TOKEN_MARGIN:
                return self._token
            try:
                response = await self.http.request(
                    "POST",
                    self.token_url,
                    body=urlencode(self._form).encode(),
                    headers={"Content-Type": FORM, "Accept": "application/json"},
                    idempotent=True,  # asking twice for a token does no harm
                )
            except (AuthError, PermanentError) as err:  # 401, or 400 invalid_client: wrong credentials
                raise AuthError(f"{err} (token request refused)", status=err.status) from None
            try:
                answer = response.json()
            except PermanentError:  # the decoder's error holds the body: not passed on
                raise PermanentError(
                    f"{self.http.name}: token answer is not JSON (HTTP {response.status})",
                    status=response.status,
                ) from None
            token = answer.get("access_token") if isinstance(answer, Mapping) else None
            if not isinstance(token, str) or not token:
                raise AuthError(f"{self.http.name}: token answer has no access_token")
            lifetime = answer.get("expires_in")
            if isinstance(lifetime, str) and lifetime.isdigit():  # Graph has sent it as a string
                lifetime = int(lifetime)
            if not isinstance(lifetime, int | float) or isinstance(lifetime, bool) or not lifetime > 0:
                lifetime = DEFAULT_TOKEN_LIFETIME  # absent, garbled, zero, negative or NaN
            lifetime = min(float(lifetime), MAX_TOKEN_LIFETIME)
            # scrubbed from messages from now on; the previous token too, for requests still in flight
            previous = [self._last_issued] if self._last_issued else []
            self.http.secrets[:] = [*self._fixed_secrets, token, *previous]
            self._last_issued = token
            self._token = token
            self._expires = self._now() + timedelta(seconds=float(lifetime))
            return token


class BearerApi:
    """GETs with a bearer token: a fixed API token, or one from ``ClientCredentials``.

    With credentials, a 401 on a cached token fetches a new token and repeats the request once: a token can
    die before its announced expiry (revoked, clock skew, server restart), and one such page must not fail
    a whole sync. A fixed token that is refused stays refused.
    """

    def __init__(self, http: HttpClient, source: ClientCredentials | str) -> None:
        self.http = http
        self._source = source

    async def _token(self) -> str:
        return self._source if isinstance(self._source, str) else await self._source.token()

    async def get_json(self, url: str, params: Sequence[tuple[str, Any]] = ()) -> Any:
        url = with_query(url, params)  # not HttpClient's params: it would fold repeated keys into one
        for attempt in (1, 2):
            token = await self._token()
            try:
                return await self.http.request_json(
                    "GET", url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
                )
            except AuthError as err:
                if err.status != 401 or attempt == 2 or not isinstance(self._source, ClientCredentials):
                    raise
                self._source.invalidate(token)
        raise AssertionError("unreachable")  # pragma: no cover


# -- the connector base ---------------------------------------------------------------------------------
class MdmConnector(Connector):
    """An MDM inventory. Subclasses yield ``MdmDevice``s; ``fetch_devices`` de-duplicates by vendor id."""

    source = "mdm"
    OPS = ("devices",)

    def __init__(
        self,
        name: str,
        session: aiohttp.ClientSession,
        *,
        secrets: Sequence[str],
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        sleep: Sleep | None = None,
        now: Now | None = None,
        rand: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(name)
        extra: dict[str, Any] = {}
        if sleep is not None:
            extra["sleep"] = sleep
        if rand is not None:
            extra["rand"] = rand
        self.now: Now = now or (lambda: datetime.now(UTC))
        self.http = HttpClient(
            session, name=name, timeout=timeout, retry=retry, secrets=secrets, now=self.now, **extra
        )

    @abstractmethod
    def devices(self) -> AsyncIterator[MdmDevice]:
        """Every device, page by page, as the vendor lists them (duplicates possible across pages)."""

    async def fetch_devices(self) -> list[MdmDevice]:
        """The whole inventory, each vendor id once (the later sighting wins: it is the fresher one)."""
        seen: dict[str, MdmDevice] = {}
        async for device in self.devices():
            seen[device.vendor_id] = device
        return list(seen.values())

    async def call(self, op: str, data: Mapping[str, Any]) -> Any:
        if op != "devices":
            raise PermanentError(f"{self.name}: unknown op {op!r} (known: {', '.join(self.OPS)})")
        found = await self.fetch_devices()
        return {"count": len(found), "devices": [device.as_dict() for device in found]}


async def pages_by_number(
    api: BearerApi,
    url: str,
    *,
    params: Sequence[tuple[str, Any]],
    items_key: str,
    page_param: str,
    size_param: str,
    size: int,
    total_key: str | None = None,
) -> AsyncIterator[Mapping[str, Any]]:
    """Items of a page-numbered list from page 0; stops at a short page or once ``total_key`` items came."""
    seen = 0
    previous: list[Any] = []
    for number in range(MAX_PAGES):
        query = [*params, (page_param, number), (size_param, size)]
        page = await api.get_json(url, query)
        items = page.get(items_key) if isinstance(page, Mapping) else None
        if not isinstance(items, list):
            raise PermanentError(
                f"{api.http.name}: page {number} of {_path(url)} holds no {items_key!r} list"
            )
        if number > 0 and len(items) >= size and items == previous:
            # a server that ignores the page number answers the same full page for ever
            raise PermanentError(
                f"{api.http.name}: page {number} of {_path(url)} repeats page {number - 1}; paging ignored"
            )
        previous = items
        for item in items:
            if isinstance(item, Mapping):
                yield item
        seen += len(items)
        total = page.get(total_key) if total_key else None
        if len(items) < size or (isinstance(total, int) and seen >= total):
            return
    raise PermanentError(f"{api.http.name}: {_path(url)} has more than {MAX_PAGES} pages")


def _path(url: str) -> str:
    return urlsplit(url).path


def with_query(url: str, params: Sequence[tuple[str, Any]]) -> str:
    """``url`` with ``params`` appended, repeated keys kept (Jamf's ``section=...&section=...``).

    ``$`` and ``,`` stay literal so Graph's ``$select=a,b`` reads as documented.
    """
    if not params:
        return url
    query = urlencode([(k, str(v)) for k, v in params], quote_via=quote, safe="$,:'()")
    return f"{url}{'&' if urlsplit(url).query else '?'}{query}"
