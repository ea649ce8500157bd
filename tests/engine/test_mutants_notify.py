"""Notification payload rules the mutation run found untested (issue 16): ids, tags, limits, truncation,
what a template sees, and the fallbacks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.bpo.connectors import notify as n

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def view(**kw: object) -> n.TaskView:
    base: dict[str, object] = {"task_id": "i3.1", "title": "Check", "process": "Audit", "outcomes": ("done",)}
    base.update(kw)
    return n.TaskView(**base)  # type: ignore[arg-type]


def test_a_bar_in_the_outcome_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match=r"^task ids and outcomes must not contain '\|'$"):
        n.action_id("i1.1", "a|b")


def test_a_reply_with_an_empty_tag_is_not_ours() -> None:
    assert n.parse_action("REPLY", "bpo-") is None
    assert n.parse_action("REPLY", "bpo-x") == n.Answer("x", None, None, reply=True)


def test_exactly_a_day_ahead_is_urgent() -> None:
    assert n.is_urgent("task", NOW + timedelta(hours=24), NOW)
    assert not n.is_urgent("task", NOW + timedelta(hours=24, seconds=1), NOW)


def test_hours_text_errors_and_spaces_in_day_names() -> None:
    assert n.parse_hours("mon - fri 09:00-18:00") == {"mon-fri": "09:00-18:00"}
    with pytest.raises(ValueError, match=r"^expected like 'mon-fri 09:00-18:00', got 'mon'$"):
        n.parse_hours(" mon ")
    with pytest.raises(ValueError, match=r"^no working hours given$"):
        n.parse_hours(" ; ;")


def test_service_data_and_markdown_without_a_link() -> None:
    note = n.Notification("T", "M")
    assert note.service_data() == {"title": "T", "message": "M", "data": {}}
    assert note.markdown("en") == "M\n\n[Open task](/todo)"


def test_a_device_gets_the_note_unchanged_at_its_limit_and_the_opener_defaults_to_the_task_list() -> None:
    three = n.Notification("T", "M", {"actions": [{"action": str(i)} for i in range(3)]})
    assert n.for_device(three, "android", "en") is three
    four = n.Notification("T", "M", {"actions": [{"action": str(i)} for i in range(4)]})
    fitted = n.for_device(four, "android", "en")
    assert (fitted.title, fitted.message) == ("T", "M")
    assert fitted.data["actions"][-1] == {"action": "URI", "title": "Open task", "uri": "/todo"}


def test_a_required_field_other_than_the_reply_leaves_no_buttons() -> None:
    task = view(text_fields=("comment",), required=("scan",))
    assert n.buttons(task, "en") == []


def test_the_process_line_is_left_out_when_empty_or_the_same_as_the_title() -> None:
    fields = (n.FieldValue("a", "A", 1),)
    assert (
        n.build(
            view(process="Check", fields=fields), kind="task", lang="en", cleared=True, can_act=False
        ).message
        == "A: 1"
    )
    assert (
        n.build(view(process="", fields=fields), kind="task", lang="en", cleared=True, can_act=False).message
        == "A: 1"
    )


def test_empty_and_structured_values_are_skipped_and_long_ones_cut() -> None:
    fields = (
        n.FieldValue("a", "A", ""),
        n.FieldValue("b", "B", {"x": 1}),
        n.FieldValue("c", "C", [1]),
        n.FieldValue("d", "D", None),
        n.FieldValue("e", "E", "x" * 80),
        n.FieldValue("f", "F", "y" * 81),
        n.FieldValue("g", "G", "XXXX"),
    )
    note = n.build(view(fields=fields), kind="task", lang="en", cleared=True, can_act=False)
    assert note.message.split("\n") == ["Audit", "E: " + "x" * 80, "F: " + "y" * 79 + "…", "G: XXXX"]


def test_templates_see_the_task_process_kind_and_due() -> None:
    task = view(
        due=datetime(2026, 3, 9, 10, 0),
        outcomes=("ok", "no"),
        title_template="{{ kind }} {{ task.id }} {{ process }}",
        message_template="{{ task.due }} {{ task.outcomes | join(',') }}",
    )
    note = n.build(task, kind="reminder", lang="en", cleared=True, can_act=False)
    assert (note.title, note.message) == ("reminder i3.1 Audit", "2026-03-09 10:00 ok,no")
    broken = n.build(view(title_template="{{ 1 / 0 }}"), kind="task", lang="en", cleared=True, can_act=False)
    assert broken.title == "New task: Check"
