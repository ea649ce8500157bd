"""``bpo simulate`` on the shipped work-from-home blueprints with the scenario files of their docs page.

Together the runs of each blueprint take every one of its steps (tasks, timeouts, waits, ends); each run's
summary is the one docs/scenarios/work-from-home.md shows; and no personal-data step is ever given to the
home agents' group.
"""

from __future__ import annotations

import re

import pytest

from .scenario_sims import Sim, check_runs

CONTACT = Sim(
    "work-from-home", "contact", "wfh_contact", "2026-03-02T09:00", 1, ("on-time", "idle", "refused")
)
OUTBOUND = Sim(
    "work-from-home", "outbound", "wfh_outbound_call", "2026-03-02T09:00", 2, ("reached", "unreachable")
)
LIST = Sim("work-from-home", "list", "wfh_outbound_list", "2026-03-02T09:00", 2, ("reached", "unreachable"))
CENTER_STEPS = {"identity_check", "answer_from_center", "call_back"}


@pytest.mark.parametrize("sim", [CONTACT, OUTBOUND, LIST], ids=lambda s: s.prefix)
def test_the_runs_take_every_step_and_print_the_documented_summaries(
    capsys: pytest.CaptureFixture[str], sim: Sim
) -> None:
    outs = check_runs(sim, capsys)
    if sim is CONTACT:  # the personal-data path ends cancelled when the identity check fails
        assert "ended: cancelled" in outs["refused"]


def test_personal_data_steps_go_to_the_center_and_idle_home_work_returns_to_the_queue(
    capsys: pytest.CaptureFixture[str],
) -> None:
    idle = CONTACT.simulate(capsys, "idle")
    created = re.findall(r"task created wfh_contact (C-\d) task (\w+) for ([\w-]+)", idle)
    assert created
    for _key, step, who in created:
        if step in CENTER_STEPS:
            assert who == "center_agents", (step, who)
        else:
            assert who.startswith("home_agents"), (step, who)
    # a home task offered to one agent and left idle went back to the home queue 20 minutes later, the same
    # task (created once), and was finished from the queue
    assert "2026-03-02 09:30  timeout      wfh_contact C-2 step answer_at_home timed out -> requeue" in idle
    assert (
        "2026-03-02 09:30  task reassigned wfh_contact C-2 task answer_at_home back in the queue of "
        "home_agents (home_agents-member stayed idle)" in idle
    )
    assert idle.count("task created wfh_contact C-2 task answer_at_home") == 1
    # a task nobody held (C-4, started by hand, waits in the queue) never times out
    assert "C-4 step answer_at_home timed out" not in idle
    # the slow identity check was escalated to the supervisors
    assert "task identity_check escalated (escalation) to group:center_supervisors" in idle

    on_time = CONTACT.simulate(capsys, "on-time")
    # C-1 was delivered twice while it ran: one instance
    assert on_time.count("instance started wfh_contact C-1 started") == 1
    # the reason decides the path: C-2 (opening hours) and C-4 (product question) never see the center
    assert re.findall(r"wfh_contact (C-[24]) task (\w+) for", on_time) == [
        ("C-2", "answer_at_home"),
        ("C-4", "answer_at_home"),
    ]


def test_a_list_is_one_instance_calling_one_entry_process_per_entry(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = LIST.simulate(capsys, "unreachable")
    assert out.count("instance started wfh_outbound_list") == 2
    for n in range(3):
        assert f"instance started wfh_outbound_call spring/calls/{n} started" in out
        # every entry keeps its own three attempts
        assert out.count(f"task created wfh_outbound_call spring/calls/{n} task call for home_agents") == 3
    last = max(out.index(f"instance cancelled wfh_outbound_call spring/calls/{n}") for n in range(3))
    assert out.index("task created wfh_outbound_list spring task list_result for center_supervisors") > last
