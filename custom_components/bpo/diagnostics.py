"""Diagnostics: engine and store figures plus recent instances, with PII and credentials redacted."""

from __future__ import annotations

import os
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from . import BpoConfigEntry

# Credentials connectors may keep in entry data/options; never exported.
TO_REDACT = {"password", "token", "access_token", "client_secret", "api_key", "secret", "webhook_id"}
# MDM set-up (options["mdm"][<vendor>], mdm_options.py): the secrets above plus the ids naming the tenant/app
TO_REDACT |= {"client_id", "tenant_id"}
MAX_INSTANCES = 20
MASK = "**REDACTED**"


def _relative(hass: HomeAssistant, path: str) -> str:
    """Paths relative to the config folder: the absolute location says nothing useful and leaks setup."""
    return os.path.relpath(path, hass.config.config_dir)


def _instance(inst: Any, pii: frozenset[str] | set[str]) -> dict[str, Any]:
    fields = {k: (MASK if k in pii else v) for k, v in inst.fields.items()}
    tasks = [
        {
            "id": t.id,
            "step": t.step,
            "status": t.status,
            "assignee": t.assignee,
            "group": t.group,
            "outcome": t.outcome,
            "form": {k: (MASK if k in pii else v) for k, v in (t.form or {}).items()},
        }
        for t in inst.tasks
    ]
    return {
        "id": inst.id,
        "process": inst.process,
        "version": inst.version,
        "status": inst.status,
        "started": inst.started.isoformat(),
        "fields": fields,
        "tasks": tasks,
    }


def _pii_names(engine: Any, inst: Any) -> frozenset[str]:
    """The ``pii`` fields of the version ``inst`` runs on (a reload may have changed or dropped its file);
    with no version known, every name it holds: nothing says a value is not personal data."""
    bp = engine.version_of(inst)
    if bp is not None:
        return frozenset(n for n, f in bp.process.fields.items() if f.pii)
    return frozenset(inst.fields).union(*(t.form or {} for t in inst.tasks))


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
        "recent_instances": [_instance(i, _pii_names(engine, i)) for i in instances],
        **({"mdm": counts} if (counts := _mdm(entry)) else {}),  # only once an MDM synced devices
    }
