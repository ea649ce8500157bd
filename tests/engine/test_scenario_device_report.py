"""``bpo simulate`` on the shipped device security report and device remediation with the scenario files of
docs/scenarios/device-security-report.md.

Together the runs of each blueprint take every one of its steps (tasks, timeouts, ends); each run's summary
is the one the page shows; the timelines show the monthly 09:00 start per employee, the parallel supervisor
check and contractor inspection, the check closing itself after 24 hours, the MDM lookup, the remediation
of non-compliant devices of the chosen MDMs only, and the runaway cap on the monthly fan-out.
"""

from __future__ import annotations

import re

import pytest

from custom_components.bpo.engine.cli import main

from .scenario_sims import Sim, check_runs

PAGE = "device-security-report"
REPORT = Sim(
    PAGE,
    "report",
    "device_security_report",
    "2026-02-28T09:00",
    9,
    ("checked", "silent", "unfiled"),
    scenario_per_run=True,
    inputs=True,
)
REMEDIATION = Sim(
    PAGE, "remediation", "device_remediation", "2026-03-02T09:00", 4, ("fixed", "help", "late"), inputs=True
)
REGISTRATION = Sim(
    PAGE, "registration", "device_registration", "2026-03-02T09:00", 10, ("approved", "rejected")
)
CANCELLATION = Sim(
    PAGE, "cancellation", "device_cancellation", "2026-03-02T09:00", 10, ("approved", "rejected")
)
EMPLOYEES = ("person.alice", "person.bob")


@pytest.mark.parametrize("sim", [REPORT, REMEDIATION, REGISTRATION, CANCELLATION], ids=lambda s: s.prefix)
def test_the_runs_take_every_step_and_print_the_documented_summaries(
    capsys: pytest.CaptureFixture[str], sim: Sim
) -> None:
    check_runs(sim, capsys)


def test_every_employee_reports_at_9_on_the_first_then_supervisor_and_contractor_in_parallel(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = REPORT.simulate(capsys, "checked")
    report = "device_security_report"
    for who in EMPLOYEES:
        # one instance per employee, keyed by the person, at 09:00 on the 1st (not on the 28th, the start)
        assert out.count(f"instance started {report} {who} started") == 1
        assert (
            f"2026-03-01 09:00  task created {report} {who} task report for {who}, due 2026-03-08 09:00"
            in out
        )
        # filing the report opens both checks at the same moment
        for line in (
            f"2026-03-01 11:00  task created {report} {who} task supervisor_check for {who}-supervisor",
            f"2026-03-01 11:00  task created {report} {who} task contractor_inspection for contractors",
            f"2026-03-01 14:00  task completed {report} {who} task supervisor_check completed by {who}-",
            f"2026-03-01 16:00  instance completed {report} {who} ended: completed",
        ):
            assert line in out
    # the MDM lookup runs before the report opens, once per employee
    assert out.index("action called bpo_mdm.devices_of") < out.index("task report for person.alice")
    assert out.count("action called bpo_mdm.devices_of -> {'configured': True, 'count': 2") == 2


def test_the_supervisor_check_closes_itself_after_24_hours_and_a_follow_up_is_fixed_and_inspected_again(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = REPORT.simulate(capsys, "silent")
    for who in EMPLOYEES:
        assert f"timeout      device_security_report {who} step mdm timed out -> complete" in out
        assert f"2026-03-01 09:00  task created device_security_report {who} task report" in out
        assert f"2026-03-02 09:00  task created device_security_report {who} task supervisor_check" in out
        assert (
            f"2026-03-03 09:00  timeout      device_security_report {who} step supervisor_check timed out"
            in out
        )
        # the instance waits for the contractor (join: all), not for the closed check; each follow_up
        # opens a fix for the employee, then a new inspection, three inspections at most
        follow_ups = re.findall(
            rf"(\S+ \S+)  task completed device_security_report {who} task contractor_inspection "
            r"completed by contractors-member: follow_up",
            out,
        )
        assert follow_ups == ["2026-03-04 09:00", "2026-03-06 11:00", "2026-03-08 13:00"]
        fixes = re.findall(rf"(\S+ \S+)  task created device_security_report {who} task fix for {who},", out)
        assert fixes == follow_ups
        inspections = re.findall(
            rf"(\S+ \S+)  task created device_security_report {who} task contractor_inspection", out
        )
        assert inspections == ["2026-03-02 09:00", "2026-03-04 11:00", "2026-03-06 13:00"]  # after each fix
        assert f"2026-03-08 15:00  instance completed device_security_report {who} ended: completed" in out

    unfiled = REPORT.simulate(capsys, "unfiled")
    reminders = re.findall(
        r"(\S+ \S+)  task reminded device_security_report person.alice task report", unfiled
    )
    assert reminders == ["2026-03-04 09:00", "2026-03-07 09:00"]
    assert "2026-03-08 09:00  task overdue device_security_report person.alice task report" in unfiled
    assert "supervisor_check" not in unfiled and "contractor_inspection" not in unfiled


def test_remediation_starts_for_the_chosen_mdms_once_per_device_and_falls_back_to_the_admins(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = REMEDIATION.simulate(capsys, "help")
    started = re.findall(r"instance started device_remediation (\S+) started", out)
    assert started == ["intune:a1", "intune:c3"]  # not the Jamf device, not the laptop's second report
    assert (
        "task created device_remediation intune:a1 task remediate for person.alice, due 2026-03-05 10:00"
        in out
    )
    assert "task created device_remediation intune:a1 task help for person.alice-supervisor" in out
    # no owner, so no supervisor: both its tasks are in the admins' queue
    assert "task created device_remediation intune:c3 task remediate for _admins" in out
    assert "task created device_remediation intune:c3 task help for _admins" in out
    assert "-supervisor" not in out.replace("person.alice-supervisor", "")

    late = REMEDIATION.simulate(capsys, "late")
    assert "2026-03-03 10:00  task reminded device_remediation intune:a1 task remediate" in late
    assert "2026-03-05 10:00  task overdue device_remediation intune:a1 task remediate" in late


def test_a_registration_request_is_decided_by_the_supervisor_and_registers_only_when_approved(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = REGISTRATION.simulate(capsys, "approved")
    # keyed on the form's request id, decided by the employee's supervisor, then the employee is told
    assert "instance started device_registration REG-101 started (i1, event)" in out
    assert "task created device_registration REG-101 task approval for person.alice-supervisor" in out
    assert out.count("action called bpo.register_device") == 2
    approved = out.index("REG-101 task approval completed by person.alice-supervisor: approve")
    assert approved < out.index("REG-101 task tell_employee for person.alice")

    rejected = REGISTRATION.simulate(capsys, "rejected")
    assert "bpo.register_device" not in rejected
    assert (
        "2026-03-10 10:00  timeout      device_registration REG-101 step tell_employee timed out" in rejected
    )


def test_a_cancellation_request_retires_the_device_only_when_approved(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = CANCELLATION.simulate(capsys, "approved")
    assert "task created device_cancellation CAN-201 task approval for person.alice-supervisor" in out
    assert "2026-03-02 12:00  action called bpo.retire_device" in out
    assert (
        "2026-03-02 12:00  task created device_cancellation CAN-201 task tell_employee for person.alice"
        in out
    )
    rejected = CANCELLATION.simulate(capsys, "rejected")
    assert "bpo.retire_device" not in rejected
    assert "task created device_cancellation CAN-201 task tell_employee for person.alice" in rejected


def test_a_runaway_fan_out_is_capped_at_2000_starts_an_hour(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["simulate", str(REPORT.path), "--start", "2026-03-01T08:00", "--days", "1", "--tz", "Asia/Tokyo"]
    argv += ["--employees", "2001", "--answers", str(REPORT.folder / "report-answers-unfiled.yaml")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    summary = out[out.index("Summary") :].rstrip("\n")
    assert summary == REPORT.documented("flood")
    assert "instances started      2000" in summary and "blueprints suspended   1" in summary


def test_every_test_the_pages_requirement_table_names_exists() -> None:
    page = (REPORT.folder.parent / f"{PAGE}.md").read_text("utf-8")
    table = page[page.index("## 3.") : page.index("## 4.")]
    named = set(re.findall(r"(?:::|`)(test_\w+)`", table))
    assert len(named) > 20
    defined = {
        m
        for path in (REPORT.folder.parents[2] / "tests").rglob("test_*.py")
        for m in re.findall(r"^(?:async )?def (test_\w+)", path.read_text("utf-8"), re.M)
    }
    assert named - defined == set()
