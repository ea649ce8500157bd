"""``bpo simulate`` on the shipped support-center blueprints with the scenario files of their docs page.

Together the runs of each blueprint take every one of its steps (tasks, waits, timeouts, ends); each
run's summary is the one docs/scenarios/support-center.md shows; the timelines show one case per
contact whatever the channel, the FAQ closing cases, escalation counted in business hours over a
national holiday, the onsite chain once per site, and the reports on their schedules.
"""

from __future__ import annotations

import re

import pytest

from .scenario_sims import Sim, check_runs

PAGE = "support-center"
CASE = Sim(
    PAGE, "case", "sc_case", "2026-03-16T09:00", 8, ("faq", "resolved", "escalated", "onsite"), inputs=True
)
ONSITE = Sim(
    PAGE, "onsite", "sc_onsite", "2026-03-02T09:00", 4, ("fixed", "ordered", "revisit", "rescheduled")
)
REPORT = Sim(PAGE, "report", "sc_report", "2026-03-19T09:00", 16, ("held",), scenario=False, inputs=True)


@pytest.mark.parametrize("sim", [CASE, ONSITE, REPORT], ids=lambda s: s.prefix)
def test_the_runs_take_every_step_and_print_the_documented_summaries(
    capsys: pytest.CaptureFixture[str], sim: Sim
) -> None:
    check_runs(sim, capsys)


def test_phone_web_mail_and_fax_become_one_case_each_and_the_faq_closes_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = CASE.simulate(capsys, "faq")
    started = re.findall(r"instance started sc_case (\S+) started", out)
    # SC-1 by phone and again by web form; the mail quoting [SC-2] belongs to SC-2
    assert started == ["SC-1", "SC-2", "<m1@example.com>", "/share/fax/fax-0316-01.pdf", "SC-3"]
    assert out.count("ended: completed") == 5 and "task created sc_case SC-1 task resolve" not in out


def test_cases_go_to_their_categorys_group_due_by_priority_and_escalate_in_business_hours(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = CASE.simulate(capsys, "escalated")
    for key, group, due in (
        ("SC-1", "sc_technical", "2026-03-16 11:40"),  # urgent: 2 business hours
        ("SC-2", "sc_billing", "2026-03-17 10:00"),  # normal: one business day
        ("<m1@example.com>", "sc_second_line", "2026-03-17 10:10"),  # mail, not classified
        ("SC-3", "sc_contracts", "2026-03-25 17:30"),  # low: 3 business days over the holiday
    ):
        assert f"sc_case {key} task resolve for {group}, due {due}" in out
    # the urgent case reaches the supervisors after 2 business hours, a normal one its own group; SC-3
    # opened on Thursday 17:30: Friday 20 March (Vernal Equinox Day) and the weekend do not count
    for at, key, target in (
        ("2026-03-16 11:40", "SC-1", "sc_supervisors"),
        ("2026-03-16 12:00", "SC-2", "sc_billing"),
        ("2026-03-23 10:30", "SC-3", "sc_contracts"),
        ("2026-03-23 17:30", "SC-3", "sc_supervisors"),
    ):
        line = f"{at}  escalated    sc_case {key} task resolve escalated (escalation) to group:{target}"
        assert line in out


def test_the_onsite_chain_runs_once_per_site_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    out = CASE.simulate(capsys, "onsite")
    for index in (0, 1):
        key = f"SC-1/onsite/{index}"
        chain = [
            f"instance started sc_onsite {key} started",
            *(
                f"task created sc_onsite {key} task {step}"
                for step in (
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
                )
            ),
            f"instance completed sc_onsite {key} ended: completed",
        ]
        positions = [out.index(line) for line in chain]
        assert positions == sorted(positions)
        # the pre-visit call opens at 08:00 on the visit day
        assert f"2026-03-18 08:00  task created sc_onsite {key} task pre_visit_call" in out
    assert "SC-1/onsite/2" not in out
    assert out.index("task created sc_case SC-1 task close_after_onsite") > out.index(
        "instance completed sc_onsite SC-1/onsite/1"
    )


def test_parts_that_do_not_arrive_book_the_visit_again(capsys: pytest.CaptureFixture[str]) -> None:
    out = ONSITE.simulate(capsys, "ordered")
    assert "task created sc_onsite SC-1 task technician_choice" in out  # its parts arrived on Tuesday
    assert (
        "2026-03-05 13:20  timeout      sc_onsite SC-2 step parts_arrival timed out -> goto appointment"
        in out
    )
    assert "2026-03-05 13:20  task created sc_onsite SC-2 task appointment" in out


def test_reports_follow_their_schedules_and_the_meeting_follows_the_monthly_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = REPORT.simulate(capsys, "held")
    started = re.findall(r"(\S+ \S+)  instance started sc_report (\S+) started", out)
    assert started[:5] == [
        ("2026-03-19 18:00", "daily-2026-03-19"),
        ("2026-03-20 18:00", "daily-2026-03-20"),
        ("2026-03-23 09:00", "weekly-2026-03-23"),
        ("2026-03-23 18:00", "daily-2026-03-23"),
        ("2026-03-24 18:00", "daily-2026-03-24"),
    ]
    assert ("2026-03-30 09:00", "weekly-2026-03-30") in started
    assert ("2026-04-01 09:00", "monthly-2026-04") in started and len(started) == 15
    # each report and its overdue list; none on Friday 20 March (Vernal Equinox Day)
    written = re.findall(r"(\S+) \S+  action called bpo_report.write", out)
    assert written.count("2026-03-19") == 2 and "2026-03-20" not in written and len(written) == 28
    assert "task created sc_report monthly-2026-04 task faq_review" in out
    assert "task created sc_report monthly-2026-04 task monthly_meeting" in out
    assert "task created sc_report daily" not in out and "task created sc_report weekly" not in out
