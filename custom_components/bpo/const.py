"""Constants shared by the Home Assistant glue."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "bpo"
TITLE: Final = "BPO Workflows"

EVENT_PREFIX: Final = "bpo_"
# Dispatcher signal: engine state changed; entities refresh from the engine.
SIGNAL_UPDATED: Final = "bpo_updated"  # everything may have changed (blueprints reloaded): full refresh
# Targeted signals, one per thing that changed in a commit (see BpoManager.flush).
SIGNAL_LIST: Final = "bpo_list_{}"  # a to-do list's content (list key, see task_lists.py)
SIGNAL_PROCESS: Final = "bpo_process_{}"  # a process's counts or suspension
SIGNAL_CALENDAR: Final = "bpo_calendar"  # argument: the ids of the tasks that changed
# Web UI subscriptions: arguments the ids of the tasks and the processes a commit (or reload) touched.
SIGNAL_CHANGED: Final = "bpo_changed"
DIRECTORY_FILE: Final = "bpo_directory.yaml"
BLUEPRINT_FOLDER: Final = "bpo"
