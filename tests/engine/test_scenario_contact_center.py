"""``bpo simulate`` on the shipped contact-center blueprints with the scenario files of their docs page.

Together the runs of each blueprint take every one of its steps (tasks, waits, ends); each run's summary
is the one docs/scenarios/contact-center.md shows; the timelines show one record per contact id whatever
the channel, the priority's due time, the hand-offs by call and the mailing to every prospect.
"""

from __future__ import annotations

import re

import pytest

from .scenario_sims import Sim, check_runs

PAGE = "contact-center"
CONTACT = Sim(PAGE, "contact", "cc_contact", "2026-03-02T09:00", 8, ("answered", "escalated", "lead"))
CAMPAIGN = Sim(PAGE, "campaign", "cc_campaign", "2026-03-02T09:00", 20, ("approved", "revised"))
PROSPECT = Sim(PAGE, "prospect", "cc_prospect", "2026-03-02T09:00", 10, ("won", "unreachable", "lost"))


@pytest.mark.parametrize("sim", [CONTACT, CAMPAIGN, PROSPECT], ids=lambda s: s.prefix)
def test_the_runs_take_every_step_and_print_the_documented_summaries(
    capsys: pytest.CaptureFixture[str], sim: Sim
) -> None:
    check_runs(sim, capsys)


def test_one_record_per_contact_with_the_priority_target_and_escalation_to_the_client(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = CONTACT.simulate(capsys, "escalated")
    # K-1 came by phone, then by e-mail: one contact record
    assert out.count("instance started cc_contact K-1 started") == 1
    # due by priority: urgent 1 h, high 4 h, normal 1 day, low 3 days
    for key, due in (
        ("K-1", "2026-03-02 10:10"),
        ("K-3", "2026-03-02 13:40"),
        ("K-2", "2026-03-03 09:30"),
        ("K-4", "2026-03-05 10:00"),
    ):
        assert f"cc_contact {key} task respond for cc_inhouse_inquiry, due {due}" in out
    assert "task overdue cc_contact K-1 task respond overdue" in out
    # the supervisors are told by priority (escalate_after input): urgent 45 min, high 3 h, normal 4 h
    for at, key in (("09:55", "K-1"), ("12:40", "K-3"), ("13:30", "K-2")):
        assert f"2026-03-02 {at}  escalated    cc_contact {key} task respond escalated (escalation)" in out
    assert "cc_contact K-4 task respond escalated" not in out
    assert "task created cc_contact K-1 task client_decision for cc_client" in out


def test_a_lead_is_handed_off_by_call_through_sales_to_the_inquiry_desk(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = CONTACT.simulate(capsys, "lead")
    chain = [
        "instance started cc_prospect K-2 started",
        "task created cc_prospect K-2 task follow_up_call",
        "instance started cc_sales K-2 started",
        "task created cc_sales K-2 task inside_sales",
        "task created cc_sales K-2 task field_visit",
        "task created cc_sales K-2 task contract",
        "instance completed cc_sales K-2 ended",
        "task created cc_prospect K-2 task inquiry_desk",
        "instance completed cc_prospect K-2 ended: completed",
        "instance completed cc_contact K-2 ended: completed",
    ]
    positions = [out.index(line) for line in chain]
    assert positions == sorted(positions)
    # the first follow-up call waits for the follow_up_after delay (3 days)
    assert "2026-03-05 10:00  task created cc_prospect K-2 task follow_up_call" in out


def test_follow_up_is_retried_up_to_the_attempts_and_the_mailing_reaches_every_prospect(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = PROSPECT.simulate(capsys, "unreachable")
    calls = re.findall(r"(\S+ \S+)  task created cc_prospect spring-P-001 task follow_up_call", out)
    assert calls == ["2026-03-05 09:10", "2026-03-06 10:10", "2026-03-07 11:10"]
    assert "cc_prospect spring-P-001 ended: cancelled" in out

    mailed = CAMPAIGN.simulate(capsys, "approved")
    assert mailed.count("action called notify.notify") == 3
    assert "action called" not in CAMPAIGN.simulate(capsys, "revised")


def test_the_campaign_calls_one_prospect_follow_up_per_prospect_and_waits_for_all(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = CAMPAIGN.simulate(capsys, "approved")
    for n in range(3):
        assert f"instance started cc_prospect spring/follow_ups/{n} started" in out
        assert f"instance completed cc_prospect spring/follow_ups/{n} ended: completed" in out
    last = max(out.index(f"instance completed cc_prospect spring/follow_ups/{n}") for n in range(3))
    assert out.index("task created cc_campaign spring task campaign_result for cc_client") > last
