"""The client portal of an outsourced payroll office (issue 14 no. 1) end to end in Home Assistant.

The four shipped ``portal_*`` blueprints run as an admin installs them: copied by bpo, with the
directory of docs/scenarios/client-portal.md and the clients listed in the admin's copy of the payroll
cycle. Clients and staff work through ``bpo.complete_task`` and their to-do lists; requests come from
Folder Watcher's event (with HA's folder sensor listing the files) and from the inbound webhook.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import slugify
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator, WebSocketGenerator

from custom_components.bpo.blueprint_files import SHIPPED
from custom_components.bpo.connectors.base import TIMESTAMP_HEADER, sign_body

from .helpers import World, async_setup_world, complete_as, list_tasks_as, travel
from .ws_helpers import ws_as

pytestmark = pytest.mark.usefixtures("socket_enabled")

TOKYO = ZoneInfo("Asia/Tokyo")
DOC = Path(__file__).parents[2] / "docs" / "scenarios" / "client-portal.md"
BLOCK = re.compile(r"<!-- ([\w. ]+) -->\n```yaml\n(.*?)```", re.S)
(DIRECTORY,) = [text for marker, text in BLOCK.findall(DOC.read_text("utf-8")) if marker == "directory"]
SECRET = "portal-inbound-secret-0123456789"
MONDAY = datetime(2026, 3, 16, 9, 0, tzinfo=TOKYO)
CALENDAR = "calendar.bpo_workflows_schedule"
# the people of the page's directory: dave and erin are payroll staff, sam the account manager,
# alice works for the client acme and bob for globex


async def _world(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> World:
    """The shipped blueprints, the clients listed in the admin's copy of the payroll cycle, an inbound
    webhook for the portal's events."""
    await hass.config.async_set_time_zone("Asia/Tokyo")
    freezer.move_to(MONDAY)
    config = Path(hass.config.config_dir)
    shipped = (SHIPPED / "bpo" / "portal_payroll_cycle.yaml").read_text(encoding="utf-8")
    assert "      default: []\n" in shipped
    copy = config / "blueprints" / "bpo" / "portal_payroll_cycle.yaml"
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_text(
        shipped.replace("      default: []\n", "      default: [acme, globex]\n").replace(
            "      default: {}\n", "      default: {acme: 25, globex: 28}\n"
        ),
        encoding="utf-8",
    )
    logs = (SHIPPED / "bpo" / "portal_client_log.yaml").read_text(encoding="utf-8")
    (config / "blueprints" / "bpo" / "portal_client_log.yaml").write_text(
        logs.replace("      default: []\n", "      default: [acme, globex]\n"), encoding="utf-8"
    )
    (config / "secrets.yaml").write_text(f"bpo_inbound_secret: {SECRET}\n", encoding="utf-8")
    (config / "bpo_connectors.yaml").write_text(
        "inbound:\n  secret: !secret bpo_inbound_secret\n"
        "  events: [bpo_portal_request, bpo_portal_contact, bpo_portal_client_signed]\n",
        encoding="utf-8",
    )
    return await async_setup_world(hass, directory=DIRECTORY, employees=())


def _open(world: World, inst: Any) -> Any:
    (task,) = [t for t in inst.tasks if t.is_open]
    return task


async def test_onboarding_with_corrections_until_the_client_confirms(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_client_no_auth: ClientSessionGenerator
) -> None:
    world = await _world(hass, freezer)
    # the sales system reports the signed client through the webhook
    client = await hass_client_no_auth()
    body = json.dumps({"event": "bpo_portal_client_signed", "data": {"client": "acme"}}).encode()
    stamp = int(time.time())
    resp = await client.post(
        f"/api/webhook/{world.entry.options['webhook_id']}",
        data=body,
        headers={TIMESTAMP_HEADER: str(stamp), "X-Bpo-Signature": sign_body(SECRET, body, stamp)},
    )
    assert resp.status == 202
    await hass.async_block_till_done()
    (inst,) = world.manager.engine.instances(process="portal_onboarding")
    assert inst.key == "acme" and inst.fields["client"] == "acme"

    prepare = _open(world, inst)
    assert prepare.group == "payroll_staff"
    assert hass.states.get("todo.bpo_workflows_queue_payroll_staff").state == "1"
    with pytest.raises(ServiceValidationError):  # the client cannot do the office's part
        await complete_as(hass, world, "alice", prepare.id, master_data="x", flows="y")
    await complete_as(
        hass, world, "dave", prepare.id, master_data="acme/master.xlsx", flows="Pay on the 25th"
    )

    for round_ in range(2):
        confirm = _open(world, inst)
        assert (confirm.step, confirm.group) == ("client_confirmation", "client_acme")
        assert hass.states.get("todo.bpo_workflows_queue_client_acme").state == "1"
        with pytest.raises(ServiceValidationError):  # another client's people are refused
            await complete_as(hass, world, "bob", confirm.id, "confirm")
        if round_ == 0:
            await complete_as(
                hass, world, "alice", confirm.id, "correct", corrections="Two employees missing"
            )
            fix = _open(world, inst)
            assert (fix.step, fix.group) == ("apply_corrections", "payroll_staff")
            await complete_as(
                hass, world, "erin", fix.id, master_data="acme/master-v2.xlsx", flows="Pay on the 25th"
            )
    await complete_as(hass, world, "alice", confirm.id, "confirm")
    go_live = _open(world, inst)
    assert (go_live.step, go_live.group) == ("go_live", "account_managers")
    await complete_as(hass, world, "sam", go_live.id)
    assert inst.status == "completed"
    assert inst.fields["master_data"] == "acme/master-v2.xlsx"
    assert [t.step for t in inst.tasks] == [
        "prepare_master_data",
        "client_confirmation",
        "apply_corrections",
        "client_confirmation",
        "go_live",
    ]


async def test_payroll_cycle_per_client_with_chasing_and_rework(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    world = await _world(hass, freezer)
    engine = world.manager.engine
    # the calendar shows the next monthly start before it comes
    found = await hass.services.async_call(
        "calendar",
        "get_events",
        {
            "entity_id": CALENDAR,
            "start_date_time": MONDAY.isoformat(),
            "end_date_time": (MONDAY + timedelta(days=7)).isoformat(),
        },
        blocking=True,
        return_response=True,
    )
    assert isinstance(found, dict)
    starts = [
        e["start"]
        for e in found[CALENDAR]["events"]
        if e["summary"] == "Start: Client portal \N{EN DASH} payroll cycle"
    ]
    assert starts == ["2026-03-20T09:00:00+09:00"]

    await travel(hass, freezer, datetime(2026, 3, 20, 9, 0, tzinfo=TOKYO))
    acme, globex = sorted(engine.instances(process="portal_payroll_cycle"), key=lambda i: i.key)
    assert (acme.key, globex.key) == ("acme-2026-03", "globex-2026-03")
    assert [_open(world, i).group for i in (acme, globex)] == ["client_acme", "client_globex"]
    # their deadlines are on the calendar too
    found = await hass.services.async_call(
        "calendar",
        "get_events",
        {
            "entity_id": CALENDAR,
            "start_date_time": MONDAY.isoformat(),
            "end_date_time": (MONDAY + timedelta(days=9)).isoformat(),
        },
        blocking=True,
        return_response=True,
    )
    assert isinstance(found, dict)
    due = {(e["summary"], e["start"]) for e in found[CALENDAR]["events"] if e["summary"].startswith("Due: ")}
    # two working days of the office's calendar: Friday 20 March is a holiday (Vernal Equinox Day), the
    # weekend is closed, so Monday 23 and Tuesday 24, 09:00-18:00
    assert due == {
        ("Due: Send your payroll inputs (acme-2026-03)", "2026-03-24T17:30:00+09:00"),
        ("Due: Send your payroll inputs (globex-2026-03)", "2026-03-24T17:30:00+09:00"),
    }

    # acme answers at once; globex is reminded after its first working day, the account managers told
    # when its two working days are over
    await complete_as(hass, world, "alice", _open(world, acme).id, inputs="acme/2026-03.xlsx")
    await travel(hass, freezer, datetime(2026, 3, 23, 17, 59, tzinfo=TOKYO))
    assert world.bpo_events("task_reminded") == []
    for day in (23, 24):
        await travel(hass, freezer, datetime(2026, 3, day, 18, 0, 1, tzinfo=TOKYO))
    reminded = [d["key"] for _, d in world.bpo_events("task_reminded")]
    assert reminded == ["globex-2026-03"]
    escalated = [d for _, d in world.bpo_events("escalated") if d["key"] == "globex-2026-03"]
    assert [d["notify"] for d in escalated] == [["group:account_managers"]]

    # staff process acme by the start of acme's pay day (the 25th; globex's would be the 28th)
    payroll = _open(world, acme)
    assert payroll.due == datetime(2026, 3, 25, tzinfo=TOKYO)
    await complete_as(hass, world, "dave", payroll.id, report="acme/report-03.pdf")
    acceptance = _open(world, acme)
    assert (acceptance.step, acceptance.group) == ("client_acceptance", "client_acme")
    await complete_as(hass, world, "alice", acceptance.id, "reject", rejection="Overtime missing")
    rework = _open(world, acme)
    assert (rework.step, rework.group) == ("rework", "payroll_staff")
    await complete_as(hass, world, "erin", rework.id, report="acme/report-03-v2.pdf")
    await complete_as(hass, world, "alice", _open(world, acme).id, "accept")
    assert acme.status == "completed" and acme.fields["report"] == "acme/report-03-v2.pdf"
    assert globex.status == "running"


async def test_a_file_in_the_shared_folder_becomes_a_request_for_its_client(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    share = tmp_path / "share" / "clients"
    (share / "acme").mkdir(parents=True)
    new_file = share / "acme" / "new_hire.pdf"
    new_file.write_bytes(b"%PDF-1.4")
    hass.config.allowlist_external_dirs = {str(share)}
    # the page's folder sensor, for this test's folder: the client's file list
    assert await async_setup_component(
        hass, "sensor", {"sensor": [{"platform": "folder", "folder": str(share / "acme"), "filter": "*"}]}
    )
    await hass.async_block_till_done()
    assert hass.states.get("sensor.acme").attributes["file_list"] == [str(new_file)]
    world = await _world(hass, freezer)
    engine = world.manager.engine

    # what Folder Watcher fires for the new file, then for its modification
    event = {"path": str(new_file), "file": new_file.name, "folder": str(share / "acme")}
    hass.bus.async_fire("folder_watcher", {"event_type": "created", **event})
    hass.bus.async_fire("folder_watcher", {"event_type": "modified", **event})
    await hass.async_block_till_done()
    (inst,) = engine.instances(process="portal_request")
    assert inst.key == str(new_file) and inst.fields["client"] == "acme"
    handle = _open(world, inst)
    assert (handle.title, handle.group) == ("acme: new_hire.pdf", "payroll_staff")

    await complete_as(hass, world, "dave", handle.id, "need_info", question="Start date?")
    ask = _open(world, inst)
    assert (ask.step, ask.group) == ("ask_client", "client_acme")
    assert hass.states.get("todo.bpo_workflows_queue_client_globex").state == "0"
    with pytest.raises(ServiceValidationError):
        await complete_as(hass, world, "bob", ask.id, client_reply="?")
    await complete_as(hass, world, "alice", ask.id, client_reply="April 1st")
    await complete_as(hass, world, "erin", _open(world, inst).id, "done", result="Registered")
    assert inst.status == "completed" and inst.fields["client_reply"] == "April 1st"

    # the portal's web form sends a request through the webhook
    client = await hass_client_no_auth()
    body = json.dumps(
        {
            "event": "bpo_portal_request",
            "data": {"request_id": "R-17", "client": "globex", "subject": "Bank account"},
        }
    ).encode()
    resp = await client.post(
        f"/api/webhook/{world.entry.options['webhook_id']}",
        data=body,
        headers={"X-Bpo-Signature": sign_body(SECRET, body)},
    )
    assert resp.status == 202
    await hass.async_block_till_done()
    request = next(i for i in engine.instances(process="portal_request") if i.key == "R-17")
    assert _open(world, request).title == "globex: Bank account"


async def test_contact_log_keeps_minutes_and_meeting_agreement(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    world = await _world(hass, freezer)
    engine = world.manager.engine
    for contact_id, kind in (("K-1", "call"), ("K-2", "meeting")):
        hass.bus.async_fire(
            "bpo_portal_contact",
            {
                "contact_id": contact_id,
                "client": "acme",
                "kind": kind,
                "staff": "person.dave",
                "summary": "Bonus",
            },
        )
    await hass.async_block_till_done()
    call, meeting = sorted(engine.instances(process="portal_contact_log"), key=lambda i: i.key)
    for inst in (call, meeting):
        minutes = _open(world, inst)
        assert (minutes.assignee, minutes.group) == ("person.dave", "payroll_staff")
        await complete_as(hass, world, "dave", minutes.id, minutes=f"Minutes of the {inst.fields['kind']}")
    assert call.status == "completed" and [t.step for t in call.tasks] == ["write_minutes"]
    agreement = _open(world, meeting)
    assert (agreement.step, agreement.group) == ("client_agreement", "client_acme")
    # the client objects once; the revised minutes are left unanswered and count as agreed after 3 days
    await complete_as(hass, world, "alice", agreement.id, "object", objection="It was the 20th")
    await complete_as(hass, world, "dave", _open(world, meeting).id, minutes="Bonus on the 20th")
    await travel(hass, freezer, MONDAY + timedelta(days=3, minutes=1))
    assert meeting.status == "completed"
    assert [(t.step, t.status) for t in meeting.tasks][-1] == ("client_agreement", "timed_out")
    assert meeting.fields["minutes"] == "Bonus on the 20th"


async def test_the_client_log_file_lists_each_clients_contacts_requests_and_payroll(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    world = await _world(hass, freezer)
    engine = world.manager.engine
    for contact_id, client, summary in (("K-1", "acme", "Bonus"), ("K-2", "globex", "New hires")):
        hass.bus.async_fire(
            "bpo_portal_contact",
            {
                "contact_id": contact_id,
                "client": client,
                "kind": "call",
                "staff": "person.dave",
                "summary": summary,
            },
        )
    hass.bus.async_fire(
        "bpo_portal_request",
        {"request_id": "R-1", "client": "acme", "subject": "Address change", "file": "a.pdf"},
    )
    await hass.async_block_till_done()
    acme_call = next(i for i in engine.instances(process="portal_contact_log") if i.key == "K-1")
    await complete_as(hass, world, "dave", _open(world, acme_call).id, minutes="Bonus paid in June")
    await travel(hass, freezer, datetime(2026, 3, 20, 9, 0, 1, tzinfo=TOKYO))  # the payroll cycle starts

    for client in ("acme", "globex"):
        await hass.services.async_call(
            "bpo", "start", {"process": "portal_client_log", "fields": {"client": client}}, blocking=True
        )
    await hass.async_block_till_done()
    folder = Path(hass.config.path("bpo_reports"))
    acme = (folder / "client-log-acme-2026-03-20.md").read_text(encoding="utf-8")
    assert acme.startswith("# Client log of acme on 2026-03-20\n")
    # minutes are personal data (pii: true): a report file, which any admin may open, masks them
    assert "call with person.dave: Bonus" in acme and "Minutes: ***" in acme
    assert "Bonus paid in June" not in acme
    assert "Address change: running, now at handle" in acme
    assert "acme-2026-03 (monthly), started 2026-03-20 09:00: running, now at client_inputs" in acme
    assert "globex" not in acme and "New hires" not in acme
    globex = (folder / "client-log-globex-2026-03-20.md").read_text(encoding="utf-8")
    assert "New hires" in globex and "Minutes: not written yet" in globex and "Bonus" not in globex


GLOBEX_PAY = "Zq-GLOBEX-PAYROLL-7731.xlsx"  # a marked value of globex's personal data (a pii field)


def _has_mark(value: object) -> bool:
    return GLOBEX_PAY in json.dumps(value, default=str, ensure_ascii=False)


async def test_each_client_sees_and_acts_only_on_its_own_work(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_ws_client: WebSocketGenerator
) -> None:
    """One blueprint for many clients: the templated viewers/pii_cleared entries give each client's people
    their own instances (tasks, history, personal data) and nothing of another client's, in bpo.list_tasks,
    the BPO panel, notifications and completion; staff and account managers see every client."""
    world = await _world(hass, freezer)
    assert await async_setup_component(hass, "persistent_notification", {})
    await travel(hass, freezer, datetime(2026, 3, 20, 9, 0, 1, tzinfo=TOKYO))
    for client in ("acme", "globex"):
        hass.bus.async_fire(
            "folder_watcher",
            {
                "event_type": "created",
                "path": f"/s/{client}/a.pdf",
                "file": "a.pdf",
                "folder": f"/s/{client}",
            },
        )
    await hass.async_block_till_done()
    engine = world.manager.engine
    acme = next(i for i in engine.instances(process="portal_payroll_cycle") if i.key == "acme-2026-03")
    globex = next(i for i in engine.instances(process="portal_payroll_cycle") if i.key == "globex-2026-03")
    assert (acme.rights, globex.rights) == (
        {"viewers": ["group:client_acme"], "pii_cleared": ["group:client_acme"]},
        {"viewers": ["group:client_globex"], "pii_cleared": ["group:client_globex"]},
    )
    # notifications: each client's tasks reached its own people only (persistent: nobody has the app)
    alice_ws = await ws_as(hass, hass_ws_client, world.users["alice"])
    notes = [n["notification_id"] for n in await alice_ws.ok("persistent_notification/get")]
    for inst, person in ((acme, "person_alice"), (globex, "person_bob")):
        mine = [n for n in notes if f"bpo_{slugify(inst.tasks[0].id)}_" in n]
        assert mine == [f"bpo_{slugify(inst.tasks[0].id)}_{person}"]

    # completion: alice (acme) may not send globex's inputs; bob does, with personal data in them
    globex_inputs = _open(world, globex)
    with pytest.raises(ServiceValidationError):
        await complete_as(hass, world, "alice", globex_inputs.id, inputs="stolen.xlsx")
    await complete_as(hass, world, "bob", globex_inputs.id, inputs=GLOBEX_PAY)
    assert globex.fields["inputs"] == GLOBEX_PAY and _open(world, globex).step == "process_payroll"

    # bpo.list_tasks: each client lists its own work only (its requests too); bob reads his data
    alice = await list_tasks_as(hass, world, "alice")
    bob = await list_tasks_as(hass, world, "bob")
    assert {r["key"] for r in alice} == {"acme-2026-03", "/s/acme/a.pdf"} and not _has_mark(alice)
    assert {r["key"] for r in bob} == {"globex-2026-03", "/s/globex/a.pdf"}
    assert {r["fields"].get("inputs") for r in bob if r["key"] == "globex-2026-03"} == {GLOBEX_PAY}
    # staff and account managers see every client, unmasked (the fixed entries)
    for who in ("dave", "sam"):
        rows = await list_tasks_as(hass, world, who)
        assert {r["key"] for r in rows} >= {"acme-2026-03", "globex-2026-03", "/s/acme/a.pdf"}
        assert _has_mark(rows)

    # the BPO panel: alice's task list, instances and the instance view; globex's is refused to her
    panel = await alice_ws.ok("bpo/tasks/list", include_closed=True)
    instances = (await alice_ws.ok("bpo/instances/list"))["instances"]
    assert {i["key"] for i in instances} == {"acme-2026-03", "/s/acme/a.pdf"}
    assert not _has_mark(panel) and not _has_mark(instances)
    assert not _has_mark(await alice_ws.ok("persistent_notification/get"))
    await alice_ws.refused("bpo/instance/get", "unauthorized", instance_id=globex.id)
    assert (await alice_ws.ok("bpo/instance/get", instance_id=acme.id))["key"] == "acme-2026-03"
    bob_ws = await ws_as(hass, hass_ws_client, world.users["bob"])
    assert _has_mark(await bob_ws.ok("bpo/instance/get", instance_id=globex.id))

    # an instance whose client is missing: its client entries render no name, grant nobody and are
    # reported (a Repairs issue naming the process and entry, never a value)
    hass.bus.async_fire("bpo_portal_request", {"request_id": "R-0", "subject": "No client", "file": ""})
    await hass.async_block_till_done()
    orphan = next(i for i in engine.instances(process="portal_request") if i.key == "R-0")
    assert orphan.rights is None
    assert "failed_rights_invalid.portal_request" in [
        issue_id for domain, issue_id in ir.async_get(hass).issues if domain == "bpo"
    ]
    for who in ("alice", "bob"):
        assert "R-0" not in {r["key"] for r in await list_tasks_as(hass, world, who)}


def test_the_pages_home_assistant_settings_are_valid(tmp_path: Path) -> None:
    """The folder sensor and allow-list of docs/scenarios/client-portal.md pass HA's own schemas (with the
    page's folder moved under this test's folder, which must exist)."""
    import yaml
    from homeassistant.components.folder.sensor import PLATFORM_SCHEMA
    from homeassistant.core_config import CORE_CONFIG_SCHEMA

    ((_, text),) = [(m, t) for m, t in BLOCK.findall(DOC.read_text("utf-8")) if m == "configuration.yaml"]
    (tmp_path / "share" / "clients" / "acme").mkdir(parents=True)
    settings = yaml.safe_load(text.replace("/share/", f"{tmp_path}/share/"))
    core = CORE_CONFIG_SCHEMA(settings["homeassistant"])
    assert core["allowlist_external_dirs"] == [f"{tmp_path}/share/clients"]
    (sensor,) = settings["sensor"]
    assert PLATFORM_SCHEMA(sensor)["folder"] == f"{tmp_path}/share/clients/acme"
