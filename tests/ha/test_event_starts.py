"""HA bus events start instances and resume waiting ones; listeners follow reloads and unload."""

from __future__ import annotations

from pathlib import Path

from homeassistant.core import HomeAssistant

from .helpers import async_setup_world

INQUIRY = """\
blueprint: {name: Inquiry, domain: bpo}
process:
  key: inquiry
  start:
    - event: contact_received
      match: {channel: chat}
      key: "{{ event.ticket }}"
  steps:
    - id: wait_customer
      wait: {event: customer_replied, match: {ticket: "{{ instance.key }}"}}
    - id: answer
      task: {title: "Answer {{ instance.key }}", group: contractors}
"""


async def test_bus_event_starts_and_resumes(hass: HomeAssistant) -> None:
    world = await async_setup_world(hass, blueprints={"inquiry.yaml": INQUIRY})
    engine = world.manager.engine

    hass.bus.async_fire("contact_received", {"channel": "mail", "ticket": "T0"})
    hass.bus.async_fire("contact_received", {"channel": "chat", "ticket": "T1"})
    await hass.async_block_till_done()
    assert [i.key for i in engine.instances(process="inquiry")] == ["T1"]
    assert engine.open_tasks(process="inquiry") == []  # waiting for the customer

    hass.bus.async_fire("customer_replied", {"ticket": "T9"})
    await hass.async_block_till_done()
    assert engine.open_tasks(process="inquiry") == []
    hass.bus.async_fire("customer_replied", {"ticket": "T1"})
    await hass.async_block_till_done()
    assert [t.title for t in engine.open_tasks(process="inquiry")] == ["Answer T1"]

    # a blueprint without event starts no longer listens after reload; unloading drops every listener
    Path(hass.config.path("blueprints/bpo/inquiry.yaml")).unlink()
    await hass.services.async_call("bpo", "reload", {}, blocking=True)
    assert "contact_received" not in hass.bus.async_listeners()
    assert await hass.config_entries.async_unload(world.entry.entry_id)
    assert "customer_replied" not in hass.bus.async_listeners()


async def test_an_instance_of_an_older_version_still_hears_its_event(hass: HomeAssistant) -> None:
    world = await async_setup_world(hass, blueprints={"inquiry.yaml": INQUIRY})
    engine = world.manager.engine
    hass.bus.async_fire("contact_received", {"channel": "chat", "ticket": "T2"})
    await hass.async_block_till_done()
    assert engine.open_tasks(process="inquiry") == []  # T2 waits for the customer

    # the new version answers at once: it no longer waits for customer_replied
    wait_step = INQUIRY[INQUIRY.index("    - id: wait_customer") : INQUIRY.index("    - id: answer")]
    without_wait = INQUIRY.replace(wait_step, "")
    assert "customer_replied" not in without_wait
    Path(hass.config.path("blueprints/bpo/inquiry.yaml")).write_text(without_wait, encoding="utf-8")
    await hass.services.async_call("bpo", "reload", {}, blocking=True)

    hass.bus.async_fire("customer_replied", {"ticket": "T2"})
    await hass.async_block_till_done()
    assert [t.title for t in engine.open_tasks(process="inquiry")] == ["Answer T2"]
