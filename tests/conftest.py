"""Make this checkout's ``custom_components`` the one HA's loader finds.

The test harness ships its own ``custom_components`` package; importing ours first puts it in
``sys.modules`` so ``bpo`` resolves here ("Integration not found" otherwise).
"""

from __future__ import annotations

import gc

import pytest
from hypothesis import HealthCheck, settings

import custom_components  # noqa: F401
from tests.thoroughness import THOROUGH

# No deadline: CI machines stall now and then, and a stall is not a failure of the property.
settings.register_profile(
    "bpo", max_examples=1000 if THOROUGH else 100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("bpo")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the real-``hass`` process tests first: started last, they leave one worker idle at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Leave everything imported so far (HA is big) out of every later garbage collection.

    The harness collects garbage after each module; walking HA's import-time objects each time
    cost about 0.2 s a module. Frozen objects are only skipped by the collector, never freed.
    """
    gc.collect()
    gc.freeze()
