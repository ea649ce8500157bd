"""Event starts check their rendered key and fields like ``bpo.start`` does (``field_values``).

An event's data come from outside (a mail, a form, a CTI): a number field filled with ``"abc"`` or a
10,000-character key must not be stored. A HA bus event cannot be answered, so its start is dropped and
reported (``start_failed``, naming field and expectation, never the value); the signed webhook can
answer, so ``strict`` refuses the whole event before anything of it is applied.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custom_components.bpo.engine.runtime_errors import InvalidForm
from custom_components.bpo.engine.schema import parse_blueprint

from .test_runtime import make

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
ORDER = """
blueprint: {name: Order, domain: bpo}
process:
  key: order
  fields:
    amount: {type: number}
    due_on: {type: date}
  start:
    - event: order
      key: "{{ event.ref }}"
      fields: {amount: "{{ event.amount }}", due_on: "{{ event.due_on }}"}
  steps:
    - id: book
      task: {title: Book, assignee: person.clerk}
"""
# a second process started by the same event, with no fields to get wrong
NOTE = """
blueprint: {name: Note, domain: bpo}
process:
  key: note
  start: [{event: order, key: "note-{{ event.ref }}"}]
  steps:
    - id: file
      task: {title: File, assignee: person.clerk}
"""


def _engine():  # type: ignore[no-untyped-def]
    bps = [parse_blueprint(ORDER, "order.yaml"), parse_blueprint(NOTE, "note.yaml")]
    return make(bps, start=T0)


async def test_fitting_values_are_stored_with_their_declared_types() -> None:
    engine, _, sink, _ = _engine()
    await engine.restore()
    started = await engine.handle_event("order", {"ref": "o-1", "amount": " 12 ", "due_on": "2026-03-31"})
    order = next(i for i in started if i.process == "order")
    assert order.fields["amount"] == 12  # the text of the event became the number the field declares
    assert order.fields["due_on"] == "2026-03-31"
    assert sink.of("start_failed") == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"ref": "o-2", "amount": "abc", "due_on": "2026-03-31"}, "amount: expected a number"),
        ({"ref": "o-3", "amount": "nan", "due_on": "2026-03-31"}, "amount: expected a finite number"),
        ({"ref": "o-4", "amount": "4111111111111111", "due_on": "31.3.2026"}, "due_on: expected a date"),
        ({"ref": "x" * 300, "amount": "1", "due_on": "2026-03-31"}, "key: expected at most 255 characters"),
    ],
)
async def test_a_bus_event_that_does_not_fit_drops_that_start_and_says_why(
    data: dict[str, str], expected: str
) -> None:
    engine, _, sink, _ = _engine()
    await engine.restore()
    started = await engine.handle_event("order", data)
    # the note fits, except with the long ref: its key is too long as well
    assert [i.process for i in started] == (["note"] if len(data["ref"]) < 250 else [])
    assert [i.process for i in engine.instances()] == [i.process for i in started]  # nothing else stored
    [failed] = [f for f in sink.of("start_failed") if f["process"] == "order"]
    assert expected in failed["error"]
    for value in data.values():  # never the value, which may be personal data
        assert value.strip() not in failed["error"]


async def test_the_webhook_refuses_the_whole_event_when_one_start_does_not_fit() -> None:
    engine, _, sink, _ = _engine()
    await engine.restore()
    with pytest.raises(InvalidForm, match="order.*amount: expected a number") as caught:
        await engine.handle_event("order", {"ref": "o-5", "amount": "abc", "due_on": "x"}, strict=True)
    assert "abc" not in str(caught.value)
    assert "due_on: expected a date" in str(caught.value)  # every problem, at once
    assert list(engine.instances()) == []  # not even the note, which would have fitted
    assert sink.of("instance_started") == []
    assert sink.of("start_failed") == []  # the sender gets the answer; no Repairs issue for it


@pytest.mark.parametrize("broken", ['key: "{{ 10 // event.n }}"', 'match: {n: "{{ 1 / 0 }}"}'])
async def test_a_start_template_that_fails_drops_that_start_and_no_other(broken: str) -> None:
    """A key or match of one start that does not render drops that start (``start_failed``); the same event
    still starts the other process, and the webhook is refused with the reason, nothing stored."""
    text = f"""
blueprint: {{name: Ping, domain: bpo}}
process:
  key: ping
  start: [{{event: order, {broken}}}]
  steps:
    - {{id: file, task: {{title: File, assignee: person.clerk}}}}
"""
    bps = [parse_blueprint(text, "ping.yaml"), parse_blueprint(NOTE, "note.yaml")]
    engine, _, sink, _ = make(bps, start=T0)
    await engine.restore()
    started = await engine.handle_event("order", {"ref": "o-6", "n": 0})
    assert [i.process for i in started] == ["note"]
    [failed] = sink.of("start_failed")
    assert failed["process"] == "ping" and "failed" in failed["error"]
    with pytest.raises(InvalidForm, match="ping"):
        await engine.handle_event("order", {"ref": "o-7", "n": 0}, strict=True)
    assert [i.key for i in engine.instances()] == ["note-o-6"]
