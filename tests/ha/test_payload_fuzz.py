"""Hypothesis over start payloads, through the check both ``bpo.start`` and ``bpo/process/start`` use
(``engine_calls.start_fields``) and then the engine: a payload is either refused before anything is stored,
naming fields and never quoting a value, or stored with every declared field holding its declared type."""

from __future__ import annotations

import asyncio
import math
from datetime import date
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from custom_components.bpo.engine.model import FieldDef
from custom_components.bpo.engine.runtime_errors import EngineError, InvalidForm
from custom_components.bpo.engine_calls import start_fields

from ..engine.test_runtime import make, simple

MARK = "Z9#"
FIELDS = {
    "amount": FieldDef("amount", "number"),
    "agreed": FieldDef("agreed", "bool"),
    "verdict": FieldDef("verdict", "choice", options=("ok", "follow_up")),
    "on": FieldDef("on", "date"),
    "owner": FieldDef("owner", "entity"),
    "notes": FieldDef("notes", "text"),
    "scan": FieldDef("scan", "file"),
}
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30).map(lambda t: MARK + t)  # marked, so an echo is found whatever the wording
    | st.sampled_from(
        ["12", " 1.5 ", "nan", "inf", "yes", "ok", "2026-01-31", "person.alice", "", "x" * 10_001]
    )
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=12,
)
PAYLOADS = st.dictionaries(st.sampled_from(list(FIELDS)), VALUES, max_size=7)
TYPES: dict[str, tuple[type, ...]] = {
    "number": (int, float),
    "bool": (bool,),
    "choice": (str,),
    "date": (str,),
    "entity": (str,),
}


async def _start(fields: dict[str, Any]) -> tuple[str | None, dict[str, Any], dict[str, Any], dict[str, Any]]:
    engine, _, _, store = make(simple("p", fields=FIELDS))
    await engine.restore()
    before = store.snapshot()
    try:
        inst = await engine.start("p", fields=start_fields(engine, "p", fields))
    except InvalidForm as err:
        return str(err), before, store.snapshot(), {}
    return None, before, store.snapshot(), dict(inst.fields)


@settings(max_examples=150, deadline=None)
@given(PAYLOADS)
@example({"amount": -9223372036854775809})  # found on the 2025 leg: orjson refused to save it
@example({"scan": {"n": [2**64]}})
def test_a_start_payload_is_refused_cleanly_or_stored_typed(fields: dict[str, Any]) -> None:
    try:
        refused, before, after, stored = asyncio.run(_start(fields))
    except EngineError as err:  # pragma: no cover - would be a failure of this test
        raise AssertionError(f"unexpected refusal {err}") from err
    if refused is not None:
        assert after == before  # nothing stored
        assert MARK not in refused  # no value quoted
        return
    for name, value in stored.items():
        kind = FIELDS[name].type
        if value is None or value == "":
            continue
        if kind in TYPES:
            assert isinstance(value, TYPES[kind]), (name, value)
        if kind == "number":
            assert not isinstance(value, bool) and math.isfinite(value)
        if kind == "date":
            date.fromisoformat(value)
        if kind == "choice":
            assert value in ("ok", "follow_up")
        if kind == "entity":
            assert "." in value and len(value) <= 255
