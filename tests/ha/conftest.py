"""Fixtures for tests that run bpo inside a real Home Assistant core."""

from __future__ import annotations

from pathlib import Path

import pytest
from homeassistant.core import HomeAssistant


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let HA load custom integrations (bpo) in every test of this folder."""


@pytest.fixture(autouse=True)
def isolated_config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Each test gets its own config folder (the harness default is shared and persists)."""
    hass.config.config_dir = str(tmp_path)
    return tmp_path
