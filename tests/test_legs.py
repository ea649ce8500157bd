"""What CI relies on in the test setup: a timeout on every test, and a lock that pins everything."""

from __future__ import annotations

import re
from importlib.metadata import distributions
from pathlib import Path

import pytest
from homeassistant.const import __version__ as HA_VERSION

from tests.thoroughness import TIMEOUT_FACTOR

ROOT = Path(__file__).resolve().parent.parent


def test_every_test_runs_under_a_timeout(pytestconfig: pytest.Config, request: pytest.FixtureRequest) -> None:
    """A hang fails with a traceback (pytest-timeout) instead of stalling CI until its limit."""
    assert pytestconfig.pluginmanager.hasplugin("timeout")
    assert float(pytestconfig.getini("timeout")) == 60
    # thorough mode (CI) scales the timeout of a test that sets none, as this one
    marker = request.node.get_closest_marker("timeout")
    assert (marker.args[0] if marker else 60) == 60 * TIMEOUT_FACTOR


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_legs_lock_pins_every_installed_package() -> None:
    """A package missing from the lock is resolved afresh on a cold build: pip may backtrack for an hour."""
    lock = ROOT / f"requirements-lock-{HA_VERSION.split('.')[0]}.txt"
    pinned = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pinned[_canonical(name)] = version
    installed = {_canonical(d.metadata["Name"]): d.version for d in distributions()}
    installed.pop("pip")
    assert installed == pinned
