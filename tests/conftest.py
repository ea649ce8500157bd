"""Make this checkout's ``custom_components`` the one HA's loader finds.

The test harness ships its own ``custom_components`` package; importing ours first puts it in
``sys.modules`` so ``bpo`` resolves here ("Integration not found" otherwise).
"""

from __future__ import annotations

import asyncio
import functools
import gc
import warnings

import pytest
from hypothesis import HealthCheck, settings

import custom_components  # noqa: F401
from tests.thoroughness import THOROUGH, TIMEOUT_FACTOR

# No deadline: CI machines stall now and then, and a stall is not a failure of the property.
settings.register_profile(
    "bpo", max_examples=1000 if THOROUGH else 100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("bpo")


@functools.cache
def _loop_for_plain_tests() -> asyncio.AbstractEventLoop:
    return asyncio.new_event_loop()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Give a plain test a current event loop again once an ``asyncio.run()`` has cleared it.

    The 2026 harness's autouse fixtures (``verify_cleanup``, ``enable_event_loop_debug``) ask asyncio
    for the current loop in every test of the session, plain ones too; HA's loop policy makes one
    only until the first ``set_event_loop(None)``, which ``asyncio.run()`` does as it ends. (The 2025
    harness gave each test a fresh loop through the ``event_loop`` fixture.)
    """
    policy = asyncio.get_event_loop_policy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "There is no current event loop"
        try:
            policy.get_event_loop()
        except RuntimeError:
            policy.set_event_loop(_loop_for_plain_tests())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the real-``hass`` process tests first: started last, they leave one worker idle at the end.

    In thorough mode a test without a timeout of its own gets the longer one (tests/thoroughness.py).
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
    if TIMEOUT_FACTOR != 1:
        timeout = pytest.mark.timeout(float(config.getini("timeout")) * TIMEOUT_FACTOR)
        for item in items:
            if item.get_closest_marker("timeout") is None:
                item.add_marker(timeout)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Leave everything imported so far (HA is big) out of every later garbage collection.

    The harness collects garbage after each module; walking HA's import-time objects each time
    cost about 0.2 s a module. Frozen objects are only skipped by the collector, never freed.
    """
    gc.collect()
    gc.freeze()
