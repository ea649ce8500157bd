"""Start a real Home Assistant with bpo for local use (called by scripts/develop).

First start: copies config_examples/ into the runtime folder, marks every onboarding step
but "user" done, starts ``hass``, then creates the demo admin through HA's own onboarding
API and adds the bpo config entry through the config-flow API, so nothing is faked.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Protocol

ROOT = Path(__file__).resolve().parent.parent
DEMO_USER = "admin"
DEMO_PASSWORD = "bpo-demo-2025"


def prepare(config_dir: Path) -> None:
    """Lay out the runtime folder once; later starts keep whatever the user changed."""
    config_dir.mkdir(parents=True, exist_ok=True)
    for src in (ROOT / "config_examples").iterdir():
        dst = config_dir / src.name
        if dst.exists():
            continue
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)
    # HA loads custom integrations from <config>/custom_components: link this checkout's bpo there.
    custom = config_dir / "custom_components"
    custom.mkdir(exist_ok=True)
    link = custom / "bpo"
    if not link.is_symlink() or link.resolve() != ROOT / "custom_components" / "bpo":
        link.unlink(missing_ok=True)
        link.symlink_to(ROOT / "custom_components" / "bpo", target_is_directory=True)
    storage = config_dir / ".storage"
    storage.mkdir(exist_ok=True)
    onboarding = storage / "onboarding"
    if not onboarding.exists():
        # The user step stays open so the admin is created by HA's own onboarding view.
        done = {"done": ["core_config", "analytics", "integration"]}
        onboarding.write_text(
            json.dumps({"version": 4, "minor_version": 1, "key": "onboarding", "data": done}),
            encoding="utf-8",
        )


def _request(
    url: str, data: dict[str, object] | None = None, token: str | None = None, form: bool = False
) -> object:
    body: bytes | None = None
    headers = {}
    if data is not None:
        if form:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=body, headers=headers)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"null")


class Process(Protocol):
    """What ``wait_until_up`` asks of the process it waits for (a ``Popen``, or a pid's stand-in)."""

    returncode: int | None

    def poll(self) -> int | None: ...


def wait_until_up(base: str, proc: Process, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"hass exited early with code {proc.returncode}")
        try:
            _request(f"{base}/auth/providers")  # answers without a token once HTTP is up
            return
        except urllib.error.HTTPError:
            return  # before onboarding it answers 400: still, the server is up
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"hass did not answer on {base} within {timeout:.0f} s")


def wait_for_entry(base: str, token: str, domain: str = "bpo", timeout: float = 60) -> None:
    """HTTP answers before every config entry is set up; wait until ``domain``'s entry is loaded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        entries = _request(f"{base}/api/config/config_entries/entry?domain={domain}", token=token)
        if isinstance(entries, list) and any(e.get("state") == "loaded" for e in entries):
            return
        time.sleep(0.1)
    raise RuntimeError(f"the {domain} entry did not load within {timeout:.0f} s; see home-assistant.log")


def login(base: str, username: str = DEMO_USER, password: str = DEMO_PASSWORD) -> str:
    """Log in through HA's login flow, as the frontend does; return an access token."""
    client_id = f"{base}/"
    flow = _request(
        f"{base}/auth/login_flow",
        {"client_id": client_id, "handler": ["homeassistant", None], "redirect_uri": client_id},
    )
    assert isinstance(flow, dict)
    result = _request(
        f"{base}/auth/login_flow/{flow['flow_id']}",
        {"client_id": client_id, "username": username, "password": password},
    )
    assert isinstance(result, dict)
    if result.get("type") != "create_entry":
        raise RuntimeError(f"login refused: {result.get('errors')}")
    return _exchange(base, str(result["result"]))


def _exchange(base: str, code: str) -> str:
    token = _request(
        f"{base}/auth/token",
        {"grant_type": "authorization_code", "code": code, "client_id": f"{base}/"},
        form=True,
    )
    assert isinstance(token, dict)
    return str(token["access_token"])


def bootstrap(base: str) -> None:
    """Create the demo admin (first start only) and make sure bpo has its config entry."""
    try:
        steps = _request(f"{base}/api/onboarding")
    except urllib.error.HTTPError:
        steps = []  # HA drops the onboarding views once onboarding is complete
    assert isinstance(steps, list)
    pending = any(s["step"] == "user" and not s["done"] for s in steps)
    if pending:
        created = _request(
            f"{base}/api/onboarding/users",
            {
                "client_id": f"{base}/",
                "name": "Demo Admin",
                "username": DEMO_USER,
                "password": DEMO_PASSWORD,
                "language": "en",
            },
        )
        assert isinstance(created, dict)
        token = _exchange(base, str(created["auth_code"]))
    else:
        token = login(base)
    entries = _request(f"{base}/api/config/config_entries/entry?domain=bpo", token=token)
    if not entries:
        flow = _request(f"{base}/api/config/config_entries/flow", {"handler": "bpo"}, token=token)
        assert isinstance(flow, dict)
        _request(f"{base}/api/config/config_entries/flow/{flow['flow_id']}", {}, token=token)
    wait_for_entry(base, token)


def ws_call(base: str, token: str, *commands: dict[str, object]) -> list[object]:
    """Send websocket commands (HA has no REST API for users, persons or dashboards); return their results."""
    import asyncio

    import aiohttp

    async def run() -> list[object]:
        results: list[object] = []
        async with aiohttp.ClientSession() as session, session.ws_connect(f"{base}/api/websocket") as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": token})
            if (await ws.receive_json())["type"] != "auth_ok":
                raise RuntimeError("websocket login refused")
            for number, command in enumerate(commands, start=1):
                await ws.send_json({"id": number, **command})
                while (answer := await ws.receive_json(timeout=30)).get("id") != number:
                    pass  # an event of an earlier subscription
                if not answer.get("success"):
                    raise RuntimeError(f"{command['type']} failed: {answer.get('error')}")
                results.append(answer.get("result"))
        return results

    return asyncio.run(run())


def add_person_user(base: str, token: str, name: str, username: str, password: str) -> str:
    """A non-admin HA user (``username``/``password``) linked to a new person; returns its entity id."""
    (created,) = ws_call(
        base, token, {"type": "config/auth/create", "name": name, "group_ids": ["system-users"]}
    )
    assert isinstance(created, dict)
    user_id = created["user"]["id"]
    _, person = ws_call(
        base,
        token,
        {
            "type": "config/auth_provider/homeassistant/create",
            "user_id": user_id,
            "username": username,
            "password": password,
        },
        {"type": "person/create", "name": name, "user_id": user_id},
    )
    assert isinstance(person, dict)
    return f"person.{person['id']}"


def save_dashboard(base: str, token: str, cards: list[dict[str, object]], url_path: str = "bpo-demo") -> str:
    """A dashboard at ``/<url_path>/work`` (storage mode, in the sidebar) showing ``cards``; its URL."""
    dashboard = {"url_path": url_path, "title": "BPO demo", "icon": "mdi:briefcase-check", "mode": "storage"}
    config = {"title": "BPO demo", "views": [{"title": "Work", "path": "work", "cards": cards}]}
    ws_call(
        base,
        token,
        {"type": "lovelace/dashboards/create", "show_in_sidebar": True, "require_admin": False, **dashboard},
        {"type": "lovelace/config/save", "url_path": url_path, "config": config},
    )
    return f"/{url_path}/work"


# The `hass` command, except that HA 2026.2's start-up check (at least Python 3.13.2) accepts the
# 3.13.0 the machines here have, on which its test harness runs the whole suite (scripts/setup).
HASS_MAIN = (
    "import sys, homeassistant.__main__ as ha; "
    "ha.REQUIRED_PYTHON_VER = min(ha.REQUIRED_PYTHON_VER, (3, 13, 0)); "
    "sys.exit(ha.main())"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default=str(ROOT / "run" / "develop"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("BPO_PORT", "8123")))
    args = parser.parse_args(argv)
    config_dir = Path(args.config).resolve()
    prepare(config_dir)
    base = f"http://127.0.0.1:{args.port}"
    env = {**os.environ, "BPO_PORT": str(args.port)}
    # hass gets its own session so a terminal's Ctrl-C reaches it once, through forward(), not twice
    # (a second signal during shutdown would kill it mid-save).
    proc = subprocess.Popen(
        [sys.executable, "-c", HASS_MAIN, "-c", str(config_dir), "--skip-pip"],
        env=env,
        start_new_session=True,
    )

    def forward(signum: int, _frame: object) -> None:
        proc.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    try:
        wait_until_up(base, proc)
        bootstrap(base)
    except (RuntimeError, urllib.error.URLError) as err:
        print(f"scripts/develop: {err}", file=sys.stderr)
        proc.terminate()
        proc.wait(timeout=30)
        return 1
    print(
        f"bpo dev server ready: {base}  login: {DEMO_USER} / {DEMO_PASSWORD}  config: {config_dir}",
        flush=True,
    )
    code = proc.wait()
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    raise SystemExit(main())
