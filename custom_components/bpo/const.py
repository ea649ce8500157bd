"""Constants shared by the Home Assistant glue."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "bpo"
TITLE: Final = "BPO Workflows"
