"""The Jamf Pro connector against a local fake of the Jamf Pro API: client credentials, inventories."""

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
from custom_components.bpo.connectors.jamf import (
    COMPUTER_SECTIONS,
    COMPUTERS_PATH,
    MOBILE_PATH,
    MOBILE_SECTIONS,
    TOKEN_PATH,
    JamfConnector,
)
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

SECRET = "jamf-client-secret-0123456789"
CLIENT_ID = "6f1c7e6a-0000-4c1e-9d7a-2b7d3c1e0f42"


def computer(i: int, state: str = "ENCRYPTED", managed: bool = True) -> dict[str, Any]:
    """A computers-inventory result with the GENERAL, HARDWARE, DISK_ENCRYPTION, OPERATING_SYSTEM and
    USER_AND_LOCATION sections, as Jamf documents them."""
    return {
        "id": str(i),
        "udid": f"UDID-{i}",
        "general": {
            "name": f"MAC-{i:05d}",
            "platform": "Mac",
            "lastContactTime": "2026-03-01T07:30:12.345Z",
            "remoteManagement": {"managed": managed, "managementUsername": "jamfadmin"},
        },
        "hardware": {"serialNumber": f"C02{i:06d}"},
        "diskEncryption": {
            "bootPartitionEncryptionDetails": {
                "partitionName": "Macintosh HD (Boot Partition)",
                "partitionFileVault2State": state,
                "partitionFileVault2Percent": 100 if state == "ENCRYPTED" else 40,
            },
            "individualRecoveryKeyValidityStatus": "VALID",
            "institutionalRecoveryKeyPresent": False,
            "diskEncryptionConfigurationName": "Corporate FileVault",
            "fileVault2EnabledUserNames": ["employee"],
        },
        "operatingSystem": {"name": "macOS", "version": "14.4.1", "build": "23E224"},
        "userAndLocation": {"username": f"user{i}", "realname": f"User {i}", "email": f"User{i}@Example.com"},
    }


def mobile(i: int, protected: bool = True) -> dict[str, Any]:
    """A ``/api/v2/mobile-devices/detail`` result with GENERAL, HARDWARE, USER_AND_LOCATION and SECURITY."""
    return {
        "mobileDeviceId": str(i),
        "deviceType": "iOS",
        "hardware": {"serialNumber": f"F2L{i:06d}", "model": "iPhone 15"},
        "general": {
            "udid": f"0000-{i}",
            "displayName": f"iPhone {i}",
            "osVersion": "17.4",
            "managed": True,
            "supervised": True,
            "lastInventoryUpdateDate": "2026-03-01T06:00:00.000Z",
        },
        "userAndLocation": {"username": f"user{i}", "emailAddress": f"user{i}@example.com"},
        "security": {"dataProtected": protected, "passcodePresent": protected},
    }


class FakeJamf:
    """``/api/oauth/token`` plus both inventories, paged by ``page`` / ``page-size`` with ``totalCount``."""

    def __init__(
        self, clock: VirtualClock, computers: list[dict[str, Any]], mobiles: list[dict[str, Any]]
    ) -> None:
        self.lists = {COMPUTERS_PATH: computers, MOBILE_PATH: mobiles}
        self.tokens = TokenBook(clock, lifetime=1199)
        self.faults = Faults()
        self.token_forms: list[dict[str, str]] = []
        self.queries: list[tuple[str, dict[str, Any]]] = []

    async def token(self, request: web.Request) -> web.StreamResponse:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.token_forms.append(form)
        fault = self.faults.next("token")
        if callable(fault):
            return fault()
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, SECRET):
            return web.json_response(
                {"error": "invalid_client", "secret": form.get("client_secret")}, status=401
            )
        return web.json_response(
            {
                "access_token": self.tokens.issue(),
                "scope": "api-role:2",
                "token_type": "Bearer",
                "expires_in": 1199,
            }
        )

    async def inventory(self, request: web.Request) -> web.StreamResponse:
        query = {
            "section": request.query.getall("section", []),
            "page": int(request.query["page"]),
            "page-size": int(request.query["page-size"]),
            "sort": request.query.get("sort"),
        }
        self.queries.append((request.path, query))
        fault = self.faults.next((request.path, query["page"]))
        if fault == REVOKE:
            self.tokens.revoke_all()
        elif callable(fault):
            return fault()
        if not self.tokens.valid(request):
            return web.json_response({"httpStatus": 401, "errors": [{"code": "INVALID_TOKEN"}]}, status=401)
        items = self.lists[request.path]
        size = query["page-size"]
        return web.json_response(
            {"totalCount": len(items), "results": items[query["page"] * size : (query["page"] + 1) * size]}
        )

    def pages(self, list_path: str) -> list[int]:
        return [q["page"] for p, q in self.queries if p == list_path]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


async def start(aiohttp_server: Any, fake: FakeJamf) -> TestServer:
    app = web.Application()
    app.router.add_post(TOKEN_PATH, fake.token)
    app.router.add_get(COMPUTERS_PATH, fake.inventory)
    app.router.add_get(MOBILE_PATH, fake.inventory)
    server: TestServer = await aiohttp_server(app, host="127.0.0.1")
    return server


def connector(
    session: aiohttp.ClientSession, server: TestServer, clock: VirtualClock, **kwargs: Any
) -> JamfConnector:
    return JamfConnector(
        "jamf",
        session,
        base_url=str(server.make_url("")),
        client_id=CLIENT_ID,
        client_secret=kwargs.pop("client_secret", SECRET),
        sleep=clock.sleep,
        now=clock.now,
        rand=lambda: 0.5,
        **kwargs,
    )


async def test_sync_1000_computers_and_mobiles_through_throttling_expiry_and_errors(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    capture_debug(caplog)
    fake = FakeJamf(clock, [computer(i) for i in range(1000)], [mobile(i) for i in range(1, 61)])
    fake.faults.plan = {
        (COMPUTERS_PATH, 3): [status(429, headers={"Retry-After": "5"})],
        (COMPUTERS_PATH, 5): [REVOKE],
        (COMPUTERS_PATH, 7): [status(504)],
        (MOBILE_PATH, 0): [status(500, f"stack trace with {SECRET}")],
    }
    server = await start(aiohttp_server, fake)
    jamf = connector(session, server, clock)

    devices = await jamf.fetch_devices()

    expected = {f"computer:{i}" for i in range(1000)} | {f"mobile:{i}" for i in range(1, 61)}
    assert len(devices) == 1060 and {d.vendor_id for d in devices} == expected
    assert clock.waits[0] == 5.0 and len(clock.waits) == 3
    assert len(fake.token_forms) == 2 and fake.tokens.refused == 1
    # totalCount 1000 = 10 full pages: no eleventh request; 60 mobiles fit one short page
    assert sorted(set(fake.pages(COMPUTERS_PATH))) == list(range(10)) and fake.pages(MOBILE_PATH) == [0, 0]
    _, first = fake.queries[0]
    assert first == {"section": list(COMPUTER_SECTIONS), "page": 0, "page-size": 100, "sort": "id:asc"}
    mobile_query = next(q for p, q in fake.queries if p == MOBILE_PATH)
    assert mobile_query["section"] == list(MOBILE_SECTIONS) and mobile_query["sort"] == "mobileDeviceId:asc"
    assert fake.token_forms[0] == {
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "grant_type": "client_credentials",
    }
    assert_no_secret(caplog, None, SECRET, *fake.tokens.issued)


async def test_token_renewed_after_expiry_and_paging_ends_on_a_short_page(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock
) -> None:
    fake = FakeJamf(clock, [computer(i) for i in range(5)], [])
    server = await start(aiohttp_server, fake)
    jamf = connector(session, server, clock, page_size=2, mobile_devices=False)

    assert len(await jamf.fetch_devices()) == 5
    assert fake.pages(COMPUTERS_PATH) == [0, 1, 2] and MOBILE_PATH not in {p for p, _ in fake.queries}
    assert len(fake.token_forms) == 1
    clock.advance(1200)  # the Jamf token is dead now
    assert len(await jamf.fetch_devices()) == 5
    assert len(fake.token_forms) == 2 and fake.tokens.refused == 0  # renewed before asking, not after a 401

    fake.lists[COMPUTERS_PATH] = fake.lists[COMPUTERS_PATH][:4]  # totalCount 4 = two full pages
    fake.queries.clear()
    await jamf.fetch_devices()
    assert fake.pages(COMPUTERS_PATH) == [0, 1]


async def test_documented_fields_and_derived_compliance(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock
) -> None:
    no_disk_section = computer(3)
    del no_disk_section["diskEncryption"]
    fake = FakeJamf(
        clock,
        [computer(1), computer(2, state="ENCRYPTING", managed=False), no_disk_section],
        [mobile(1, protected=False)],
    )
    server = await start(aiohttp_server, fake)
    by_id = {d.vendor_id: d for d in await connector(session, server, clock).fetch_devices()}

    assert by_id["computer:1"] == MdmDevice(
        source="jamf",
        vendor_id="computer:1",
        name="MAC-00001",
        serial="C02000001",
        owner="user1@example.com",
        platform="macOS",
        os_version="14.4.1",
        compliant=True,
        encrypted=True,
        last_check_in=datetime(2026, 3, 1, 7, 30, 12, 345000, tzinfo=UTC),
        managed=True,
        failing_policies=(),
    )
    unencrypted = by_id["computer:2"]
    assert unencrypted.encrypted is False and unencrypted.managed is False
    assert unencrypted.compliant is False and unencrypted.failing_policies == ("FileVault", "managed")
    unknown = by_id["computer:3"]
    assert unknown.encrypted is None and unknown.compliant is None  # missing data is not compliance
    phone = by_id["mobile:1"]
    assert (phone.platform, phone.os_version, phone.owner, phone.serial) == (
        "iOS",
        "17.4",
        "user1@example.com",
        "F2L000001",
    )
    assert (
        phone.encrypted is False
        and phone.compliant is False
        and phone.failing_policies == ("data protection",)
    )
    assert phone.last_check_in == datetime(2026, 3, 1, 6, 0, tzinfo=UTC) and phone.managed is True


async def test_refused_credentials_malformed_json_and_exhausted_retries(
    aiohttp_server: Any, session: aiohttp.ClientSession, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    capture_debug(caplog)
    fake = FakeJamf(clock, [computer(i) for i in range(3)], [])
    server = await start(aiohttp_server, fake)
    wrong = "not-the-secret-0123456789"
    with pytest.raises(AuthError) as refused:
        await connector(session, server, clock, client_secret=wrong).fetch_devices()
    assert refused.value.status == 401 and fake.queries == [] and len(fake.token_forms) == 1
    assert_no_secret(caplog, refused.value, wrong)

    fake.faults.plan = {(COMPUTERS_PATH, 0): [malformed()]}
    with pytest.raises(PermanentError, match="not JSON"):
        await connector(session, server, clock).fetch_devices()
    assert len(fake.queries) == 1

    fake.faults.plan = {(COMPUTERS_PATH, 0): [lambda: web.json_response({"totalCount": 3})]}
    with pytest.raises(PermanentError, match="no 'results' list"):
        await connector(session, server, clock).fetch_devices()

    fake.faults.plan = {(COMPUTERS_PATH, 0): [status(502)] * 4}
    fake.queries.clear()
    with pytest.raises(TemporaryError, match="HTTP 502") as failed:
        await connector(session, server, clock).fetch_devices()
    assert len(fake.queries) == 4
    assert_no_secret(caplog, failed.value, SECRET, *fake.tokens.issued)


def test_config_errors_name_the_key_never_the_value(session: aiohttp.ClientSession) -> None:
    good = {"base_url": "https://acme.jamfcloud.com/", "client_id": CLIENT_ID, "client_secret": SECRET}
    built = JamfConnector.from_config("jamf", session, {**good, "page_size": 500, "mobile_devices": False})
    assert built.credentials.token_url == "https://acme.jamfcloud.com/api/oauth/token"
    assert built.page_size == 500 and built.mobile_devices is False
    for bad, key in (
        ({**good, "base_url": "acme.jamfcloud.com"}, "base_url"),
        ({**good, "page_size": 5000}, "page_size"),
        ({**good, "mobile_devices": "yes"}, "mobile_devices"),
        ({**good, "client_secret": None}, "client_secret"),
        ({**good, "password": SECRET}, "unknown keys: password"),
    ):
        with pytest.raises(ConnectorConfigError, match=key) as err:
            JamfConnector.from_config("jamf", session, bad)
        assert SECRET not in str(err.value)
