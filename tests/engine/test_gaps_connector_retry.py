"""A POST answered 503 + Retry-After is retried after exactly that wait, as the connector SDK promises
(issue 16): 503 means the server did not do the work, so even a non-idempotent request may repeat."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from custom_components.bpo.connectors.base import HttpClient, RetryPolicy, TemporaryError

pytestmark = pytest.mark.usefixtures("socket_enabled")

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


class Waits:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


async def _ticket_server(
    aiohttp_server: Any, answers: list[Callable[[], web.Response]]
) -> tuple[TestServer, list[bytes]]:
    """POST /api/tickets answering ``answers`` in order (the last repeats); records each body.
    Factories, because aiohttp cannot send one Response object twice."""
    bodies: list[bytes] = []

    async def tickets(request: web.Request) -> web.Response:
        bodies.append(await request.read())
        return answers[min(len(bodies), len(answers)) - 1]()

    app = web.Application()
    app.router.add_post("/api/tickets", tickets)
    server: TestServer = await aiohttp_server(app, host="127.0.0.1")
    return server, bodies


def _client(session: aiohttp.ClientSession, waits: Waits, **kwargs: Any) -> HttpClient:
    return HttpClient(session, name="crm", sleep=waits, now=lambda: NOW, rand=lambda: 0.5, **kwargs)


async def test_post_503_with_retry_after_is_retried_after_that_wait(
    aiohttp_server: Any, session: aiohttp.ClientSession
) -> None:
    date = format_datetime(NOW + timedelta(seconds=5), usegmt=True)
    server, bodies = await _ticket_server(
        aiohttp_server,
        [
            lambda: web.Response(status=503, headers={"Retry-After": "2"}),
            lambda: web.Response(status=503, headers={"Retry-After": date}),
            lambda: web.json_response({"id": "T-7"}, status=201),
        ],
    )
    waits = Waits()
    http = _client(session, waits)
    created = await http.request_json(
        "POST", str(server.make_url("/api/tickets")), json_body={"subject": "x"}
    )
    assert created == {"id": "T-7"}
    assert waits.waits == [2.0, 5.0]  # exactly what the server asked, not the backoff (0.375, 0.75)
    assert bodies == [b'{"subject":"x"}'] * 3  # the same request each time


async def test_post_503_retries_run_out_as_a_temporary_error(
    aiohttp_server: Any, session: aiohttp.ClientSession
) -> None:
    server, bodies = await _ticket_server(
        aiohttp_server, [lambda: web.Response(status=503, headers={"Retry-After": "1"})]
    )
    waits = Waits()
    http = _client(session, waits, retry=RetryPolicy(attempts=3))
    with pytest.raises(TemporaryError, match="HTTP 503") as err:
        await http.request("POST", str(server.make_url("/api/tickets")), json_body={"subject": "x"})
    assert err.value.status == 503
    assert len(bodies) == 3 and waits.waits == [1.0, 1.0]
