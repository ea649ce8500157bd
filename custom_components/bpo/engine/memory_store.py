"""In-memory StateStore for tests, the simulator and benchmarks.

Every write and every load goes through a JSON round trip, so state that is not JSON-able (a datetime, a
set, a blueprint object) fails here, in tests, instead of in Home Assistant's storage.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any


class MemoryStore:
    """Dict-backed StateStore; counts writes so tests can assert 'save only what changed'."""

    def __init__(self) -> None:
        self.meta: dict[str, Any] | None = None
        self.records: dict[str, str] = {}  # instance id -> JSON text
        self.writes = 0
        self.meta_writes = 0

    async def save_instance(self, instance_id: str, data: Mapping[str, Any]) -> None:
        self.records[instance_id] = json.dumps(data, sort_keys=True)
        self.writes += 1

    async def delete_instance(self, instance_id: str) -> None:
        self.records.pop(instance_id, None)

    async def save_meta(self, data: Mapping[str, Any]) -> None:
        self.meta = json.loads(json.dumps(data))
        self.meta_writes += 1

    async def load(self) -> tuple[Mapping[str, Any] | None, Iterable[Mapping[str, Any]]]:
        meta = json.loads(json.dumps(self.meta)) if self.meta is not None else None
        return meta, [json.loads(text) for text in self.records.values()]

    def snapshot(self) -> dict[str, Any]:
        """Whole content as plain data (for comparing runs)."""
        return {"meta": self.meta, "instances": {k: json.loads(v) for k, v in sorted(self.records.items())}}

    def copy(self) -> MemoryStore:
        other = MemoryStore()
        other.meta = json.loads(json.dumps(self.meta)) if self.meta is not None else None
        other.records = dict(self.records)
        return other


class NullStore:
    """Discards everything (simulations that never restore, memory benchmarks)."""

    persistent = False  # tells the engine not to serialise records at all

    async def save_instance(self, instance_id: str, data: Mapping[str, Any]) -> None:
        return None

    async def delete_instance(self, instance_id: str) -> None:
        return None

    async def save_meta(self, data: Mapping[str, Any]) -> None:
        return None

    async def load(self) -> tuple[Mapping[str, Any] | None, Iterable[Mapping[str, Any]]]:
        return None, []
