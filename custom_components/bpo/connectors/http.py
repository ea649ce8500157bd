"""``HttpConnector``: a generic outbound REST/webhook connector configured entirely from YAML.

Each op maps to ``METHOD /path/{placeholder}``. Placeholders are filled from the call's data (URL-quoted);
the remaining data becomes the JSON body (POST/PUT/PATCH) or the query string (GET/DELETE/HEAD).
Authentication is an optional bearer token; an optional signing secret adds
``X-Bpo-Signature: sha256=<hex HMAC-SHA256 of the body>`` so the receiver can tell the call is ours.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp

from .base import (
    DEFAULT_TIMEOUT,
    SIGNATURE_HEADER,
    Connector,
    ConnectorConfigError,
    HttpClient,
    HttpResponse,
    PermanentError,
    RetryPolicy,
    Sleep,
    redact,
    safe_url,
    sign_body,
)

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
METHODS = BODY_METHODS | {"GET", "DELETE", "HEAD"}
CONFIG_KEYS = frozenset({"base_url", "token", "signing_secret", "timeout", "headers", "ops", "retries"})


@dataclass(frozen=True, slots=True)
class Operation:
    """One op: HTTP method, a path template relative to ``base_url``, and whether repeating it is safe."""

    method: str
    path: str
    idempotent: bool | None = None  # None: decided by the method (POST/PATCH are not)

    @property
    def placeholders(self) -> list[str]:
        return [name for _, name, _, _ in string.Formatter().parse(self.path) if name]

    @classmethod
    def parse(cls, spec: str | Mapping[str, Any]) -> Operation:
        """``"POST /tickets"`` or ``{method: POST, path: /tickets, idempotent: true}``."""
        if isinstance(spec, str):
            method, _, path = spec.strip().partition(" ")
            op = cls(method.upper(), path.strip())
        elif isinstance(spec, Mapping):
            unknown = set(spec) - {"method", "path", "idempotent"}
            if unknown:
                raise ConnectorConfigError(f"unknown op keys: {', '.join(sorted(unknown))}")
            idem = spec.get("idempotent")
            if idem is not None and not isinstance(idem, bool):
                raise ConnectorConfigError("idempotent must be true or false")
            op = cls(str(spec.get("method", "")).upper(), str(spec.get("path", "")), idem)
        else:
            raise ConnectorConfigError("an op is 'METHOD /path' or {method, path}")
        if op.method not in METHODS:
            allowed = ", ".join(sorted(METHODS))
            raise ConnectorConfigError(f"method must be one of {allowed}, not {op.method!r}")
        if not op.path.startswith("/"):
            raise ConnectorConfigError(f"path must start with '/': {op.path!r}")
        try:
            op.placeholders  # noqa: B018 - a malformed template ("{id") must fail at load, not at call time
        except ValueError as err:
            raise ConnectorConfigError(f"bad path template {op.path!r}: {err}") from None
        return op


def _decode(response: HttpResponse) -> Any:
    """JSON when the body is JSON, text otherwise, None when empty: blueprints store it as a field."""
    if not response.body.strip():
        return None
    content_type = response.headers.get("Content-Type", "")
    if "json" in content_type:
        return response.json()
    try:
        return json.loads(response.body)
    except ValueError:
        return response.body.decode(errors="replace")


class HttpConnector(Connector):
    """Calls ``base_url`` + op path; see the module docstring for how data is placed."""

    def __init__(
        self,
        name: str,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        ops: Mapping[str, Operation | str | Mapping[str, Any]],
        token: str | None = None,
        signing_secret: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        sleep: Sleep | None = None,
        rand: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(name)
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise ConnectorConfigError("base_url must be an http:// or https:// URL")
        self.base_url = base_url.rstrip("/")
        self.ops = {
            op: (spec if isinstance(spec, Operation) else Operation.parse(spec)) for op, spec in ops.items()
        }
        self._signing_secret = signing_secret
        self._secrets = [s for s in (token, signing_secret) if s]
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        extra: dict[str, Any] = {}
        if sleep is not None:
            extra["sleep"] = sleep
        if rand is not None:
            extra["rand"] = rand
        self.client = HttpClient(
            session,
            name=name,
            timeout=timeout,
            retry=retry,
            headers=sent,
            secrets=self._secrets,
            **extra,
        )

    @classmethod
    def from_config(
        cls, name: str, session: aiohttp.ClientSession, config: Mapping[str, Any], **kwargs: Any
    ) -> HttpConnector:
        """Build from one ``http:`` entry of ``bpo_connectors.yaml``; errors name the bad key."""
        if not isinstance(config, Mapping):
            raise ConnectorConfigError("expected a mapping with base_url and ops")
        unknown = set(config) - CONFIG_KEYS
        if unknown:
            raise ConnectorConfigError(f"unknown keys: {', '.join(sorted(unknown))}")
        if not isinstance(config.get("base_url"), str):
            raise ConnectorConfigError("base_url is required")
        ops = config.get("ops")
        if not isinstance(ops, Mapping) or not ops:
            raise ConnectorConfigError("ops must map op names to 'METHOD /path'")
        for key in ("token", "signing_secret"):
            if config.get(key) is not None and not isinstance(config[key], str):
                raise ConnectorConfigError(f"{key} must be a string")
        headers = config.get("headers") or {}
        if not isinstance(headers, Mapping):
            raise ConnectorConfigError("headers must be a mapping")
        seconds = config.get("timeout", DEFAULT_TIMEOUT.total)
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds <= 0:
            raise ConnectorConfigError("timeout must be a positive number of seconds")
        retries = config.get("retries", RetryPolicy().attempts - 1)
        if not isinstance(retries, int) or isinstance(retries, bool) or not 0 <= retries <= 10:
            raise ConnectorConfigError("retries must be a whole number from 0 to 10")
        parsed: dict[str, Operation] = {}
        for op_name, spec in ops.items():
            try:
                parsed[str(op_name)] = Operation.parse(spec)
            except ValueError as err:
                raise ConnectorConfigError(f"ops.{op_name}: {err}") from None
        return cls(
            name,
            session,
            base_url=config["base_url"],
            ops=parsed,
            token=config.get("token"),
            signing_secret=config.get("signing_secret"),
            headers={str(k): str(v) for k, v in headers.items()},
            timeout=aiohttp.ClientTimeout(total=float(seconds), connect=min(10.0, float(seconds))),
            retry=RetryPolicy(attempts=retries + 1),
            **kwargs,
        )

    def _url(self, op_name: str, op: Operation, data: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        rest = dict(data)
        values: dict[str, str] = {}
        for key in op.placeholders:
            if key not in rest:
                raise PermanentError(f"{self.name}.{op_name}: data has no {key!r} for the path")
            values[key] = quote(str(rest.pop(key)), safe="")
        return self.base_url + op.path.format(**values), rest

    async def call(self, op: str, data: Mapping[str, Any]) -> Any:
        spec = self.ops.get(op)
        if spec is None:
            known = ", ".join(sorted(self.ops)) or "none"
            raise PermanentError(f"{self.name}: unknown op {op!r} (known: {known})")
        url, rest = self._url(op, spec, data)
        headers: dict[str, str] = {}
        body = b""
        params: dict[str, str] | None = None
        if spec.method in BODY_METHODS:
            headers["Content-Type"] = "application/json"
            try:
                body = json.dumps(rest, separators=(",", ":"), default=str).encode()
            except ValueError as err:  # circular data; default=str covers every other type
                raise PermanentError(f"{self.name}.{op}: data cannot be sent as JSON") from err
        elif rest:
            params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in rest.items()}
        if self._signing_secret:
            headers[SIGNATURE_HEADER] = sign_body(self._signing_secret, body)
        response = await self.client.request(
            spec.method,
            url,
            params=params,
            body=body if spec.method in BODY_METHODS else None,
            headers=headers,
            idempotent=spec.idempotent,
        )
        if 300 <= response.status < 400 and response.status != 304:
            # Not followed (the token would go along), so nothing was done: not a result to store.
            location = response.headers.get("Location")
            target = f" to {safe_url(location)}" if location else ""
            raise PermanentError(
                redact(
                    f"{self.name}.{op}: HTTP {response.status} redirect{target} (not followed)", self._secrets
                ),
                status=response.status,
            )
        return _decode(response)
