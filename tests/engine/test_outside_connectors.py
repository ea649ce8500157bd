"""The HTTP connectors under faults their own tests did not try, from outside, against real aiohttp servers
on 127.0.0.1: odd Retry-After values, a connection dropped mid-body, redirects, HTML for JSON, next links that
loop or leave the host, absurd token lifetimes, a server slower than the timeout, and credentials in errors
and logs. Waits are recorded by a virtual clock, not slept (except the one real timeout)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from custom_components.bpo.connectors.base import (
    ConnectorError,
    HttpClient,
    PermanentError,
    RateLimited,
    RetryPolicy,
    TemporaryError,
)
from custom_components.bpo.connectors.http import HttpConnector

from . import test_mdm_fleet as fleet_fake
from . import test_mdm_intune as graph_fake
from .mdm_fakes import VirtualClock, assert_no_secret, capture_debug

pytestmark = pytest.mark.usefixtures("socket_enabled")

TOKEN = "outside-api-token-0123456789abcdef"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


class Recorder:
    """One route; answers with ``answer(n)`` for the n-th request (1-based) and keeps each request's
    Authorization header."""

    def __init__(self, answer: Callable[[int, web.Request], Awaitable[web.StreamResponse]]) -> None:
        self.answer = answer
        self.auth: list[str | None] = []

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        self.auth.append(request.headers.get("Authorization"))
        return await self.answer(len(self.auth), request)


async def serve(aiohttp_server: Any, handler: Handler, path: str = "/x") -> TestServer:
    async def route(request: web.Request) -> web.StreamResponse:
        return await handler(request)

    app = web.Application()
    app.router.add_route("*", path, route)
    server: TestServer = await aiohttp_server(app, host="127.0.0.1", access_log=None)
    return server


def client(session: aiohttp.ClientSession, clock: VirtualClock, **kwargs: Any) -> HttpClient:
    return HttpClient(
        session,
        name="crm",
        headers={"Authorization": f"Bearer {TOKEN}"},
        secrets=[TOKEN],
        sleep=clock.sleep,
        now=clock.now,
        rand=lambda: 0.5,
        **kwargs,
    )


def answers(*replies: Callable[[], web.StreamResponse]) -> Recorder:
    async def answer(n: int, _request: web.Request) -> web.StreamResponse:
        return replies[min(n, len(replies)) - 1]()

    return Recorder(answer)


# -- Retry-After ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "waits", "outcome"),
    [
        ("date+7", [7.0], "ok"),  # an HTTP date 7 s ahead of the shared clock
        ("date-60", [0.0], "ok"),  # a date already past: retry at once
        ("-5", [0.0], "ok"),  # negative: not a negative sleep
        ("nan", [0.0], "ok"),
        ("soon", [0.375], "ok"),  # garbled: ordinary backoff
        ("", [0.375], "ok"),
        ("1e9", [], "limited"),  # far beyond max_retry_after: not waited out
        ("inf", [], "limited"),
        ("date+86400", [], "limited"),
    ],
)
async def test_retry_after_in_every_form(
    aiohttp_server: Any,
    session: aiohttp.ClientSession,
    clock: VirtualClock,
    header: str,
    waits: list[float],
    outcome: str,
) -> None:
    if header.startswith("date"):
        header = format_datetime(clock.now() + timedelta(seconds=float(header[4:])), usegmt=True)
    route = answers(
        lambda: web.Response(status=429, headers={"Retry-After": header}),
        lambda: web.json_response({"ok": True}),
    )
    server = await serve(aiohttp_server, route)
    http = client(session, clock)
    if outcome == "ok":
        assert await http.request_json("GET", str(server.make_url("/x"))) == {"ok": True}
    else:
        with pytest.raises(RateLimited) as limited:
            await http.request_json("GET", str(server.make_url("/x")))
        assert limited.value.retry_after > 120
    assert clock.waits == waits


# -- broken transports ------------------------------------------------------------------------------------
def cut_mid_body(promised: int = 5000) -> Callable[[int, web.Request], Awaitable[web.StreamResponse]]:
    async def answer(_n: int, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = promised
        await response.prepare(request)
        await response.write(b'{"value": [1, 2')
        assert request.transport is not None
        request.transport.close()  # the server dies with most of the body unsent
        return response

    return answer


async def test_a_connection_dropped_mid_body_is_retried_for_a_get_and_not_for_a_post(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock
) -> None:
    route = Recorder(cut_mid_body())
    server = await serve(aiohttp_server, route)
    http = client(session, clock, retry=RetryPolicy(attempts=3))
    with pytest.raises(TemporaryError, match="ClientPayloadError") as dropped:
        await http.request_json("GET", str(server.make_url("/x")))
    assert len(route.auth) == 3 and clock.waits == [0.375, 0.75]
    assert TOKEN not in str(dropped.value)
    with pytest.raises(TemporaryError):
        await http.request_json("POST", str(server.make_url("/x")), json_body={"n": 1})
    assert len(route.auth) == 4  # the POST may have been carried out: not sent twice


async def test_a_server_slower_than_the_timeout_is_a_temporary_error_after_the_retries(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock
) -> None:
    async def slow(_n: int, _request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(5)
        return web.json_response({})

    route = Recorder(slow)
    server = await serve(aiohttp_server, route)
    http = client(session, clock, retry=RetryPolicy(attempts=2), timeout=aiohttp.ClientTimeout(total=0.2))
    loop = asyncio.get_running_loop()
    began = loop.time()
    with pytest.raises(TemporaryError, match="timed out"):
        await http.request_json("GET", str(server.make_url("/x")))
    assert len(route.auth) == 2 and loop.time() - began < 2


async def test_a_redirect_loop_is_not_followed_and_says_so(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock
) -> None:
    """Found: a redirect (not followed, rightly) came back from ``request_json`` as ``None``, so a list
    call failed later with "holds no 'value' list" instead of naming the redirect."""

    async def loop_back(_n: int, request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(location=str(request.url.with_query({"again": "1", "token": TOKEN})))

    route = Recorder(loop_back)
    server = await serve(aiohttp_server, route)
    http = client(session, clock)
    with pytest.raises(
        PermanentError, match=r"HTTP 302 redirect to http://127\.0\.0\.1:\d+/x \(not followed\)$"
    ):
        await http.request_json("GET", str(server.make_url("/x")))
    assert len(route.auth) == 1  # neither followed nor retried


@pytest.mark.parametrize("code", [301, 302, 307, 308])
async def test_a_webhook_that_moved_is_an_error_not_a_result(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock, code: int
) -> None:
    """Found: the HTTP connector returned a redirect's body ("308: Permanent Redirect") as the call's
    result, so a POST to a moved webhook (http:// that now redirects to https://) counted as done and the
    blueprint stored that text, though the request was never carried out."""

    async def moved(_n: int, _request: web.Request) -> web.StreamResponse:
        return web.Response(status=code, headers={"Location": f"https://hooks.example/new?key={TOKEN}"})

    route = Recorder(moved)
    server = await serve(aiohttp_server, route, path="/hook")
    hook = HttpConnector(
        "hook", session, base_url=str(server.make_url("")), ops={"send": "POST /hook"}, token=TOKEN
    )
    with pytest.raises(
        PermanentError, match=rf"^hook.send: HTTP {code} redirect to https://hooks.example/new "
    ) as err:
        await hook.call("send", {"text": "hello"})
    assert err.value.status == code and TOKEN not in str(err.value) and len(route.auth) == 1


async def test_html_where_json_was_expected_names_the_connector_and_url(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock
) -> None:
    """Found: the error read only "response is not JSON (HTTP 200)": no connector, no URL. And the
    decoder's error (whose ``doc`` is the whole body, echoed secret included) hung on as its cause."""
    page = f"<html><body>Sign in. Your key {TOKEN} is wrong</body></html>"
    route = answers(lambda: web.Response(text=page, content_type="text/html"))
    server = await serve(aiohttp_server, route)
    with pytest.raises(
        PermanentError, match=r"^crm: GET http://127\.0\.0\.1:\d+/x: response is not JSON"
    ) as err:
        await client(session, clock).request_json("GET", str(server.make_url("/x")))
    assert err.value.__cause__ is None and TOKEN not in str(err.value)


# -- pagination ---------------------------------------------------------------------------------------------
async def test_a_next_link_to_another_host_does_not_get_the_token(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock
) -> None:
    """Found: ``HttpClient.paginate_next_link`` followed any absolute next link with the client's headers,
    so a page naming another server handed it the bearer token (docs: "a token is never sent on to another
    host"). The Intune connector checked this itself; the SDK helper docs/connectors.md offers did not."""

    async def stolen(_n: int, _request: web.Request) -> web.StreamResponse:
        return web.json_response({"value": ["stolen"]})

    foreign = Recorder(stolen)
    elsewhere = await serve(aiohttp_server, foreign)
    ours = answers(
        lambda: web.json_response({"value": [1], "@odata.nextLink": str(elsewhere.make_url("/x"))})
    )
    server = await serve(aiohttp_server, ours)
    got: list[Any] = []
    with pytest.raises(PermanentError, match="leads to another host") as err:
        async for item in client(session, clock).paginate_next_link(str(server.make_url("/x"))):
            got.append(item)
    assert got == [1] and foreign.auth == []
    assert TOKEN not in str(err.value)


async def test_intune_next_link_back_to_the_first_page_stops(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock
) -> None:
    """Found: a Graph page whose @odata.nextLink led back to an earlier page was followed for 10,000
    pages (MAX_PAGES) before the sync gave up: an hour-long sync under throttling, the lock held."""
    fake = graph_fake.FakeGraph(clock, [graph_fake.graph_device(i) for i in range(4)], page_size=2)
    served: list[str] = []
    original = fake.managed_devices

    async def looping(request: web.Request) -> web.StreamResponse:
        served.append(request.query.get("$skiptoken", "0"))
        response = await original(request)
        assert isinstance(response, web.Response) and response.text is not None
        body = json.loads(response.text)
        body["@odata.nextLink"] = str(request.url.with_query({**request.query, "$skiptoken": "0"}))
        return web.json_response(body)

    fake.managed_devices = looping  # type: ignore[method-assign]
    server = await graph_fake.start(aiohttp_server, fake)
    with pytest.raises(PermanentError, match="loops back"):
        await graph_fake.connector(session, server, clock).fetch_devices()
    assert len(served) <= 3


async def test_fleet_ignoring_the_page_number_stops_at_the_second_page(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock
) -> None:
    """Found: a Fleet (or a proxy in front of it) that drops the ``page`` parameter answers page 0 for ever;
    the sync asked 10,000 pages, each with a detail request per host, before it stopped."""
    fake = fleet_fake.FakeFleet([fleet_fake.host(i) for i in range(1, 4)])

    async def ignoring_page(request: web.Request) -> web.StreamResponse:
        fake.list_queries.append(dict(request.query))
        return web.json_response({"hosts": fake.hosts[: int(request.query["per_page"])]})

    fake.list_hosts = ignoring_page  # type: ignore[method-assign]
    server = await fleet_fake.start(aiohttp_server, fake)
    fleet = fleet_fake.connector(session, server, clock, page_size=3, host_details=False)
    with pytest.raises(PermanentError, match="repeats page 0"):
        await fleet.fetch_devices()
    assert len(fake.list_queries) == 2


# -- tokens -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lifetime", ["1e20", "99999999999999", "Infinity", "NaN", "-1", "0", '"3599.5"'])
async def test_an_absurd_token_lifetime_does_not_crash_the_sync(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock, lifetime: str
) -> None:
    """Found: ``expires_in`` of 1e20 (or 99999999999999) raised OverflowError from the datetime sum, and
    NaN a ValueError: not ConnectorErrors, so the MDM sync's error handling did not catch the first. Any
    such value is now the default or capped, and the sync goes on."""
    fake = graph_fake.FakeGraph(clock, [graph_fake.graph_device(i) for i in range(3)])

    async def token(request: web.Request) -> web.StreamResponse:
        await request.post()
        issued = fake.tokens.issue()
        body = f'{{"token_type":"Bearer","expires_in":{lifetime},"access_token":"{issued}"}}'
        return web.Response(text=body, content_type="application/json")

    fake.token = token  # type: ignore[method-assign]
    server = await graph_fake.start(aiohttp_server, fake)
    intune = graph_fake.connector(session, server, clock)
    assert len(await intune.fetch_devices()) == 3
    clock.advance(86_400 + 1)  # a capped token is renewed within a day, whatever the answer said
    fake.tokens.revoke_all()
    assert len(await intune.fetch_devices()) == 3


async def test_a_token_dead_on_arrival_is_renewed_once_then_refused(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock
) -> None:
    fake = graph_fake.FakeGraph(clock, [graph_fake.graph_device(0)])
    fake.tokens.lifetime = 0  # every token the server hands out is already expired on its own clock
    server = await graph_fake.start(aiohttp_server, fake)
    with pytest.raises(ConnectorError) as refused:
        await graph_fake.connector(session, server, clock).fetch_devices()
    assert refused.value.status == 401
    assert len(fake.token_forms) == 2 and len(fake.queries) == 2  # one renewal, no loop


async def test_a_token_endpoint_answering_html_is_a_clear_error_without_the_body(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    capture_debug(caplog)
    fake = graph_fake.FakeGraph(clock, [graph_fake.graph_device(0)])

    async def portal(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        return web.Response(text=f"<html>login for {form['client_secret']}</html>", content_type="text/html")

    fake.token = portal  # type: ignore[method-assign]
    server = await graph_fake.start(aiohttp_server, fake)
    with pytest.raises(PermanentError, match="^intune: token answer is not JSON") as err:
        await graph_fake.connector(session, server, clock).fetch_devices()
    assert err.value.__cause__ is None
    assert_no_secret(caplog, err.value, graph_fake.SECRET)


# -- malformed answers and credentials -----------------------------------------------------------------
async def test_malformed_devices_are_skipped_and_the_sync_goes_on(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock
) -> None:
    odd: list[Any] = [
        1,
        "text",
        None,
        [],
        {"id": {"nested": True}},
        {"id": "ok-1", "lastSyncDateTime": "+275760-09-13", "isEncrypted": "yes", "complianceState": 5},
        {"id": 7, "deviceName": ["x"], "userPrincipalName": 3, "managementState": None},
    ]
    fake = graph_fake.FakeGraph(clock, odd)
    server = await graph_fake.start(aiohttp_server, fake)
    devices = await graph_fake.connector(session, server, clock).fetch_devices()
    assert [(d.vendor_id, d.name, d.encrypted, d.last_check_in) for d in devices] == [
        ("ok-1", "ok-1", None, None),
        ("7", "7", None, None),
    ]


async def test_no_credential_in_any_error_or_log_line(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Every failure kind of the generic HTTP connector, with the token and signing secret echoed back by
    the server in headers and bodies, at DEBUG: neither appears in an error or a log line."""
    capture_debug(caplog)
    signing = "signing-secret-abcdef0123456789"

    async def hostile(n: int, request: web.Request) -> web.StreamResponse:
        echoed = {"X-Echo": request.headers.get("Authorization", ""), "Retry-After": "1"}
        kinds: list[Callable[[], web.StreamResponse]] = [
            lambda: web.Response(status=429, headers=echoed, text=TOKEN),
            lambda: web.Response(status=503, headers=echoed, text=signing),
            lambda: web.Response(status=500, text=f"error for {TOKEN}"),
            lambda: web.Response(status=401, text=f"bad token {TOKEN}"),
            lambda: web.Response(status=422, text=f"bad signature with {signing}"),
            lambda: web.Response(text=f"not json {TOKEN}", content_type="application/json"),
        ]
        return kinds[(n - 1) % len(kinds)]()

    route = Recorder(hostile)
    server = await serve(aiohttp_server, route, path="/tickets/{id}")
    crm = HttpConnector(
        "crm",
        session,
        base_url=str(server.make_url("")),
        ops={"get": "GET /tickets/{id}", "put": {"method": "PUT", "path": "/tickets/{id}"}},
        token=TOKEN,
        signing_secret=signing,
        retry=RetryPolicy(attempts=1),
        sleep=clock.sleep,
    )
    errors: list[ConnectorError] = []
    for n in range(6):
        with pytest.raises(ConnectorError) as err:
            await crm.call("get" if n % 2 else "put", {"id": f"T-{n}", "q": TOKEN})
        errors.append(err.value)
    assert [type(e).__name__ for e in errors] == [
        "RateLimited",
        "TemporaryError",
        "TemporaryError",
        "AuthError",
        "PermanentError",
        "PermanentError",
    ]
    for error in errors:
        assert_no_secret(caplog, error, TOKEN, signing)
        assert error.__cause__ is None or TOKEN not in repr(error.__cause__.args)


@pytest.mark.xfail(
    strict=True,
    reason="a webhook whose secret is its URL path (Slack hooks/services/..., Discord webhooks/<id>/<token>, "
    "Telegram bot<token>) is configured as base_url; nothing marks that path secret, so every error shows it",
)
async def test_a_webhook_secret_in_the_base_url_path_stays_out_of_errors(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    capture_debug(caplog)
    hook_secret = "B0123456789/XyZsecretPart0123456789"
    route = answers(lambda: web.Response(status=404))
    server = await serve(aiohttp_server, route, path="/services/T000/B0123456789/XyZsecretPart0123456789")
    slack = HttpConnector(
        "slack",
        session,
        base_url=str(server.make_url(f"/services/T000/{hook_secret}")),
        ops={"post": "POST /"},
    )
    with pytest.raises(PermanentError) as err:
        await slack.call("post", {"text": "hi"})
    assert err.value.status == 404
    assert "XyZsecretPart0123456789" not in str(err.value)


async def test_fleet_host_detail_failure_keeps_the_token_out_of_the_error(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    capture_debug(caplog)
    fake = fleet_fake.FakeFleet([fleet_fake.host(i) for i in range(1, 4)])
    fake.faults.plan = {("host", 2): [lambda: web.Response(text=f"<h1>{fleet_fake.API_TOKEN}</h1>")]}
    server = await fleet_fake.start(aiohttp_server, fake)
    with pytest.raises(
        PermanentError, match=r"^fleet: GET http://127\.0\.0\.1:\d+/api/v1/fleet/hosts/2:"
    ) as err:
        await fleet_fake.connector(session, server, clock).fetch_devices()
    assert_no_secret(caplog, err.value, fleet_fake.API_TOKEN)
    assert err.value.__cause__ is None
