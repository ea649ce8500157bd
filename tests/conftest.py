"""Make this checkout's ``custom_components`` the one HA's loader finds.

The test harness ships its own ``custom_components`` package; importing ours first puts it in
``sys.modules`` so ``bpo`` resolves here ("Integration not found" otherwise).
"""

from __future__ import annotations

import custom_components  # noqa: F401
