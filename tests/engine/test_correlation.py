"""Correlation: an event reaches the running instance whose key it carries (``wait: {event, correlate}``) —
the docs example validated and simulated, key from a field, events without the key, the by-key index (no
scan of the waiting instances, emptied as waits end), restarts, and an instance with nothing to correlate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from custom_components.bpo.engine.graph import to_mermaid
from custom_components.bpo.engine.model import (
    Blueprint,
    FieldDef,
    ManualStart,
    Step,
    TaskSpec,
    Timeout,
    WaitSpec,
)
from custom_components.bpo.engine.scenario import Scenario, ScenarioStart
from custom_components.bpo.engine.schema import parse_blueprint
from custom_components.bpo.engine.simulate import simulate_async

from .test_docs_examples import BLOCKS, wrap
from .test_runtime import make, simple

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 3, 2, 7, tzinfo=UTC)
CORRELATE = "{{ event.ticket }}"


def doc_example() -> Blueprint:
    block = next(b for b in BLOCKS if "key: support_reply" in b.text)
    return parse_blueprint(wrap(block), "docs/blueprint-language.md")


async def test_doc_example_a_reply_to_case_123_resumes_case_123_only() -> None:
    reply = ("customer_reply", {"ticket": "123", "text": "Thanks"})
    timeline = await simulate_async(
        doc_example(),
        start=T0,
        days=2,
        tz=BERLIN,
        answers={"answer": {"delay": "1h"}, "follow_up": None},
        scenario=Scenario(
            starts=[
                ScenarioStart(T0, manual={"key": "123"}),
                ScenarioStart(T0, manual={"key": "124"}),
                ScenarioStart(T0 + timedelta(days=1), event=reply),
            ]
        ),
    )
    lines = [line.text for line in timeline.lines]
    follow_ups = [text for text in lines if " task follow_up " in text]
    assert len(follow_ups) == 1
    assert timeline.summary["instances running at end"] == 2  # 123 on its follow-up, 124 still waiting


def reply_case(**wait: Any) -> Blueprint:
    return simple(
        "case",
        Step(id="await_reply", wait=WaitSpec(event="customer_reply", correlate=CORRELATE, **wait)),
        Step(id="follow_up", task=TaskSpec(group="support", title="{{ steps.await_reply.data.text }}")),
        fields={"ticket": FieldDef("ticket")},
        starts=(ManualStart(),),
    )


async def test_only_the_instance_with_the_events_key_is_resumed() -> None:
    engine, _, _, _ = make(reply_case(), start=T0)
    first = await engine.start("case", key="123")
    second = await engine.start("case", key="124")
    moved = await engine.handle_event(
        "customer_reply", {"ticket": 123, "text": "thanks"}
    )  # keys compare as text
    assert moved == [first]
    assert [(engine.instance(t.instance_id).key, t.title) for t in engine.open_tasks()] == [("123", "thanks")]  # type: ignore[union-attr]
    assert second.waits is not None and second.waits[0].key == "124"
    assert await engine.handle_event("customer_reply", {"ticket": "999"}) == []
    assert (
        await engine.handle_event("customer_reply", {"text": "no ticket"}) == []
    )  # no key: nobody, no failure
    assert second.is_running and second.waits is not None


async def test_the_key_may_come_from_a_field() -> None:
    engine, _, _, _ = make(reply_case(key="{{ fields.ticket }}"), start=T0)
    inst = await engine.start("case", key="case-a", fields={"ticket": "T-7"})
    assert await engine.handle_event("customer_reply", {"ticket": "case-a"}) == []
    assert await engine.handle_event("customer_reply", {"ticket": "T-7"}) == [inst]


async def test_match_still_narrows_a_correlated_wait() -> None:
    engine, _, _, _ = make(reply_case(match={"channel": "mail"}), start=T0)
    inst = await engine.start("case", key="123")
    assert await engine.handle_event("customer_reply", {"ticket": "123", "channel": "phone"}) == []
    assert await engine.handle_event("customer_reply", {"ticket": "123", "channel": "mail"}) == [inst]


async def test_uncorrelated_waits_on_the_same_event_still_see_every_event() -> None:
    broadcast = simple(
        "watch",
        Step(id="any_reply", wait=WaitSpec(event="customer_reply")),
        Step(id="note", task=TaskSpec(group="support")),
        starts=(ManualStart(),),
    )
    engine, _, _, _ = make([reply_case(), broadcast], start=T0)
    case = await engine.start("case", key="123")
    watch = await engine.start("watch", key="w")
    assert await engine.handle_event("customer_reply", {"ticket": "123"}) == [watch, case]


async def test_waiting_instances_are_indexed_by_key_not_scanned() -> None:
    engine, _, _, _ = make(reply_case(), start=T0)
    for n in range(300):
        await engine.start("case", key=str(n))
    index = engine.state.correlated["customer_reply"][CORRELATE]
    assert len(index) == 300 and "customer_reply" not in engine.state.waiting
    (moved,) = await engine.handle_event("customer_reply", {"ticket": "42"})
    assert moved.key == "42" and "42" not in index and len(index) == 299


async def test_the_index_empties_when_waits_end_by_event_timeout_or_cancel() -> None:
    engine, clock, _, _ = make(reply_case(), start=T0)
    timed = simple(
        "timed",
        Step(
            id="await_reply",
            wait=WaitSpec(event="customer_reply", correlate=CORRELATE),
            timeout=Timeout(3600.0, "complete"),
        ),
        starts=(ManualStart(),),
    )
    engine.set_blueprints([reply_case(), timed])
    await engine.start("case", key="1")
    cancelled = await engine.start("case", key="2")
    await engine.start("timed", key="3")
    await engine.handle_event("customer_reply", {"ticket": "1"})
    await engine.cancel(cancelled.id)
    clock.advance_to(T0 + timedelta(hours=1))
    await engine.tick()
    assert engine.state.correlated == {}


async def test_a_restart_rebuilds_the_index_and_the_reply_still_arrives() -> None:
    engine, clock, _, store = make(reply_case(), start=T0)
    inst = await engine.start("case", key="123")
    await engine.start("case", key="124")
    later, _, _, _ = make(reply_case(), start=T0, store=store)
    later.clock = clock
    await later.restore()
    assert later.state.correlated == engine.state.correlated
    (moved,) = await later.handle_event("customer_reply", {"ticket": "123", "text": "hi"})
    assert moved.id == inst.id and [t.title for t in later.open_tasks()] == ["hi"]


async def test_an_instance_without_a_key_fails_at_a_correlated_wait() -> None:
    engine, _, _, _ = make(reply_case(), start=T0)
    inst = await engine.start("case")
    assert inst.status == "failed"
    assert inst.error is not None and "the correlation key is empty" in inst.error
    assert engine.state.correlated == {}


def test_graph_says_the_wait_is_for_this_key() -> None:
    assert "await_reply: wait event customer_reply for this key" in to_mermaid(doc_example())
    assert "for {{ fields.ticket }}" in to_mermaid(reply_case(key="{{ fields.ticket }}"))
