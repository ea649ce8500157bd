"""MDM sync inside Home Assistant: set up through the options flow against a local server speaking Microsoft
Graph, devices and entities in the registries, compliance events starting the remediation blueprint, stale
removal after the grace period, failures that keep the devices, and secrets kept out of logs/diagnostics."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import Context, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import Unauthorized
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockUser
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.bpo import blueprint_files
from custom_components.bpo.connectors.fleet import HOSTS_PATH
from custom_components.bpo.connectors.jamf import COMPUTERS_PATH, MOBILE_PATH
from custom_components.bpo.connectors.jamf import TOKEN_PATH as JAMF_TOKEN_PATH
from custom_components.bpo.const import DOMAIN
from custom_components.bpo.diagnostics import async_get_config_entry_diagnostics
from tests.engine import test_mdm_fleet as fleet_fakes
from tests.engine import test_mdm_jamf as jamf_fakes
from tests.engine.mdm_fakes import VirtualClock, status
from tests.engine.test_mdm_intune import CLIENT_ID, DEVICES, SECRET, TENANT, FakeGraph, graph_device

from .helpers import World, async_setup_world, bpo_device, travel
from .test_entry_lifecycle import _remove_device

pytestmark = pytest.mark.usefixtures("socket_enabled")

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CLIENT_ID_WS = "https://example.com/app"  # an auth client id for the websocket token


def device(i: int, owner: str, *, compliant: bool = True, encrypted: bool = True) -> dict[str, Any]:
    return graph_device(i) | {
        "userPrincipalName": owner,
        "complianceState": "compliant" if compliant else "noncompliant",
        "isEncrypted": encrypted,
        "osVersion": f"10.0.2263{i}",
        "lastSyncDateTime": f"2026-03-01T08:1{i}:00Z",
    }


async def graph_server(aiohttp_server: Any, fake: FakeGraph) -> TestServer:
    app = web.Application()
    app.router.add_post("/{tenant}/oauth2/v2.0/token", fake.token)
    app.router.add_get(DEVICES, fake.managed_devices)
    server: TestServer = await aiohttp_server(app, host="127.0.0.1")
    return server


def remediation_for_intune(config_dir: str) -> None:
    """The admin's copy of the shipped remediation blueprint, switched on for Intune."""
    shipped = blueprint_files.SHIPPED / "bpo" / "device_remediation.yaml"
    copy = Path(config_dir) / "blueprints" / "bpo" / shipped.name
    copy.parent.mkdir(parents=True, exist_ok=True)
    text = shipped.read_text(encoding="utf-8")
    assert "      default: []\n" in text
    copy.write_text(text.replace("      default: []\n", "      default: [intune]\n", 1), encoding="utf-8")


async def configure_intune(hass: HomeAssistant, world: World, root: str, **extra: Any) -> dict[str, Any]:
    """The options flow as an admin goes through it: a wrong secret first, then the right one."""
    flow = await hass.config_entries.options.async_init(world.entry.entry_id)
    flow = await hass.config_entries.options.async_configure(
        flow["flow_id"], {"completed_days": 7, "mdm_vendor": "intune"}
    )
    assert flow["type"] is FlowResultType.FORM and flow["step_id"] == "mdm_intune"
    answer = {
        "tenant_id": TENANT,
        "client_id": CLIENT_ID,
        "client_secret": "wrong-secret-0123456789",
        "graph_url": root,
        "login_url": root,
        "sync_minutes": 30,
        "grace_days": 2,
        **extra,
    }
    refused = await hass.config_entries.options.async_configure(flow["flow_id"], answer)
    assert refused["type"] is FlowResultType.FORM and refused["errors"] == {"base": "invalid_auth"}
    assert "mdm" not in world.entry.options  # nothing stored on refusal
    answer["client_secret"] = SECRET
    done = await hass.config_entries.options.async_configure(flow["flow_id"], answer)
    assert done["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)  # the first sync runs in the background
    return done


def entity(hass: HomeAssistant, domain: str, key: str, what: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(domain, DOMAIN, f"mdm_{key}_{what}")
    assert entity_id is not None, f"no {domain} {what} for {key}"
    return entity_id


async def sync(hass: HomeAssistant, user: MockUser) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "sync_devices", {}, blocking=True, return_response=True, context=Context(user_id=user.id)
    )
    assert response is not None
    await hass.async_block_till_done()
    return dict(response["results"])  # type: ignore[arg-type]


@pytest.fixture
def fake() -> FakeGraph:
    return FakeGraph(
        VirtualClock(),
        [
            device(1, "Alice@Contoso.com"),
            device(2, "bob@contoso.com", compliant=False, encrypted=False),
            device(3, "stranger@elsewhere.example"),
        ],
    )


async def test_options_flow_sets_up_intune_and_a_sync_mirrors_its_devices(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    aiohttp_server: Any,
    fake: FakeGraph,
    hass_admin_user: MockUser,
    hass_read_only_user: MockUser,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    freezer.move_to(NOW)
    server = await graph_server(aiohttp_server, fake)
    world = await async_setup_world(hass)
    await configure_intune(hass, world, str(server.make_url("")))

    stored = world.entry.options["mdm"]["intune"]
    assert stored["client_secret"] == SECRET and stored["sync_minutes"] == 30 and stored["grace_days"] == 2
    dev = bpo_device(hass, "mdm:intune:dev-00001")
    assert dev is not None and dev.manufacturer == "Microsoft Intune" and dev.name == "LAPTOP-00001"
    assert dev.serial_number == "SN0000001" and dev.sw_version == "10.0.22631" and dev.model == "Windows"

    alice = hass.states.get(entity(hass, "binary_sensor", "intune:dev-00001", "compliant"))
    assert alice is not None and alice.state == STATE_ON
    assert alice.attributes["owner"] == "person.alice"  # Alice@Contoso.com -> person.alice
    bob = hass.states.get(entity(hass, "binary_sensor", "intune:dev-00002", "compliant"))
    assert bob is not None and bob.state == STATE_OFF and bob.attributes["owner"] == "person.bob"
    assert bob.attributes["failing"] == ["complianceState: noncompliant"]
    stranger = hass.states.get(entity(hass, "binary_sensor", "intune:dev-00003", "compliant"))
    assert stranger is not None and stranger.attributes["owner"] is None  # no such person: not linked
    encrypted = hass.states.get(entity(hass, "binary_sensor", "intune:dev-00002", "encrypted"))
    assert encrypted is not None and encrypted.state == STATE_OFF
    version = hass.states.get(entity(hass, "sensor", "intune:dev-00001", "os_version"))
    assert version is not None and version.state == "10.0.22631"
    check_in = hass.states.get(entity(hass, "sensor", "intune:dev-00001", "last_check_in"))
    assert check_in is not None and check_in.state == "2026-03-01T08:11:00+00:00"

    # on demand: admins only; the answer counts the devices
    with pytest.raises(Unauthorized):
        await sync(hass, hass_read_only_user)
    assert await sync(hass, hass_admin_user) == {"intune": {"devices": 3, "stale": 0, "removed": 0}}
    assert len(fake.token_forms) == 3  # refused test call, accepted test call, first sync (cached since)

    diagnostics = json.dumps(await async_get_config_entry_diagnostics(hass, world.entry), default=str)
    assert '"client_secret": "**REDACTED**"' in diagnostics and TENANT not in diagnostics
    assert '"intune": {"devices": 3, "stale": 0, "non_compliant": 1}' in diagnostics
    for secret in (SECRET, "wrong-secret-0123456789", *fake.tokens.issued):
        assert secret not in caplog.text and secret not in diagnostics


async def test_a_device_turning_non_compliant_starts_remediation_for_its_owner(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    aiohttp_server: Any,
    fake: FakeGraph,
    hass_admin_user: MockUser,
) -> None:
    freezer.move_to(NOW)
    server = await graph_server(aiohttp_server, fake)
    remediation_for_intune(hass.config.config_dir)
    world = await async_setup_world(hass)
    await configure_intune(hass, world, str(server.make_url("")))
    engine = world.manager.engine

    first = [e.data for e in world.events if e.event_type == "bpo_device_compliance_changed"]
    # first sighting: only the non-compliant device is news
    assert [(d["mdm_id"], d["compliant"], d["previous"]) for d in first] == [
        ("intune:dev-00002", False, None)
    ]
    (bob_case,) = engine.instances(process="device_remediation")
    assert bob_case.key == "intune:dev-00002"

    fake.devices[0] = device(1, "alice@contoso.com", compliant=False)
    world.events.clear()
    await sync(hass, hass_admin_user)
    (changed,) = [e.data for e in world.events if e.event_type == "bpo_device_compliance_changed"]
    dev = bpo_device(hass, "mdm:intune:dev-00001")
    assert dev is not None
    assert changed == {
        "device_id": dev.id,
        "mdm_id": "intune:dev-00001",
        "vendor": "intune",
        "name": "LAPTOP-00001",
        "owner": "person.alice",
        "compliant": False,
        "previous": True,
    }
    turned = hass.states.get(entity(hass, "binary_sensor", "intune:dev-00001", "compliant"))
    assert turned is not None and turned.state == STATE_OFF  # the entity follows the sync
    (task,) = [t for t in engine.open_tasks(process="device_remediation") if t.assignee == "person.alice"]
    assert task.title == "Bring LAPTOP-00001 back into compliance"
    assert task.due == NOW + timedelta(days=3)

    world.events.clear()
    await sync(hass, hass_admin_user)  # nothing changed: no event, no second remediation
    assert not [e for e in world.events if e.event_type == "bpo_device_compliance_changed"]
    assert len(engine.instances(process="device_remediation")) == 2

    fake.devices[0] = device(1, "alice@contoso.com")  # fixed: the change is reported, nothing starts
    await sync(hass, hass_admin_user)
    (fixed,) = [e.data for e in world.events if e.event_type == "bpo_device_compliance_changed"]
    assert (fixed["mdm_id"], fixed["compliant"], fixed["previous"]) == ("intune:dev-00001", True, False)
    assert len(engine.instances(process="device_remediation")) == 2


async def test_shipped_remediation_starts_nothing_until_an_mdm_is_chosen(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, aiohttp_server: Any, fake: FakeGraph
) -> None:
    freezer.move_to(NOW)
    server = await graph_server(aiohttp_server, fake)
    world = await async_setup_world(hass)
    await configure_intune(hass, world, str(server.make_url("")))
    assert world.manager.engine.blueprint("device_remediation") is not None
    assert [e for e in world.events if e.event_type == "bpo_device_compliance_changed"]
    assert world.manager.engine.instances(process="device_remediation") == []


async def scheduled(hass: HomeAssistant, freezer: FrozenDateTimeFactory, to: datetime) -> None:
    """Move the clock so the sync schedule fires; its sync runs as a background task."""
    await travel(hass, freezer, to)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_a_device_the_mdm_dropped_turns_unavailable_then_goes_after_the_grace_period(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, aiohttp_server: Any, fake: FakeGraph
) -> None:
    freezer.move_to(NOW)
    server = await graph_server(aiohttp_server, fake)
    world = await async_setup_world(hass)
    await configure_intune(hass, world, str(server.make_url("")))
    compliant = entity(hass, "binary_sensor", "intune:dev-00003", "compliant")

    del fake.devices[2]
    await scheduled(hass, freezer, NOW + timedelta(minutes=30))  # the scheduled sync (every 30 minutes)
    state = hass.states.get(compliant)
    assert state is not None and state.state == STATE_UNAVAILABLE
    assert bpo_device(hass, "mdm:intune:dev-00003") is not None  # kept through the grace period

    await scheduled(hass, freezer, NOW + timedelta(days=2, minutes=30))
    assert bpo_device(hass, "mdm:intune:dev-00003") is None
    assert er.async_get(hass).async_get(compliant) is None and hass.states.get(compliant) is None
    assert bpo_device(hass, "mdm:intune:dev-00001") is not None

    fake.devices.append(device(3, "stranger@elsewhere.example"))  # it comes back: new entities
    await scheduled(hass, freezer, NOW + timedelta(days=2, minutes=60))
    again = hass.states.get(entity(hass, "binary_sensor", "intune:dev-00003", "compliant"))
    assert again is not None and again.state == STATE_ON


async def test_a_failed_sync_keeps_the_devices_and_raises_one_repair_until_a_good_sync(
    hass: HomeAssistant,
    aiohttp_server: Any,
    fake: FakeGraph,
    hass_admin_user: MockUser,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = await graph_server(aiohttp_server, fake)
    world = await async_setup_world(hass)
    await configure_intune(hass, world, str(server.make_url("")))
    compliant = entity(hass, "binary_sensor", "intune:dev-00002", "compliant")

    fake.faults.plan = {0: [status(500, "internal error")] * 8}  # every attempt of two syncs (4 each)
    caplog.clear()
    first = await sync(hass, hass_admin_user)
    second = await sync(hass, hass_admin_user)
    assert "500" in first["intune"]["error"] and second == first
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "mdm_sync_failed_intune")
    assert issue is not None and issue.translation_placeholders is not None
    assert issue.translation_placeholders["vendor"] == "Microsoft Intune"
    assert [r.getMessage() for r in caplog.records if "MDM sync" in r.getMessage()] == [
        f"MDM sync of intune failed; keeping the devices of the last sync: {first['intune']['error']}"
    ]
    state = hass.states.get(compliant)
    assert state is not None and state.state == STATE_OFF  # the devices of the last good sync stay
    assert bpo_device(hass, "mdm:intune:dev-00002") is not None

    assert await sync(hass, hass_admin_user) == {"intune": {"devices": 3, "stale": 0, "removed": 0}}
    assert ir.async_get(hass).async_get_issue(DOMAIN, "mdm_sync_failed_intune") is None
    assert SECRET not in caplog.text


async def test_removing_the_mdm_in_the_options_removes_its_devices(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, aiohttp_server: Any, fake: FakeGraph
) -> None:
    freezer.move_to(NOW)
    server = await graph_server(aiohttp_server, fake)
    world = await async_setup_world(hass)
    await configure_intune(hass, world, str(server.make_url("")))
    assert bpo_device(hass, "mdm:intune:dev-00001") is not None

    flow = await hass.config_entries.options.async_init(world.entry.entry_id)
    flow = await hass.config_entries.options.async_configure(
        flow["flow_id"], {"completed_days": 7, "mdm_vendor": "intune"}
    )
    schema_keys = {str(key) for key in flow["data_schema"].schema}
    assert "client_secret" in schema_keys and "remove" in schema_keys
    # a stored secret is never sent back as a suggestion
    suggested = [getattr(key, "description", None) or {} for key in flow["data_schema"].schema]
    assert all(SECRET not in json.dumps(description) for description in suggested)
    done = await hass.config_entries.options.async_configure(
        flow["flow_id"],
        {"tenant_id": TENANT, "client_id": CLIENT_ID, "sync_minutes": 30, "grace_days": 2, "remove": True},
    )
    assert done["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    assert world.entry.options["mdm"] == {}
    assert bpo_device(hass, "mdm:intune:dev-00001") is None


async def test_a_bad_url_or_an_unreachable_mdm_is_refused_in_the_flow(hass: HomeAssistant) -> None:
    # no freezer: the connector's retry backoff sleeps for real (a frozen clock would never wake it)
    world = await async_setup_world(hass)
    flow = await hass.config_entries.options.async_init(world.entry.entry_id)
    flow = await hass.config_entries.options.async_configure(
        flow["flow_id"], {"completed_days": 7, "mdm_vendor": "fleet"}
    )
    assert flow["step_id"] == "mdm_fleet"
    answer = {"base_url": "fleet.example.com", "token": "fleet-token-0123456789"}
    answer |= {"sync_minutes": 60, "grace_days": 14}
    bad = await hass.config_entries.options.async_configure(flow["flow_id"], answer)
    assert bad["errors"] == {"base": "invalid_url"}
    closed = await hass.config_entries.options.async_configure(
        flow["flow_id"],
        answer | {"base_url": "http://127.0.0.1:9"},  # discard port: nothing listens
    )
    assert closed["errors"] == {"base": "cannot_connect"}
    assert "mdm" not in world.entry.options


async def test_the_monthly_device_report_is_prefilled_with_the_owners_synced_devices(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    aiohttp_server: Any,
    fake: FakeGraph,
    hass_admin_user: MockUser,
) -> None:
    freezer.move_to(NOW)
    server = await graph_server(aiohttp_server, fake)
    world = await async_setup_world(hass)
    await configure_intune(hass, world, str(server.make_url("")))
    first_of_month = datetime(2026, 4, 1, 9, 0, tzinfo=dt_util.get_default_time_zone())
    await scheduled(hass, freezer, first_of_month)

    engine = world.manager.engine
    by_key = {i.key: i for i in engine.instances(process="device_security_report")}
    assert set(by_key) == {"person.alice", "person.bob", "person.carol"}
    bob = by_key["person.bob"].fields["mdm_devices"]
    assert bob["configured"] is True and (bob["count"], bob["non_compliant"], bob["unencrypted"]) == (1, 1, 1)
    assert bob["text"] == "LAPTOP-00002 (Windows 10.0.22632): NOT compliant, NOT encrypted"
    assert [d["mdm_id"] for d in bob["devices"]] == ["intune:dev-00002"]
    assert "owner" not in bob["devices"][0] and "serial" not in bob["devices"][0]  # no e-mail, no serial
    assert by_key["person.carol"].fields["mdm_devices"]["count"] == 0
    # the employee sees the pre-filled data with the report task
    tasks = await hass.services.async_call(
        DOMAIN,
        "list_tasks",
        {"process": "device_security_report"},
        blocking=True,
        return_response=True,
        context=Context(user_id=world.users["bob"].id),
    )
    assert tasks is not None
    (mine,) = tasks["tasks"]  # type: ignore[misc]
    assert mine["fields"]["mdm_devices"]["text"] == bob["text"]


async def test_a_synced_device_stays_until_stale_and_the_entry_removal_deletes_the_sync_store(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    aiohttp_server: Any,
    fake: FakeGraph,
    hass_admin_user: MockUser,
    hass_ws_client: WebSocketGenerator,
) -> None:
    freezer.move_to(NOW)
    server = await graph_server(aiohttp_server, fake)
    world = await async_setup_world(hass)
    await configure_intune(hass, world, str(server.make_url("")))
    assert await async_setup_component(hass, "config", {})
    refresh = await hass.auth.async_create_refresh_token(hass_admin_user, CLIENT_ID_WS)
    client = await hass_ws_client(hass, access_token=hass.auth.async_create_access_token(refresh))
    store = Path(hass.config.config_dir) / ".storage" / "bpo.mdm"
    assert SECRET not in store.read_text(encoding="utf-8")  # devices only; the settings live in the entry

    # the MDM still lists it: deleting it on its device page would only last until the next sync
    assert not await _remove_device(hass, client, world.entry.entry_id, "mdm:intune:dev-00001")
    assert bpo_device(hass, "mdm:intune:dev-00001") is not None
    # a stale one may go; when the MDM lists it again it comes back with its entities
    del fake.devices[0]
    await sync(hass, hass_admin_user)
    assert await _remove_device(hass, client, world.entry.entry_id, "mdm:intune:dev-00001")
    assert bpo_device(hass, "mdm:intune:dev-00001") is None
    fake.devices.insert(0, device(1, "alice@contoso.com"))
    await sync(hass, hass_admin_user)
    back = hass.states.get(entity(hass, "binary_sensor", "intune:dev-00001", "compliant"))
    assert back is not None and back.state == STATE_ON

    assert await hass.config_entries.async_remove(world.entry.entry_id)
    await hass.async_block_till_done()
    assert not store.exists()


def jamf_app() -> web.Application:
    computer = jamf_fakes.computer(1)
    computer["userAndLocation"]["email"] = "Alice@Example.com"
    fake = jamf_fakes.FakeJamf(VirtualClock(), [computer, jamf_fakes.computer(2, state="DECRYPTED")], [])
    app = web.Application()
    app.router.add_post(JAMF_TOKEN_PATH, fake.token)
    app.router.add_get(COMPUTERS_PATH, fake.inventory)
    app.router.add_get(MOBILE_PATH, fake.inventory)
    return app


def fleet_app() -> web.Application:
    first = fleet_fakes.host(1) | {"device_mapping": [{"email": "alice@example.com", "source": "google"}]}
    fake = fleet_fakes.FakeFleet([first, fleet_fakes.host(2, failing=True)], {1: True, 2: False})
    app = web.Application()
    app.router.add_get(HOSTS_PATH, fake.list_hosts)
    app.router.add_get(HOSTS_PATH + "/{id}", fake.get_host)
    return app


@pytest.mark.parametrize(
    ("vendor", "answer", "alice", "other"),
    [
        (
            "jamf",
            {"client_id": jamf_fakes.CLIENT_ID, "client_secret": jamf_fakes.SECRET, "mobile_devices": False},
            "jamf:computer:1",
            "jamf:computer:2",
        ),
        ("fleet", {"token": fleet_fakes.API_TOKEN}, "fleet:1", "fleet:2"),
    ],
)
async def test_jamf_and_fleet_are_set_up_and_synced_the_same_way(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    aiohttp_server: Any,
    caplog: pytest.LogCaptureFixture,
    vendor: str,
    answer: dict[str, Any],
    alice: str,
    other: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    freezer.move_to(NOW)
    server = await aiohttp_server(jamf_app() if vendor == "jamf" else fleet_app(), host="127.0.0.1")
    world = await async_setup_world(hass)
    flow = await hass.config_entries.options.async_init(world.entry.entry_id)
    flow = await hass.config_entries.options.async_configure(
        flow["flow_id"], {"completed_days": 7, "mdm_vendor": vendor}
    )
    assert flow["step_id"] == f"mdm_{vendor}"
    settings = {"base_url": str(server.make_url("")), "sync_minutes": 60, "grace_days": 14, **answer}
    done = await hass.config_entries.options.async_configure(flow["flow_id"], settings)
    assert done["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)

    device_entry = bpo_device(hass, f"mdm:{alice}")
    assert (
        device_entry is not None
        and device_entry.manufacturer == {"jamf": "Jamf Pro", "fleet": "Fleet"}[vendor]
    )
    mine = hass.states.get(entity(hass, "binary_sensor", alice, "compliant"))
    assert mine is not None and mine.state == STATE_ON and mine.attributes["owner"] == "person.alice"
    theirs = hass.states.get(entity(hass, "binary_sensor", other, "compliant"))
    assert theirs is not None and theirs.state == STATE_OFF and theirs.attributes["owner"] is None
    unencrypted = hass.states.get(entity(hass, "binary_sensor", other, "encrypted"))
    assert unencrypted is not None and unencrypted.state == STATE_OFF
    diagnostics = json.dumps(await async_get_config_entry_diagnostics(hass, world.entry), default=str)
    secret = answer.get("client_secret") or answer["token"]
    assert secret not in caplog.text and secret not in diagnostics
