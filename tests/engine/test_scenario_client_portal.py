"""``bpo simulate`` on the shipped client-portal blueprints with the scenario files of their docs page.

Together the runs of each blueprint take every one of its steps; each run's summary is the one
docs/scenarios/client-portal.md shows; the timelines show the loops, chasing and per-client routing.
"""

from __future__ import annotations

import pytest

from .scenario_sims import Sim, check_runs

PAGE = "client-portal"
PAYROLL = Sim(
    PAGE, "payroll", "portal_payroll_cycle", "2026-10-19T00:00", 16, ("accepted", "rework"), False, True
)
ONBOARDING = Sim(
    PAGE, "onboarding", "portal_onboarding", "2026-03-02T09:00", 14, ("confirmed", "corrections")
)
REQUEST = Sim(PAGE, "request", "portal_request", "2026-03-02T09:00", 3, ("done", "questions"))
CONTACT_LOG = Sim(
    PAGE, "contact-log", "portal_contact_log", "2026-03-02T09:00", 5, ("agreed", "objected", "silent")
)
CLIENT_LOG = Sim(PAGE, "client-log", "portal_client_log", "2026-03-31T09:00", 2, ("written",), True, True)


@pytest.mark.parametrize(
    "sim", [PAYROLL, ONBOARDING, REQUEST, CONTACT_LOG, CLIENT_LOG], ids=lambda s: s.prefix
)
def test_the_runs_take_every_step_and_print_the_documented_summaries(
    capsys: pytest.CaptureFixture[str], sim: Sim
) -> None:
    check_runs(sim, capsys)


def test_payroll_runs_monthly_and_year_end_per_client_and_chases_late_clients(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = PAYROLL.simulate(capsys, "accepted")
    for client, pay_day in (("acme", 25), ("globex", 28)):
        # two working days: Tuesday 20 and Wednesday 21 October, 09:00-18:00
        assert (
            f"2026-10-20 09:00  task created portal_payroll_cycle {client}-2026-10 task client_inputs "
            f"for client_{client}, due 2026-10-21 18:00" in out
        )
        # the payroll is due by the start of the client's pay day (the pay_days input)
        assert f"{client}-2026-10 task process_payroll for payroll_staff, due 2026-10-{pay_day} 00:00" in out
        # year-end: Sunday 1 November; Monday 2, then Culture Day (3rd) is a holiday, then Wednesday 4
        assert f"{client}-2026-year-end task client_inputs for client_{client}, due 2026-11-04 18:00" in out
        assert (
            f"2026-11-01 09:00  instance started portal_payroll_cycle {client}-2026-year-end started" in out
        )
        assert f"{client}-2026-10 task client_acceptance completed by client_{client}: accept" in out
    late = PAYROLL.simulate(capsys, "rework")
    assert (
        "2026-10-21 18:00  escalated    portal_payroll_cycle acme-2026-10 task client_inputs escalated"
        in late
    )
    assert "acme-2026-10 task client_acceptance completed by client_acme: reject" in late
    assert "acme-2026-10 task rework for payroll_staff" in late


def test_files_from_the_shared_folder_start_requests_for_their_client(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = REQUEST.simulate(capsys, "questions")
    assert out.count("instance started portal_request /share/clients/acme/new_hire_tanaka.pdf") == 1
    assert "portal_request R-17 started" in out
    assert "task ask_client for client_globex" in out and "task ask_client for client_acme" in out


def test_meeting_minutes_go_to_the_client_and_count_as_agreed_after_the_timeout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = CONTACT_LOG.simulate(capsys, "silent")
    assert "portal_contact_log K-1 ended: completed" in out  # a call: minutes only
    assert "task client_agreement for client_acme" in out
    assert "portal_contact_log K-2 step client_agreement timed out -> complete" in out


def test_the_client_logs_write_one_file_per_client_each_time(capsys: pytest.CaptureFixture[str]) -> None:
    out = CLIENT_LOG.simulate(capsys, "written")
    assert out.count("2026-03-31 10:00  action called bpo_report.write") == 1  # acme's, by hand
    # the monthly schedule: one instance, so one file, per client of the clients input
    assert out.count("2026-04-01 06:00  action called bpo_report.write") == 2
    for client in ("acme", "globex"):
        assert f"instance started portal_client_log {client}-2026-04 started" in out
