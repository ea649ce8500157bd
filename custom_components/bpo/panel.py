"""The web UI's bundle: served at ``/bpo_static``, a "BPO" sidebar panel and the ``bpo-tasks-card``.

The bundle (``frontend/bpo-panel.js``, built from ``frontend/`` sources and committed) defines both the panel
element and the Lovelace card; it is loaded on every page through ``add_extra_js_url`` so the card works
on any dashboard. Its URL carries a hash of the file, so an updated bundle is never served from a stale
browser cache. A missing bundle (a source checkout that was not built) is logged once and skipped: bpo
itself works without its web UI.

The static path belongs to the domain (aiohttp cannot remove a route) and is registered once in
``async_setup``; the panel and the extra module belong to the entry and go with it.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Final

from homeassistant.components import frontend, panel_custom
from homeassistant.components.http import StaticPathConfig
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback

_LOGGER = logging.getLogger(__name__)

FRONTEND_DIR: Path = Path(__file__).parent / "frontend"
BUNDLE: Final = "bpo-panel.js"
STATIC_URL: Final = "/bpo_static"
PANEL_URL_PATH: Final = "bpo"
PANEL_ELEMENT: Final = "bpo-panel"
PANEL_TITLE: Final = "BPO"
PANEL_ICON: Final = "mdi:briefcase-check"


def _bundle_hash(bundle: Path) -> str | None:
    """First 12 hex digits of the bundle's SHA-256, or None when it is missing (executor)."""
    try:
        return hashlib.sha256(bundle.read_bytes()).hexdigest()[:12]
    except FileNotFoundError:
        return None


async def async_register_static(hass: HomeAssistant) -> None:
    """Serve ``frontend/`` at ``/bpo_static`` (once per HA run) when the folder exists."""
    folder = FRONTEND_DIR
    if not await hass.async_add_executor_job(folder.is_dir):
        return  # async_setup_panel warns once the entry loads
    config = StaticPathConfig(STATIC_URL, str(folder), cache_headers=False)
    await hass.http.async_register_static_paths([config])


async def async_setup_panel(hass: HomeAssistant) -> CALLBACK_TYPE:
    """Register the sidebar panel and the card's module; returns what undoes it (on unload)."""
    digest = await hass.async_add_executor_job(_bundle_hash, FRONTEND_DIR / BUNDLE)
    if digest is None:
        _LOGGER.warning(
            "bpo's web panel is not available: %s is missing (build it with scripts/frontend)",
            FRONTEND_DIR / BUNDLE,
        )
        return lambda: None
    module_url = f"{STATIC_URL}/{BUNDLE}?v={digest}"
    await panel_custom.async_register_panel(
        hass,
        frontend_url_path=PANEL_URL_PATH,
        webcomponent_name=PANEL_ELEMENT,
        sidebar_title=PANEL_TITLE,
        sidebar_icon=PANEL_ICON,
        module_url=module_url,
        require_admin=False,  # everyone sees their own tasks; the commands check the rest
    )
    frontend.add_extra_js_url(hass, module_url)

    @callback
    def remove() -> None:
        frontend.async_remove_panel(hass, PANEL_URL_PATH, warn_if_unknown=False)
        frontend.remove_extra_js_url(hass, module_url)

    return remove
