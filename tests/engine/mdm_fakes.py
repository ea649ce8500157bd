"""What the MDM vendor fakes share: a virtual clock, scripted faults and a token book. Not a test module.

Each vendor test starts a real aiohttp server on 127.0.0.1 that answers in that vendor's documented shape;
the pieces here only decide *when* it answers with a fault instead, and judge tokens by the same virtual
clock the connector runs on, so "expired" means the same thing on both sides.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class VirtualClock:
    """``now`` for the connector and the server; ``sleep`` records each wait and moves time on by it."""

    def __init__(self, start: datetime = START) -> None:
        self.current = start
        self.waits: list[float] = []

    def now(self) -> datetime:
        return self.current

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.current += timedelta(seconds=seconds)

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


type Fault = Callable[[], web.StreamResponse]


def status(code: int, body: str = "", headers: dict[str, str] | None = None) -> Fault:
    return lambda: web.Response(status=code, text=body, headers=headers)


def malformed() -> Fault:
    return lambda: web.Response(status=200, text='{"value": [', content_type="application/json")


REVOKE = "revoke"  # a scripted fault that invalidates every token issued so far, then answers normally


@dataclass
class Faults:
    """Faults to answer instead of the real page, by a key the fake chooses (page number, path, ...).

    Each listed fault is used once, in order; afterwards the key is answered normally.
    """

    plan: dict[Any, list[Fault | str]] = field(default_factory=dict)
    served: list[tuple[Any, str]] = field(default_factory=list)

    def next(self, key: Any) -> Fault | str | None:
        queue = self.plan.get(key)
        if not queue:
            return None
        fault = queue.pop(0)
        self.served.append((key, fault if isinstance(fault, str) else "fault"))
        return fault


@dataclass
class TokenBook:
    """Access tokens the fake issued, each valid for ``lifetime`` seconds of the shared virtual clock."""

    clock: VirtualClock
    lifetime: int = 3600
    issued: dict[str, datetime] = field(default_factory=dict)
    refused: int = 0  # API requests answered 401 because of the token

    def issue(self) -> str:
        token = f"access-token-{len(self.issued) + 1}-0123456789abcdef"
        self.issued[token] = self.clock.now() + timedelta(seconds=self.lifetime)
        return token

    def revoke_all(self) -> None:
        for token in self.issued:
            self.issued[token] = START - timedelta(days=1)

    def valid(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ")
        ok = header.startswith("Bearer ") and token in self.issued and self.clock.now() < self.issued[token]
        if not ok:
            self.refused += 1
        return ok


def assert_no_secret(caplog: pytest.LogCaptureFixture, error: BaseException | None, *secrets: str) -> None:
    """No secret in the captured log records (at DEBUG) nor in the error's message or args."""
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in secrets:
        assert secret not in logged
        if error is not None:
            assert secret not in str(error) and secret not in repr(error.args)


def capture_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.bpo")
