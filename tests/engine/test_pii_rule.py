"""The one PII rule in the engine: which rendered texts are tainted, free-text detection, value-free checks,
and events that carry neither a tainted title nor a suspected value."""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.bpo.engine import field_values, pii_taint, pii_text
from custom_components.bpo.engine.model import FieldDef, NotifyText, Process, Step, TaskSpec
from custom_components.bpo.engine.pii_guard import guard_event
from custom_components.bpo.engine.runtime_errors import InvalidForm
from custom_components.bpo.engine.schema import parse_blueprint

from .test_runtime import make, simple

FIELDS = {
    "caller_name": FieldDef("caller_name", "text", pii=True),
    "topic": FieldDef("topic", "text"),
    "notes": FieldDef("notes", "text"),
    "amount": FieldDef("amount", "number"),
}
PII = frozenset({"caller_name"})
MARK = "PII-MARK-4711"


@pytest.fixture(autouse=True)
def _fresh_taint() -> None:
    """Every test computes taints afresh (caches filled by an earlier test would hide a broken rule)."""
    pii_taint.clear_caches()


# -- taint: which templates render personal data ------------------------------------------------------
@pytest.mark.parametrize(
    "source",
    [
        "Call back {{ fields.caller_name }}",
        "Call back {{ fields['caller_name'] }}",
        "{{ fields.caller_name | upper }} ({{ fields.topic }})",
        "{{ steps.identify.form.caller_name }}",
        "{{ fields }}",  # the whole object
        "{% for k, v in fields.items() %}{{ v }}{% endfor %}",  # not a field name: conservatively tainted
        "{% set f = fields %}{{ f.caller_name }}",
        "{{ fields[fields.topic] }}",  # a dynamic key
        "{{ steps.identify.form }}",
        "{{ steps.identify }}",
        "{{ steps.lookup.result }}",
        "{% if fields.caller_name %}x{% endif %}",
        "{{ fields.caller_name",  # does not parse: nothing says it is clean
    ],
)
def test_templates_reading_a_pii_field_are_tainted(source: str) -> None:
    assert pii_taint.template_tainted(source, FIELDS, PII)


@pytest.mark.parametrize(
    "source",
    [
        "Call back",
        "Call about {{ fields.topic }}",
        "{{ fields['amount'] * 2 }} for {{ item }}",
        "{{ steps.identify.outcome }} by {{ steps.identify.by }}",
        "{{ steps.identify.form.topic }}",
        "{{ instance.key }} {{ supervisor_of(item) }}",
        "",
    ],
)
def test_templates_not_reading_pii_are_clean(source: str) -> None:
    assert not pii_taint.template_tainted(source, FIELDS, PII)


def test_without_pii_fields_nothing_is_tainted() -> None:
    assert not pii_taint.template_tainted("{{ fields }}", FIELDS, frozenset())


def _process(*steps: Step) -> Process:
    return Process(key="calls", steps=steps, fields=FIELDS, pii_cleared=("group:center",))


def test_task_taint_per_step_and_text() -> None:
    process = _process(
        Step(
            id="call_back",
            task=TaskSpec(
                title="Call back {{ fields.caller_name }}",
                visit_location="{{ fields.caller_name }}'s home",
                notify=NotifyText(title="{{ task.title }}", message="About {{ fields.topic }}"),
            ),
        ),
        Step(
            id="sort",
            task=TaskSpec(title="Sort {{ fields.topic }}", notify=NotifyText(title="{{ task.title }}")),
        ),
        Step(id="wait", end="completed"),
    )
    taint = pii_taint.task_taint(process, "call_back")
    assert taint == pii_taint.TaskTaint(
        title=True, visit_location=True, notify_title=True, notify_message=False
    )
    assert pii_taint.task_taint(process, "sort") == pii_taint.CLEAN
    # unknown process, unknown step, or a step that is no task: nothing says the text is clean
    assert pii_taint.task_taint(None, "call_back").title
    assert pii_taint.task_taint(process, "gone").title
    assert pii_taint.task_taint(process, "wait").title
    assert list(pii_taint.tainted_steps(process)) == ["call_back"]


def test_mask_text_is_the_one_rule() -> None:
    assert pii_taint.mask_text(MARK, tainted=True, cleared=False) == "***"
    assert pii_taint.mask_text(MARK, tainted=True, cleared=True) == MARK
    assert pii_taint.mask_text(MARK, tainted=False, cleared=False) == MARK
    process = _process(Step(id="call_back", task=TaskSpec(title="Call back {{ fields.caller_name }}")))
    assert pii_taint.public_title(process, "call_back", f"Call back {MARK}") == "Call back (***)"
    assert (
        pii_taint.public_title(process, "call_back", f"Call back {MARK}", cleared=True) == f"Call back {MARK}"
    )


# -- free-text detection -----------------------------------------------------------------------------------
def _my_number(first11: str) -> str:
    return first11 + str(pii_text.my_number_check_digit(first11))


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("write to taro.yamada@example.co.jp please", {"email"}),
        ("card 4111 1111 1111 1111 exp 12/27", {"card"}),
        ("card 4111-1111-1111-1111", {"card"}),
        ("call 090-1234-5678 after six", {"phone"}),
        ("call +81 3 1234 5678", {"phone"}),
        ("call (555) 123-4567", {"phone"}),
        ("my number is 1234 5678 9018", {"my_number"}),  # check digit 8
        ("mail a@b.jp or 03-1234-5678", {"email", "phone"}),
        ("4111 1111 1111 1112 is no card", set()),  # Luhn fails
        ("1234 5678 9012", set()),  # a wrong My Number check digit
        ("invoice 2026-01-31, 3 devices, total 120000", set()),
        ("nothing personal here", set()),
    ],
)
def test_find_pii(text: str, kinds: set[str]) -> None:
    assert pii_text.find_pii(text) == kinds


def test_my_number_check_digit_follows_the_published_rule() -> None:
    # weights 6,5,4,3,2,7,6,5,4,3,2 from the left; 1..11 -> sum 1*6+2*5+...+1*3+... computed by hand:
    # digits 12345678901 -> 6+10+12+12+10+42+42+40+36+0+2 = 212; 212 % 11 = 3 -> 11 - 3 = 8
    assert pii_text.my_number_check_digit("12345678901") == 8
    assert pii_text.is_my_number("123456789018")
    assert not pii_text.is_my_number("123456789010")
    # remainders 0 and 1 give check digit 0
    assert pii_text.my_number_check_digit("00000000000") == 0


def _luhn_complete(body: str) -> str:
    for d in "0123456789":
        if pii_text.luhn_ok(body + d):
            return body + d
    raise AssertionError("no Luhn digit")


@given(st.text(alphabet="0123456789", min_size=12, max_size=18))
def test_any_luhn_valid_13_to_19_digit_number_is_a_card(body: str) -> None:
    card = _luhn_complete(body)
    grouped = " ".join(card[i : i + 4] for i in range(0, len(card), 4))
    assert pii_text.CARD in pii_text.find_pii(f"paid with {grouped}.")
    assert pii_text.PHONE not in pii_text.find_pii(card)  # a card is never also a phone number


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_any_my_number_is_found_and_a_changed_check_digit_is_not(first11: str) -> None:
    number = _my_number(first11)
    assert pii_text.find_pii(f"番号 {number}") == {pii_text.MY_NUMBER}
    wrong = number[:11] + str((int(number[11]) + 1) % 10)
    assert pii_text.MY_NUMBER not in pii_text.find_pii(wrong)


@given(
    st.from_regex(r"[a-z][a-z0-9._]{0,15}", fullmatch=True),
    st.from_regex(r"[a-z][a-z0-9-]{0,10}\.(com|jp|org|co\.jp)", fullmatch=True),
)
def test_any_address_is_an_email(local: str, domain: str) -> None:
    assert pii_text.EMAIL in pii_text.find_pii(f"reply to {local}@{domain} today")


@given(st.text(alphabet=st.characters(blacklist_characters="@0123456789"), max_size=200))
def test_text_without_digits_or_at_signs_holds_nothing(text: str) -> None:
    assert pii_text.find_pii(text) == frozenset()


def test_suspects_only_non_pii_text_fields() -> None:
    form = {
        "caller_name": "a@b.jp",
        "topic": "a@b.jp",
        "notes": "none",
        "amount": 5,
        "other": "090-1234-5678",
    }
    assert pii_text.suspects(form, FIELDS) == {"topic": ["email"], "other": ["phone"]}


# -- field values: type and size checks that never echo a value -----------------------------------------
@pytest.mark.parametrize(
    ("fdef", "value", "message"),
    [
        (FieldDef("n", "number"), "4111-1111-1111-1111", "expected a number"),
        (FieldDef("n", "number"), "nan", "expected a finite number"),
        (FieldDef("n", "number"), float("inf"), "expected a finite number"),
        (FieldDef("n", "number"), True, "expected a number"),
        (FieldDef("e", "entity"), [["person.alice"]], "expected an entity id like person.alice"),
        (FieldDef("e", "entity"), "x" * 300, "expected an entity id like person.alice"),
        (FieldDef("t", "text"), "t" * 10_001, "expected text of at most 10000 characters"),
        (FieldDef("t", "text"), [[[[[["deep"]]]]]], "nested more than 5 levels"),
        (FieldDef("d", "date"), "31.01.2026", "expected a date like 2026-01-31"),
        (FieldDef("c", "choice", options=("a", "b")), "secret", "expected one of a, b"),
    ],
)
def test_refusals_name_what_was_expected_never_the_value(fdef: FieldDef, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        field_values.coerce(fdef, value)


def test_check_values_lists_every_problem_by_name() -> None:
    with pytest.raises(ValueError) as err:
        field_values.check_values({"amount": "abc", "topic": "x" * 20_000, "k" * 300: 1}, FIELDS, "fields")
    assert str(err.value) == (
        "amount: expected a number; topic: expected text of at most 10000 characters; "
        "fields: a name that is empty, not text or longer than 255 characters"
    )
    with pytest.raises(ValueError, match="more than 100 values"):
        field_values.check_values({f"f{i}": i for i in range(101)}, FIELDS, "fields")
    assert field_values.check_values({"amount": "12", "topic": None}, FIELDS, "fields") == {
        "amount": 12,
        "topic": None,
    }


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=30,
)


@given(st.dictionaries(st.sampled_from([*FIELDS, "other", ""]), _JSON, max_size=6))
def test_check_values_either_accepts_or_names_no_value(values: dict[str, Any]) -> None:
    try:
        out = field_values.check_values(values, FIELDS, "fields")
    except ValueError as err:
        for value in values.values():
            if isinstance(value, str) and len(value) > 3:
                assert value not in str(err)
    else:
        assert set(out) == set(values)


# -- events: the runtime's outputs -----------------------------------------------------------------------
BLUEPRINT = """\
blueprint: {name: Calls, domain: bpo}
process:
  key: calls
  start: [{manual: {}}]
  pii_cleared: [group:center]
  fields:
    caller_name: {type: text, pii: true}
    topic: {type: text}
    notes: {type: text}
  steps:
    - id: call_back
      task:
        title: "Call back {{ fields.caller_name }}"
        group: center
        form: [notes]
    - id: sort
      task: {title: "Sort {{ fields.topic }}", group: center}
"""


async def test_events_carry_the_masked_title_and_no_suspected_value(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    bp = parse_blueprint(BLUEPRINT, "calls.yaml")
    engine, _, sink, _ = make(bp)
    await engine.restore()
    inst = await engine.start("calls", fields={"caller_name": MARK, "topic": "billing"})
    task = inst.tasks[0]
    assert task.title == f"Call back {MARK}"  # the store keeps what was rendered
    assert sink.of("task_created")[0]["title"] == "Call back (***)"
    card = "4111 1111 1111 1111"
    await engine.complete_task(task.id, form={"notes": f"paid by {card}"})
    done = sink.of("task_completed")[0]
    assert done["form"] == {"notes": "***"} and done["pii_suspected"] == ["notes"]
    assert sink.of("task_created")[1]["title"] == "Sort billing"  # a clean title stays as it is
    ended = [e for e in sink.events if MARK in repr(e.data) or card in repr(e.data)]
    assert ended == []
    assert "notes (card)" in caplog.text and card not in caplog.text and MARK not in caplog.text


async def test_a_bad_form_value_is_refused_without_echo_and_nothing_is_stored() -> None:
    step = Step(id="fill", task=TaskSpec(title="Fill", form=("amount",)))
    engine, _, _, store = make(simple("form", step, fields=FIELDS))
    await engine.restore()
    inst = await engine.start("form")
    before = store.snapshot()
    with pytest.raises(InvalidForm) as err:
        await engine.complete_task(inst.tasks[0].id, form={"amount": "4111-1111-1111-1111"})
    assert "4111" not in str(err.value) and "amount: expected a number" in str(err.value)
    assert store.snapshot() == before and engine.task(inst.tasks[0].id).is_open


# -- the guard applied to every event payload ----------------------------------------------------------------
CALLS = _process(
    Step(id="call_back", task=TaskSpec(title="Call back {{ fields.caller_name }}")),
    Step(id="sort", task=TaskSpec(title="Sort {{ fields.topic }}")),
)


def test_guard_masks_a_tainted_title_and_keeps_a_clean_one() -> None:
    data: dict[str, Any] = {"process": "calls", "step": "call_back", "title": f"Call back {MARK}"}
    guard_event("task_reminded", data, CALLS)
    assert data == {"process": "calls", "step": "call_back", "title": "Call back (***)"}
    clean: dict[str, Any] = {"process": "calls", "step": "sort", "title": "Sort billing"}
    guard_event("task_created", clean, CALLS)
    assert clean["title"] == "Sort billing"
    unknown: dict[str, Any] = {
        "process": "gone",
        "step": "sort",
        "title": "Sort billing",
        "form": {"n": "a@b.jp"},
    }
    guard_event("task_created", unknown, None)  # no process: nothing says the title is clean
    assert unknown["title"] == "Sort (***)" and unknown["form"] == {"n": "a@b.jp"}
    no_step: dict[str, Any] = {"process": "calls", "step": None, "title": MARK}
    guard_event("task_created", no_step, CALLS)
    assert no_step["title"] == MARK  # not a task's title: left alone


def test_guard_masks_suspected_values_and_flags_only_where_people_type(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    card = "4111 1111 1111 1111"
    done: dict[str, Any] = {
        "process": "calls",
        "task_id": "i1.1",
        "form": {"notes": card, "topic": "billing"},
    }
    guard_event("task_completed", done, CALLS)
    assert done["form"] == {"notes": "***", "topic": "billing"} and done["pii_suspected"] == ["notes"]
    started: dict[str, Any] = {"process": "calls", "instance_id": "i2", "fields": {"topic": "a@b.jp"}}
    guard_event("instance_started", started, CALLS)
    assert started["fields"] == {"topic": "***"} and started["pii_suspected"] == ["topic"]
    ended: dict[str, Any] = {
        "process": "calls",
        "instance_id": "i2",
        "fields": {"topic": "a@b.jp", "amount": 3},
    }
    guard_event("instance_completed", ended, CALLS)
    assert ended == {"process": "calls", "instance_id": "i2", "fields": {"topic": "***", "amount": 3}}
    quiet: dict[str, Any] = {"process": "calls", "task_id": "i3.1", "form": {"notes": "no personal data"}}
    guard_event("task_completed", quiet, CALLS)
    assert quiet == {"process": "calls", "task_id": "i3.1", "form": {"notes": "no personal data"}}
    empty: dict[str, Any] = {"process": "calls", "task_id": "i3.1", "form": {}}
    guard_event("task_completed", empty, CALLS)
    assert empty == {"process": "calls", "task_id": "i3.1", "form": {}}
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == [
        "Task i1.1 of calls: notes (card) look like personal data in field(s) not marked pii: true; "
        "the values are masked in events, mark the fields pii in the blueprint",
        "Instance i2 of calls: topic (email) look like personal data in field(s) not marked pii: true; the "
        "values are masked in events, mark the fields pii in the blueprint",
    ]
    assert card not in caplog.text


@pytest.mark.parametrize(
    ("source", "tainted"),
    [
        ("{{ steps.identify.status }} {{ steps.identify.completed_at }}", False),
        ("{{ steps }}", True),
        ("{{ steps.identify.form['caller_name'] }}", True),
        ("{{ steps.identify.form.other }}", True),  # not a declared field
        ("{{ fields['topic'] }}", False),
        ("{{ fields[0] }}", True),
    ],
)
def test_step_and_subscript_reads(source: str, tainted: bool) -> None:
    assert pii_taint.template_tainted(source, FIELDS, PII) is tainted


@pytest.mark.parametrize(
    ("title", "note", "expected"),
    [
        ("Call back {{ fields.caller_name }}", "{{ task.title }}", True),
        ("Call back {{ fields.caller_name }}", "{{ task }}", True),
        ("Call back {{ fields.caller_name }}", "{{ task.id }} {{ task.due }}", False),
        ("Call back", "{{ task.title }}", False),
        ("Call back", "{{ fields.caller_name }}", True),
        ("Call back", "{{ fields.topic }} {{ kind }}", False),
        ("Call back", "{{ fields }}", True),
        ("Call back", "{{ fields.caller_name", True),  # does not parse
    ],
)
def test_notify_texts_are_tainted_by_fields_and_by_a_tainted_title(
    title: str, note: str, expected: bool
) -> None:
    spec = TaskSpec(title=title, notify=NotifyText(title=note, message=note))
    taint = pii_taint.spec_taint(spec, frozenset(FIELDS), PII)
    assert (taint.notify_title, taint.notify_message) == (expected, expected)
    assert not pii_taint.spec_taint(spec, frozenset(FIELDS), frozenset()).notify_title  # no pii fields at all
    assert not pii_taint.spec_taint(TaskSpec(title=title), frozenset(FIELDS), PII).notify_title  # no notify


def test_humanise_and_masked_title() -> None:
    assert pii_taint.humanise("call_back-now") == "Call back now"
    assert pii_taint.masked_title("call_back") == "Call back (***)"
    assert pii_taint.humanise("") == ""


@pytest.mark.parametrize(
    ("fdef", "value", "stored"),
    [
        (FieldDef("b", "bool"), " Yes ", True),
        (FieldDef("b", "bool"), "ON", True),
        (FieldDef("b", "bool"), 1, True),
        (FieldDef("b", "bool"), "off", False),
        (FieldDef("b", "bool"), 0, False),
        (FieldDef("b", "bool"), False, False),
        (FieldDef("c", "choice", options=("a", "b")), "b", "b"),
        (FieldDef("c", "choice"), 7, "7"),
        (FieldDef("d", "date"), date(2026, 1, 31), "2026-01-31"),
        (FieldDef("d", "date"), " 2026-01-31 ", "2026-01-31"),
        (FieldDef("e", "entity"), " person.alice ", "person.alice"),
        (FieldDef("e", "entity"), "p." + "x" * 253, "p." + "x" * 253),  # 255 characters: the limit
        (FieldDef("n", "number"), " 12 ", 12),
        (FieldDef("n", "number"), "1e3", 1000.0),
        (FieldDef("n", "number"), 2.5, 2.5),
        (FieldDef("t", "text"), "t" * 10_000, "t" * 10_000),  # the limit
        (FieldDef("t", "text"), 5, 5),  # a number typed into text stays a number
        (FieldDef("f", "file"), [[[[["deep"]]]]], [[[[["deep"]]]]]),  # five levels: the limit
        (FieldDef("f", "file"), list(range(1000)), list(range(1000))),  # 1,000 items: the limit
        (FieldDef("f", "file"), {"k" * 255: 1}, {"k" * 255: 1}),
    ],
)
def test_values_within_the_limits_are_stored_as_their_type(fdef: FieldDef, value: Any, stored: Any) -> None:
    out = field_values.coerce(fdef, value)
    assert out == stored and type(out) is type(stored)


@pytest.mark.parametrize(
    ("fdef", "value", "message"),
    [
        (FieldDef("b", "bool"), "maybe", "expected true or false"),
        (FieldDef("b", "bool"), ["yes"], "expected true or false"),
        (FieldDef("b", "bool"), 2, "expected true or false"),
        (FieldDef("c", "choice"), ["a"], "expected text"),
        (FieldDef("c", "choice", options=("a", "b")), True, "expected one of a, b"),
        (FieldDef("d", "date"), 20260131, "expected a date like 2026-01-31"),
        (FieldDef("d", "date"), "2026-01-31" + " " * 300, "expected a date like 2026-01-31"),
        (FieldDef("e", "entity"), "p." + "x" * 254, "expected an entity id like person.alice"),
        (FieldDef("e", "entity"), "person alice", "expected an entity id like person.alice"),
        (FieldDef("e", "entity"), "person.", "expected an entity id like person.alice"),
        (FieldDef("n", "number"), "1" * 256, "expected a number"),
        (FieldDef("n", "number"), None, "expected a number"),
        (FieldDef("f", "file"), [[[[[["x"]]]]]], "nested more than 5 levels"),
        (FieldDef("f", "file"), list(range(1001)), "more than 1000 items"),
        (FieldDef("f", "file"), [list(range(600)), list(range(600))], "more than 1000 items"),  # all levels
        (FieldDef("f", "file"), {"k" * 256: 1}, "a key longer than 255 characters"),
        (FieldDef("f", "file"), [float("nan")], "expected a finite number"),
        (FieldDef("n", "number"), 2**53, "expected a number from -9007199254740991 to 9007199254740991"),
        (
            FieldDef("n", "number"),
            -(2**63) - 1,
            "expected a number from -9007199254740991 to 9007199254740991",
        ),
        (
            FieldDef("n", "number"),
            "9007199254740992",
            "expected a number from -9007199254740991 to 9007199254740991",
        ),
        (
            FieldDef("f", "file"),
            {"n": [2**63]},
            "expected a number from -9007199254740991 to 9007199254740991",
        ),
        (
            FieldDef("f", "file"),
            {"at": date(2026, 1, 1)},
            "expected text, a number, true/false, a list or a mapping",
        ),
    ],
)
def test_values_beyond_the_limits_are_refused(fdef: FieldDef, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        field_values.coerce(fdef, value)


def test_check_values_keeps_what_was_not_given() -> None:
    assert field_values.check_values({"amount": "", "topic": None}, FIELDS, "form") == {
        "amount": "",
        "topic": None,
    }
    assert field_values.check_values({f"f{i}": i for i in range(100)}, {}, "form") == {
        f"f{i}": i for i in range(100)
    }
    with pytest.raises(ValueError, match="^form: a name that is empty"):
        field_values.check_values({"": 1}, FIELDS, "form")


@pytest.mark.parametrize(
    ("fdef", "value", "stored"),
    [
        (FieldDef("b", "bool"), "TRUE ", True),
        (FieldDef("b", "bool"), "False", False),
        (FieldDef("b", "bool"), "no", False),
        (FieldDef("n", "number"), "0" * 254 + "7", 7),  # 255 characters: the limit
        (FieldDef("n", "number"), 2**53 - 1, 2**53 - 1),  # the largest integer JSON readers agree on
        (FieldDef("n", "number"), str(1 - 2**53), 1 - 2**53),
        (FieldDef("f", "file"), [2**53 - 1], [2**53 - 1]),
        (FieldDef("f", "file"), {"ok": True, "none": None}, {"ok": True, "none": None}),
        (FieldDef("d", "date"), "2026-01-31".center(255), "2026-01-31"),
        (FieldDef("t", "text"), "plain", "plain"),
    ],
)
def test_more_values_at_the_edges(fdef: FieldDef, value: Any, stored: Any) -> None:
    assert field_values.coerce(fdef, value) == stored


def test_check_values_reports_every_problem_and_bounds_undeclared_values() -> None:
    with pytest.raises(ValueError) as err:
        field_values.check_values({"": 1, "amount": "abc", "k" * 256: 2}, FIELDS, "form")
    assert str(err.value) == (
        "form: a name that is empty, not text or longer than 255 characters; amount: expected a number; "
        "form: a name that is empty, not text or longer than 255 characters"
    )
    assert field_values.check_values({"k" * 255: [1, 2]}, FIELDS, "form") == {"k" * 255: [1, 2]}
    with pytest.raises(ValueError, match="^extra: nested more than 5 levels$"):
        field_values.check_values({"extra": [[[[[[1]]]]]]}, FIELDS, "form")


def test_guard_looks_at_form_and_fields_alike_and_skips_what_is_no_mapping() -> None:
    both: dict[str, Any] = {"process": "calls", "form": {"notes": "fine"}, "fields": {"topic": "a@b.jp"}}
    guard_event("task_completed", both, CALLS)
    assert both["form"] == {"notes": "fine"} and both["fields"] == {"topic": "***"}
    odd: dict[str, Any] = {"process": "calls", "fields": ["a@b.jp"]}
    guard_event("instance_completed", odd, CALLS)
    assert odd == {"process": "calls", "fields": ["a@b.jp"]}


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("4111111111111111", True),
        ("5500005555555559", True),
        ("378282246310005", True),
        ("6011111111111117", True),
        ("4012888888881881", True),
        ("79927398713", True),
        ("4111111111111112", False),
        ("1234567812345678", False),
        ("4111111111111121", False),
    ],
)
def test_luhn_against_published_numbers(number: str, valid: bool) -> None:
    assert pii_text.luhn_ok(number) is valid


def test_my_number_remainders_zero_one_and_two() -> None:
    assert pii_text.my_number_check_digit("12345678900") == 0  # remainder 1
    assert pii_text.my_number_check_digit("12345678906") == 9  # remainder 2: 11 - 2
    assert pii_text.is_my_number("123456789069") and not pii_text.is_my_number("123456789060")


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("4111 1111 1111 1111 111", set()),  # 19 digits, Luhn fails
        ("4111 1111 1111 1111 110", {"card"}),  # 19 digits, Luhn-valid: the longest card
        ("4111 1111 1111 1111 1115", set()),  # 20 digits, Luhn-valid: too long for a card
        ("+1 234 567 8901 2345", {"phone"}),  # 15 digits: the longest phone
        ("+1 234 567 8901 23456", set()),  # 16 digits: too long for a phone, no card
        ("0123 4567 8901 2345 6789 0", set()),  # 21 digits
        ("(03) 1234-5678", {"phone"}),
        ("0312345678", {"phone"}),  # 10 digits from 0
        ("312345678", set()),  # 9 digits
    ],
)
def test_number_kinds_at_their_lengths(text: str, kinds: set[str]) -> None:
    assert pii_text.find_pii(text) == kinds


def test_describe_names_fields_and_kinds() -> None:
    assert pii_text.describe({"b": ["phone"], "a": ["card", "email"]}) == "a (card, email), b (phone)"
