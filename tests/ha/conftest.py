"""Fixtures for tests that run bpo inside a real Home Assistant core."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.syrupy import (
    HomeAssistantSnapshotExtension,
    HomeAssistantSnapshotSerializer,
)
from syrupy.assertion import SnapshotAssertion
from syrupy.types import SerializableData

from tests.thoroughness import THOROUGH


@pytest.fixture(autouse=True)
async def enable_event_loop_debug() -> None:
    """asyncio debug mode only when thorough (the harness always turns it on).

    Its stack capture on every callback and future is a third of these tests' time; HA's own
    checks for calls from the wrong thread stay on either way. Async, so it runs in the test's
    own loop on every leg: newer harnesses no longer have pytest-asyncio's ``event_loop`` fixture.
    """
    asyncio.get_running_loop().set_debug(THOROUGH)


# How HA reports what an integration does wrong, by the integration it found on the stack:
# helpers/frame.py report_usage ("Detected that custom integration 'bpo' ... at <file>, line <n>")
# and helpers/deprecation.py (2026: "The deprecated function X was called from bpo. ...";
# 2025: "X was called from bpo, this is a deprecated function ...").
_BPO_REPORT = re.compile(r"integration 'bpo'|^(?=.*\bdeprecated\b).*\bfrom bpo\b", re.DOTALL)


class HaReports(logging.Handler):
    """Every log record in which Home Assistant reports bpo's use of its API."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    @staticmethod
    def matches(message: str) -> bool:
        return _BPO_REPORT.search(message) is not None

    def emit(self, record: logging.LogRecord) -> None:
        if self.matches(record.getMessage()):
            self.records.append(record)

    def take(self) -> list[str]:
        """The reports so far, as messages; a test that plants one takes it so the guard passes."""
        taken = [record.getMessage() for record in self.records]
        self.records.clear()
        return taken


@pytest.fixture(autouse=True)
def ha_reports() -> Iterator[HaReports]:
    """Fail any test in which HA reports a deprecated (or otherwise wrong) use of its API by bpo.

    HA only logs these for custom integrations until the version that breaks them, so without this
    they would pass unnoticed until users' installs break. Python DeprecationWarnings raised from
    bpo's modules are errors through pyproject's ``filterwarnings``.
    """
    reports = HaReports()
    root = logging.getLogger()
    root.addHandler(reports)
    try:
        yield reports
    finally:
        root.removeHandler(reports)
    if found := reports.take():
        pytest.fail("Home Assistant reports bpo's use of its API:\n" + "\n".join(found), pytrace=False)


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


class _EveryLegSerializer(HomeAssistantSnapshotSerializer):
    """HA's serializer without the registry fields only one tested HA version has.

    HA 2026.2 added ``object_id_base`` and ``suggested_object_id`` to entity registry entries and
    dropped ``is_new`` and ``suggested_area`` from device entries; what bpo sets (names, unique
    ids, categories, device info) is still compared, so one snapshot holds on every leg.
    """

    @classmethod
    def _serializable_device_registry_entry(cls, data: dr.DeviceEntry) -> SerializableData:
        serialized = super()._serializable_device_registry_entry(data)
        for key in ("is_new", "suggested_area"):
            serialized.pop(key, None)
        return serialized

    @classmethod
    def _serializable_entity_registry_entry(cls, data: er.RegistryEntry) -> SerializableData:
        serialized = super()._serializable_entity_registry_entry(data)
        for key in ("object_id_base", "suggested_object_id"):
            serialized.pop(key, None)
        return serialized


class _EveryLegExtension(HomeAssistantSnapshotExtension):
    serializer_class = _EveryLegSerializer


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """HA's serializer (ids as ANY) and folder (``snapshots/``); syrupy's own fixture wins otherwise."""
    return snapshot.use_extension(_EveryLegExtension)
