"""A running instance keeps its blueprint version across a restart, even after the file changed."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from custom_components.bpo.engine.clock import VirtualClock
from custom_components.bpo.engine.memory_store import MemoryStore
from custom_components.bpo.engine.ports import EngineEvent
from custom_components.bpo.engine.runtime import Engine
from custom_components.bpo.engine.schema import parse_blueprint

V1 = """\
blueprint: {name: Claim, domain: bpo}
process:
  key: claim
  start: [{manual: {}}]
  steps:
    - id: check
      task: {title: Check v1, group: desk}
    - id: approve
      task: {title: Approve v1, group: desk}
"""
V2 = """\
blueprint: {name: Claim, domain: bpo}
process:
  key: claim
  start: [{manual: {}}]
  steps:
    - id: review
      task: {title: Review v2, group: desk}
"""


class Sink:
    def __init__(self) -> None:
        self.events: list[EngineEvent] = []

    def emit(self, event: EngineEvent) -> None:
        self.events.append(event)


def _engine(store: MemoryStore, clock: VirtualClock, text: str) -> Engine:
    engine = Engine(clock=clock, store=store, events=Sink(), tz=ZoneInfo("UTC"))
    engine.set_blueprints([parse_blueprint(text, "claim.yaml")])
    return engine


async def test_old_version_is_rebuilt_from_the_store_after_restart() -> None:
    clock = VirtualClock(datetime(2026, 12, 1, tzinfo=UTC))
    store = MemoryStore()
    engine = _engine(store, clock, V1)
    await engine.restore()
    old = await engine.start("claim", key="c1")

    # HA restarts after the admin rewrote the file: only V2 exists on disk now
    engine = _engine(store, clock, V2)
    await engine.restore()
    new = await engine.start("claim", key="c2")
    assert old.version != new.version
    titles = sorted(t.title for t in engine.open_tasks())
    assert titles == ["Check v1", "Review v2"]

    # the old instance walks on through V1's steps, which no file defines any more
    check = next(t for t in engine.open_tasks() if t.title == "Check v1")
    await engine.complete_task(check.id)
    assert [t.title for t in engine.open_tasks() if t.instance_id == old.id] == ["Approve v1"]

    # a second restart still knows V1 while the old instance runs; once it ends, V1's source is dropped
    engine = _engine(store, clock, V2)
    await engine.restore()
    approve = next(t for t in engine.open_tasks() if t.title == "Approve v1")
    await engine.complete_task(approve.id)
    assert engine.instance(old.id).status == "completed"
    engine = _engine(store, clock, V2)
    await engine.restore()
    await engine.tick()
    sources = store.snapshot()["meta"]["sources"]
    assert list(sources) == [f"claim@{new.version}"]
