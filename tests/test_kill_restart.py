"""SIGKILL right after a service call returns: the acknowledged change survives and the store is readable."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import devserver  # noqa: E402

MANUAL = """\
blueprint: {name: Manual intake, domain: bpo}
process:
  key: intake
  start:
    - manual: {}
  fields:
    note: {type: text}
  steps:
    - id: triage
      task: {title: "Triage {{ fields.note }}", group: desk, outcomes: [accept, reject]}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_hass(config: Path, port: int) -> subprocess.Popen[bytes]:
    hass = Path(sys.executable).parent / "hass"
    proc = subprocess.Popen(
        [str(hass), "-c", str(config), "--skip-pip"],
        env={**os.environ, "BPO_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=(config / "hass.err").open("ab"),
    )
    try:
        devserver.wait_until_up(f"http://127.0.0.1:{port}", proc)
    except RuntimeError:
        proc.kill()  # never leave a hass behind when the test fails here
        proc.wait(timeout=30)
        raise
    return proc


def _call(base: str, token: str, service: str, data: dict[str, object]) -> dict[str, object]:
    result = devserver._request(f"{base}/api/services/bpo/{service}?return_response", data, token=token)
    assert isinstance(result, dict)
    response = result["service_response"]
    assert isinstance(response, dict)
    return response


@pytest.mark.slow
def test_sigkill_after_acknowledged_calls_loses_nothing(tmp_path: Path, socket_enabled: None) -> None:
    config = tmp_path / "config"
    devserver.prepare(config)
    (config / "blueprints" / "bpo").mkdir(parents=True, exist_ok=True)
    (config / "blueprints" / "bpo" / "intake.yaml").write_text(MANUAL, encoding="utf-8")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"

    # first start: onboarding and the bpo entry, then a clean stop so HA's own (delayed) stores are flushed
    proc = _start_hass(config, port)
    try:
        devserver.bootstrap(base)
    finally:
        proc.terminate()
        assert proc.wait(timeout=60) == 0

    proc = _start_hass(config, port)
    try:
        token = devserver.login(base)
        devserver.wait_for_entry(base, token)
        first = _call(
            base, token, "start", {"process": "intake", "key": "call-1", "fields": {"note": "printer"}}
        )
        second = _call(base, token, "start", {"process": "intake", "key": "call-2"})
        task_id = f"{second['instance_id']}"
    finally:
        proc.send_signal(signal.SIGKILL)  # no shutdown, no final save
        proc.wait(timeout=30)

    # every bpo store file on disk is complete JSON
    files = sorted((config / ".storage").glob("bpo.*"))
    assert files
    for file in files:
        if file.suffix in {"", ".json"} or "shard" in file.name or "meta" in file.name:
            json.loads(file.read_text(encoding="utf-8"))

    proc = _start_hass(config, port)
    try:
        token = devserver.login(base)
        devserver.wait_for_entry(base, token)
        again = _call(base, token, "start", {"process": "intake", "key": "call-1"})
        # idempotent start returns the instance acknowledged before the kill: it was on disk
        assert again["instance_id"] == first["instance_id"]
        assert again["status"] == "running"
        # and nothing was started twice
        third = _call(base, token, "start", {"process": "intake", "key": "call-3"})
        assert third["instance_id"] not in {first["instance_id"], task_id}
    finally:
        proc.terminate()
        assert proc.wait(timeout=60) == 0
