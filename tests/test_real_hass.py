"""A real ``hass`` from scripts/develop: it serves bpo, and a SIGKILL loses no acknowledged work.

One lifecycle, two boots (each costs seconds of CPU): the first start is the newcomer's smoke
test; SIGKILL lands right after acknowledged service calls; the second start reuses the folder,
shows the work survived, and stops cleanly.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import devserver  # noqa: E402


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _develop(config: Path, port: int) -> tuple[subprocess.Popen[bytes], str]:
    """Start scripts/develop; return it with its "ready" line ("" if it never came)."""
    proc = subprocess.Popen(
        [str(ROOT / "scripts" / "develop"), "--config", str(config), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "BPO_PORT": str(port)},
    )
    deadline = time.monotonic() + 180
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline().decode(errors="replace")
        if not line and proc.poll() is not None:
            break
        if "dev server ready" in line:
            return proc, line
    return proc, ""


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (hass runs in its own session, out of the test's reach)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _wait_for_ha_stores(config: Path, timeout: float = 30) -> None:
    """HA saves its own users and config entries a second after a change: the kill must not beat that.

    Only bpo promises durability at acknowledgement; without this wait the test would measure HA's
    delayed writes instead (the restart would have no login and no bpo entry).
    """
    storage = config / ".storage"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            users = json.loads((storage / "auth").read_text(encoding="utf-8"))["data"]["users"]
            entries = json.loads((storage / "core.config_entries").read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError):
            users, entries = [], {}
        if any(user.get("name") == "Demo Admin" for user in users) and any(
            entry.get("domain") == "bpo" for entry in entries.get("data", {}).get("entries", [])
        ):
            return
        time.sleep(0.2)
    raise AssertionError("HA never saved the demo admin and the bpo entry")


def _call(base: str, token: str, service: str, data: dict[str, object]) -> dict[str, object]:
    result = devserver._request(f"{base}/api/services/bpo/{service}?return_response", data, token=token)
    assert isinstance(result, dict)
    response = result["service_response"]
    assert isinstance(response, dict)
    return response


def _get(base: str, path: str, token: str) -> object:
    req = urllib.request.Request(f"{base}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def _assert_every_shipped_blueprint_runs(config: Path, base: str, token: str) -> None:
    """bpo copied every shipped blueprint into the config folder and loaded it: each has its process device,
    shown through its "Open instances" sensor (an invalid file would have none, only a Repairs issue)."""
    from custom_components.bpo.engine.schema import load_blueprint

    shipped = sorted((ROOT / "blueprints" / "bpo").glob("*.yaml"))
    assert len(shipped) > 1
    assert all((config / "blueprints" / "bpo" / path.name).is_file() for path in shipped)
    states = _get(base, "/api/states", token)
    assert isinstance(states, list)
    loaded = {
        state["attributes"].get("friendly_name", "").removesuffix(" Open instances")
        for state in states
        if state["entity_id"].endswith("_open_instances")
    }
    names = {load_blueprint(path).name for path in shipped}
    assert names <= loaded, names - loaded


@pytest.mark.slow
@pytest.mark.timeout(600)  # two boots of a real hass, each allowed 180 s to come up
def test_develop_serves_bpo_and_sigkill_loses_no_acknowledged_work(
    tmp_path: Path, socket_enabled: None
) -> None:
    config = tmp_path / "config"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"

    # first start: onboarding done through HA's API, the demo login printed, bpo loaded
    proc, ready = _develop(config, port)
    try:
        assert ready, "scripts/develop never reported ready"
        assert base in ready
        assert f"login: {devserver.DEMO_USER} / {devserver.DEMO_PASSWORD}" in ready
        token = devserver.login(base)
        api = _get(base, "/api/", token)
        assert isinstance(api, dict) and api["message"] == "API running."
        core = _get(base, "/api/config", token)
        assert isinstance(core, dict) and "bpo" in core["components"]
        steps = devserver._request(f"{base}/api/onboarding")
        assert isinstance(steps, list) and steps and all(step["done"] for step in steps)
        _assert_every_shipped_blueprint_runs(config, base, token)

        # acknowledged work: the demo blueprint's requests land in the desk queue
        _wait_for_ha_stores(config)
        first = _call(
            base, token, "start", {"process": "client_request", "key": "r-1", "fields": {"subject": "March"}}
        )
        assert first["status"] == "running"
        queue = _get(base, "/api/states/todo.bpo_workflows_queue_desk", token)
        assert isinstance(queue, dict) and queue["state"] == "1"
        second = _call(
            base, token, "start", {"process": "client_request", "key": "r-2", "fields": {"subject": "April"}}
        )
    finally:
        for pid in _children(proc.pid):
            os.kill(pid, signal.SIGKILL)  # hass: no shutdown, no final save
        proc.wait(timeout=30)

    # the state on disk reads back whole (every journal line's checksum holds) with both acknowledged starts
    import asyncio

    from custom_components.bpo.durable.journal import JournalStore

    meta, records = asyncio.run(JournalStore(config / ".storage" / "bpo").load())
    assert {first["instance_id"], second["instance_id"]} <= {r["id"] for r in records}
    assert meta is not None and meta["counter"] >= 2
    assert not list((config / ".storage" / "bpo").glob("*.tmp"))

    # second start: the folder (with the admin's own edits), the login and the bpo entry are reused
    configuration = config / "configuration.yaml"
    configuration.write_text(configuration.read_text(encoding="utf-8") + "# mine\n", encoding="utf-8")
    proc, ready = _develop(config, port)
    try:
        assert ready, "scripts/develop did not come up a second time"
        assert configuration.read_text(encoding="utf-8").endswith("# mine\n")
        token = devserver.login(base)
        entries = devserver._request(f"{base}/api/config/config_entries/entry?domain=bpo", token=token)
        assert isinstance(entries, list) and len(entries) == 1
        # an idempotent start returns the instance acknowledged before the kill: it was on disk
        again = _call(base, token, "start", {"process": "client_request", "key": "r-1"})
        assert again["instance_id"] == first["instance_id"]
        assert again["status"] == "running"
        queue = _get(base, "/api/states/todo.bpo_workflows_queue_desk", token)
        assert isinstance(queue, dict) and queue["state"] == "2"  # both requests, neither doubled
        third = _call(
            base, token, "start", {"process": "client_request", "key": "r-3", "fields": {"subject": "May"}}
        )
        assert third["instance_id"] not in {first["instance_id"], second["instance_id"]}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # develop forwards it to hass once: a clean stop
        code = proc.wait(timeout=60)
    assert code == 0
