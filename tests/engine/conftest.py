"""Fixtures shared by the engine tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest


@pytest.fixture
def host_tz(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Moves the process to another local zone (``TZ``) for one test, as a Home Assistant host runs in its
    own: the engine's times must come from its own zone or UTC, never the host's (``astimezone()`` bare)."""

    def move(zone: str) -> None:
        monkeypatch.setenv("TZ", zone)
        time.tzset()

    yield move
    monkeypatch.undo()
    time.tzset()
