"""Boot ``hass`` again and again from a process that has imported Home Assistant once (the kill storm).

Importing Home Assistant takes about 3 of the 4.7 s a boot costs here; a kill storm boots once per kill,
so a soak of 1,000 kills would spend most of its hours importing. This server imports HA and the
integrations the dev configuration loads, then, for each line ``<config dir> <port>`` on stdin, forks a
child that runs ``hass`` on that folder (as ``scripts/devserver.py`` starts it) and prints the child's pid.
The child is a process of its own: a SIGKILL ends it and everything it held in memory, as it ends a
``hass`` started from scratch. Nothing runs in the server but imports, so there is no loop, thread or
open file to share with a child.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

# what a boot of the dev configuration imports, bpo and its platforms included
_PRELOAD = (
    "homeassistant.__main__",
    "homeassistant.bootstrap",
    *(
        f"homeassistant.components.{name}"
        for name in (
            "http",
            "frontend",
            "config",
            "person",
            "logbook",
            "history",
            "recorder",
            "panel_custom",
            "websocket_api",
            "webhook",
            "todo",
            "calendar",
            "sensor",
            "binary_sensor",
            "repairs",
        )
    ),
    *(f"custom_components.bpo{part}" for part in ("", ".todo", ".calendar", ".sensor", ".binary_sensor")),
    "custom_components.bpo.config_flow",
)


def _preload() -> None:
    # this checkout's custom_components, which the dev configuration links bpo from (scripts/devserver.py)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    for name in _PRELOAD:
        __import__(name)


def _child(config: str, port: str) -> None:
    os.setsid()  # its own session, as scripts/devserver.py starts hass
    # stdin and stdout carry the server's protocol: the child's console output goes to a file instead
    log = os.open(Path(config) / "forkserver-console.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.environ["BPO_PORT"] = port
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    import homeassistant.__main__ as ha  # imported by _preload already: a lookup

    # as scripts/devserver.py: HA 2026.2's start-up check accepts the 3.13.0 the machines here have
    ha.REQUIRED_PYTHON_VER = min(ha.REQUIRED_PYTHON_VER, (3, 13, 0))  # type: ignore[attr-defined]
    sys.argv = ["hass", "-c", config, "--skip-pip"]
    code = 1
    try:
        code = ha.main()
    finally:
        os._exit(code)


def main() -> None:
    _preload()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps killed children: no zombies
    print("ready", flush=True)
    for line in sys.stdin:
        config, port = line.split()
        pid = os.fork()
        if pid == 0:
            _child(config, port)
        print(pid, flush=True)


if __name__ == "__main__":
    main()
