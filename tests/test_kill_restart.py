"""SIGKILL right after a service call returns: the acknowledged change survives the restart."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
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


@pytest.mark.slow
def test_sigkill_after_acknowledged_calls_loses_nothing(tmp_path: Path, socket_enabled: None) -> None:
    config = tmp_path / "config"
    devserver.prepare(config)
    (config / "blueprints" / "bpo").mkdir(parents=True, exist_ok=True)
    (config / "blueprints" / "bpo" / "intake.yaml").write_text(MANUAL, encoding="utf-8")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"

    proc = _start_hass(config, port)
    try:
        devserver.bootstrap(base)  # onboarding and the bpo entry
        _wait_for_ha_stores(config)
        token = devserver.login(base)
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

    # restart the way a second scripts/develop does: the folder and the login are reused, no new entry
    (config / "configuration.yaml").write_text(
        (config / "configuration.yaml").read_text(encoding="utf-8") + "# kept across starts\n",
        encoding="utf-8",
    )
    devserver.prepare(config)
    assert (config / "configuration.yaml").read_text(encoding="utf-8").endswith("# kept across starts\n")
    proc = _start_hass(config, port)
    try:
        devserver.bootstrap(base)
        token = devserver.login(base)
        entries = devserver._request(f"{base}/api/config/config_entries/entry?domain=bpo", token=token)
        assert isinstance(entries, list) and len(entries) == 1
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
