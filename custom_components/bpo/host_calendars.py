"""Closed days from Home Assistant Workday sensors, for blueprint calendars with ``closed_from``.

The engine counts working time synchronously, so the days are fetched ahead: when the blueprints load
(start-up, reload), every Workday sensor a calendar names is asked, through its public
``workday.check_date`` action, about each day from a month back to ``AHEAD`` days ahead. A day the
sensor does not call a workday is closed. Outside that window, or for a sensor that is missing, the
engine gets "not known" and counts the blueprint's own hours and holidays only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, timedelta

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util

from .engine.model import Blueprint

_LOGGER = logging.getLogger(__name__)
BEHIND = 31  # days before today: deadlines counted from a task opened last month
AHEAD = 400  # days after today: more than a year of deadlines
WORKDAY = "workday"
CHECK_DATE = "check_date"


def sources_of(blueprints: Iterable[Blueprint]) -> set[str]:
    """Every Workday sensor the loaded blueprints' calendars name in ``closed_from``."""
    return {
        source
        for bp in blueprints
        if bp.process.business_calendar is not None
        for source in bp.process.business_calendar.closed_from
    }


class HassClosedDays:
    """The engine's ``ClosedDays`` port, filled from Workday sensors by :meth:`async_refresh`."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self._closed: dict[str, frozenset[date]] = {}
        self._window: tuple[date, date] | None = None

    def closed(self, source: str, day: date) -> bool | None:
        days = self._closed.get(source)
        if days is None or self._window is None or not self._window[0] <= day <= self._window[1]:
            return None
        return day in days

    async def async_refresh(self, sources: Iterable[str]) -> None:
        today = dt_util.now().date()
        first, last = today - timedelta(days=BEHIND), today + timedelta(days=AHEAD)
        closed: dict[str, frozenset[date]] = {}
        for source in sorted(sources):
            days = await self._async_closed_days(source, first, last)
            if days is not None:
                closed[source] = days
        self._closed = closed
        self._window = (first, last)

    async def _async_closed_days(self, source: str, first: date, last: date) -> frozenset[date] | None:
        if self.hass.states.get(source) is None or not self.hass.services.has_service(WORKDAY, CHECK_DATE):
            _LOGGER.warning(
                "bpo calendar: %s is not a Workday sensor here; its closed days are ignored", source
            )
            return None
        out: set[date] = set()
        day = first
        try:
            while day <= last:
                answer = await self.hass.services.async_call(
                    WORKDAY,
                    CHECK_DATE,
                    {CHECK_DATE: day},
                    target={"entity_id": source},
                    blocking=True,
                    return_response=True,
                )
                result = (answer or {}).get(source)
                if isinstance(result, dict) and result.get("workday") is False:
                    out.add(day)
                day += timedelta(days=1)
        except HomeAssistantError as err:
            _LOGGER.warning("bpo calendar: %s did not answer for %s: %s", source, day, err)
            return None
        return frozenset(out)
