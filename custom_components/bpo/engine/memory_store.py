"""In-memory StateStore for tests, the simulator and benchmarks.

Every write and every load goes through a JSON round trip, so state that is not JSON-able (a datetime, a
set, a blueprint object) fails here, in tests, instead of in Home Assistant's storage. The codec is
orjson when it is installed — the one Home Assistant's own storage uses, so benchmarks through this
store measure what the real store pays — and the standard library's json otherwise (the bare CLI).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

try:  # Home Assistant ships orjson; the pure-Python CLI may not have it
    import orjson

    # Passthrough options make datetimes, dataclasses and str/int subclasses fail as they do in json.
    _STRICT = (
        orjson.OPT_SORT_KEYS
        | orjson.OPT_PASSTHROUGH_DATETIME
        | orjson.OPT_PASSTHROUGH_DATACLASS
        | orjson.OPT_PASSTHROUGH_SUBCLASS
    )

    def _dumps(data: Any) -> str:
        return orjson.dumps(data, option=_STRICT).decode()

    _loads: Callable[[str], Any] = orjson.loads
    CODEC = "orjson"
except ImportError:  # pragma: no cover - exercised only without orjson

    def _dumps(data: Any) -> str:
        return json.dumps(data, sort_keys=True)

    _loads = json.loads
    CODEC = "json"


class MemoryStore:
    """Dict-backed StateStore; counts writes so tests can assert 'save only what changed'."""

    def __init__(self) -> None:
        self.meta: dict[str, Any] | None = None
        self.records: dict[str, str] = {}  # instance id -> JSON text
        self.writes = 0
        self.meta_writes = 0

    async def save_instance(self, instance_id: str, data: Mapping[str, Any]) -> None:
        self.records[instance_id] = _dumps(data)
        self.writes += 1

    async def save_many(self, records: Mapping[str, Mapping[str, Any] | None]) -> None:
        """Batch form (as the HA store offers): saves, and deletes where the value is None."""
        for instance_id, data in records.items():
            if data is None:
                self.records.pop(instance_id, None)
            else:
                self.records[instance_id] = _dumps(data)
                self.writes += 1

    async def delete_instance(self, instance_id: str) -> None:
        self.records.pop(instance_id, None)

    async def commit(
        self, records: Mapping[str, Mapping[str, Any] | None], meta: Mapping[str, Any] | None
    ) -> None:
        """Records and meta together, as a durable store must take them (see StateStore)."""
        await self.save_many(records)
        if meta is not None:
            await self.save_meta(meta)

    async def save_meta(self, data: Mapping[str, Any]) -> None:
        self.meta = _loads(_dumps(data))
        self.meta_writes += 1

    async def load(self) -> tuple[Mapping[str, Any] | None, Iterable[Mapping[str, Any]]]:
        meta = _loads(_dumps(self.meta)) if self.meta is not None else None
        return meta, [_loads(text) for text in self.records.values()]

    def snapshot(self) -> dict[str, Any]:
        """Whole content as plain data (for comparing runs)."""
        return {"meta": self.meta, "instances": {k: _loads(v) for k, v in sorted(self.records.items())}}

    def copy(self) -> MemoryStore:
        other = MemoryStore()
        other.meta = _loads(_dumps(self.meta)) if self.meta is not None else None
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
