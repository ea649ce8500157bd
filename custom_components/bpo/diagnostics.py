"""Diagnostics: engine and store figures plus recent instances, with PII and credentials redacted."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from . import BpoConfigEntry
from .engine.model import Process
from .engine.pii_text import suspects

# Credentials connectors may keep in entry data/options; never exported.
TO_REDACT = {"password", "token", "access_token", "client_secret", "api_key", "secret", "webhook_id"}
# MDM set-up (options["mdm"][<vendor>], mdm_options.py): the secrets above plus the ids naming the tenant/app
TO_REDACT |= {"client_id", "tenant_id"}
MAX_INSTANCES = 20
MASK = "**REDACTED**"


def _relative(hass: HomeAssistant, path: str) -> str:
    """Paths relative to the config folder: the absolute location says nothing useful and leaks setup."""
    return os.path.relpath(path, hass.config.config_dir)


def _instance(inst: Any, process: Process | None) -> dict[str, Any]:
    def shown(values: Mapping[str, Any]) -> dict[str, Any]:
        """``pii`` values and free text that looks like personal data masked; every value when the
        version is unknown (nothing says a value is not personal data)."""
        if process is None:
            return dict.fromkeys(values, MASK)
        masked = {n for n, f in process.fields.items() if f.pii} | set(suspects(values, process.fields))
        return {k: (MASK if k in masked else v) for k, v in values.items()}

    tasks = [
        {
            "id": t.id,
            "step": t.step,
            "status": t.status,
            "assignee": t.assignee,
            "group": t.group,
            "outcome": t.outcome,
            "form": shown(t.form or {}),
        }
        for t in inst.tasks
    ]
    return {
        "id": inst.id,
        "process": inst.process,
        "version": inst.version,
        "status": inst.status,
        "started": inst.started.isoformat(),
        "fields": shown(inst.fields),
        "tasks": tasks,
    }


def _process(engine: Any, inst: Any) -> Process | None:
    """The version ``inst`` runs on (a reload may have changed or dropped its file), whose marks count."""
    bp = engine.version_of(inst)
    return bp.process if bp is not None else None


def _mdm(entry: BpoConfigEntry) -> dict[str, dict[str, int]]:
    """Synced devices per vendor: counts only (names, owners and serials stay out)."""
    out: dict[str, dict[str, int]] = {}
    for device in entry.runtime_data.mdm.devices.values():
        counts = out.setdefault(device.vendor, {"devices": 0, "stale": 0, "non_compliant": 0})
        counts["devices"] += 1
        counts["stale"] += device.stale_since is not None
        counts["non_compliant"] += device.compliant is False
    return out


async def async_get_config_entry_diagnostics(hass: HomeAssistant, entry: BpoConfigEntry) -> dict[str, Any]:
    manager = entry.runtime_data.manager
    engine = manager.engine
    instances = sorted(engine.instances(), key=lambda i: i.started, reverse=True)[:MAX_INSTANCES]
    return {
        "entry": async_redact_data({"data": dict(entry.data), "options": dict(entry.options)}, TO_REDACT),
        "blueprints": [
            {
                "process": bp.process.key,
                "name": bp.name,
                "version": bp.process.version,
                "file": _relative(hass, bp.path),
                "stats": engine.stats(bp.process.key),
            }
            for bp in engine.blueprints()
        ],
        "invalid_files": [
            f"{_relative(hass, p.file)}:{p.line}: {p.path}: {p.message}"
            for err in manager.blueprint_errors
            for p in err.problems
        ],
        "suspended": {k: v.isoformat() for k, v in engine.suspended().items()},
        "next_deadline": (d.isoformat() if (d := engine.next_deadline()) else None),
        "store": entry.runtime_data.store.stats(),
        "recent_instances": [_instance(i, _process(engine, i)) for i in instances],
        **({"mdm": counts} if (counts := _mdm(entry)) else {}),  # only once an MDM synced devices
    }
