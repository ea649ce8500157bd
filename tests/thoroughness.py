"""How hard the suite digs: quick by default, thorough where CI asks for it (``BPO_THOROUGH=1``).

Thorough mode runs asyncio in debug mode for the HA tests (as the harness does by default; it
costs about a third of their time) and gives every hypothesis property ten times the examples.
Every test runs in both modes; only the depth of the search and the loop's self-checks differ.
"""

from __future__ import annotations

import os

THOROUGH = os.environ.get("BPO_THOROUGH", "") not in ("", "0")
