"""What the shared engine context hands to templates and timers, as seen from outside the engine (issue 16:
mutation testing of ``engine/context.py`` with the engine tests left these unchecked): the directory
helpers without a directory, what ``steps.<id>`` and ``instance`` hold (times in the engine's zone), how a
``match`` compares values, due dates from a clock that is not in UTC, the texts of bad durations and
date-times, a host calendar that changes, and old blueprint versions with inputs after a restart.

Blueprints are YAML text and everything is read through the public ``Engine`` API."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.bpo.engine.clock import VirtualClock
from custom_components.bpo.engine.memory_store import MemoryStore
from custom_components.bpo.engine.runtime import Engine
from custom_components.bpo.engine.runtime_errors import InvalidForm
from custom_components.bpo.engine.schema import parse_blueprint

from .test_mutants_tasks import T0, blueprint, engine_for
from .test_runtime import BERLIN, Sink


@pytest.fixture
def host_zone(host_tz: Callable[[str], None]) -> None:
    """The process runs in New York: times must come out in the engine's zone (Berlin) or UTC."""
    host_tz("America/New_York")


class EchoDirectory:
    """Everybody's supervisor is "<who>-sup" and every group has the one member "<group>-member", so a
    helper that asks about None (or about the text "None") shows in the result."""

    def supervisor_of(self, who: str) -> str | None:
        assert isinstance(who, str)
        return f"{who}-sup"

    def members(self, group: str) -> list[str]:
        assert isinstance(group, str)
        return [f"{group}-member"]

    def groups_of(self, who: str) -> list[str]:
        return []


TITLES = (
    "    - id: ask\n"
    "      task:\n"
    "        assignee: ann\n"
    "        title: \"{{ supervisor_of('ann') }}|{{ supervisor_of(none) }}|{{ supervisor_of(7) }}"
    "|{{ members('desk') | join(',') }}|{{ members(none) | join(',') }}|{{ members(3) | join(',') }}\"\n"
)


async def test_directory_helpers_without_a_directory_give_nobody() -> None:
    engine, _, _ = engine_for(blueprint(TITLES), directory=None)
    await engine.restore()
    inst = await engine.start("tasks")
    assert inst.tasks[0].title == "None|None|None|||"


async def test_directory_helpers_ask_the_directory_about_text_and_never_about_none() -> None:
    engine, _, _ = engine_for(blueprint(TITLES), directory=EchoDirectory())
    await engine.restore()
    inst = await engine.start("tasks")
    assert inst.tasks[0].title == "ann-sup|None|7-sup|desk-member||3-member"


async def test_steps_hold_each_finished_task_with_its_times_in_the_engine_zone(host_zone: None) -> None:
    steps = (
        "    - {id: quick, task: {assignee: ann}}\n"
        "    - {id: check, task: {assignee: ann, outcomes: [yes, no], form: [note]}}\n"
        "    - id: after\n"
        "      task:\n"
        "        assignee: ann\n"
        '        title: "{{ steps.check.outcome }}|{{ steps.check.form.note }}|{{ steps.check.by }}'
        "|{{ steps.check.status }}|{{ steps.check.completed_at.isoformat() }}|{{ steps.quick.form | length }}"
        '|{{ steps.quick.by }}|{{ instance.started.isoformat() }}|{{ instance.id }}|{{ instance.key }}"\n'
    )
    engine, clock, _ = engine_for(blueprint(steps, fields="{note: {type: text}}"))
    await engine.restore()
    inst = await engine.start("tasks", key="k1")
    clock.advance(600)
    await engine.complete_task(inst.tasks[0].id, user="ann")
    clock.advance(1200)
    await engine.complete_task(
        inst.tasks[1].id, outcome="no", form={"note": "fine"}, user="bob", on_behalf=True
    )
    assert inst.tasks[2].title == (
        f"no|fine|bob|completed|2025-01-06T09:30:00+01:00|0|ann|2025-01-06T09:00:00+01:00|{inst.id}|k1"
    )


def event_started(match: str) -> str:
    return (
        "blueprint: {name: Ev, domain: bpo}\n"
        "process:\n"
        "  key: ev\n"
        f"  start: [{{event: ping, match: {match}}}]\n"
        "  steps:\n"
        "    - {id: ask, task: {assignee: ann}}\n"
    )


async def test_a_match_needs_every_key_and_compares_equal_values_or_equal_text() -> None:
    engine, _, _ = engine_for(event_started("{n: 5, ok: true, who: \"{{ 'a' ~ 'nn' }}\"}"))
    await engine.restore()
    for data, starts in (
        ({"n": 5, "ok": True, "who": "ann"}, True),
        ({"n": "5", "ok": True, "who": "ann"}, True),  # equal as text
        ({"n": 5.0, "ok": 1, "who": "ann"}, True),  # equal values
        ({"n": 6, "ok": True, "who": "ann"}, False),
        ({"n": 5, "ok": True, "who": "bob"}, False),  # the rendered template is the expected value
        ({"n": 5, "ok": True}, False),  # a key missing from the data
        ({"ok": True, "who": "ann"}, False),
        ({}, False),
    ):
        started = await engine.handle_event("ping", data)
        assert (len(started) == 1) is starts, data


async def test_a_bad_due_template_fails_the_instance_naming_the_first_120_characters() -> None:
    source = "{{ 'x' if true else '" + "y" * 130 + "' }}"
    engine, _, _ = engine_for(blueprint(f'    - {{id: ask, task: {{assignee: ann, due: "{source}"}}}}\n'))
    await engine.restore()
    inst = await engine.start("tasks")
    assert inst.status == "failed"
    assert inst.error == (
        f"step ask: duration template {source[:120]!r}: it rendered a text, not a duration such as 90s, 30m,"
        " 24h, 7d, 1d 12h, 24:00:00, PT24H or a number of seconds"
    )


async def test_wait_until_reads_naive_times_in_the_engine_zone_and_names_a_bad_one() -> None:
    steps = "    - {id: hold, wait: {until: '{{ fields.at }}'}}\n    - {id: ask, task: {assignee: ann}}\n"
    engine, clock, _ = engine_for(blueprint(steps, fields="{at: {type: text}}"))
    await engine.restore()
    naive = await engine.start("tasks", fields={"at": " 2025-01-06T12:00 "})
    aware = await engine.start("tasks", fields={"at": "2025-01-06T12:00:00+00:00"})
    bad = await engine.start("tasks", fields={"at": "soon"})
    assert (bad.status, bad.error) == ("failed", "step hold: wait until: 'soon' is not an ISO date/time")
    clock.advance_to(datetime(2025, 1, 6, 11, tzinfo=UTC))  # 12:00 in Berlin
    await engine.tick()
    assert [t.step for t in naive.tasks] == ["ask"]
    assert aware.tasks == []
    clock.advance_to(datetime(2025, 1, 6, 12, tzinfo=UTC))
    await engine.tick()
    assert [t.step for t in aware.tasks] == ["ask"]


class Workday:
    """A host Workday sensor that says which days are closed."""

    def __init__(self, *closed: date) -> None:
        self.days = set(closed)

    def closed(self, source: str, day: date) -> bool | None:
        return day in self.days if source == "binary_sensor.workday_sensor" else None


async def test_working_time_follows_the_host_source_the_engine_has_now() -> None:
    calendar = (
        "  calendar: {time_zone: Europe/Berlin, hours: {mon-fri: '09:00-17:00'},"
        " closed_from: [binary_sensor.workday_sensor]}\n"
    )
    engine, _, _ = engine_for(
        blueprint("    - {id: ask, task: {assignee: ann, due: 8h, business_time: true}}\n", extra=calendar)
    )
    await engine.restore()
    monday_five = datetime(2025, 1, 6, 17, tzinfo=BERLIN)
    tuesday_five = datetime(2025, 1, 7, 17, tzinfo=BERLIN)
    closed_monday, all_open = Workday(date(2025, 1, 6)), Workday()
    dues = []
    for source in (None, closed_monday, all_open, closed_monday, None):
        engine.closed_days = source
        dues.append((await engine.start("tasks")).tasks[0].due)
    assert dues == [monday_five, tuesday_five, monday_five, tuesday_five, monday_five]


def claim(title: str) -> str:
    return (
        "blueprint:\n"
        "  name: Claim\n"
        "  domain: bpo\n"
        "  input: {desk: {name: Desk}}\n"
        "process:\n"
        "  key: claim\n"
        "  start: [{manual: {}}]\n"
        "  steps:\n"
        "    - {id: check, task: {assignee: ann}}\n"
        f"    - {{id: approve, task: {{assignee: ann, title: '{title} {{{{ inputs.desk }}}}'}}}}\n"
    )


def restarted(store: MemoryStore, clock: VirtualClock, text: str, desk: str) -> Engine:
    engine = Engine(clock=clock, store=store, events=Sink(), tz=BERLIN)
    engine.set_blueprints([parse_blueprint(text, "claim.yaml", {"desk": desk})])
    return engine


async def test_an_old_version_is_rebuilt_after_a_restart_with_the_inputs_it_started_with() -> None:
    clock, store = VirtualClock(T0), MemoryStore()
    engine = restarted(store, clock, claim("Old"), "north")
    await engine.restore()
    old = await engine.start("claim")
    [source] = store.meta["sources"].values() if store.meta else []
    assert source["inputs"] == {"desk": "north"}

    engine = restarted(store, clock, claim("New"), "south")
    await engine.restore()
    await engine.complete_task(old.tasks[0].id, user="ann")
    assert engine.instance(old.id).tasks[1].title == "Old north"
    new = await engine.start("claim")
    await engine.complete_task(new.tasks[0].id, user="ann")
    assert new.tasks[1].title == "New south"


async def test_an_instance_whose_old_version_is_lost_goes_on_with_the_current_one() -> None:
    clock, store = VirtualClock(T0), MemoryStore()
    engine = restarted(store, clock, claim("Old"), "north")
    await engine.restore()
    lost = await engine.start("claim", key="lost")
    damaged = await engine.start("claim", key="damaged")
    other = await engine.start("claim", key="other")
    assert store.meta is not None
    [(ref, source)] = store.meta["sources"].items()
    # a store from before sources were kept
    store.meta["sources"] = {}
    engine = restarted(store, clock, claim("New"), "south")
    await engine.restore()
    await engine.complete_task(lost.tasks[0].id, user="ann")
    assert engine.instance(lost.id).tasks[1].title == "New south"

    # kept text that no longer parses
    store.meta["sources"] = {ref: {**source, "text": "process: ["}}
    engine = restarted(store, clock, claim("New"), "south")
    await engine.restore()
    await engine.complete_task(damaged.tasks[0].id, user="ann")
    assert engine.instance(damaged.id).tasks[1].title == "New south"

    # text kept under the version's name that now makes another version (say the hashing changed)
    store.meta["sources"] = {ref: {**source, "text": claim("Other")}}
    engine = restarted(store, clock, claim("New"), "south")
    await engine.restore()
    await engine.complete_task(other.tasks[0].id, user="ann")
    assert engine.instance(other.id).tasks[1].title == "New south"


class ZonedClock(VirtualClock):
    """A host clock that hands out local time (aware, so the same instants as UTC)."""

    def __init__(self, start: datetime, zone: ZoneInfo) -> None:
        super().__init__(start)
        self.zone = zone

    def now(self) -> datetime:
        return super().now().astimezone(self.zone)


async def test_due_dates_from_a_clock_outside_utc_are_the_same_instants_in_that_zone() -> None:
    # due dates are shared between tasks with the same start and duration, but only in UTC: the same
    # instant from a clock in another zone keeps that zone
    engine, _, _ = engine_for(blueprint("    - {id: ask, task: {assignee: ann, due: 2h}}\n"))
    await engine.restore()
    dues = [(await engine.start("tasks")).tasks[0].due]
    for zone in (BERLIN, ZoneInfo("America/New_York")):
        engine.clock = ZonedClock(T0, zone)
        dues.append((await engine.start("tasks")).tasks[0].due)
    assert dues == [T0 + timedelta(hours=2)] * 3
    assert [due.utcoffset() if due else None for due in dues] == [
        timedelta(0),
        timedelta(hours=1),
        timedelta(hours=-5),
    ]


async def test_a_wait_until_time_is_kept_in_utc_whatever_the_host_zone(host_zone: None) -> None:
    engine, _, _ = engine_for(blueprint("    - {id: hold, wait: {until: '2025-01-06T12:00'}}\n"))
    await engine.restore()
    inst = await engine.start("tasks")
    [line] = [h for h in inst.history if h.what == "waiting"]
    assert line.details == {"event": None, "until": "2025-01-06T11:00:00+00:00"}


class HostCalendar:
    """A calendar the host supplies by name: it adds working time, and has none of the date helpers."""

    def add(self, start: datetime, seconds: float) -> datetime:
        return start + timedelta(seconds=2 * seconds)


NEEDS_CALENDAR = "next_business_day needs the process's business calendar (process.calendar)"


async def test_date_helpers_use_only_a_calendar_written_in_the_blueprint() -> None:
    steps = (
        "    - {id: ask, task: {assignee: ann, due: 1h, business_time: true,"
        " title: '{{ next_business_day() }}'}}\n"
    )
    engine, _, _ = engine_for(
        blueprint(steps, extra="  calendar: office\n"), calendars={"office": HostCalendar()}
    )
    await engine.restore()
    inst = await engine.start("tasks")
    assert (inst.status, inst.error) == (
        "failed",
        f"step ask: template '{{{{ next_business_day() }}}}' failed: {NEEDS_CALENDAR}",
    )

    written = "  calendar: {time_zone: Europe/Berlin, hours: {mon-fri: '09:00-17:00'}}\n"
    engine, _, _ = engine_for(blueprint(steps, extra=written))
    await engine.restore()
    inst = await engine.start("tasks")
    assert inst.tasks[0].title == "2025-01-07 09:00:00+01:00"


async def test_date_helpers_find_no_calendar_for_a_template_without_its_own_instance() -> None:
    written = "  calendar: {time_zone: Europe/Berlin, hours: {mon-fri: '09:00-17:00'}}\n"
    for instance in ("'x'", "{'id': []}", "{'id': 'i999'}"):
        title = f"{{% set instance = {instance} %}}{{{{ next_business_day() }}}}"
        engine, _, _ = engine_for(
            blueprint(f'    - {{id: ask, task: {{assignee: ann, title: "{title}"}}}}\n', extra=written)
        )
        await engine.restore()
        inst = await engine.start("tasks")
        assert inst.status == "failed", instance
        assert inst.error is not None and inst.error.endswith(f"failed: {NEEDS_CALENDAR}"), (
            instance,
            inst.error,
        )

    # an event start's key renders before there is an instance
    text = (
        "blueprint: {name: Ev, domain: bpo}\n"
        "process:\n"
        "  key: ev\n" + written + "  start: [{event: ping, key: '{{ next_business_day() }}'}]\n"
        "  steps:\n"
        "    - {id: ask, task: {assignee: ann}}\n"
    )
    engine, _, sink = engine_for(text)
    await engine.restore()
    assert await engine.handle_event("ping", {}) == []  # that start is dropped, saying why
    [failed] = sink.of("start_failed")
    assert NEEDS_CALENDAR in failed["error"]
    with pytest.raises(InvalidForm, match=re.escape(NEEDS_CALENDAR)):  # the webhook gets the reason
        await engine.handle_event("ping", {}, strict=True)
