"""The connector SDK's retry, error and pagination rules, pinned down where the mutation run found them loose
(issue 16). Every request goes to a real aiohttp server on 127.0.0.1; waits are recorded, not slept."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from custom_components.bpo.connectors.base import (
    AuthError,
    ConnectorError,
    HttpClient,
    HttpResponse,
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

from .test_connector_base import Waits, session

__all__ = ["session"]  # a fixture, imported so pytest finds it here

pytestmark = pytest.mark.usefixtures("socket_enabled")

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
TOKEN = "tok-0123456789abcdef"

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Script:
    """One route answering ``answers`` in order (the last repeats); keeps what each request carried."""

    def __init__(self, *answers: Callable[[], web.StreamResponse]) -> None:
        self.answers = answers
        self.seen: list[tuple[str, dict[str, str], dict[str, str], bytes]] = []

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        self.seen.append((request.method, dict(request.query), dict(request.headers), await request.read()))
        return self.answers[min(len(self.seen), len(self.answers)) - 1]()


def status(
    code: int, headers: dict[str, str] | None = None, text: str | None = None
) -> Callable[[], web.Response]:
    return lambda: web.Response(status=code, headers=headers, text=text)


async def serve(aiohttp_server: Any, handler: Handler, path: str = "/x") -> str:
    async def route(request: web.Request) -> web.StreamResponse:
        return await handler(request)

    app = web.Application()
    app.router.add_route("*", path, route)
    server: TestServer = await aiohttp_server(app, host="127.0.0.1")
    return str(server.make_url(path))


def client(session: aiohttp.ClientSession, waits: Waits, **kwargs: Any) -> HttpClient:
    kwargs.setdefault("rand", lambda: 0.5)
    return HttpClient(session, name="crm", sleep=waits, now=lambda: NOW, **kwargs)


# -- pure helpers ------------------------------------------------------------------------------------------


def test_backoff_doubles_from_the_base_up_to_the_cap_with_the_jittered_part_on_top() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=6.0, jitter=0.25)
    assert [policy.backoff(n, 0.0) for n in range(4)] == [0.75, 1.5, 3.0, 4.5]
    assert [policy.backoff(n, 1.0) for n in range(4)] == [1.0, 2.0, 4.0, 6.0]
    assert policy.backoff(1, 0.5) == 1.75
    assert RetryPolicy() == RetryPolicy(
        attempts=4, base_delay=0.5, max_delay=30.0, jitter=0.5, max_retry_after=120.0
    )


def test_retry_after_forms() -> None:
    assert parse_retry_after(None, NOW) is None
    assert parse_retry_after("", NOW) is None
    assert parse_retry_after("  12  ", NOW) == 12.0
    assert parse_retry_after("2.5", NOW) == 2.5
    assert parse_retry_after("-4", NOW) == 0.0
    assert parse_retry_after(format_datetime(NOW + timedelta(seconds=90), usegmt=True), NOW) == 90.0
    assert parse_retry_after(" Thu, 01 May 2025 12:00:30 GMT ", NOW) == 30.0
    # "-0000" parses to a naive datetime; it still means UTC
    assert parse_retry_after("Thu, 01 May 2025 12:01:00 -0000", NOW) == 60.0
    assert parse_retry_after("Thu, 01 May 2025 14:01:00 +0200", NOW) == 60.0
    assert parse_retry_after("soon", NOW) is None


def test_redaction_takes_the_longest_secret_first_and_ignores_empty_ones() -> None:
    assert redact("key=abcdef and abc", ["abc", "abcdef"]) == "key=*** and ***"
    assert redact("nothing to hide", ["", "absent"]) == "nothing to hide"
    assert redact("twice abc abc", ["abc", "abc"]) == "twice *** ***"
    assert redact("azzz", ["zz", "azzz"]) == "***"  # by length, not by alphabet


def test_safe_url_drops_credentials_query_and_fragment() -> None:
    assert safe_url("https://user:pw@Api.Example.com/v1/x?key=s#top") == "https://api.example.com/v1/x"
    assert safe_url("http://h:8080/p") == "http://h:8080/p"
    assert safe_url("/relative?q=1") == "/relative"


def test_signatures_with_and_without_a_timestamp() -> None:
    body = b'{"event":"e"}'
    plain = "sha256=" + hmac.new(b"key", body, hashlib.sha256).hexdigest()
    stamped = "sha256=" + hmac.new(b"key", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign_body("key", body) == plain
    assert sign_body("key", body, 1700000000) == stamped
    assert verify_signature("key", body, f"  {stamped}\n", 1700000000)
    assert not verify_signature("key", body, stamped)  # the timestamp is part of what was signed
    assert not verify_signature("key", body, plain, 1700000000)
    assert not verify_signature("", body, "sha256=" + hmac.new(b"", body, hashlib.sha256).hexdigest())
    assert not verify_signature("key", body, "")


def test_a_response_body_as_json() -> None:
    assert HttpResponse(200, {}, b"").json() is None
    assert HttpResponse(200, {}, b" \n").json() is None
    assert HttpResponse(200, {}, b'{"a": [1]}').json() == {"a": [1]}
    with pytest.raises(PermanentError, match=r"^response is not JSON \(HTTP 202\)$") as err:
        HttpResponse(202, {}, b"<html>").json()
    assert err.value.status == 202


def test_errors_carry_their_status() -> None:
    assert ConnectorError("m").status is None
    limited = RateLimited("slow down", retry_after=4.0)
    assert limited.status == 429 and limited.retry_after == 4.0 and str(limited) == "slow down"


# -- what is sent ------------------------------------------------------------------------------------------


async def test_json_bodies_headers_and_params_are_sent_as_given(aiohttp_server: Any, session: Any) -> None:
    script = Script(lambda: web.json_response({"ok": 1}))
    url = await serve(aiohttp_server, script)
    http = client(session, Waits(), headers={"Authorization": f"Bearer {TOKEN}", "X-A": "1"})
    assert await http.request_json("post", url, json_body={"b": [1, 2], "a": "é"}, headers={"X-A": "2"}) == {
        "ok": 1
    }
    method, query, headers, body = script.seen[0]
    assert method == "POST" and query == {}
    assert body == b'{"b":[1,2],"a":"\\u00e9"}'
    assert headers["Content-Type"] == "application/json"
    assert headers["Authorization"] == f"Bearer {TOKEN}" and headers["X-A"] == "2"
    await http.request("PUT", url, json_body=[], headers={"Content-Type": "application/merge-patch+json"})
    assert script.seen[1][2]["Content-Type"] == "application/merge-patch+json" and script.seen[1][3] == b"[]"
    await http.request("GET", url, params={"q": "a b", "n": 3})
    assert script.seen[2][1] == {"q": "a b", "n": "3"} and script.seen[2][3] == b""
    assert "application/json" not in script.seen[2][2].get("Content-Type", "")
    await http.request("POST", url, body=b"raw")
    assert script.seen[3][3] == b"raw"
    assert http.headers == {
        "Authorization": f"Bearer {TOKEN}",
        "X-A": "1",
    }  # the call's headers were not kept


async def test_a_redirect_is_returned_not_followed(aiohttp_server: Any, session: Any) -> None:
    script = Script(lambda: web.Response(status=302, headers={"Location": "http://127.0.0.1:9/elsewhere"}))
    url = await serve(aiohttp_server, script)
    answer = await client(session, Waits()).request("GET", url)
    assert answer.status == 302 and answer.headers["Location"] == "http://127.0.0.1:9/elsewhere"
    assert len(script.seen) == 1


async def test_the_timeout_given_is_the_one_used(aiohttp_server: Any, session: Any) -> None:
    import asyncio

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.5)
        return web.Response(text="late")

    url = await serve(aiohttp_server, slow)
    waits = Waits()
    patient = client(session, waits, timeout=aiohttp.ClientTimeout(total=5))
    assert (await patient.request("GET", url)).body == b"late"
    hasty = client(session, waits, timeout=aiohttp.ClientTimeout(total=0.05), retry=RetryPolicy(attempts=1))
    with pytest.raises(TemporaryError, match=r"^crm: GET http://127\.0\.0\.1:\d+/x: timed out$"):
        await hasty.request("GET", url)


# -- retries -----------------------------------------------------------------------------------------------


async def test_5xx_backoff_grows_per_attempt(aiohttp_server: Any, session: Any) -> None:
    script = Script(status(502))
    url = await serve(aiohttp_server, script)
    waits = Waits()
    with pytest.raises(TemporaryError) as err:
        await client(session, waits, rand=lambda: 1.0, retry=RetryPolicy(attempts=5)).request("GET", url)
    assert waits.waits == [0.5, 1.0, 2.0, 4.0] and len(script.seen) == 5
    assert err.value.status == 502
    assert str(err.value) == f"crm: GET {url}: HTTP 502"


async def test_idempotent_flag_overrides_the_method(aiohttp_server: Any, session: Any) -> None:
    script = Script(status(500), status(200))
    url = await serve(aiohttp_server, script)
    waits = Waits()
    assert (await client(session, waits).request("POST", url, idempotent=True)).status == 200
    assert len(script.seen) == 2 and waits.waits == [0.375]
    script = Script(status(500))
    url = await serve(aiohttp_server, script)
    with pytest.raises(TemporaryError):
        await client(session, waits).request("DELETE", url, idempotent=False)
    assert len(script.seen) == 1


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"])
async def test_idempotent_methods_retry_a_500(aiohttp_server: Any, session: Any, method: str) -> None:
    script = Script(status(500), status(204))
    url = await serve(aiohttp_server, script)
    assert (await client(session, Waits()).request(method, url)).status == 204
    assert len(script.seen) == 2


async def test_patch_is_not_retried_after_a_500(aiohttp_server: Any, session: Any) -> None:
    script = Script(status(500), status(204))
    url = await serve(aiohttp_server, script)
    with pytest.raises(TemporaryError):
        await client(session, Waits()).request("PATCH", url)
    assert len(script.seen) == 1


async def test_a_post_whose_answer_was_lost_is_not_repeated(aiohttp_server: Any, session: Any) -> None:
    async def drop(request: web.Request) -> web.StreamResponse:
        seen.append(1)
        assert request.transport is not None
        request.transport.close()  # the server got the request, then the connection broke
        return web.Response()

    seen: list[int] = []
    url = await serve(aiohttp_server, drop)
    waits = Waits()
    with pytest.raises(TemporaryError, match=r"^crm: POST http://127\.0\.0\.1:\d+/x: \w+$") as err:
        await client(session, waits).request("POST", url)
    assert len(seen) == 1 and waits.waits == [] and "timed out" not in str(err.value)
    with pytest.raises(TemporaryError):
        await client(session, waits, retry=RetryPolicy(attempts=2)).request("GET", url)
    assert waits.waits == [
        0.375
    ]  # (aiohttp may itself resend an idempotent request once on a reused connection)


async def test_a_refused_connection_backs_off_like_any_retry(session: Any) -> None:
    waits = Waits()
    with pytest.raises(TemporaryError, match=r"^crm: POST http://127\.0\.0\.1:9/x: ClientConnectorError$"):
        await client(session, waits, retry=RetryPolicy(attempts=3)).request(
            "POST", "http://127.0.0.1:9/x?k=1"
        )
    assert waits.waits == [0.375, 0.75]


async def test_503_without_retry_after_backs_off_and_ends_as_temporary(
    aiohttp_server: Any, session: Any
) -> None:
    script = Script(status(503))
    url = await serve(aiohttp_server, script)
    waits = Waits()
    with pytest.raises(TemporaryError) as err:
        await client(session, waits, retry=RetryPolicy(attempts=3)).request("POST", url)
    assert not isinstance(err.value, RateLimited) and err.value.status == 503
    assert str(err.value) == f"crm: POST {url}: HTTP 503"
    assert waits.waits == [0.375, 0.75] and len(script.seen) == 3


async def test_429_without_retry_after_ends_as_rate_limited_with_the_last_backoff(
    aiohttp_server: Any, session: Any
) -> None:
    script = Script(status(429))
    url = await serve(aiohttp_server, script)
    waits = Waits()
    with pytest.raises(RateLimited) as err:
        await client(session, waits, retry=RetryPolicy(attempts=3)).request("GET", url)
    assert waits.waits == [0.375, 0.75]
    assert err.value.retry_after == 1.5 and err.value.status == 429
    assert str(err.value) == f"crm: GET {url}: HTTP 429"


async def test_a_retry_after_at_the_limit_is_waited_and_beyond_it_is_not(
    aiohttp_server: Any, session: Any
) -> None:
    script = Script(status(503, {"Retry-After": "60"}), status(200))
    url = await serve(aiohttp_server, script)
    waits = Waits()
    policy = RetryPolicy(max_retry_after=60)
    assert (await client(session, waits, retry=policy).request("GET", url)).status == 200
    assert waits.waits == [60.0]
    script = Script(status(503, {"Retry-After": "61"}))
    url = await serve(aiohttp_server, script)
    with pytest.raises(RateLimited) as err:
        await client(session, waits, retry=policy).request("GET", url)
    assert err.value.status == 503 and err.value.retry_after == 61.0 and len(script.seen) == 1
    assert str(err.value) == f"crm: GET {url}: HTTP 503, retry after 61s"


async def test_a_single_attempt_is_never_retried(aiohttp_server: Any, session: Any) -> None:
    script = Script(status(429, {"Retry-After": "1"}))
    url = await serve(aiohttp_server, script)
    waits = Waits()
    with pytest.raises(RateLimited) as err:
        await client(session, waits, retry=RetryPolicy(attempts=1)).request("GET", url)
    assert err.value.retry_after == 1.0 and waits.waits == [] and len(script.seen) == 1


@pytest.mark.parametrize(
    ("code", "error"), [(401, AuthError), (403, AuthError), (400, PermanentError), (409, PermanentError)]
)
async def test_client_errors_are_not_retried_and_keep_their_status(
    aiohttp_server: Any, session: Any, code: int, error: type[ConnectorError]
) -> None:
    script = Script(status(code, text=f"echo {TOKEN}"))
    url = await serve(aiohttp_server, script)
    with pytest.raises(error) as err:
        await client(session, Waits(), secrets=[TOKEN, ""]).request("GET", url + f"?token={TOKEN}")
    assert type(err.value) is error and err.value.status == code and len(script.seen) == 1
    assert str(err.value) == f"crm: GET {url}: HTTP {code}"


async def test_retries_are_logged_without_secrets(
    aiohttp_server: Any, session: Any, caplog: pytest.LogCaptureFixture
) -> None:
    script = Script(status(503, {"Retry-After": "2"}), status(200))
    url = await serve(aiohttp_server, script, path=f"/{TOKEN}/x")
    caplog.set_level(logging.DEBUG, logger="custom_components.bpo.connectors.base")
    await client(session, Waits(), secrets=[TOKEN]).request("GET", url)
    [message] = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert message == f"crm: GET {url.replace(TOKEN, '***')}: HTTP 503; retrying in 2.00s"


# -- pagination --------------------------------------------------------------------------------------------


async def test_next_links_carry_the_query_only_once_and_stop_on_an_empty_link(
    aiohttp_server: Any, session: Any
) -> None:
    pages = iter(
        [
            {"items": [1, 2], "next": "/x?page=2"},
            {"items": [], "next": "/x?page=3"},
            {"items": None, "next": "/x?page=4"},
            {"items": [3], "next": ""},
        ]
    )
    queries: list[dict[str, str]] = []

    async def handler(request: web.Request) -> web.Response:
        queries.append(dict(request.query))
        page = dict(next(pages))
        page["next"] = (
            str(request.url.join(request.url.with_path("/x").with_query(page["next"][3:])))
            if page["next"]
            else ""
        )
        return web.json_response(page)

    url = await serve(aiohttp_server, handler)
    http = client(session, Waits())
    items = [
        i async for i in http.paginate_next_link(url, params={"f": "1"}, items_key="items", next_key="next")
    ]
    assert items == [1, 2, 3]
    assert queries == [{"f": "1"}, {"page": "2"}, {"page": "3"}, {"page": "4"}]


async def test_next_link_pages_must_be_objects_and_are_bounded(aiohttp_server: Any, session: Any) -> None:
    url = await serve(aiohttp_server, Script(lambda: web.json_response([1, 2])))
    http = client(session, Waits())
    with pytest.raises(
        PermanentError, match=r"^crm: GET http://127\.0\.0\.1:\d+/x: page is not a JSON object$"
    ):
        [i async for i in http.paginate_next_link(url)]

    async def endless(request: web.Request) -> web.Response:
        return web.json_response({"value": [len(seen)], "@odata.nextLink": str(request.url)}, headers={})

    seen: list[int] = []
    url = await serve(aiohttp_server, endless)
    with pytest.raises(PermanentError, match=r"^crm: GET http://127\.0\.0\.1:\d+/x: more than 3 pages$"):
        [i async for i in http.paginate_next_link(url, max_pages=3)]
    three = Script(
        lambda: web.json_response({"value": [1], "@odata.nextLink": url}),
        lambda: web.json_response({"value": [2], "@odata.nextLink": url}),
        lambda: web.json_response({"value": [3]}),
    )
    url = await serve(aiohttp_server, three)
    assert [i async for i in http.paginate_next_link(url, max_pages=3)] == [1, 2, 3]


async def test_a_list_that_never_ends_stops_after_the_documented_1000_pages(
    aiohttp_server: Any, session: Any
) -> None:
    # docs/connectors.md promises the bound of 1000 pages when the caller sets none: a looping API must cost
    # exactly that many requests, for either kind of paging
    http = client(session, Waits())
    linked = Script(lambda: web.json_response({"value": [0], "@odata.nextLink": url}))
    url = await serve(aiohttp_server, linked)
    with pytest.raises(PermanentError, match=r"more than 1000 pages$"):
        [i async for i in http.paginate_next_link(url)]
    assert len(linked.seen) == 1000
    numbered = Script(lambda: web.json_response([1, 2]))
    url = await serve(aiohttp_server, numbered)
    with pytest.raises(PermanentError, match=r"more than 1000 pages$"):
        [i async for i in http.paginate_pages(url, size=2)]
    assert len(numbered.seen) == 1000


async def test_numbered_pages_start_where_told_and_keep_the_caller_params(
    aiohttp_server: Any, session: Any
) -> None:
    script = Script(lambda: web.json_response([1, 2]), lambda: web.json_response([3]))
    url = await serve(aiohttp_server, script)
    http = client(session, Waits())
    items = [i async for i in http.paginate_pages(url, params={"q": "x"}, size=2, first_page=1)]
    assert items == [1, 2, 3]
    assert [s[1] for s in script.seen] == [
        {"q": "x", "page": "1", "per_page": "2"},
        {"q": "x", "page": "2", "per_page": "2"},
    ]


async def test_numbered_pages_are_bounded_and_must_hold_lists(aiohttp_server: Any, session: Any) -> None:
    http = client(session, Waits())
    full = Script(lambda: web.json_response([1, 2]))
    url = await serve(aiohttp_server, full)
    with pytest.raises(PermanentError, match=r"^crm: GET http://127\.0\.0\.1:\d+/x: more than 2 pages$"):
        [i async for i in http.paginate_pages(url, size=2, max_pages=2)]
    assert [s[1]["page"] for s in full.seen] == ["0", "1"]
    url = await serve(aiohttp_server, Script(lambda: web.json_response({"hosts": {"a": 1}})))
    with pytest.raises(
        PermanentError, match=r"^crm: GET http://127\.0\.0\.1:\d+/x: page 0 holds no item list$"
    ):
        [i async for i in http.paginate_pages(url, items_key="hosts")]
    url = await serve(aiohttp_server, Script(lambda: web.json_response({"hosts": [1]})))
    with pytest.raises(PermanentError, match="page 0 holds no item list"):
        [i async for i in http.paginate_pages(url)]  # without items_key the page itself must be the list


async def test_every_kind_of_retry_is_logged(
    aiohttp_server: Any, session: Any, caplog: pytest.LogCaptureFixture
) -> None:
    url = await serve(aiohttp_server, Script(status(500), status(200)))
    caplog.set_level(logging.DEBUG, logger="custom_components.bpo.connectors.base")
    await client(session, Waits()).request("GET", url)
    with pytest.raises(TemporaryError):
        await client(session, Waits(), retry=RetryPolicy(attempts=2)).request("POST", "http://127.0.0.1:9/x")
    retries = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert retries == [
        f"crm: GET {url}: HTTP 500; retrying in 0.38s",
        "crm: POST http://127.0.0.1:9/x: ClientConnectorError; retrying in 0.38s",
    ]


async def test_the_defaults_name_the_client_http_and_read_the_real_clock(
    aiohttp_server: Any, session: Any
) -> None:
    past = format_datetime(datetime.now(UTC) - timedelta(minutes=5), usegmt=True)
    script = Script(status(429, {"Retry-After": past}), status(404))
    url = await serve(aiohttp_server, script)
    waits = Waits()
    with pytest.raises(PermanentError, match=r"^http: GET "):
        await HttpClient(session, sleep=waits).request("GET", url)
    assert waits.waits == [0.0]  # a date already past: retry at once


async def test_numbered_pages_are_100_long_by_default_and_a_list_page_needs_no_key(
    aiohttp_server: Any, session: Any
) -> None:
    script = Script(lambda: web.json_response([1, 2]))
    url = await serve(aiohttp_server, script)
    http = client(session, Waits())
    assert [i async for i in http.paginate_pages(url, items_key="hosts")] == [1, 2]
    assert script.seen[0][1] == {"page": "0", "per_page": "100"}
