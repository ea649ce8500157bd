"""The harness set-up the HA benchmark needs (the tests' conftest is not loaded from here)."""

from __future__ import annotations

import freezegun
import pytest

import custom_components  # noqa: F401  (ours first, or HA finds the harness's package)

# HA's clock is frozen to fire the monthly schedule on demand, but the event loop's own clock must run:
# asyncio.sleep (the heartbeat, the waits) would never wake up otherwise.
freezegun.configure(extend_ignore_list=["asyncio"])


@pytest.fixture(autouse=True)
def _custom_integrations(enable_custom_integrations: None) -> None:
    """Let HA load bpo from this checkout."""
