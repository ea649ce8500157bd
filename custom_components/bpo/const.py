"""Constants shared by the Home Assistant glue."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "bpo"
TITLE: Final = "BPO Workflows"

EVENT_PREFIX: Final = "bpo_"
# Dispatcher signal: engine state changed; entities refresh from the engine.
SIGNAL_UPDATED: Final = "bpo_updated"
DIRECTORY_FILE: Final = "bpo_directory.yaml"
BLUEPRINT_FOLDER: Final = "bpo"
