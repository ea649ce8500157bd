"""Templated ``viewers``/``pii_cleared`` entries: rendered once per instance at its start, kept across a
restart and a blueprint edit, failing closed (and reported without the value) when they render no name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custom_components.bpo.engine.errors import BlueprintError
from custom_components.bpo.engine.runtime import Engine
from custom_components.bpo.engine.runtime_errors import NotAllowed
from custom_components.bpo.engine.schema import parse_blueprint
from custom_components.bpo.engine.state import Instance
from custom_components.bpo.engine.visibility import can_view, pii_cleared

from .test_runtime import BERLIN, People, make

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
PEOPLE = {"staff": ["dave"], "client_acme": ["alice"], "client_globex": ["bob"], "client_": ["mallory"]}


def portal(viewers: str = '["group:client_{{ fields.client }}"]', cleared: str | None = None) -> str:
    cleared = cleared if cleared is not None else viewers
    return f"""
blueprint: {{name: Portal, domain: bpo}}
process:
  key: portal
  start: [{{manual: {{}}}}]
  fields:
    client: {{type: text}}
    salary: {{type: number, pii: true}}
  steps:
    - id: check
      task: {{group: staff, pii: true}}
  viewers: {viewers}
  pii_cleared: {cleared}
"""


async def start(engine: Engine, client: str) -> Instance:
    return await engine.start("portal", key=f"k-{client}", fields={"client": client, "salary": 4100})


async def setup(text: str = portal()) -> tuple[Engine, object, object, object]:
    engine, clock, sink, store = make(parse_blueprint(text, "portal.yaml"), start=T0)
    engine.directory = People(PEOPLE)
    await engine.restore()
    return engine, clock, sink, store


async def test_each_instance_is_seen_and_cleared_for_its_own_client_only() -> None:
    engine, _clock, _sink, _store = await setup()
    acme, globex = await start(engine, "acme"), await start(engine, "globex")
    assert acme.rights == {"viewers": ["group:client_acme"], "pii_cleared": ["group:client_acme"]}
    process = engine.blueprint("portal").process  # type: ignore[union-attr]
    people = People(PEOPLE)
    (a_task,) = acme.open_tasks()
    (g_task,) = globex.open_tasks()
    assert can_view("alice", a_task, acme, process, people)
    assert not can_view("alice", g_task, globex, process, people)
    assert can_view("bob", g_task, globex, process, people)
    assert pii_cleared("alice", process, people, acme)
    assert not pii_cleared("alice", process, people, globex)
    assert not pii_cleared("alice", process, people, None)  # without the instance only fixed entries count


async def test_rendered_entries_survive_a_restart_and_a_blueprint_edit() -> None:
    engine, clock, sink, store = await setup()
    acme = await start(engine, "acme")
    again = Engine(clock=clock, store=store, events=sink, tz=BERLIN, directory=People(PEOPLE))  # type: ignore[arg-type]
    # the edited blueprint names another group: the running instance keeps what it rendered
    again.set_blueprints([parse_blueprint(portal('["group:staff_{{ fields.client }}"]'), "portal.yaml")])
    await again.restore()
    restored = again.instance(acme.id)
    assert restored is not None and restored.rights == acme.rights


@pytest.mark.parametrize("client", ["", "acme, group:staff", "{{ 1 }}", "None"])
async def test_an_entry_that_renders_no_name_grants_nothing_and_is_reported(client: str) -> None:
    engine, _clock, sink, _store = await setup()
    inst = await start(engine, client)
    assert inst.rights is None
    process = engine.blueprint("portal").process  # type: ignore[union-attr]
    (task,) = inst.open_tasks()
    # "group:client_" exists in the directory and must stay closed
    assert not can_view("mallory", task, inst, process, People(PEOPLE))
    assert not pii_cleared("mallory", process, People(PEOPLE), inst)
    details = [h.details for h in inst.history if h.what == "rights_invalid"]
    assert details == [{"entry": "viewers[0]"}, {"entry": "pii_cleared[0]"}]
    events = sink.of("rights_invalid")  # type: ignore[attr-defined]
    assert [e["error"] for e in events] == ["viewers[0] rendered no name", "pii_cleared[0] rendered no name"]
    assert all(e["key"] is None for e in events)  # the key may name the client


async def test_completing_pii_work_follows_the_rendered_clearance() -> None:
    own_group = 'task: {group: "client_{{ fields.client }}", pii: true}'
    text = portal().replace("task: {group: staff, pii: true}", own_group)
    engine, _clock, _sink, _store = await setup(text)
    acme, globex = await start(engine, "acme"), await start(engine, "globex")
    with pytest.raises(NotAllowed):
        await engine.complete_task(globex.open_tasks()[0].id, user="alice")
    await engine.complete_task(acme.open_tasks()[0].id, user="alice")
    await engine.complete_task(globex.open_tasks()[0].id, user="bob")
    assert acme.status == globex.status == "completed"


@pytest.mark.parametrize(
    ("viewers", "message"),
    [
        ('["bogus:{{ fields.client }}"]', "unknown entry"),
        ('["group:{% if true %}x{% endif %}"]', "only"),
        ('["group:client_{{ fields.nope }}"]', "nope"),
    ],
)
def test_validate_checks_the_fixed_part_and_the_names(viewers: str, message: str) -> None:
    with pytest.raises(BlueprintError, match=message):
        parse_blueprint(portal(viewers, "[]"), "portal.yaml")
