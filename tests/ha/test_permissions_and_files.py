"""Read-only users act only on their own tasks; shipped blueprints never overwrite an admin's copy;
a corrupt store file is recovered from its last good copy with a repair issue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from homeassistant.auth.models import User
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.helpers import issue_registry as ir

from custom_components.bpo import blueprint_files

from .helpers import async_setup_world

INTAKE = """\
blueprint: {name: Intake, domain: bpo}
process:
  key: intake
  start: [{manual: {}}]
  steps:
    - id: answer
      task: {title: Answer, assignee: "{{ fields.owner }}"}
  fields:
    owner: {type: entity}
"""


async def _start_for(hass: HomeAssistant, owner: str, key: str) -> str:
    await hass.services.async_call(
        "bpo", "start", {"process": "intake", "key": key, "fields": {"owner": owner}}, blocking=True
    )
    engine = hass.config_entries.async_entries("bpo")[0].runtime_data.manager.engine
    return next(t.id for t in engine.open_tasks(process="intake") if t.assignee == owner)


async def test_read_only_user_completes_own_task_not_anothers(
    hass: HomeAssistant, hass_admin_user: User, hass_read_only_user: User
) -> None:
    world = await async_setup_world(hass, blueprints={"intake.yaml": INTAKE})
    # link the harness's read-only user to a person of its own
    from homeassistant.components.person import async_create_person

    await async_create_person(hass, "Reader", user_id=hass_read_only_user.id)
    await hass.async_block_till_done()
    reader = next(s.entity_id for s in hass.states.async_all("person") if s.name == "Reader")
    theirs = await _start_for(hass, reader, "r1")
    others = await _start_for(hass, "person.alice", "a1")
    context = Context(user_id=hass_read_only_user.id)

    with pytest.raises(ServiceValidationError, match="may not complete"):
        await hass.services.async_call(
            "bpo", "complete_task", {"task_id": others}, blocking=True, context=context
        )
    assert world.manager.engine.task(others).is_open

    await hass.services.async_call(
        "bpo", "complete_task", {"task_id": theirs}, blocking=True, context=context
    )
    assert world.manager.engine.task(theirs).status == "completed"
    # and an administrative service is refused outright
    with pytest.raises(Unauthorized):
        await hass.services.async_call("bpo", "cancel", {"instance_id": "i1"}, blocking=True, context=context)


async def test_user_without_person_cannot_complete(hass: HomeAssistant, hass_read_only_user: User) -> None:
    await async_setup_world(hass, blueprints={"intake.yaml": INTAKE})
    task = await _start_for(hass, "person.alice", "a1")
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "bpo",
            "complete_task",
            {"task_id": task},
            blocking=True,
            context=Context(user_id=hass_read_only_user.id),
        )
    assert err.value.translation_key == "no_person"


def test_shipped_blueprints_respect_admin_edits_and_deletions(tmp_path: Path) -> None:
    record = blueprint_files.install_shipped(tmp_path, {})
    shipped = sorted(record)
    assert "bpo/device_security_report.yaml" in shipped
    target = tmp_path / "blueprints" / "bpo" / "device_security_report.yaml"
    original = target.read_text(encoding="utf-8")

    # an admin edits one copy and deletes another: a later start leaves both as the admin left them
    target.write_text(original.replace("0 9 1 * *", "0 8 1 * *"), encoding="utf-8")
    other = tmp_path / "blueprints" / shipped[0]
    other.unlink()
    record2 = blueprint_files.install_shipped(tmp_path, record)
    assert "0 8 1 * *" in target.read_text(encoding="utf-8")
    assert not other.exists()
    assert record2 == record

    # an untouched copy of an older shipped version is upgraded in place
    target.write_text("old shipped text\n", encoding="utf-8")
    stale_record = {**record, "bpo/device_security_report.yaml": blueprint_files._digest(target)}
    blueprint_files.install_shipped(tmp_path, stale_record)
    assert target.read_text(encoding="utf-8") == original


async def test_corrupt_store_file_recovers_from_last_good_copy(hass: HomeAssistant) -> None:
    world = await async_setup_world(hass, blueprints={"intake.yaml": INTAKE})
    journal = world.entry.runtime_data.store.journal
    first = await _start_for(hass, "person.alice", "a1")
    await journal.compact()
    await hass.services.async_call(
        "bpo", "reassign", {"task_id": first, "assignee": "person.bob"}, blocking=True
    )
    await journal.compact()  # the snapshot before the reassignment becomes the last-good copy
    second = await _start_for(hass, "person.carol", "c1")  # only in the journal
    assert await hass.config_entries.async_unload(world.entry.entry_id)

    snapshot = Path(hass.config.path(".storage", "bpo", "snapshot.json"))
    snapshot.write_text('{"format": "bpo-state", "version": 2, "seq": ', encoding="utf-8")  # torn copy
    assert await hass.config_entries.async_setup(world.entry.entry_id)
    await hass.async_block_till_done()

    issue = ir.async_get(hass).async_get_issue("bpo", "store_recovered")
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert "snapshot.json" in issue.translation_placeholders["files"]
    engine = world.manager.engine
    # nothing acknowledged is lost: the last-good snapshot plus both journals
    restored_first, restored_second = engine.task(first), engine.task(second)
    assert (restored_first.assignee, restored_first.is_open, restored_first.step) == (
        "person.bob",
        True,
        "answer",
    )
    assert (restored_second.assignee, restored_second.is_open) == ("person.carol", True)
    assert engine.instance(restored_second.instance_id).fields == {"owner": "person.carol"}
    assert sorted(t.id for t in engine.open_tasks(process="intake")) == sorted([first, second])
    json.loads(snapshot.read_text(encoding="utf-8"))  # and the main file was rewritten readable


REPORT_WITH_VIEWERS = """\
blueprint: {name: Report, domain: bpo}
process:
  key: report
  start: [{manual: {}}]
  fields:
    owner: {type: entity}
    worries: {type: text, pii: true}
  steps:
    - id: write
      task: {title: Write, assignee: "{{ fields.owner }}"}
  viewers: [supervisor, group:internal_audit]
  pii_cleared: [group:internal_audit]
"""


async def test_list_tasks_shows_only_what_the_caller_may_see(hass: HomeAssistant) -> None:
    world = await async_setup_world(hass, blueprints={"report.yaml": REPORT_WITH_VIEWERS})
    for owner, key in (("person.alice", "a"), ("person.bob", "b")):
        await hass.services.async_call(
            "bpo",
            "start",
            {"process": "report", "key": key, "fields": {"owner": owner, "worries": f"secret of {key}"}},
            blocking=True,
        )

    async def listed(who: str) -> list[dict[str, object]]:
        response = await hass.services.async_call(
            "bpo",
            "list_tasks",
            {"process": "report"},
            blocking=True,
            return_response=True,
            context=Context(user_id=world.users[who].id),
        )
        return response["tasks"]  # type: ignore[index,return-value]

    alice = await listed("alice")
    assert [t["key"] for t in alice] == ["a"]
    assert alice[0]["fields"]["worries"] == "***"  # her own task, but she is not cleared for PII
    assert await listed("dave") == []  # contractor: not a viewer of this process
    assert sorted(t["key"] for t in await listed("sam")) == ["a", "b"]  # supervisor of both
    audit = await listed("erin")  # internal audit: viewer and cleared
    assert sorted(t["fields"]["worries"] for t in audit) == ["secret of a", "secret of b"]
