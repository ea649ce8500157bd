"""Fixtures for tests that run bpo inside a real Home Assistant core."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from tests.thoroughness import THOROUGH


@pytest.fixture(autouse=True)
def enable_event_loop_debug(event_loop: asyncio.AbstractEventLoop) -> None:
    """asyncio debug mode only when thorough (the harness always turns it on).

    Its stack capture on every callback and future is a third of these tests' time; HA's own
    checks for calls from the wrong thread stay on either way.
    """
    event_loop.set_debug(THOROUGH)


@pytest.fixture(autouse=True)
def ha_test_setup(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Custom integrations on, and a config folder of the test's own (the harness default is shared).

    ``recorder_mock`` must exist before ``hass``; an autouse fixture taking ``hass`` directly would
    create it first, so fixtures are pulled in that order here.
    """
    if "recorder_mock" in request.fixturenames:
        request.getfixturevalue("recorder_mock")
    hass: HomeAssistant = request.getfixturevalue("hass")
    request.getfixturevalue("enable_custom_integrations")
    hass.config.config_dir = str(tmp_path)
    return tmp_path


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """HA's serializer (ids as ANY) and folder (``snapshots/``); syrupy's own fixture wins otherwise."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture(autouse=True)
def fail_on_ha_deprecation_reports() -> Iterator[None]:
    """HA reports deprecated API use by an integration in the log ("Detected that custom integration
    'bpo' ..."): a test that makes bpo use one fails, so deprecations surface before they break.

    A handler of its own on HA's reporting logger: the harness's ``caplog`` would turn on debug logging.
    """
    reports: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if "custom integration 'bpo'" in message and "Detected" in message:
                reports.append(message)

    handler = Collect(logging.WARNING)
    reporter = logging.getLogger("homeassistant.helpers.frame")
    reporter.addHandler(handler)
    try:
        yield
    finally:
        reporter.removeHandler(handler)
    assert not reports, "bpo uses deprecated Home Assistant API:\n" + "\n".join(reports)
