"""``Engine.stats`` is kept per commit, not scanned: after every operation it equals a full count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from custom_components.bpo.engine.runtime import Engine
from custom_components.bpo.engine.state import COMPLETED

from .test_runtime import dsr_blueprint, make, run_until, task_of

START = datetime(2024, 12, 31, 23, tzinfo=UTC)


def brute(engine: Engine, process: str, period: timedelta = timedelta(days=30)) -> dict[str, Any]:
    since = engine.clock.now() - period
    insts = [i for i in engine.instances() if i.process == process]
    return {
        "open": sum(1 for i in insts if i.is_running),
        "overdue": sum(1 for t in engine.open_tasks(process=process) if t.overdue),
        "completed_period": sum(
            1 for i in insts if i.status == COMPLETED and i.ended is not None and i.ended >= since
        ),
    }


async def test_counts_follow_starts_answers_timeouts_overdue_cancels_and_restore() -> None:
    people = tuple(f"p{n}" for n in range(6))
    engine, clock, _, store = make(dsr_blueprint(people), START)
    await engine.restore()
    key = "device_security_report"
    seen: list[dict[str, Any]] = []

    def check() -> None:
        assert engine.stats(key) == brute(engine, key)
        seen.append(engine.stats(key))

    check()
    await run_until(engine, clock, datetime(2025, 1, 1, 9, tzinfo=UTC))  # the fan-out
    check()
    for who in people[:3]:
        await engine.complete_task(task_of(engine, who, "report"), form={"scan_history": "s"})
        check()
    await run_until(engine, clock, datetime(2025, 1, 2, 12, tzinfo=UTC))  # supervisor checks time out
    check()
    for who in people[:2]:
        await engine.complete_task(task_of(engine, who, "contractor_inspection"), outcome="ok")
        check()
    await engine.cancel(next(i.id for i in engine.instances() if i.key == "p5"))
    check()
    await run_until(engine, clock, datetime(2025, 1, 9, 12, tzinfo=UTC))  # reports overdue after 7 d
    check()
    # a fresh engine restored from the store counts the same
    again, *_ = make(dsr_blueprint(people), clock.now(), store=store)
    await again.restore()
    assert again.stats(key) == engine.stats(key)
    # completions age out of the 30-day window
    clock.advance_to(datetime(2025, 2, 5, tzinfo=UTC))
    assert engine.stats(key) == brute(engine, key)
    assert seen[-1] == {"open": 3, "overdue": 2, "completed_period": 2}
    assert engine.stats(key)["completed_period"] == 0
