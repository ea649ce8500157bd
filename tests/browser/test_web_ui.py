"""The web UI in a real browser: Debian's chromium (playwright-core, tests/browser/panel.mjs) against a
real ``hass`` from scripts/develop, logged in through HA's own login page.

An admin fills a form task in the bpo panel and chooses an outcome: the task leaves the list and the
completion shows in the instance's history; the same run takes the README's screenshots (panel on a
desktop and a phone, the card on a dashboard, an instance history). A non-admin employee linked to a
person sees their own task and no one else's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from ..test_real_hass import ROOT, _call, _develop, _free_port, devserver

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "docs" / "screenshots"
EMPLOYEE = {"username": "erin", "password": "bpo-erin-2025"}
ADMIN = {"username": devserver.DEMO_USER, "password": devserver.DEMO_PASSWORD}


def _card_example() -> dict[str, object]:
    """The card configuration docs/home-assistant.md shows: the dashboard under test uses exactly that."""
    doc = (ROOT / "docs" / "home-assistant.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"<!-- card -->\n```yaml\n(.*?)```", doc, re.S)
    config = yaml.safe_load(block)
    assert isinstance(config, dict) and config["type"] == "custom:bpo-tasks-card"
    return config


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not CHROMIUM.exists():
        return "Debian's chromium is not installed (scripts/setup installs it as root)"
    if not (ROOT / "frontend" / "node_modules" / "playwright-core").is_dir():
        return "frontend/node_modules lacks playwright-core (scripts/setup runs npm ci)"
    return None


def _first_task(base: str, token: str, key: str) -> tuple[str, str]:
    listed = _call(base, token, "list_tasks", {"process": "expense_claim"})
    rows = [row for row in listed["tasks"] if row["key"] == key]  # type: ignore[attr-defined]
    assert len(rows) == 1, rows
    return str(rows[0]["task_id"]), str(rows[0]["task_id"]).rsplit(".", 1)[0]


def _suspend_burst(base: str, token: str) -> None:
    """Two events against burst's one start an hour: the runaway guard suspends it (the Admin tab resumes)."""
    for _ in range(2):
        devserver._request(f"{base}/api/events/bpo_test_burst", {}, token=token)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        (listed,) = devserver.ws_call(base, token, {"type": "bpo/blueprints/list"})
        if any(bp["process"] == "burst" and bp["suspended"] for bp in listed["blueprints"]):  # type: ignore[index]
            return
        time.sleep(0.2)
    raise AssertionError("burst was never suspended")


@pytest.mark.slow
@pytest.mark.timeout(240)
@pytest.mark.skipif(_missing() is not None, reason=str(_missing()))
def test_panel_form_task_history_card_and_employee_view(tmp_path: Path, socket_enabled: None) -> None:
    config = tmp_path / "config"
    devserver.prepare(config)
    for blueprint in (HERE / "blueprints").glob("*.yaml"):
        shutil.copy(blueprint, config / "blueprints" / "bpo")
    # a broken blueprint: the Admin tab shows its problem with file and line
    (config / "blueprints" / "bpo" / "broken.yaml").write_text(
        "blueprint: {name: Broken, domain: bpo}\n"
        "process:\n  key: broken\n  steps:\n    - id: a\n      task: {titel: x}\n",
        encoding="utf-8",
    )
    # the employee (created below as person.erin_employee) works the clerks' queue
    (config / "bpo_directory.yaml").write_text(
        "groups:\n  desk: [person.demo_admin]\n  clerks: [person.erin_employee]\nsupervisors: {}\n",
        encoding="utf-8",
    )
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc, ready = _develop(config, port)
    try:
        assert ready, "scripts/develop never reported ready"
        token = devserver.login(base)
        erin = devserver.add_person_user(base, token, "Erin Employee", **EMPLOYEE)
        assert erin == "person.erin_employee"
        card = _card_example()
        # and a one-task card, whose link leads to the panel
        dashboard = devserver.save_dashboard(
            base, token, [card, {"type": "custom:bpo-tasks-card", "title": "Next", "limit": 1}]
        )
        for key, who in (("e-100", "person.demo_admin"), ("e-101", "person.demo_admin"), ("e-200", erin)):
            _call(base, token, "start", {"process": "expense_claim", "key": key, "fields": {"employee": who}})
        request = {"process": "client_request", "key": "r-1", "fields": {"subject": "March"}}
        _call(base, token, "start", request)
        admin_task, admin_instance = _first_task(base, token, "e-100")
        employee_task, _ = _first_task(base, token, "e-200")
        _suspend_burst(base, token)
        desk = _call(base, token, "list_tasks", {"process": "client_request"})
        desk_task = str(desk["tasks"][0]["task_id"])  # type: ignore[index]

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        plan = {
            "base": base,
            "chromium": str(CHROMIUM),
            "screenshots": str(SCREENSHOTS),
            "failures": str(tmp_path),
            "admin": ADMIN,
            "employee": EMPLOYEE,
            "dashboard": dashboard,
            "cardTitle": card["title"],
            "adminTask": admin_task,
            "adminInstance": admin_instance,
            "employeeTask": employee_task,
            "othersTasks": [admin_task, desk_task],
            "employeePerson": erin,
            "deskTask": desk_task,
            "queueTask": f"{admin_instance}.2",
            "pii": "JP12-3456-7890",
        }
        run = subprocess.run(
            ["node", str(HERE / "panel.mjs"), json.dumps(plan)],
            capture_output=True,
            text=True,
            timeout=150,
            check=False,
        )
        lines = run.stdout.strip().splitlines()
        assert lines, f"panel.mjs printed nothing; stderr:\n{run.stderr}"
        results = json.loads(lines[-1])
        print(f"browser: {len(results['checks'])} checks in {results['seconds']} s")  # pytest -s
        assert results["failures"] == [], results["failures"]
        assert run.returncode == 0, run.stderr
        assert len(results["checks"]) >= 12
        assert sorted(results["screenshots"]) == [
            "admin.png",
            "card.png",
            "instance-history.png",
            "panel-desktop.png",
            "panel-phone.png",
        ]
        assert sorted(results["employee_tasks"]) == sorted([employee_task, f"{admin_instance}.2"])

        # what the browser did reached the engine: the form values and the outcome, the next step open
        done = _call(base, token, "list_tasks", {"process": "expense_claim", "include_closed": True})
        row = next(r for r in done["tasks"] if r["task_id"] == admin_task)  # type: ignore[attr-defined]
        assert row["status"] == "completed" and row["outcome"] == "submit"
        assert row["fields"]["amount"] == 4200 and row["fields"]["category"] == "travel"
        assert row["fields"]["urgent"] is True
        # the employee claimed the clerks' payment task in the panel and finished it
        paid = next(r for r in done["tasks"] if r["task_id"] == f"{admin_instance}.2")  # type: ignore[attr-defined]
        assert paid["status"] == "completed" and paid["assignee"] == erin
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
