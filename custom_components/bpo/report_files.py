"""Wires the ``bpo_report`` connector (connectors/report.py) to ``<config>/bpo_reports`` and the bus.

Each file written is announced as ``bpo_report_written`` {process, name, path}; the path is relative to
the config folder. The report text itself never travels on the bus.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .connector_config import ConnectorHub
from .connectors.report import ReportConnector

FOLDER = "bpo_reports"
EVENT_REPORT_WRITTEN = "bpo_report_written"


def async_add_report_connector(hass: HomeAssistant, hub: ConnectorHub) -> Callable[[], None]:
    """Offer ``bpo_report`` to blueprints; returns the function that removes it again."""

    @callback
    def written(data: dict[str, Any]) -> None:  # the connector calls it on the event loop
        hass.bus.async_fire(EVENT_REPORT_WRITTEN, data)

    folder = Path(hass.config.path(FOLDER))
    return hub.add(ReportConnector(folder, lambda: dt_util.now().date(), written))
