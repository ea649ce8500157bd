"""The Intune connector against a local server speaking Microsoft Graph and the Entra ID token endpoint."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from custom_components.bpo.connectors.base import (
    AuthError,
    ConnectorConfigError,
    PermanentError,
    RateLimited,
    TemporaryError,
)
from custom_components.bpo.connectors.intune import SELECT, IntuneConnector
from custom_components.bpo.connectors.mdm import MdmDevice

from .mdm_fakes import (
    REVOKE,
    Faults,
    TokenBook,
    VirtualClock,
    assert_no_secret,
    capture_debug,
    malformed,
    status,
)

pytestmark = pytest.mark.usefixtures("socket_enabled")

SECRET = "intune-client-secret-0123456789"
TENANT = "contoso-tenant-id"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
DEVICES = "/v1.0/deviceManagement/managedDevices"


def graph_device(i: int) -> dict[str, Any]:
    """A managedDevice as Graph lists it (``$select``ed fields only)."""
    return {
        "id": f"dev-{i:05d}",
        "deviceName": f"LAPTOP-{i:05d}",
        "serialNumber": f"SN{i:07d}",
        "userPrincipalName": f"User{i % 50}@Contoso.com",
        "emailAddress": f"user{i % 50}@contoso.com",
        "operatingSystem": "Windows",
        "osVersion": "10.0.22631.3296",
        "complianceState": "compliant" if i % 3 else "noncompliant",
        "isEncrypted": i % 4 != 0,
        "lastSyncDateTime": "2026-03-01T08:15:00Z",
        "managementState": "managed",
    }


class FakeGraph:
    """Token endpoint and managedDevices with ``$skiptoken`` next links, as Graph pages them."""

    def __init__(self, clock: VirtualClock, devices: list[dict[str, Any]], page_size: int = 100) -> None:
        self.devices = devices
        self.page_size = page_size
        self.tokens = TokenBook(clock, lifetime=3599)
        self.faults = Faults()
        self.token_forms: list[dict[str, str]] = []
        self.queries: list[dict[str, str]] = []
        self.next_link_base: str | None = None  # to plant a next link to another host

    async def token(self, request: web.Request) -> web.StreamResponse:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.token_forms.append(form | {"tenant": request.match_info["tenant"]})
        fault = self.faults.next("token")
        if callable(fault):
            return fault()
        if form.get("client_secret") != SECRET or form.get("client_id") != CLIENT_ID:
            # Entra ID names what it got in its description; the connector must not repeat the body
            detail = f"AADSTS7000215: Invalid client secret provided: {form.get('client_secret')}"
            return web.json_response({"error": "invalid_client", "error_description": detail}, status=401)
        token = self.tokens.issue()
        return web.json_response(
            {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}
        )

    async def managed_devices(self, request: web.Request) -> web.StreamResponse:
        self.queries.append(dict(request.query))
        skip = int(request.query.get("$skiptoken", "0"))
        fault = self.faults.next(skip // self.page_size)
        if fault == REVOKE:
            self.tokens.revoke_all()
        elif callable(fault):
            return fault()
        if not self.tokens.valid(request):
            error = {
                "code": "InvalidAuthenticationToken",
                "message": "Access token has expired or is not valid.",
            }
            return web.json_response({"error": error}, status=401)
        body: dict[str, Any] = {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#deviceManagement/managedDevices",
            "value": self.devices[skip : skip + self.page_size],
        }
        if skip + self.page_size < len(self.devices):
            link = request.url.with_query({**request.query, "$skiptoken": str(skip + self.page_size)})
            body["@odata.nextLink"] = (self.next_link_base or "") + (
                link.path_qs if self.next_link_base else str(link)
            )
        return web.json_response(body)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


async def start(aiohttp_server: Any, fake: FakeGraph) -> TestServer:
    app = web.Application()
    app.router.add_post("/{tenant}/oauth2/v2.0/token", fake.token)
    app.router.add_get(DEVICES, fake.managed_devices)
    server: TestServer = await aiohttp_server(app, host="127.0.0.1")
    return server


def connector(
    session: aiohttp.ClientSession, server: TestServer, clock: VirtualClock, **kwargs: Any
) -> IntuneConnector:
    root = str(server.make_url(""))
    return IntuneConnector(
        "intune",
        session,
        tenant_id=TENANT,
        client_id=CLIENT_ID,
        client_secret=kwargs.pop("client_secret", SECRET),
        graph_url=root,
        login_url=root,
        sleep=clock.sleep,
        now=clock.now,
        rand=lambda: 0.5,
        **kwargs,
    )


async def test_sync_1050_devices_through_throttling_token_expiry_and_server_errors(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    capture_debug(caplog)
    fake = FakeGraph(clock, [graph_device(i) for i in range(1050)])
    fake.faults.plan = {
        2: [status(429, headers={"Retry-After": "7"})],
        4: [status(503)],
        6: [REVOKE],  # the token dies mid-sync, long before its expires_in
        8: [status(500), status(502)],
    }
    server = await start(aiohttp_server, fake)
    intune = connector(session, server, clock)

    devices = await intune.fetch_devices()

    assert sorted(d.vendor_id for d in devices) == [f"dev-{i:05d}" for i in range(1050)]
    assert len({d.serial for d in devices}) == 1050
    assert clock.waits[0] == 7.0  # Retry-After honoured exactly, before any backoff
    assert len(clock.waits) == 4  # 429, 503, 500, 502: each waited once
    assert len(fake.token_forms) == 2 and fake.tokens.refused == 1  # one renewal after the revoked token
    assert len(fake.queries) == 11 + 1 + 1 + 1 + 2  # 11 pages + 429 + 503 + 401 + two 5xx
    first = fake.queries[0]
    assert first["$select"].split(",") == list(SELECT) and "$filter" not in first
    assert fake.token_forms[0] == {
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "scope": str(server.make_url("")).rstrip("/") + "/.default",
        "grant_type": "client_credentials",
        "tenant": TENANT,
    }
    assert_no_secret(caplog, None, SECRET, *fake.tokens.issued)


async def test_token_cached_across_pages_and_renewed_before_expiry(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock
) -> None:
    fake = FakeGraph(clock, [graph_device(i) for i in range(5)], page_size=2)
    server = await start(aiohttp_server, fake)
    intune = connector(session, server, clock)

    assert len(await intune.fetch_devices()) == 5
    assert len(fake.queries) == 3 and len(fake.token_forms) == 1  # three pages, one token
    await intune.fetch_devices()
    assert len(fake.token_forms) == 1  # still cached
    clock.advance(3599 - 30)  # inside the renewal margin, still valid on the server
    await intune.fetch_devices()
    assert len(fake.token_forms) == 2 and fake.tokens.refused == 0  # renewed before, not after, a refusal
    clock.advance(4000)
    await intune.fetch_devices()
    assert len(fake.token_forms) == 3 and fake.tokens.refused == 0


async def test_documented_fields_map_onto_the_device_model(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock
) -> None:
    docs_example = {
        "id": "705c034c-034c-705c-4c03-5c704c035c70",
        "deviceName": "Device Name value",
        "serialNumber": "Serial Number value",
        "userPrincipalName": "Adele.Vance@Contoso.com",
        "operatingSystem": "iOS",
        "osVersion": "17.4",
        "complianceState": "inGracePeriod",
        "isEncrypted": True,
        "lastSyncDateTime": "2026-02-28T17:04:31.1234567+01:00",
        "managementState": "retirePending",
    }
    never_synced = {
        "id": "b",
        "emailAddress": "Owner@Contoso.com",
        "complianceState": "conflict",
        "lastSyncDateTime": "0001-01-01T00:00:00Z",
        "managementState": "unhealthy",
    }
    fake = FakeGraph(clock, [docs_example, never_synced, {"deviceName": "no id"}])
    server = await start(aiohttp_server, fake)
    intune = connector(session, server, clock)

    first, second = await intune.fetch_devices()

    assert first == MdmDevice(
        source="intune",
        vendor_id="705c034c-034c-705c-4c03-5c704c035c70",
        name="Device Name value",
        serial="Serial Number value",
        owner="adele.vance@contoso.com",
        platform="iOS",
        os_version="17.4",
        compliant=False,
        encrypted=True,
        last_check_in=datetime(2026, 2, 28, 16, 4, 31, 123456, tzinfo=UTC),
        managed=False,
        failing_policies=("complianceState: inGracePeriod",),
    )
    assert second.owner == "owner@contoso.com" and second.name == "b"
    assert second.compliant is None and second.last_check_in is None and second.managed is True
    assert second.encrypted is None and second.failing_policies == ()
    answer = await intune.call("devices", {})
    assert answer["count"] == 2 and json.loads(json.dumps(answer)) == answer
    assert answer["devices"][0]["last_check_in"] == "2026-02-28T17:04:31.123456+01:00"
    with pytest.raises(PermanentError, match="unknown op"):
        await intune.call("wipe", {})


async def test_filter_is_sent_and_a_next_link_to_another_host_is_not_followed(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock
) -> None:
    fake = FakeGraph(clock, [graph_device(i) for i in range(3)], page_size=2)
    fake.next_link_base = "http://graph.attacker.example"
    server = await start(aiohttp_server, fake)
    intune = connector(session, server, clock, filter="operatingSystem eq 'Windows'")

    with pytest.raises(PermanentError, match="another host"):
        await intune.fetch_devices()
    assert fake.queries == [{"$select": ",".join(SELECT), "$filter": "operatingSystem eq 'Windows'"}]


async def test_refused_credentials_are_an_auth_error_without_the_secret(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    capture_debug(caplog)
    fake = FakeGraph(clock, [graph_device(0)])
    server = await start(aiohttp_server, fake)
    wrong = "wrong-secret-9876543210"

    with pytest.raises(AuthError) as refused:
        await connector(session, server, clock, client_secret=wrong).fetch_devices()
    assert refused.value.status == 401 and "token request refused" in str(refused.value)
    assert len(fake.token_forms) == 1 and fake.queries == []  # not retried, no device request without token
    assert_no_secret(caplog, refused.value, wrong)

    fake.faults.plan = {"token": [status(400, json.dumps({"error": "invalid_request", "secret": SECRET}))]}
    with pytest.raises(AuthError) as bad_request:
        await connector(session, server, clock).fetch_devices()
    assert bad_request.value.status == 400
    assert_no_secret(caplog, bad_request.value, SECRET)


async def test_api_refusing_a_fresh_token_stops_after_one_renewal(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock
) -> None:
    fake = FakeGraph(clock, [graph_device(0)])
    fake.faults.plan = {0: [status(401), status(401), status(401)]}
    server = await start(aiohttp_server, fake)
    with pytest.raises(AuthError):
        await connector(session, server, clock).fetch_devices()
    assert len(fake.token_forms) == 2 and len(fake.queries) == 2  # one renewal, then give up

    fake.faults.plan = {0: [status(403)]}  # the app lacks the permission: a new token will not help
    with pytest.raises(AuthError) as forbidden:
        await connector(session, server, clock).fetch_devices()
    assert forbidden.value.status == 403 and len(fake.token_forms) == 3 and len(fake.queries) == 3


async def test_malformed_json_and_a_page_without_value(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock
) -> None:
    fake = FakeGraph(clock, [graph_device(i) for i in range(4)], page_size=2)
    fake.faults.plan = {1: [malformed()]}
    server = await start(aiohttp_server, fake)
    with pytest.raises(PermanentError, match="not JSON"):
        await connector(session, server, clock).fetch_devices()
    assert len(fake.queries) == 2  # a garbled page is not asked again

    fake.faults.plan = {0: [lambda: web.json_response({"values": []})]}
    with pytest.raises(PermanentError, match="no 'value' list"):
        await connector(session, server, clock).fetch_devices()


async def test_server_errors_exhaust_retries_and_a_long_retry_after_is_not_waited(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock
) -> None:
    fake = FakeGraph(clock, [graph_device(0)])
    fake.faults.plan = {0: [status(500)] * 4}
    server = await start(aiohttp_server, fake)
    with pytest.raises(TemporaryError, match="HTTP 500"):
        await connector(session, server, clock).fetch_devices()
    assert len(fake.queries) == 4 and clock.waits == [0.375, 0.75, 1.5]  # default policy: 4 attempts

    fake.faults.plan = {0: [status(429, headers={"Retry-After": "3600"})]}
    with pytest.raises(RateLimited) as limited:
        await connector(session, server, clock).fetch_devices()
    assert limited.value.retry_after == 3600 and len(clock.waits) == 3  # not slept for an hour


def test_config_errors_name_the_key_never_the_value(session: aiohttp.ClientSession) -> None:
    good = {"tenant_id": TENANT, "client_id": CLIENT_ID, "client_secret": SECRET, "retries": 2, "timeout": 15}
    built = IntuneConnector.from_config("intune", session, good)
    assert built.http.retry.attempts == 3 and built.http.timeout.total == 15
    assert built.credentials.token_url == f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token"
    for bad, key in (
        ({**good, "client_secret": ""}, "client_secret"),
        ({**good, "graph_url": "ftp://graph"}, "graph_url"),
        ({**good, "filter": 3}, "filter"),
        ({**good, "secret": SECRET}, "unknown keys: secret"),
        ({k: v for k, v in good.items() if k != "tenant_id"}, "tenant_id"),
    ):
        with pytest.raises(ConnectorConfigError, match=key) as err:
            IntuneConnector.from_config("intune", session, bad)
        assert SECRET not in str(err.value)
