"""The pure notification payloads: buttons, action ids, tags, masking, languages, templates, hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.bpo.connectors import notify as n
from custom_components.bpo.engine.errors import BlueprintError
from custom_components.bpo.engine.schema import parse_blueprint

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def view(**kw: object) -> n.TaskView:
    base: dict[str, object] = {
        "task_id": "i7.2",
        "title": "Refund decision",
        "process": "Refund request",
        "outcomes": ("approve", "reject"),
        "fields": (
            n.FieldValue("customer", "Customer", "Taro Yamada", pii=True),
            n.FieldValue("amount", "Amount", 120),
        ),
        "link": "/todo?entity_id=todo.alice",
    }
    base.update(kw)
    return n.TaskView(**base)  # type: ignore[arg-type]


def test_buttons_tag_and_link() -> None:
    note = n.build(view(), kind="task", lang="en", cleared=True, can_act=True)
    assert note.title == "New task: Refund decision"
    assert note.message == "Refund request\nCustomer: Taro Yamada\nAmount: 120"
    assert note.data == {
        "tag": "bpo-i7.2",
        "url": "/todo?entity_id=todo.alice",
        "clickAction": "/todo?entity_id=todo.alice",
        "actions": [
            {"action": "BPO|i7.2|approve", "title": "Approve"},
            {"action": "BPO|i7.2|reject", "title": "Reject"},
        ],
    }
    assert note.service_data()["data"] is note.data
    assert n.clear_data("i7.2") == {"message": "clear_notification", "data": {"tag": "bpo-i7.2"}}


def test_action_ids_are_unique_per_task_and_round_trip() -> None:
    first = n.buttons(view(task_id="i1.1"), "en")
    second = n.buttons(view(task_id="i2.1"), "en")
    assert not {b["action"] for b in first} & {b["action"] for b in second}
    assert n.parse_action("BPO|i1.1|approve") == n.Answer("i1.1", "approve")
    assert n.parse_action("BPO|i1.1|done|comment") == n.Answer("i1.1", "done", "comment", reply=True)
    assert n.parse_action("REPLY", "bpo-i1.1") == n.Answer("i1.1", None, None, reply=True)
    for foreign in ("ALARM", "REPLY", "BPO|x", "BPO||done", "OTHER|i1.1|done", None, 3):
        assert n.parse_action(foreign) is None
    with pytest.raises(ValueError):
        n.action_id("a|b", "done")


def test_reply_button_for_text_forms() -> None:
    one = view(outcomes=("done",), text_fields=("comment",))
    assert n.buttons(one, "en")[-1] == {
        "action": "BPO|i7.2|done|comment",
        "title": "Reply",
        "behavior": "textInput",
        "textInputButtonTitle": "Send",
        "textInputPlaceholder": "Type your answer",
    }
    assert n.reply_target(one) == ("done", "comment")
    # a required text field: only the reply can complete it
    required = view(outcomes=("approve", "reject"), text_fields=("note", "comment"), required=("comment",))
    assert [b["action"] for b in n.buttons(required, "ja")] == ["BPO|i7.2|approve|comment"]
    assert n.buttons(required, "ja")[0]["title"] == "返信 (承認)"
    # a required file cannot come from a phone: no buttons, the link opens the task
    assert n.buttons(view(required=("scan",)), "en") == []


def test_pii_masked_for_recipients_not_cleared() -> None:
    note = n.build(view(), kind="reminder", lang="en", cleared=False, can_act=True)
    assert note.title == "Reminder: Refund decision"
    assert "Customer: ***" in note.message and "Taro" not in note.message


def test_japanese_texts_and_due_line() -> None:
    due = datetime(2026, 3, 9, 10, 0)
    note = n.build(view(due=due), kind="escalation", lang="ja", cleared=True, can_act=False)
    assert note.title == "エスカレーション: Refund decision"
    assert "期限 2026-03-09 10:00" in note.message
    assert "actions" not in note.data  # told, not asked: no buttons
    assert note.data["push"] == {"interruption-level": "time-sensitive"}
    assert n.language("ja-JP") == "ja" and n.language("en-GB") == "en" and n.language(None) == "en"
    assert n.outcome_label("follow_up", "ja") == "要フォロー"
    assert n.outcome_label("send_back", "en") == "Send back"


def test_blueprint_templates_override_and_stay_masked() -> None:
    custom = view(
        title_template="{{ task.title }} ({{ lang }})",
        message_template="{{ fields.customer }} asks for {{ fields.amount }}",
    )
    masked = n.build(custom, kind="task", lang="en", cleared=False, can_act=True)
    assert (masked.title, masked.message) == ("Refund decision (en)", "*** asks for 120")
    full = n.build(custom, kind="task", lang="en", cleared=True, can_act=True)
    assert full.message == "Taro Yamada asks for 120"
    broken = n.build(view(message_template="{{ 1 / 0 }}"), kind="task", lang="en", cleared=True, can_act=True)
    assert broken.message.startswith("Refund request")  # falls back to the default text


def test_urgency_and_hours() -> None:
    assert n.is_urgent("escalation", None, NOW)
    assert n.is_urgent("reminder", NOW + timedelta(hours=23), NOW)
    assert not n.is_urgent("task", NOW + timedelta(days=3), NOW)
    assert not n.is_urgent("task", None, NOW)
    assert n.parse_hours("Mon-Fri 09:00-18:00; sat 10:00 - 12:00") == {
        "mon-fri": "09:00-18:00",
        "sat": "10:00-12:00",
    }
    for bad in ("", "mon-fri", "9-18"):
        with pytest.raises(ValueError):
            n.parse_hours(bad)


def test_markdown_for_persistent_notifications() -> None:
    note = n.build(view(), kind="task", lang="ja", cleared=True, can_act=True)
    assert note.markdown("ja").endswith("[タスクを開く](/todo?entity_id=todo.alice)")


BLUEPRINT = """\
blueprint: {{name: Notify key, domain: bpo}}
process:
  key: notify_key
  start: [{{manual: {{}}}}]
  steps:
    - id: check
      task:
        assignee: person.alice
        notify: {notify}
"""


def test_task_notify_key_parses_and_validates() -> None:
    bp = parse_blueprint(BLUEPRINT.format(notify='{title: "Check {{ task.title }}"}'), "n.yaml")
    spec = bp.process.step("check").task
    assert spec is not None and spec.notify is not None
    assert (spec.notify.title, spec.notify.message) == ("Check {{ task.title }}", None)
    bad_keys = (("{}", "title, message or both"), ("{subject: x}", "subject"), ("{title: '{{'}", ""))
    for bad, problem in bad_keys:
        with pytest.raises(BlueprintError) as err:
            parse_blueprint(BLUEPRINT.format(notify=bad), "n.yaml")
        assert problem in str(err.value)


def test_buttons_fit_what_each_platform_shows() -> None:
    outcomes = ("approve", "reject", "escalate", "defer")
    note = n.build(view(outcomes=outcomes), kind="task", lang="ja", cleared=True, can_act=True)
    assert len(note.data["actions"]) == 4

    android = n.for_device(note, "Android", "ja").data["actions"]
    assert [a["action"] for a in android] == ["BPO|i7.2|approve", "BPO|i7.2|reject", "URI"]
    assert android[-1] == {"action": "URI", "title": "タスクを開く", "uri": "/todo?entity_id=todo.alice"}
    assert n.for_device(note, None, "ja").data["actions"] == android  # unknown: the smallest limit
    assert n.for_device(note, "iOS", "ja") is note  # iOS shows about ten
    assert note.data["actions"][2]["action"] == "BPO|i7.2|escalate"  # the original is left alone

    two = n.build(view(), kind="task", lang="en", cleared=True, can_act=True)
    assert n.for_device(two, "Android", "en") is two
