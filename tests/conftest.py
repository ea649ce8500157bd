"""Make this checkout's ``custom_components`` the one HA's loader finds.

The test harness ships its own ``custom_components`` package; importing ours first puts it in
``sys.modules`` so ``bpo`` resolves here ("Integration not found" otherwise).
"""

from __future__ import annotations

import gc

import pytest

import custom_components  # noqa: F401


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
