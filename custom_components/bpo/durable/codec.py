"""JSON to and from bytes: orjson (which Home Assistant ships) when present, the standard library else."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

try:
    import orjson

    def dumps(data: Any) -> bytes:
        # Passthrough options make datetimes and dataclasses fail, as they do in json.
        return orjson.dumps(data, option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS)

    loads: Callable[[bytes], Any] = orjson.loads
except ImportError:  # pragma: no cover - the bare CLI without orjson

    def dumps(data: Any) -> bytes:
        return json.dumps(data, separators=(",", ":"), allow_nan=False).encode()

    def loads(data: bytes) -> Any:
        return json.loads(data)


# Every decoder error (orjson's, json's, bad UTF-8) is a ValueError.
DecodeError = ValueError
EncodeError: tuple[type[Exception], ...] = (TypeError, ValueError)
