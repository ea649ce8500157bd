"""scripts/develop starts a real Home Assistant with bpo that answers with the demo login."""

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


def _develop(tmp_path: Path, port: int) -> tuple[subprocess.Popen[bytes], str]:
    """Start scripts/develop; return it with its "ready" line ("" if it never came)."""
    proc = subprocess.Popen(
        [str(ROOT / "scripts" / "develop"), "--config", str(tmp_path / "config"), "--port", str(port)],
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


@pytest.mark.slow
def test_develop_starts_hass_with_bpo(tmp_path: Path, socket_enabled: None) -> None:
    port = _free_port()
    proc, ready = _develop(tmp_path, port)
    try:
        assert ready, "scripts/develop never reported ready"
        assert f"http://127.0.0.1:{port}" in ready
        assert f"login: {devserver.DEMO_USER} / {devserver.DEMO_PASSWORD}" in ready

        base = f"http://127.0.0.1:{port}"
        token = devserver.login(base)
        req = urllib.request.Request(f"{base}/api/", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert json.loads(resp.read())["message"] == "API running."
        req = urllib.request.Request(f"{base}/api/config", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert "bpo" in json.loads(resp.read())["components"]
        # the demo blueprint runs: a started request lands in the desk queue's to-do list
        started = devserver._request(
            f"{base}/api/services/bpo/start?return_response",
            {"process": "client_request", "fields": {"subject": "March payroll"}},
            token=token,
        )
        assert isinstance(started, dict)
        assert started["service_response"]["status"] == "running"
        queue = devserver._request(f"{base}/api/states/todo.bpo_workflows_queue_desk", token=token)
        assert isinstance(queue, dict)
        assert queue["state"] == "1"
        # the demo admin came from HA's onboarding, which is now complete
        steps = devserver._request(f"{base}/api/onboarding")
        assert isinstance(steps, list)
        assert steps and all(step["done"] for step in steps)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        code = proc.wait(timeout=60)
    assert code == 0
