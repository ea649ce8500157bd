"""The support center with onsite work (DESIGN.md scenario 4, issue 14 no. 3) end to end in Home Assistant.

The shipped ``sc_*`` blueprints run as an admin installs them: copied by bpo, with the directory, webhook
settings, alarm and automation of docs/scenarios/support-center.md, the mailbox and fax folder set in the
admin's copy of ``sc_case`` and every report chosen in the copy of ``sc_report``. Contacts come in through
the signed webhook, HA's bus, the IMAP integration's and Folder Watcher's events; people work through
``bpo.complete_task``, their to-do lists and notification actions; time passes with HA's clock.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator, WebSocketGenerator

from custom_components.bpo.blueprint_files import SHIPPED
from custom_components.bpo.connector_config import parse_inbound
from custom_components.bpo.engine.directory import parse_directory

from .helpers import World, as_user, async_setup_world, complete_as, post_signed, travel
from .test_calendar import events
from .test_intake_events import MAILBOX, folder_event, imap_event
from .test_todo import check_off, items
from .ws_helpers import ws_as

pytestmark = pytest.mark.usefixtures("socket_enabled")

DOC = Path(__file__).parents[2] / "docs" / "scenarios" / "support-center.md"
BLOCK = re.compile(r"<!-- ([\w. ]+) -->\n```(?:yaml|json)\n(.*?)```", re.S)


def _blocks(kind: str) -> list[str]:
    found = [text for marker, text in BLOCK.findall(DOC.read_text(encoding="utf-8")) if marker == kind]
    assert found, f"no {kind} example in {DOC.name}"
    return found


TOKYO = ZoneInfo("Asia/Tokyo")
MONDAY = datetime(2026, 3, 16, 9, 0, tzinfo=TOKYO)
SECRET = "sc-inbound-secret-0123456789abc"
FAX = "/share/fax"
(DIRECTORY,) = _blocks("directory")
(CONNECTORS,) = _blocks("bpo_connectors")
PHONE_BODY, PARTS_BODY = _blocks("webhook body")
ALARM = "binary_sensor.support_case_alarm"


def _admin_copy(config: Path, name: str, old: str, *new: str) -> None:
    """The admin's edited copy of a shipped blueprint: each ``old`` in turn replaced by the next ``new``."""
    text = (SHIPPED / "bpo" / name).read_text(encoding="utf-8")
    assert text.count(old) == len(new), name
    for value in new:
        text = text.replace(old, value, 1)
    copy = config / "blueprints" / "bpo" / name
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_text(text, encoding="utf-8")


async def _world(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> World:
    await hass.config.async_set_time_zone("Asia/Tokyo")
    freezer.move_to(MONDAY)
    config = Path(hass.config.config_dir)
    (config / "secrets.yaml").write_text(f"bpo_inbound_secret: {SECRET}\n", encoding="utf-8")
    (config / "bpo_connectors.yaml").write_text(CONNECTORS, encoding="utf-8")
    _admin_copy(
        config,
        "sc_case.yaml",
        '      default: ""\n',
        f"      default: {MAILBOX}\n",
        f"      default: {FAX}\n",
    )
    _admin_copy(config, "sc_report.yaml", "      default: []\n", "      default: [daily, weekly, monthly]\n")
    world = await async_setup_world(hass, directory=DIRECTORY, employees=())
    assert world.manager.blueprint_errors == []
    assert await async_setup_component(hass, "persistent_notification", {})
    return world


async def _fire(hass: HomeAssistant, event_type: str, data: dict[str, Any]) -> None:
    hass.bus.async_fire(event_type, data)
    await hass.async_block_till_done()


def _case(world: World, key: str) -> Any:
    (inst,) = [i for i in world.manager.engine.instances(process="sc_case") if i.key == key]
    return inst


def _open(inst: Any) -> Any:
    (task,) = [t for t in inst.tasks if t.is_open]
    return task


async def test_phone_web_mail_and_fax_become_one_case_each_and_the_faq_closes_one(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_client_no_auth: ClientSessionGenerator
) -> None:
    world = await _world(hass, freezer)
    client = await hass_client_no_auth()
    await post_signed(hass, client, world, SECRET, PHONE_BODY.encode())  # the page's phone contact
    await _fire(hass, "bpo_sc_web", {"case_id": "SC-1", "category": "technical", "topic": "Printer down"})
    # a bracket that is no case id ([External], added by the mail gateway) does not join a case
    external = imap_event("<m1@client.example>", "101") | {"subject": "[External] Scanner offline"}
    await _fire(hass, "imap_content", external)
    quoting = imap_event("<m2@client.example>", "102") | {"subject": "Re: [SC-1] Printer down"}
    await _fire(hass, "imap_content", quoting)  # belongs to SC-1
    await _fire(hass, "imap_content", imap_event("<m3@client.example>", "103", username="sales@acme.example"))
    await _fire(hass, "folder_watcher", folder_event(f"{FAX}/fax-0316-01.pdf"))
    await _fire(hass, "folder_watcher", folder_event(f"{FAX}/fax-0316-01.pdf", "modified"))
    await _fire(hass, "folder_watcher", folder_event("/share/scans/other.pdf"))  # not the fax folder
    cases = {i.key: i for i in world.manager.engine.instances(process="sc_case")}
    assert sorted(cases) == [f"{FAX}/fax-0316-01.pdf", "<m1@client.example>", "SC-1"]
    assert {k: i.fields["channel"] for k, i in cases.items()} == {
        "SC-1": "phone",
        "<m1@client.example>": "mail",
        f"{FAX}/fax-0316-01.pdf": "fax",
    }
    phone, mail, fax = cases["SC-1"], cases["<m1@client.example>"], cases[f"{FAX}/fax-0316-01.pdf"]
    assert (phone.fields["category"], phone.fields["priority"], phone.fields["sites"]) == (
        "technical",
        "urgent",
        "S-01 S-02",
    )
    assert fax.fields["fax_scan"] == f"{FAX}/fax-0316-01.pdf" and mail.fields["category"] == "unknown"
    assert hass.states.get("todo.bpo_workflows_queue_sc_first_line").state == "3"
    # the mail's sender and text are personal data: masked on the bus
    started = [d for _, d in world.bpo_events("instance_started") if d["key"] == "<m1@client.example>"]
    assert [(d["fields"]["sender"], d["fields"]["body"]) for d in started] == [("***", "***")]

    # the first line answers the mail from the FAQ: the case is closed; nobody else may
    with pytest.raises(ServiceValidationError):
        await complete_as(hass, world, "bob", _open(mail).id, "answered_from_faq")
    await complete_as(
        hass, world, "alice", _open(mail).id, "answered_from_faq", faq_article="FAQ-12", answer="See FAQ-12"
    )
    assert mail.status == "completed" and [t.step for t in mail.tasks] == ["faq_first"]
    # the fax is not in the FAQ: classified as billing, it goes to the billing group
    await complete_as(hass, world, "alice", _open(fax).id, "not_in_faq", category="billing", priority="low")
    assert (_open(fax).step, _open(fax).group) == ("resolve", "sc_billing")
    await complete_as(hass, world, "alice", _open(phone).id, "not_in_faq")
    resolve = _open(phone)
    assert (resolve.group, resolve.due) == ("sc_technical", MONDAY + timedelta(hours=2))  # urgent: 2 h


async def test_a_case_escalates_after_business_hours_over_the_holiday_and_raises_the_alarm(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_ws_client: WebSocketGenerator
) -> None:
    world = await _world(hass, freezer)
    # the page's alarm and automation, as an admin adds them to configuration.yaml
    assert await async_setup_component(hass, "template", yaml.safe_load(_blocks("template")[0]))
    (automation,) = _blocks("automation")
    assert await async_setup_component(hass, "automation", {"automation": [yaml.safe_load(automation)]})
    await hass.async_block_till_done()
    assert hass.states.get(ALARM).state == "off"

    # an urgent case: overdue and escalated to the supervisors after 2 business hours
    await _fire(hass, "bpo_sc_phone", {"case_id": "SC-1", "category": "technical", "priority": "urgent"})
    await complete_as(hass, world, "alice", _open(_case(world, "SC-1")).id, "not_in_faq")
    await travel(hass, freezer, MONDAY + timedelta(hours=2, seconds=1))
    assert [d["notify"] for _, d in world.bpo_events("escalated")] == [["group:sc_supervisors"]]
    assert hass.states.get("sensor.support_center_case_overdue_tasks").state == "1"
    assert hass.states.get(ALARM).state == "on"
    await complete_as(hass, world, "carol", _open(_case(world, "SC-1")).id, "resolved", resolution="Reset")
    assert hass.states.get(ALARM).state == "off"

    # a low-priority contract case on Thursday 17:00, before Vernal Equinox Day (Friday) and the weekend
    thursday = datetime(2026, 3, 19, 17, 0, tzinfo=TOKYO)
    await travel(hass, freezer, thursday)
    await _fire(hass, "bpo_sc_phone", {"case_id": "SC-3", "category": "contract", "priority": "low"})
    case = _case(world, "SC-3")
    await complete_as(hass, world, "alice", _open(case).id, "not_in_faq")
    resolve = _open(case)
    # 3 business days: Thursday 1 h, Monday 9 h, Tuesday 9 h, Wednesday 8 h
    assert (resolve.group, resolve.due) == ("sc_contracts", datetime(2026, 3, 25, 17, 0, tzinfo=TOKYO))
    await travel(hass, freezer, datetime(2026, 3, 20, 12, 0, tzinfo=TOKYO))
    await travel(hass, freezer, datetime(2026, 3, 23, 9, 59, tzinfo=TOKYO))
    assert len(world.bpo_events("escalated")) == 1  # the holiday and the weekend do not count
    await travel(hass, freezer, datetime(2026, 3, 23, 10, 0, 1, tzinfo=TOKYO))
    await travel(hass, freezer, datetime(2026, 3, 23, 17, 0, 1, tzinfo=TOKYO))
    escalated = [d for _, d in world.bpo_events("escalated") if d["key"] == "SC-3"]
    assert [d["notify"] for d in escalated] == [["group:sc_contracts"], ["group:sc_supervisors"]]
    notes = await (await ws_as(hass, hass_ws_client, world.users["sam"])).ok("persistent_notification/get")
    assert [n["title"] for n in notes].count("Support case escalated") == 3  # the page's automation
    assert "resolve of case SC-3 (level 1)" in [n["message"] for n in notes]
    assert hass.states.get(ALARM).state == "off"
    await travel(hass, freezer, datetime(2026, 3, 25, 17, 0, 1, tzinfo=TOKYO))
    assert hass.states.get(ALARM).state == "on"  # overdue
    await complete_as(hass, world, "erin", resolve.id, "resolved", resolution="Contract changed")
    assert case.status == "completed" and hass.states.get(ALARM).state == "off"


async def test_the_onsite_chain_runs_for_each_site(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_client_no_auth: ClientSessionGenerator
) -> None:
    world = await _world(hass, freezer)
    engine = world.manager.engine
    client = await hass_client_no_auth()
    await post_signed(hass, client, world, SECRET, PHONE_BODY.encode())
    case = _case(world, "SC-1")
    await complete_as(hass, world, "alice", _open(case).id, "not_in_faq")
    await complete_as(hass, world, "carol", _open(case).id, "onsite")
    sites = sorted(engine.instances(process="sc_onsite"), key=lambda i: i.key)
    assert [(i.key, i.fields["site"], i.fields["case_id"], i.source) for i in sites] == [
        ("SC-1/onsite/0", "S-01", "SC-1", "call"),
        ("SC-1/onsite/1", "S-02", "SC-1", "call"),
    ]
    for inst, hour in zip(sites, (14, 16), strict=True):
        await complete_as(hass, world, "bob", _open(inst).id, symptoms="Jams", parts="Feed roller")
        await complete_as(hass, world, "bob", _open(inst).id, appointment=f"2026-03-18T{hour}:00:00")
    s01, s02 = sites
    await complete_as(hass, world, "erin", _open(s01).id, "in_stock")
    await complete_as(hass, world, "erin", _open(s02).id, "ordered")
    assert _open(s01).step == "technician_choice" and not [t for t in s02.tasks if t.is_open]
    # the parts system reports S-02's parts through the webhook (the page's body); only S-02 goes on
    await post_signed(hass, client, world, SECRET, PARTS_BODY.encode())
    for inst in sites:
        assert _open(inst).step == "technician_choice"
        await complete_as(hass, world, "bob", _open(inst).id, technician="person.dave")
        assert not [t for t in inst.tasks if t.is_open]  # waiting for the visit day

    await travel(hass, freezer, datetime(2026, 3, 18, 8, 0, 1, tzinfo=TOKYO))
    calls = [_open(i) for i in sites]
    assert [(t.step, t.assignee) for t in calls] == [("pre_visit_call", "person.dave")] * 2
    # dave confirms S-01 from his notification's button, S-02 in the panel (the service)
    hass.bus.async_fire(
        "mobile_app_notification_action",
        {"action": f"BPO|{calls[0].id}|confirmed"},
        context=as_user(world, "dave"),
    )
    await hass.async_block_till_done()
    await complete_as(hass, world, "dave", calls[1].id, "confirmed")
    assert [_open(i).step for i in sites] == ["visit", "visit"]
    found = await events(hass, datetime(2026, 3, 18, tzinfo=TOKYO), datetime(2026, 3, 19, tzinfo=TOKYO))
    visits = sorted(
        (e["summary"], e["start"], e["end"], e["location"]) for e in found if "Visit" in e["summary"]
    )
    assert visits == [
        ("Visit site S-01: Printer down", "2026-03-18T14:00:00+09:00", "2026-03-18T16:00:00+09:00", "S-01"),
        ("Visit site S-02: Printer down", "2026-03-18T16:00:00+09:00", "2026-03-18T18:00:00+09:00", "S-02"),
    ]
    # the visit is ticked on dave's to-do list
    mine = "todo.bpo_workflows_my_tasks_dave"
    visit_items = [i for i in await items(hass, mine) if i["summary"].startswith("Visit site")]
    assert len(visit_items) == 2
    for item in visit_items:
        await check_off(hass, mine, item["uid"], world.users["dave"].id)
    for inst in sites:
        site = inst.fields["site"]
        await complete_as(hass, world, "dave", _open(inst).id, checklist="Roller replaced")
        with pytest.raises(ServiceValidationError):  # the signed sheet is required
            await complete_as(hass, world, "dave", _open(inst).id)
        await complete_as(hass, world, "dave", _open(inst).id, signoff_scan=f"/share/scans/SC-1-{site}.pdf")
        await complete_as(hass, world, "dave", _open(inst).id, stock_report="1 roller used")
        await complete_as(hass, world, "dave", _open(inst).id, "fixed")
        parts_return = _open(inst)
        assert parts_return.group == "sc_warehouse"
        await complete_as(hass, world, "erin", parts_return.id, returned_parts="Old roller")
        assert inst.status == "completed"
        assert [t.step for t in inst.tasks] == [
            "hearing",
            "appointment",
            "parts_check",
            "technician_choice",
            "pre_visit_call",
            "visit",
            "checklist",
            "sign_off",
            "stock",
            "pre_exit_call",
            "parts_return",
        ]
    sources = {(d["step"], d["key"]): d["source"] for _, d in world.bpo_events("task_completed")}
    assert sources[("pre_visit_call", "SC-1/onsite/0")] == "notification"
    assert sources[("visit", "SC-1/onsite/0")] == sources[("visit", "SC-1/onsite/1")] == "todo"
    assert sources[("checklist", "SC-1/onsite/1")] == "service"
    close = _open(case)
    assert close.step == "close_after_onsite" and "S-01: fixed, S-02: fixed" in close.title
    await complete_as(
        hass, world, "carol", close.id, resolution="Rollers replaced", faq_proposal="Roller wear"
    )
    faq = _open(case)
    assert (faq.step, faq.group) == ("faq_update", "sc_knowledge")
    await complete_as(hass, world, "erin", faq.id, faq_entry="FAQ-31")
    assert case.status == "completed" and case.fields["faq_entry"] == "FAQ-31"


async def test_daily_weekly_and_monthly_reports_are_written_from_the_cases(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    world = await _world(hass, freezer)
    reports = Path(hass.config.config_dir) / "bpo_reports"
    await _fire(hass, "bpo_sc_phone", {"case_id": "SC-1", "category": "technical", "priority": "urgent"})
    web = {"case_id": "SC-2", "category": "billing", "topic": "Invoice twice", "sites": ["S-07", "S-08"]}
    await _fire(hass, "bpo_sc_web", web)
    assert _case(world, "SC-2").fields["sites"] == "S-07 S-08"  # a list of sites is kept as text
    await _fire(hass, "imap_content", imap_event("<m1@client.example>", "101"))
    mail = _case(world, "<m1@client.example>")
    await complete_as(hass, world, "alice", _open(mail).id, "answered_from_faq", faq_article="FAQ-12")
    for key in ("SC-1", "SC-2"):
        await complete_as(hass, world, "alice", _open(_case(world, key)).id, "not_in_faq")
    sc1 = _case(world, "SC-1")
    await complete_as(hass, world, "carol", _open(sc1).id, "resolved", faq_proposal="Printer reset steps")

    await travel(hass, freezer, datetime(2026, 3, 16, 18, 0, 1, tzinfo=TOKYO))
    daily = (reports / "sc-daily-2026-03-16.md").read_text(encoding="utf-8")
    assert "Cases opened: 3; answered from the FAQ: 1; still open: 2." in daily
    for line in ("| phone | 1 |", "| web | 1 |", "| mail | 1 |", "| fax | 0 |", "| billing | 1 |"):
        assert line in daily
    assert "| faq_update | 1 |" in daily and "| resolve | 1 |" in daily
    overdue = (reports / "sc-daily-overdue-2026-03-16.csv").read_text(encoding="utf-8").splitlines()
    # SC-2 (normal) was due within one business day: at 18:00 the same day
    assert overdue == ["case,step,group,assignee,due", "SC-2,resolve,sc_billing,,2026-03-16T18:00+09:00"]
    assert "client@example.com" not in daily  # the mail's sender is personal data

    # no daily report on Vernal Equinox Day (Friday 20 March): the business calendar says it is closed
    await travel(hass, freezer, datetime(2026, 3, 20, 18, 0, 1, tzinfo=TOKYO))
    assert [i.key for i in world.manager.engine.instances(process="sc_report")][-1] == "daily-2026-03-20"
    assert sorted(p.name for p in reports.glob("sc-daily-2026-03-2*")) == []
    await travel(hass, freezer, datetime(2026, 3, 23, 9, 0, 1, tzinfo=TOKYO))
    weekly = (reports / "sc-weekly-2026-03-23.md").read_text(encoding="utf-8")
    assert "Cases opened: 3;" in weekly
    overdue = (reports / "sc-weekly-overdue-2026-03-23.csv").read_text(encoding="utf-8").splitlines()
    assert [row.split(",")[:3] for row in overdue[1:]] == [
        ["SC-2", "resolve", "sc_billing"],
        ["SC-1", "faq_update", "sc_knowledge"],
    ]

    await travel(hass, freezer, datetime(2026, 4, 1, 9, 0, 1, tzinfo=TOKYO))
    monthly = (reports / "sc-monthly-2026-04-01.md").read_text(encoding="utf-8")
    assert "Cases opened: 3; answered from the FAQ: 1;" in monthly
    assert "FAQ entries proposed: 1\n- SC-1: Printer reset steps" in monthly
    (meeting,) = [
        i for i in world.manager.engine.instances(process="sc_report") if i.key == "monthly-2026-04"
    ]
    review = _open(meeting)
    assert (review.step, review.group) == ("faq_review", "sc_knowledge")
    await complete_as(hass, world, "erin", review.id, faq_changes="FAQ-31 added")
    held = _open(meeting)
    assert (held.step, held.group) == ("monthly_meeting", "sc_supervisors")
    found = await events(hass, datetime(2026, 4, 1, tzinfo=TOKYO), datetime(2026, 4, 3, tzinfo=TOKYO))
    assert [(e["start"], e["location"]) for e in found if e["summary"].startswith("Monthly support")] == [
        ("2026-04-02T14:00:00+09:00", "Meeting room 1")
    ]
    with pytest.raises(ServiceValidationError):  # the minutes are required
        await complete_as(hass, world, "sam", held.id)
    await complete_as(hass, world, "sam", held.id, minutes="Backlog down")
    assert meeting.status == "completed"
    written = {d["name"] for _, d in world.bpo_events("report_written")}
    assert {"sc-daily", "sc-daily-overdue", "sc-weekly", "sc-monthly", "sc-monthly-overdue"} <= written


async def test_the_pages_examples_are_valid_for_bpo_and_home_assistant(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    """docs/scenarios/support-center.md: the directory and connectors (used by every test above), the
    webhook bodies and the allow-list (the alarm and the automation are set up by the escalation test)."""
    from homeassistant.core_config import CORE_CONFIG_SCHEMA

    directory = parse_directory(DIRECTORY, DOC.name)
    assert directory.members("sc_technicians") == ["person.dave"]
    inbound = parse_inbound(
        yaml.safe_load(CONNECTORS.replace("!secret bpo_inbound_secret", SECRET))["inbound"]
    )
    assert (
        inbound.events == {"bpo_sc_phone", "bpo_sc_web", "bpo_sc_parts_arrived"} and inbound.require_timestamp
    )
    bodies = [json.loads(text) for text in _blocks("webhook body")]
    assert [b["event"] for b in bodies] == ["bpo_sc_phone", "bpo_sc_parts_arrived"]
    (settings,) = _blocks("configuration.yaml")
    (tmp_path / "share" / "fax").mkdir(parents=True)
    core = await hass.async_add_executor_job(
        CORE_CONFIG_SCHEMA, yaml.safe_load(settings.replace("/share/", f"{tmp_path}/share/"))["homeassistant"]
    )
    assert core["allowlist_external_dirs"] == [f"{tmp_path}/share/fax"]
