"""The Fleet connector against a local fake of Fleet's REST API: hosts list with policies, single hosts."""

from __future__ import annotations

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
    TemporaryError,
)
from custom_components.bpo.connectors.fleet import HOSTS_PATH, FleetConnector
from custom_components.bpo.connectors.mdm import MdmDevice

from .mdm_fakes import Faults, VirtualClock, assert_no_secret, capture_debug, malformed, status

pytestmark = pytest.mark.usefixtures("socket_enabled")

API_TOKEN = "fleet-api-token-0123456789abcdef"
AUTH_FAILED = {
    "message": "Authentication required",
    "errors": [{"name": "base", "reason": "Authentication required"}],
}


def host(
    i: int, *, failing: bool = False, platform: str = "darwin", enrollment: str | None = "On (automatic)"
) -> dict[str, Any]:
    """A host as ``GET /api/v1/fleet/hosts?populate_policies=true&device_mapping=true`` lists it."""
    return {
        "id": i,
        "hostname": f"host-{i}.local",
        "display_name": f"Host {i}",
        "platform": platform,
        "os_version": "macOS 14.4.1" if platform == "darwin" else "Ubuntu 22.04.4 LTS",
        "hardware_serial": f"FLT{i:06d}",
        "seen_time": "2026-03-01T08:00:00Z",
        "policy_updated_at": "2026-03-01T07:00:00Z",
        "status": "online",
        "mdm": {"enrollment_status": enrollment, "name": "Fleet", "encryption_key_available": True},
        "issues": {"failing_policies_count": int(failing), "total_issues_count": int(failing)},
        "policies": [
            {
                "id": 1,
                "name": "Gatekeeper enabled",
                "platform": "darwin",
                "response": "pass",
                "critical": False,
            },
            {
                "id": 2,
                "name": "Full disk encryption enabled (macOS)",
                "platform": "darwin",
                "response": "fail" if failing else "pass",
                "critical": False,
            },
        ],
        "device_mapping": [{"email": f"Owner{i}@Example.com", "source": "google_chrome_profiles"}],
    }


class FakeFleet:
    """Hosts paged by ``page`` / ``per_page`` (an empty page past the end) and ``GET /hosts/{id}``."""

    def __init__(self, hosts: list[dict[str, Any]], encrypted: dict[int, bool | None] | None = None) -> None:
        self.hosts = hosts
        self.encrypted = encrypted or {}
        self.faults = Faults()
        self.list_queries: list[dict[str, str]] = []
        self.detail_ids: list[int] = []
        self.tokens_seen: set[str] = set()

    def authorized(self, request: web.Request) -> bool:
        self.tokens_seen.add(request.headers.get("Authorization", ""))
        return request.headers.get("Authorization") == f"Bearer {API_TOKEN}"

    async def list_hosts(self, request: web.Request) -> web.StreamResponse:
        self.list_queries.append(dict(request.query))
        page, per_page = int(request.query["page"]), int(request.query["per_page"])
        fault = self.faults.next(("hosts", page))
        if callable(fault):
            return fault()
        if not self.authorized(request):
            return web.json_response(AUTH_FAILED, status=401)
        return web.json_response({"hosts": self.hosts[page * per_page : (page + 1) * per_page]})

    async def get_host(self, request: web.Request) -> web.StreamResponse:
        host_id = int(request.match_info["id"])
        self.detail_ids.append(host_id)
        fault = self.faults.next(("host", host_id))
        if callable(fault):
            return fault()
        if not self.authorized(request):
            return web.json_response(AUTH_FAILED, status=401)
        found = next(h for h in self.hosts if h["id"] == host_id)
        detail = {k: v for k, v in found.items() if k != "device_mapping"}
        if self.encrypted.get(host_id, True) is not None:  # Fleet omits it for Linux when it cannot tell
            detail["disk_encryption_enabled"] = self.encrypted.get(host_id, True)
        return web.json_response({"host": detail})


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


async def start(aiohttp_server: Any, fake: FakeFleet) -> TestServer:
    app = web.Application()
    app.router.add_get(HOSTS_PATH, fake.list_hosts)
    app.router.add_get(HOSTS_PATH + "/{id}", fake.get_host)
    server: TestServer = await aiohttp_server(app, host="127.0.0.1", access_log=None)
    return server


def connector(
    session: aiohttp.ClientSession, server: TestServer, clock: VirtualClock, **kwargs: Any
) -> FleetConnector:
    return FleetConnector(
        "fleet",
        session,
        base_url=str(server.make_url("")),
        token=kwargs.pop("token", API_TOKEN),
        sleep=clock.sleep,
        now=clock.now,
        rand=lambda: 0.5,
        **kwargs,
    )


async def test_sync_1020_hosts_through_throttling_and_server_errors(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    capture_debug(caplog)
    fake = FakeFleet(
        [host(i, failing=i % 10 == 0) for i in range(1, 1021)], {i: i % 7 != 0 for i in range(1, 1021)}
    )
    fake.faults.plan = {
        ("hosts", 2): [status(429, headers={"retry-after": "9"})],  # Fleet documents the lower-case header
        ("hosts", 4): [status(503)],
        ("host", 555): [status(500, f"trace {API_TOKEN}")],
    }
    server = await start(aiohttp_server, fake)
    fleet = connector(session, server, clock)

    devices = await fleet.fetch_devices()

    assert sorted(int(d.vendor_id) for d in devices) == list(range(1, 1021))
    assert clock.waits[0] == 9.0 and len(clock.waits) == 3
    pages = [int(q["page"]) for q in fake.list_queries]
    assert pages == [0, 1, 2, 2, 3, 4, 4, 5, 6, 7, 8, 9, 10]  # page 10 holds 20: short, so the last
    assert fake.list_queries[0] == {
        "populate_policies": "true",
        "device_mapping": "true",
        "order_key": "id",
        "page": "0",
        "per_page": "100",
    }
    assert sorted(fake.detail_ids) == sorted([*range(1, 1021), 555])
    by_id = {int(d.vendor_id): d for d in devices}
    assert by_id[7].encrypted is False and by_id[8].encrypted is True
    assert sum(d.compliant is False for d in devices) == 102
    assert fake.tokens_seen == {f"Bearer {API_TOKEN}"}
    assert_no_secret(caplog, None, API_TOKEN)


async def test_paging_ends_on_an_empty_page_and_details_can_be_skipped(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock
) -> None:
    # host 2 shows up again on the next page (a host enrolled mid-sync shifted the list): counted once,
    # with what the later page said
    renamed = host(2) | {"display_name": "Host 2 (renamed)"}
    fake = FakeFleet([host(1), host(2), renamed, host(3)])
    server = await start(aiohttp_server, fake)

    devices = await connector(session, server, clock, page_size=2, host_details=False).fetch_devices()

    assert [(d.vendor_id, d.name) for d in devices] == [
        ("1", "Host 1"),
        ("2", "Host 2 (renamed)"),
        ("3", "Host 3"),
    ]
    assert [q["page"] for q in fake.list_queries] == ["0", "1", "2"]  # two full pages, then an empty one
    assert fake.detail_ids == [] and all(d.encrypted is None for d in devices)


async def test_documented_fields_and_compliance_from_policies(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock
) -> None:
    not_run = host(3, platform="ubuntu", enrollment=None)
    for policy in not_run["policies"]:
        policy["response"] = ""  # not run yet on this host
    not_run["device_mapping"] = None
    fake = FakeFleet([host(1), host(2, failing=True, enrollment="Off"), not_run], {3: None})
    server = await start(aiohttp_server, fake)

    first, second, third = await connector(session, server, clock).fetch_devices()

    assert first == MdmDevice(
        source="fleet",
        vendor_id="1",
        name="Host 1",
        serial="FLT000001",
        owner="owner1@example.com",
        platform="darwin",
        os_version="macOS 14.4.1",
        compliant=True,
        encrypted=True,
        last_check_in=datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
        managed=True,
        failing_policies=(),
    )
    assert second.compliant is False and second.failing_policies == ("Full disk encryption enabled (macOS)",)
    assert second.managed is False
    assert (
        third.compliant is None and third.encrypted is None and third.managed is None and third.owner is None
    )


async def test_refused_token_malformed_json_and_exhausted_retries(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    capture_debug(caplog)
    fake = FakeFleet([host(i) for i in range(1, 4)])
    server = await start(aiohttp_server, fake)
    wrong = "revoked-api-token-0123456789"

    with pytest.raises(AuthError) as refused:
        await connector(session, server, clock, token=wrong).fetch_devices()
    assert refused.value.status == 401 and len(fake.list_queries) == 1  # a fixed token is not asked twice
    assert_no_secret(caplog, refused.value, wrong)

    fake.faults.plan = {("host", 2): [status(401)]}  # the token is revoked half-way: the sync fails whole
    with pytest.raises(AuthError):
        await connector(session, server, clock).fetch_devices()

    fake.faults.plan = {("hosts", 0): [malformed()]}
    fake.list_queries.clear()
    with pytest.raises(PermanentError, match="not JSON"):
        await connector(session, server, clock).fetch_devices()
    assert len(fake.list_queries) == 1

    fake.faults.plan = {("host", 1): [lambda: web.json_response({"hosts": []})]}
    with pytest.raises(PermanentError, match="no 'host' object"):
        await connector(session, server, clock).fetch_devices()

    fake.faults.plan = {("hosts", 0): [status(500)] * 4}
    fake.list_queries.clear()
    with pytest.raises(TemporaryError, match="HTTP 500") as failed:
        await connector(session, server, clock).fetch_devices()
    assert len(fake.list_queries) == 4
    assert_no_secret(caplog, failed.value, API_TOKEN)


def test_config_errors_name_the_key_never_the_value(session: aiohttp.ClientSession) -> None:
    good = {"base_url": "https://fleet.example.com", "token": API_TOKEN}
    built = FleetConnector.from_config("fleet", session, {**good, "page_size": 250, "host_details": False})
    assert built.page_size == 250 and built.host_details is False
    for bad, key in (
        ({**good, "token": 12}, "token"),
        ({**good, "page_size": 0}, "page_size"),
        ({**good, "retries": 11}, "retries"),
        ({**good, "api_key": API_TOKEN}, "unknown keys: api_key"),
    ):
        with pytest.raises(ConnectorConfigError, match=key) as err:
            FleetConnector.from_config("fleet", session, bad)
        assert API_TOKEN not in str(err.value)
