"""The web UI bundle: served, a sidebar panel for everyone, the card module on every page; gone on unload."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockUser
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator, WebSocketGenerator

from .helpers import async_setup_bare_world
from .test_websocket_api import NOW
from .ws_helpers import Ws, ws_as

BUNDLE = (
    b"customElements.get('bpo-panel') || customElements.define('bpo-panel', class extends HTMLElement {});\n"
)


@pytest.fixture
def frontend_dir(tmp_path: Path) -> Iterator[Path]:
    """bpo's ``frontend`` folder, moved to the test's own folder (the real bundle is the ui build's)."""
    folder = tmp_path / "bpo_frontend"
    folder.mkdir()
    with patch("custom_components.bpo.panel.FRONTEND_DIR", folder):
        yield folder


async def panels(ws: Ws) -> dict[str, dict[str, object]]:
    result: dict[str, dict[str, object]] = await ws.ok("get_panels")
    return result


async def test_the_bundle_is_served_as_a_sidebar_panel_and_the_cards_module_until_unload(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
    hass_ws_client: WebSocketGenerator,
    hass_client_no_auth: ClientSessionGenerator,
    frontend_dir: Path,
) -> None:
    (frontend_dir / "bpo-panel.js").write_bytes(BUNDLE)
    url = f"/bpo_static/bpo-panel.js?v={hashlib.sha256(BUNDLE).hexdigest()[:12]}"
    # the browser's view of extra modules: HA's own subscription, opened before bpo loads
    freezer.move_to(NOW)
    assert await async_setup_component(hass, "frontend", {})
    watcher = await ws_as(hass, hass_ws_client, hass_admin_user)
    assert await watcher.ok("frontend/subscribe_extra_js") is None
    world = await async_setup_bare_world(hass, freezer, NOW)
    added = await watcher.client.receive_json()
    assert added["event"] == {"change_type": "added", "item": {"type": "module", "url": url}}

    alice = await ws_as(hass, hass_ws_client, world.users["alice"])  # not an admin: the panel is hers too
    panel = (await panels(alice))["bpo"]
    assert (panel["component_name"], panel["title"], panel["icon"]) == (
        "custom",
        "BPO",
        "mdi:briefcase-check",
    )
    assert panel["require_admin"] is False and panel["url_path"] == "bpo"
    assert panel["config"] == {
        "_panel_custom": {
            "name": "bpo-panel",
            "embed_iframe": False,
            "trust_external": False,
            "module_url": url,
        }
    }
    client = await hass_client_no_auth()
    served = await client.get(url)
    assert served.status == 200 and await served.read() == BUNDLE

    assert await hass.config_entries.async_unload(world.entry.entry_id)
    await hass.async_block_till_done()
    assert "bpo" not in await panels(alice)
    removed = await watcher.client.receive_json()
    assert removed["event"] == {"change_type": "removed", "item": {"type": "module", "url": url}}

    assert await hass.config_entries.async_setup(world.entry.entry_id)  # and back on a reload
    await hass.async_block_till_done()
    assert (await panels(alice))["bpo"]["config"] == panel["config"]


async def test_a_missing_bundle_is_logged_once_and_bpo_still_loads(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
    hass_ws_client: WebSocketGenerator,
    frontend_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = await async_setup_bare_world(hass, freezer, NOW)
    assert world.entry.runtime_data.manager is not None
    admin = await ws_as(hass, hass_ws_client, hass_admin_user)
    assert "bpo" not in await panels(admin)
    warnings = [r.getMessage() for r in caplog.records if "web panel is not available" in r.getMessage()]
    assert warnings == [
        f"bpo's web panel is not available: {frontend_dir / 'bpo-panel.js'} is missing "
        "(build it with scripts/frontend)"
    ]
    assert (await admin.ok("bpo/tasks/list")) == {"tasks": []}  # the websocket API works without the bundle
