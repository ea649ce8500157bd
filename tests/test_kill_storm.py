"""Kill storm: a real ``hass`` is SIGKILLed again and again while acknowledged starts and completions are in
flight over its REST API; afterwards every acknowledged operation is there, once, and the files read back.

``BPO_KILL_STORM`` sets the number of kills (30 in CI, 3 in a quick local run; a soak run sets 1000).
The first boot is ``scripts/develop`` (it creates the admin and the bpo entry; the client takes a
long-lived token, as an integration's client would). Every later boot is a new ``hass`` process forked
from ``tests/hass_forkserver.py``, which has Home Assistant and bpo imported already, so a boot costs
about 3 s instead of 6-7 (imports were most of it). Each cycle runs a client thread that starts requests
and completes their first task as fast as HA answers, and kills hass at a random moment 0.3-1.5 s later.
A request whose answer never came is not acknowledged and may or may not have happened; one that was
answered must survive. The final check boots through ``scripts/develop`` again.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from custom_components.bpo.durable.journal import JournalStore

from .test_real_hass import _call, _children, _develop, _free_port, _wait_for_ha_stores, devserver
from .thoroughness import THOROUGH

# 30 in CI (thorough); 3 in a quick local run, so scripts/test stays short
KILLS = int(os.environ.get("BPO_KILL_STORM", "30" if THOROUGH else "3"))


@dataclass
class Acked:
    starts: dict[str, str] = field(default_factory=dict)  # key -> instance id
    completions: set[str] = field(default_factory=set)  # task ids
    lock: threading.Lock = field(default_factory=threading.Lock)


def _client(base: str, token: str, prefix: str, acked: Acked, stop: threading.Event) -> None:
    """Start a request, then complete its triage task, until hass stops answering."""
    n = 0
    pending: list[str] = []
    while not stop.is_set():
        try:
            if pending:
                task_id = pending.pop()
                _call(base, token, "complete_task", {"task_id": task_id, "outcome": "accept"})
                with acked.lock:
                    acked.completions.add(task_id)
            else:
                key = f"{prefix}-{n}"
                n += 1
                done = _call(base, token, "start", {"process": "client_request", "key": key})
                with acked.lock:
                    acked.starts[key] = str(done["instance_id"])
                if n % 2:
                    pending.append(f"{done['instance_id']}.1")  # the triage task is the first token
        except (urllib.error.URLError, http.client.HTTPException, ValueError, OSError):
            return  # killed mid-request or mid-answer: that operation was never acknowledged


def _kill(proc: subprocess.Popen[bytes]) -> None:
    for pid in _children(proc.pid):
        os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=30)


class ForkServer:
    """``tests/hass_forkserver.py``: boots after the first come from a process with HA imported already."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("hass_forkserver.py"))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"

    def boot(self, config: Path, port: int) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{config} {port}\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)


class _Alive:
    """A forked hass as ``devserver.wait_until_up`` asks about it: has it ended?"""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            self.returncode = -1
        return self.returncode


def _kill_pid(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the fork server's kernel reaps it; then the pid is gone
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)
    raise AssertionError(f"hass {pid} outlived SIGKILL")


LONG_LIVED = {"type": "auth/long_lived_access_token", "client_name": "kill storm", "lifespan": 30}


def _wait_for_token_saved(config: Path, timeout: float = 30) -> None:
    """HA saves its auth store a moment after a change; the first kill must not beat the new token."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data = json.loads((config / ".storage" / "auth").read_text(encoding="utf-8"))["data"]
        except (OSError, ValueError, KeyError):
            data = {}
        if any(t.get("client_name") == "kill storm" for t in data.get("refresh_tokens", [])):
            return
        time.sleep(0.2)
    raise AssertionError("HA never saved the long-lived token")


def _storm_cycle(base: str, token: str, prefix: str, acked: Acked, pause: float) -> threading.Thread:
    stop = threading.Event()
    client = threading.Thread(target=_client, args=(base, token, prefix, acked, stop))
    client.start()
    time.sleep(pause)
    return client


@pytest.mark.slow
@pytest.mark.timeout(60 + 40 * KILLS)
def test_kill_storm_loses_and_duplicates_nothing_acknowledged(tmp_path: Path, socket_enabled: None) -> None:
    config = tmp_path / "config"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    rng = random.Random(KILLS)
    acked = Acked()
    # the first boot lays out the folder and creates the admin and the bpo entry (scripts/develop)
    proc, ready = _develop(config, port)
    try:
        assert ready, "hass did not come up"
        # a long-lived token, as an integration's client holds one: later boots need no login (a login
        # hashes the password, a quarter of a second of CPU per boot)
        token = str(devserver.ws_call(base, devserver.login(base), LONG_LIVED)[0])
        _wait_for_ha_stores(config)
        _wait_for_token_saved(config)
        client = _storm_cycle(base, token, "c0", acked, rng.uniform(0.3, 1.5))
    finally:
        _kill(proc)
    client.join(timeout=30)
    server = ForkServer()
    try:
        for cycle in range(1, KILLS):
            pid = server.boot(config, port)
            try:
                devserver.wait_until_up(base, _Alive(pid))
                devserver.wait_for_entry(base, token)
                client = _storm_cycle(base, token, f"c{cycle}", acked, rng.uniform(0.3, 1.5))
            finally:
                _kill_pid(pid)
            client.join(timeout=30)
            if (cycle + 1) % 50 == 0:  # a soak runs for hours: show it is moving (pytest -s)
                print(f"kill storm: {cycle + 1} kills, {len(acked.starts)} starts acknowledged", flush=True)
    finally:
        server.close()

    # every acknowledged start answers with its own instance; every acknowledged completion is done
    proc, ready = _develop(config, port)
    try:
        assert ready
        token = devserver.login(base)
        for key, instance_id in acked.starts.items():
            again = _call(base, token, "start", {"process": "client_request", "key": key})
            assert again["instance_id"] == instance_id, key  # lost would be a new id
        assert len(set(acked.starts.values())) == len(acked.starts)  # no id handed out twice
        listed = _call(base, token, "list_tasks", {"process": "client_request", "include_closed": True})
        rows: list[dict[str, Any]] = list(listed["tasks"])  # type: ignore[call-overload]
        status = {row["task_id"]: row["status"] for row in rows}
        assert all(status.get(task_id) == "completed" for task_id in acked.completions)
        # no instance beyond the acknowledged ones and those whose answer was lost in a kill
        instances = {str(row["task_id"]).rsplit(".", 1)[0] for row in rows}
        assert set(acked.starts.values()) <= instances
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=60) == 0

    directory = config / ".storage" / "bpo"
    _meta, records = asyncio.run(JournalStore(directory).load())
    assert {r["id"] for r in records} >= set(acked.starts.values())
    assert not list(directory.glob("*.tmp"))
    print(  # the figures for the note (pytest -s)
        f"kill storm: {KILLS} kills, {len(acked.starts)} acknowledged starts, "
        f"{len(acked.completions)} acknowledged completions, lost 0, duplicated 0"
    )
    assert len(acked.starts) >= KILLS  # the storm really hit work in flight
