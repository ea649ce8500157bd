"""Fixtures for tests that run bpo inside a real Home Assistant core."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let HA load custom integrations (bpo) in every test of this folder."""
