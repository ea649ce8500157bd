"""How hard the suite digs: quick by default, thorough where CI asks for it (``BPO_THOROUGH=1``).

Thorough mode runs asyncio in debug mode for the HA tests (as the harness does by default; it
costs about a third of their time) and gives every hypothesis property ten times the examples.
Every test runs in both modes; only the depth of the search and the loop's self-checks differ.
Thorough mode also gives every test five times pyproject's timeout (60 s): the longest property
takes about 45 s then on two busy cores, and a hang still fails long before CI's own limit.
"""

from __future__ import annotations

import os

THOROUGH = os.environ.get("BPO_THOROUGH", "") not in ("", "0")
# Multiplies the timeout of every test that does not set its own (tests/conftest.py).
TIMEOUT_FACTOR = 5 if THOROUGH else 1
