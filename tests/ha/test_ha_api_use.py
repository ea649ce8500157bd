"""bpo stays off Home Assistant API that newer releases deprecate, finalise or remove.

The HA legs we can run (2025.4, 2026.2) do not yet report all of these; the list comes from reading the
newest HA release (2026.11): each entry says what replaces it. Runtime reports of any other deprecation
fail every HA test (``ha_reports`` in conftest).
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest
from homeassistant.helpers.entity import Entity

INTEGRATION = Path(__file__).resolve().parents[2] / "custom_components" / "bpo"
# pattern -> why it is gone and what bpo uses instead
DEPRECATED = {
    r"\.async_get_device\(": "device_registry.async_get_device breaks in 2027.8; search the entry's devices",
    r"hass\.async_create_task\(": "integration tasks belong to the config entry: entry.async_create_task",
    r"hass\.async_add_job\(|hass\.async_run_job\(|async_add_hass_job\(": "removed job helpers",
    r"(?<!homeassistant)\.config_entries\b(?!\.)": "DeviceEntry.config_entries: deprecated (2027.10)",
    r"async_generate_entity_id\(": "entity_registry.async_generate_entity_id is removed in 2027.2",
    r"OptionsFlowWithConfigEntry": "deprecated options flow base class",
}
# methods HA made final on Entity after our oldest supported release (2026.5: async_write_ha_state)
FINAL_IN_NEWER_HA = {"async_write_ha_state", "async_update_ha_state"}
GLUE_MODULES = sorted(p.stem for p in INTEGRATION.glob("*.py") if p.stem != "__init__")


def _sources() -> dict[str, str]:
    return {str(p.relative_to(INTEGRATION)): p.read_text(encoding="utf-8") for p in INTEGRATION.rglob("*.py")}


@pytest.mark.parametrize("pattern", sorted(DEPRECATED))
def test_no_deprecated_ha_api(pattern: str) -> None:
    hits = [
        f"{name}:{number}: {line.strip()}"
        for name, text in _sources().items()
        for number, line in enumerate(text.splitlines(), 1)
        if re.search(pattern, line) and not line.lstrip().startswith(("#", "``"))
    ]
    assert not hits, f"{DEPRECATED[pattern]}:\n" + "\n".join(hits)


def test_the_deprecated_patterns_catch_what_they_name() -> None:
    """Each pattern matches the call it forbids (a pattern that matches nothing would guard nothing)."""
    samples = {
        # built from parts, so the tree holds no text of the deprecated call
        r"\.async_get_device\(": "dev_reg." + "async_get_device" + "(identifiers={x})",
        r"hass\.async_create_task\(": "self.hass.async_create_task(coro)",
        r"hass\.async_add_job\(|hass\.async_run_job\(|async_add_hass_job\(": "hass.async_add_job(f)",
        r"(?<!homeassistant)\.config_entries\b(?!\.)": "entry_id in device.config_entries",
        r"async_generate_entity_id\(": "er.async_generate_entity_id(fmt, name)",
        r"OptionsFlowWithConfigEntry": "class F(OptionsFlowWithConfigEntry):",
    }
    assert samples.keys() == DEPRECATED.keys()
    for pattern, sample in samples.items():
        assert re.search(pattern, sample), pattern
    assert not re.search(
        r"(?<!homeassistant)\.config_entries\b(?!\.)", "hass.config_entries.async_entries(DOMAIN)"
    )


def _entity_classes() -> list[type[Entity]]:
    found: list[type[Entity]] = []
    for name in GLUE_MODULES:
        module = importlib.import_module(f"custom_components.bpo.{name}")
        found.extend(
            cls
            for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, Entity) and cls.__module__ == module.__name__
        )
    return found


def test_no_entity_overrides_a_final_method() -> None:
    classes = _entity_classes()
    assert {c.__name__ for c in classes} >= {"BpoScheduleCalendar", "BpoProcessSensor", "BpoPersonTasks"}
    overrides = []
    for cls in classes:
        for attr in vars(cls):
            inherited = [getattr(base, attr, None) for base in cls.__mro__[1:]]
            marked_final = any(getattr(m, "__final__", False) for m in inherited if m is not None)
            if attr in FINAL_IN_NEWER_HA or marked_final:
                overrides.append(f"{cls.__name__}.{attr}")
    assert not overrides, overrides
