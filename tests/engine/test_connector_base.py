"""The connector SDK against real aiohttp servers on 127.0.0.1: retries, errors, pagination, signing."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from custom_components.bpo.connectors.base import (
    AuthError,
    ConnectorConfigError,
    HttpClient,
    PermanentError,
    RateLimited,
    RetryPolicy,
    TemporaryError,
    parse_retry_after,
    redact,
    safe_url,
    sign_body,
    verify_signature,
)
from custom_components.bpo.connectors.http import HttpConnector, Operation
from custom_components.bpo.connectors.registry import ConnectorRegistry, UnknownConnector

pytestmark = pytest.mark.usefixtures("socket_enabled")

TOKEN = "s3cr3t-token-value"
NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Waits:
    """A virtual sleep: records each backoff instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def serve(aiohttp_server: Any) -> Callable[[list[tuple[str, str, Handler]]], Awaitable[TestServer]]:
    async def start(routes: list[tuple[str, str, Handler]]) -> TestServer:
        app = web.Application()
        for method, path, handler in routes:
            app.router.add_route(method, path, handler)
        server: TestServer = await aiohttp_server(app, host="127.0.0.1")
        return server

    return start


def reply(
    status: int = 200, body: Any = None, headers: dict[str, str] | None = None
) -> Callable[[], web.Response]:
    """A response factory: aiohttp cannot send one Response object twice."""
    if body is None or isinstance(body, str):
        return lambda: web.Response(status=status, text=body, headers=headers)
    return lambda: web.json_response(body, status=status, headers=headers)


def scripted(*responses: Callable[[], web.Response]) -> tuple[Handler, list[web.Request]]:
    """A handler answering with ``responses`` in order (the last one repeats)."""
    seen: list[web.Request] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request)
        return responses[min(len(seen), len(responses)) - 1]()

    return handler, seen


def client(session: aiohttp.ClientSession, waits: Waits, **kwargs: Any) -> HttpClient:
    return HttpClient(
        session,
        name="crm",
        headers={"Authorization": f"Bearer {TOKEN}"},
        secrets=[TOKEN],
        sleep=waits,
        now=lambda: NOW,
        rand=lambda: 0.5,
        **kwargs,
    )


async def test_429_retry_after_seconds_and_date_are_honoured(serve: Any, session: Any) -> None:
    date = format_datetime(NOW + timedelta(seconds=7), usegmt=True)
    handler, seen = scripted(
        reply(429, headers={"Retry-After": "3"}),
        reply(429, headers={"Retry-After": date}),
        reply(200, {"ok": True}),
    )
    server = await serve([("GET", "/items", handler)])
    waits = Waits()
    assert await client(session, waits).request_json("GET", str(server.make_url("/items"))) == {"ok": True}
    assert waits.waits == [3.0, 7.0]
    assert len(seen) == 3
    assert seen[0].headers["Authorization"] == f"Bearer {TOKEN}"


async def test_429_too_long_or_exhausted_raises_rate_limited(serve: Any, session: Any) -> None:
    handler, seen = scripted(reply(429, headers={"Retry-After": "3600"}))
    server = await serve([("GET", "/x", handler)])
    waits = Waits()
    with pytest.raises(RateLimited) as err:
        await client(session, waits).request("GET", str(server.make_url("/x")))
    assert err.value.retry_after == 3600 and waits.waits == [] and len(seen) == 1

    handler, seen = scripted(reply(429, headers={"Retry-After": "1"}))
    server = await serve([("POST", "/x", handler)])
    with pytest.raises(RateLimited):
        limited = client(session, waits, retry=RetryPolicy(attempts=3))
        await limited.request("POST", str(server.make_url("/x")))
    assert waits.waits == [1.0, 1.0] and len(seen) == 3  # 429 means "not done": even POST retries


async def test_503_retried_then_success_with_jittered_backoff(serve: Any, session: Any) -> None:
    handler, seen = scripted(reply(503), reply(503), reply(200, [1]))
    server = await serve([("GET", "/s", handler)])
    waits = Waits()
    assert await client(session, waits).request_json("GET", str(server.make_url("/s"))) == [1]
    # base 0.5 s doubling, half of each delay jittered (rand fixed at 0.5): 0.375, 0.75
    assert waits.waits == [0.375, 0.75] and len(seen) == 3


async def test_500_retries_exhausted_is_temporary_and_post_is_not_retried(serve: Any, session: Any) -> None:
    handler, seen = scripted(reply(500, f"boom {TOKEN}"))
    server = await serve([("GET", "/e", handler), ("POST", "/e", handler)])
    waits = Waits()
    with pytest.raises(TemporaryError) as err:
        await client(session, waits).request("GET", str(server.make_url("/e")))
    assert len(seen) == 4 and len(waits.waits) == 3
    assert err.value.status == 500 and "HTTP 500" in str(err.value) and TOKEN not in str(err.value)
    with pytest.raises(TemporaryError):
        await client(session, waits).request("POST", str(server.make_url("/e")))
    assert len(seen) == 5  # a POST may have been carried out: no blind repeat


async def test_401_is_auth_error_without_secrets(serve: Any, session: Any) -> None:
    handler, seen = scripted(reply(401, f"bad token {TOKEN}"))
    server = await serve([("GET", "/a", handler)])
    waits = Waits()
    url = str(server.make_url("/a")) + f"?api_key={TOKEN}"
    with pytest.raises(AuthError) as err:
        await client(session, waits).request("GET", url)
    assert TOKEN not in str(err.value) and TOKEN not in repr(err.value.args)
    assert "HTTP 401" in str(err.value) and "crm" in str(err.value)
    assert len(seen) == 1 and waits.waits == []


async def test_other_4xx_is_permanent(serve: Any, session: Any) -> None:
    handler, seen = scripted(reply(404))
    server = await serve([("GET", "/p", handler)])
    with pytest.raises(PermanentError):
        await client(session, Waits()).request("GET", str(server.make_url("/p")))
    assert len(seen) == 1


async def test_timeout_is_temporary(serve: Any, session: Any) -> None:
    calls: list[int] = []

    async def slow(request: web.Request) -> web.Response:
        calls.append(1)
        await asyncio.sleep(1)
        return web.Response()

    server = await serve([("GET", "/slow", slow)])
    waits = Waits()
    http = client(session, waits, timeout=aiohttp.ClientTimeout(total=0.1), retry=RetryPolicy(attempts=2))
    with pytest.raises(TemporaryError, match="timed out"):
        await http.request("GET", str(server.make_url("/slow")))
    assert len(calls) == 2 and len(waits.waits) == 1


async def test_connection_refused_is_temporary(session: Any) -> None:
    waits = Waits()
    with pytest.raises(TemporaryError):
        await client(session, waits, retry=RetryPolicy(attempts=2)).request("POST", "http://127.0.0.1:9/x")
    assert len(waits.waits) == 1  # never connected, so even a POST may retry


async def test_pagination_odata_next_link(serve: Any, session: Any) -> None:
    async def devices(request: web.Request) -> web.Response:
        skip = int(request.query.get("$skiptoken", "0"))
        page: dict[str, Any] = {"value": [{"id": i} for i in range(skip, min(skip + 2, 5))]}
        if skip + 2 < 5:
            page["@odata.nextLink"] = str(request.url.with_query({"$skiptoken": str(skip + 2)}))
        return web.json_response(page)

    server = await serve([("GET", "/v1.0/deviceManagement/managedDevices", devices)])
    http = client(session, Waits())
    url = str(server.make_url("/v1.0/deviceManagement/managedDevices"))
    items = [item["id"] async for item in http.paginate_next_link(url, params={"$top": "2"})]
    assert items == [0, 1, 2, 3, 4]


async def test_pagination_page_per_page(serve: Any, session: Any) -> None:
    seen: list[dict[str, str]] = []

    async def hosts(request: web.Request) -> web.Response:
        seen.append(dict(request.query))
        page, per_page = int(request.query["page"]), int(request.query["per_page"])
        ids = list(range(7))[page * per_page : (page + 1) * per_page]
        return web.json_response({"hosts": [{"id": i} for i in ids]})

    async def inventory(request: web.Request) -> web.Response:
        page, size = int(request.query["page"]), int(request.query["page-size"])
        results = list(range(4))[page * size : (page + 1) * size]
        return web.json_response({"totalCount": 4, "results": results})

    server = await serve([("GET", "/api/v1/fleet/hosts", hosts), ("GET", "/api/v1/inventory", inventory)])
    http = client(session, Waits())
    fleet = http.paginate_pages(str(server.make_url("/api/v1/fleet/hosts")), items_key="hosts", size=3)
    assert [h["id"] async for h in fleet] == list(range(7))
    assert [q["page"] for q in seen] == ["0", "1", "2"]
    jamf = http.paginate_pages(
        str(server.make_url("/api/v1/inventory")), items_key="results", size_param="page-size", size=2
    )
    assert [i async for i in jamf] == [0, 1, 2, 3]  # the empty third page ends it


async def test_http_connector_signs_bearer_and_templates(serve: Any, session: Any) -> None:
    received: list[tuple[str, bytes, dict[str, str]]] = []

    async def tickets(request: web.Request) -> web.Response:
        body = await request.read()
        received.append((request.path_qs, body, dict(request.headers)))
        if request.method == "POST":
            return web.json_response({"id": "T-1"}, status=201)
        return web.Response(text="plain")

    server = await serve([("POST", "/api/tickets", tickets), ("GET", "/api/tickets/{id}", tickets)])
    crm = HttpConnector(
        "my_crm",
        session,
        base_url=str(server.make_url("/api/")),
        ops={"create_ticket": "POST /tickets", "get": {"method": "GET", "path": "/tickets/{id}"}},
        token=TOKEN,
        signing_secret="hmac-key",
    )
    assert await crm.call("create_ticket", {"subject": "Printer", "n": 2}) == {"id": "T-1"}
    path, body, headers = received[0]
    assert path == "/api/tickets" and body == b'{"subject":"Printer","n":2}'
    expected = hmac.new(b"hmac-key", body, hashlib.sha256).hexdigest()
    assert headers["X-Bpo-Signature"] == f"sha256={expected}"
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert verify_signature("hmac-key", body, headers["X-Bpo-Signature"])
    assert not verify_signature("other", body, headers["X-Bpo-Signature"])
    assert not verify_signature("hmac-key", body, None)

    assert await crm.call("get", {"id": "a/b", "full": True}) == "plain"
    assert received[1][0] == "/api/tickets/a%2Fb?full=true"
    with pytest.raises(PermanentError, match="unknown op"):
        await crm.call("delete", {})
    with pytest.raises(PermanentError, match="'id'"):
        await crm.call("get", {})


def test_config_errors_and_helpers(session: Any) -> None:
    with pytest.raises(ConnectorConfigError, match="base_url"):
        HttpConnector.from_config("x", session, {"ops": {"a": "GET /a"}})
    with pytest.raises(ConnectorConfigError, match=r"ops\.a"):
        HttpConnector.from_config("x", session, {"base_url": "http://h", "ops": {"a": "FETCH /a"}})
    with pytest.raises(ConnectorConfigError, match="unknown keys: tokn"):
        HttpConnector.from_config("x", session, {"base_url": "http://h", "ops": {"a": "GET /a"}, "tokn": "t"})
    assert Operation.parse("post /a/{b}").placeholders == ["b"]
    assert parse_retry_after("garbage", NOW) is None
    assert parse_retry_after(format_datetime(NOW - timedelta(seconds=5), usegmt=True), NOW) == 0
    assert redact("a tok tokenvalue", ["tok", "tokenvalue"]) == "a *** ***"
    assert safe_url("https://u:p@h:8443/p?key=1#f") == "https://h:8443/p"
    assert sign_body("k", b"") == "sha256=" + hmac.new(b"k", b"", hashlib.sha256).hexdigest()


async def test_registry(session: Any) -> None:
    crm = HttpConnector("crm", session, base_url="http://127.0.0.1", ops={"a": "GET /a"})
    registry = ConnectorRegistry([crm])
    assert "crm" in registry and registry.names() == ["crm"] and registry.get("crm") is crm
    with pytest.raises(UnknownConnector, match="configured: crm"):
        registry.get("erp")
    with pytest.raises(ValueError, match="twice"):
        registry.add(crm)
    await registry.close_all()
