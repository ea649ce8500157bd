from __future__ import annotations

from pathlib import Path

import pytest

from custom_components.bpo.engine.errors import BlueprintError, Problem
from custom_components.bpo.engine.model import (
    EventStart,
    ManualStart,
    ScheduleStart,
    Timeout,
)
from custom_components.bpo.engine.schema import load_blueprint, load_directory, parse_blueprint

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "blueprints" / "bpo" / "device_security_report.yaml"

FULL = """\
blueprint:
  name: Full example
  description: Every construct once.
  domain: bpo
  input:
    employees: {name: Employees, selector: {entity: {domain: person, multiple: true}}, default: [person.a]}
    supervisor_timeout: {name: Supervisor check timeout, default: "24:00:00"}
process:
  key: full_example
  catch_up: skip
  calendar: office
  start:
    - schedule: "0 9 1 * *"
      for_each: !input employees
      key: "{{ item }}"
    - event: bpo_device_registered
      match: {platform: ios}
      key: "{{ event.device }}"
    - manual: {}
      fields: {verdict: ok}
  limits: {max_starts: 2000, per: 1h}
  fields:
    scan_history: {type: file, required: true}
    worries: {type: text, pii: true}
    verdict: {type: choice, options: [ok, follow_up]}
  steps:
    - id: report
      task: {title: "Report {{ item }}", assignee: "{{ item }}", form: [scan_history, worries], due: 7d,
             remind: [6d, 3d], business_time: true,
             escalate: [{after: 7d, notify: ["group:officers"], reassign: "{{ supervisor_of(item) }}"}]}
    - id: review
      parallel:
        - id: supervisor_check
          task: {assignee: "{{ supervisor_of(item) }}", optional: true}
          timeout: !input supervisor_timeout
          on_timeout: complete
        - id: contractor_inspection
          task: {group: contractors, outcomes: [ok, follow_up]}
      join: any
    - id: route
      choose:
        - when: "{{ steps.contractor_inspection.outcome == 'follow_up' }}"
          goto: follow_up
      default: wait_ack
    - id: follow_up
      when: "{{ fields.verdict != 'ok' }}"
      task: {group: contractors, candidates: [person.x]}
      next: wait_ack
    - id: wait_ack
      wait: {event: bpo_ack, match: {key: "{{ instance.key }}"}}
      timeout: {hours: 2}
      on_timeout: {goto: notify}
    - id: notify
      action: {service: notify.notify, data: {message: "hi"}}
    - id: lock
      action: {connector: jamf, call: lock, data: {device: "{{ item }}"}, result: verdict}
    - id: done
      end: completed
  viewers: [supervisor, group:internal_audit, group:officers]
  pii_cleared: [group:center_agents]
"""


def problems_of(text: str, inputs: dict[str, object] | None = None) -> list[Problem]:
    with pytest.raises(BlueprintError) as caught:
        parse_blueprint(text, "bp.yaml", inputs)
    return caught.value.problems


def test_seed_blueprint_maps_onto_the_model() -> None:
    bp = load_blueprint(SEED, inputs={"employees": ["person.alice", "person.bob", "person.carol"]})
    p = bp.process
    assert bp.name == "Device security report"
    assert p.key == "device_security_report"
    assert p.starts == (
        ScheduleStart(
            cron="0 9 1 * *", for_each=["person.alice", "person.bob", "person.carol"], key="{{ item }}"
        ),
    )
    assert (p.limits.max_starts, p.limits.window) == (2000, 3600.0)
    assert p.fields["scan_history"].type == "file" and p.fields["scan_history"].required
    assert p.fields["worries"].pii
    report = p.step("report")
    assert report.task is not None
    assert report.task.form == ("scan_history", "worries")
    assert report.task.due == 7 * 86400
    assert report.task.remind == (3 * 86400, 6 * 86400)
    review = p.step("review")
    assert [b.id for b in review.parallel] == ["supervisor_check", "inspection"]
    loop = p.step("inspection").repeat
    assert (
        loop is not None and loop.max == 3 and [s.id for s in loop.steps] == ["contractor_inspection", "fix"]
    )
    assert review.join == "all"
    check = p.step("supervisor_check")
    assert check.timeout == Timeout(after=86400.0, action="complete")
    assert check.task is not None and check.task.optional
    inspection = p.step("contractor_inspection").task
    assert inspection is not None and inspection.group == "contractors"
    assert inspection.outcomes == ("ok", "follow_up")
    assert p.step("done").end == "completed"
    assert p.viewers == ("supervisor", "group:internal_audit", "group:officers")
    assert report.pos is not None and report.pos.line > 1 and report.pos.file == str(SEED)


def test_full_language_example() -> None:
    bp = parse_blueprint(FULL, "full.yaml")
    p = bp.process
    assert p.catch_up == "skip" and p.calendar == "office"
    assert isinstance(p.starts[1], EventStart) and p.starts[1].match == {"platform": "ios"}
    assert p.starts[2] == ManualStart(fields={"verdict": "ok"})
    report = p.step("report").task
    assert report is not None and report.business_time
    assert report.remind == (259200.0, 518400.0)  # sorted
    assert report.escalate[0].after == 604800.0 and report.escalate[0].notify == ("group:officers",)
    assert report.escalate[0].reassign == "{{ supervisor_of(item) }}"
    assert p.step("review").join == "any"
    route = p.step("route")
    assert route.choose[0].goto == "follow_up" and route.default == "wait_ack"
    assert p.step("follow_up").when == "{{ fields.verdict != 'ok' }}"
    assert p.step("follow_up").next == "wait_ack"
    wait = p.step("wait_ack")
    assert wait.wait is not None and wait.wait.event == "bpo_ack"
    assert wait.timeout == Timeout(after=7200.0, action="goto", goto="notify")
    lock = p.step("lock").action
    assert lock is not None and (lock.connector, lock.call, lock.result) == ("jamf", "lock", "verdict")
    assert p.step("notify").action is not None
    assert p.step("notify").kind == "action"
    assert p.pii_cleared == ("group:center_agents",)
    assert bp.inputs["employees"].selector == {"entity": {"domain": "person", "multiple": True}}


def test_title_defaults_to_humanised_id() -> None:
    bp = parse_blueprint(FULL, "full.yaml")
    task = bp.process.step("supervisor_check").task
    assert task is not None and task.title == "Supervisor check"


def test_n_of_m_join() -> None:
    text = FULL.replace("join: any", "join: 2")
    step = parse_blueprint(text, "f.yaml").process.step("review")
    assert (step.join, step.join_n) == ("n_of_m", 2)


def test_caller_inputs_override_defaults_and_change_the_version() -> None:
    base = parse_blueprint(FULL, "f.yaml")
    again = parse_blueprint(FULL, "f.yaml")
    other = parse_blueprint(FULL, "f.yaml", {"supervisor_timeout": "2h"})
    assert base.process.version == again.process.version
    assert len(base.process.version) == 12
    assert other.process.version != base.process.version
    check = other.process.step("supervisor_check")
    assert check.timeout is not None and check.timeout.after == 7200.0


def test_missing_input_value_and_unknown_supplied_input() -> None:
    text = FULL.replace('default: "24:00:00"', "description: no default")
    problems = problems_of(text, {"employes": ["x"]})
    messages = [p.message for p in problems]
    assert "input 'supervisor_timeout' has no default and no value was supplied" in messages
    assert any("input 'employes' was supplied" in m and "did you mean 'employees'" in m for m in messages)
    # the timeout that uses the missing input is not reported a second time
    assert not any(p.path.startswith("process") for p in problems)
    assert parse_blueprint(text, "f.yaml", {"supervisor_timeout": 60}).process.step(
        "supervisor_check"
    ).timeout == Timeout(after=60.0, action="complete")


def test_problem_format_names_file_line_path() -> None:
    text = FULL.replace("due: 7d", "due: sevendays")
    problems = problems_of(text)
    assert len(problems) == 1
    rendered = str(problems[0])
    assert rendered.startswith("bp.yaml:28: process.steps[0].task.due: expected a duration")
    assert rendered.endswith("got 'sevendays'")


def test_all_problems_are_reported_at_once() -> None:
    text = (
        FULL.replace("due: 7d", "due: sevendays")
        .replace("group: contractors, outcomes", "grup: contractors, outcomes")
        .replace('schedule: "0 9 1 * *"', 'schedule: "0 9 1 *"')
        .replace("catch_up: skip", "catch_up: later")
    )
    problems = problems_of(text)
    paths = {p.path for p in problems}
    assert {
        "process.steps[0].task.due",
        "process.steps[1].parallel[1].task.grup",
        "process.start[0].schedule",
        "process.catch_up",
    } <= paths
    assert [p.line for p in problems] == sorted(p.line or 0 for p in problems)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "the file is empty"),
        ("- a\n- b\n", "expected a mapping"),
        ("blueprint: {name: x, domain: bpo}\n", "missing required key 'process'"),
        (
            "blueprint: {name: x, domain: bpos}\nprocess: {key: k, start: [{manual: {}}], steps: []}\n",
            "domain must be bpo",
        ),
        (
            "blueprint: {name: x, domain: bpo}\nprocess: {key: k, start: [{manual: {}}], steps: []}\n",
            "at least one step",
        ),
        (
            "blueprint: {name: x, domain: bpo}\n"
            "process: {key: k, start: [], steps: [{id: a, end: completed}]}\n",
            "at least one start",
        ),
        (
            "blueprint: {name: x, domain: bpo}\nprocess: {key: k, steps: [{id: a, end: completed}]}\n",
            "missing required key 'start'",
        ),
        (
            "blueprint: {name: x, domain: bpo, input: {a: {default: 1}}}\nprocess: {key: !input a}\n",
            "process key must be lowercase",
        ),
        ("blueprint: {name: !input a, domain: bpo}\nprocess: {key: k}\n", "only be used inside process"),
    ],
)
def test_structural_problems(text: str, fragment: str) -> None:
    assert any(fragment in p.message for p in problems_of(text)), problems_of(text)


def _one_step(step: str, extra: str = "") -> str:
    return (
        "blueprint: {name: x, domain: bpo}\nprocess:\n  key: k\n  start: [{manual: {}}]\n"
        + extra
        + "  steps:\n"
        + step
    )


@pytest.mark.parametrize(
    ("step", "fragment"),
    [
        (
            "    - {id: a}\n",
            "exactly one of task, parallel, choose, wait, action, end, repeat, call; it has none",
        ),
        ("    - {id: a, end: completed, task: {group: g}}\n", "it has task, end"),
        ("    - {id: a, task: {title: x}}\n", "needs an assignee, a group or candidates"),
        ("    - {id: A-1, end: completed}\n", "step id must be lowercase"),
        ("    - {id: a, end: done}\n", "expected one of completed, failed, cancelled"),
        ("    - {id: a, wait: {event: e, delay: 3}}\n", "exactly one of event, until or delay"),
        ("    - {id: a, wait: {delay: 3, match: {a: 1}}}\n", "match only belongs with event"),
        ("    - {id: a, action: {service: notify}}\n", "domain.name"),
        ("    - {id: a, action: {connector: jamf}}\n", "needs call"),
        ("    - {id: a, action: {service: a.b, connector: c, call: d}}\n", "exactly one of service"),
        ("    - {id: a, task: {group: g}, on_timeout: complete}\n", "needs a timeout"),
        ("    - {id: a, task: {group: g}, timeout: 1h, on_timeout: later}\n", "escalate, requeue or"),
        ("    - {id: a, end: completed, timeout: 1h}\n", "finishes at once"),
        ("    - {id: a, task: {group: g}, join: all}\n", "join only belongs on a parallel"),
        ("    - {id: a, task: {group: g, outcomes: [x, x]}}\n", "must be different"),
        ("    - {id: a, task: {group: g, optional: maybe}}\n", "expected true or false"),
        ("    - {id: a, task: {group: g, escalate: [{after: 1d}]}}\n", "notify, reassign or both"),
        ("    - {id: a, parallel: [{id: b, end: completed}]}\n", "'end' is not allowed inside parallel"),
        ("    - {id: a, parallel: [{id: b, task: {group: g}, next: a}]}\n", "cannot have next"),
        ("    - {id: a, parallel: [{id: b, task: {group: g}}], join: 0}\n", "1 or more"),
        ("    - {id: a, parallel: [{id: b, task: {group: g}}], join: most}\n", "join must be all, any"),
        ("    - {id: a, parallel: []}\n", "at least one branch"),
        ("    - {id: a, choose: []}\n", "choose needs a list"),
        ("    - {id: a, when: '{{ x', task: {group: g}}\n", "template syntax error"),
        ("    - 42\n", "expected a mapping"),
    ],
)
def test_step_problems(step: str, fragment: str) -> None:
    messages = [p.message for p in problems_of(_one_step(step))]
    assert any(fragment in m for m in messages), messages


@pytest.mark.parametrize(
    ("start", "fragment"),
    [
        ("[{schedule: '61 9 * * *'}]", "not a valid cron"),
        ("[{schedule: '0 9 1 *'}]", "expected 5 cron fields"),
        ("[{schedule: '0 9 * * *', for_each: 3}]", "for_each needs a list"),
        ("[{event: e, for_each: [1]}]", "for_each only belongs with schedule"),
        ("[{manual: {}, key: x}]", "key belongs with schedule or event"),
        ("[{manual: {fields: {}}}]", "manual takes no options"),
        ("[{schedule: '0 9 * * *', event: e}]", "exactly one of schedule, event or manual"),
        ("[{manual: {}, fields: {nope: 1}}]", "unknown field 'nope'"),
    ],
)
def test_start_problems(start: str, fragment: str) -> None:
    text = (
        "blueprint: {name: x, domain: bpo}\nprocess:\n  key: k\n  start: "
        + start
        + "\n  steps: [{id: a, end: completed}]\n"
    )
    messages = [p.message for p in problems_of(text)]
    assert any(fragment in m for m in messages), messages


def test_single_start_mapping_is_accepted() -> None:
    text = (
        "blueprint: {name: x, domain: bpo}\n"
        "process:\n  key: k\n  start: {manual: {}}\n  steps: [{id: a, end: failed}]\n"
    )
    assert parse_blueprint(text, "f.yaml").process.starts == (ManualStart(),)


def test_field_problems() -> None:
    extra = (
        "  fields:\n    Bad-Name: {type: text}\n    f: {type: colour}\n    g: {type: text, options: [a]}\n"
        "    h: {type: choice, options: [a], default: b}\n    i: {required: 1}\n"
    )
    messages = [p.message for p in problems_of(_one_step("    - {id: a, end: completed}\n", extra))]
    assert any("a field name must be lowercase" in m for m in messages)
    assert any("expected one of text, number" in m for m in messages)
    assert any("options only belong on a field with type: choice" in m for m in messages)
    assert any("default 'b' is not one of the options" in m for m in messages)
    assert any("expected true or false" in m for m in messages)


def test_limits_problems() -> None:
    extra = "  limits: {max_starts: many, per: 0}\n"
    messages = [p.message for p in problems_of(_one_step("    - {id: a, end: completed}\n", extra))]
    assert any("expected a whole number" in m for m in messages)
    assert any("longer than 0 seconds" in m for m in messages)


def test_load_missing_file_and_non_utf8(tmp_path: Path) -> None:
    with pytest.raises(BlueprintError, match="cannot read the file"):
        load_blueprint(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(BlueprintError, match="not UTF-8"):
        load_blueprint(bad)


def test_load_directory_reports_duplicates_and_invalid_files(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.yaml").write_text(SEED.read_text())
    (tmp_path / "sub" / "b.yaml").write_text(SEED.read_text())
    (tmp_path / "sub" / "c.yml").write_text(FULL)
    (tmp_path / "broken.yaml").write_text("blueprint: [\n")
    (tmp_path / "notes.txt").write_text("ignored")
    found, errors = load_directory(tmp_path)
    assert sorted(found) == ["device_security_report", "full_example"]
    assert found["device_security_report"].path == str(tmp_path / "a.yaml")
    rendered = "\n".join(str(e) for e in errors)
    assert "broken.yaml" in rendered and "YAML syntax error" in rendered
    assert (
        f"b.yaml:{_key_line()}: process.key: process key 'device_security_report' is already used by"
        in rendered
    )


def _key_line() -> int:
    return next(
        i for i, line in enumerate(SEED.read_text().splitlines(), 1) if line.strip().startswith("key:")
    )


def test_load_directory_of_missing_path(tmp_path: Path) -> None:
    found, errors = load_directory(tmp_path / "missing")
    assert found == {} and "not a directory" in str(errors[0])


def test_load_directory_follows_symlinks_once_and_skips_ha_blueprints(tmp_path: Path) -> None:
    real = tmp_path / "shipped" / "bpo"
    real.mkdir(parents=True)
    (real / "seed.yaml").write_text(SEED.read_text())
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "bpo").symlink_to(real, target_is_directory=True)
    (tree / "again").symlink_to(real, target_is_directory=True)  # same folder twice: loaded once
    (tree / "loop").symlink_to(tree, target_is_directory=True)  # a link loop must not hang
    (tree / "automation.yaml").write_text(
        "blueprint: {name: A, domain: automation, input: {}}\ntriggers: []\nactions: []\n"
    )
    found, errors = load_directory(tree)
    assert list(found) == ["device_security_report"]
    assert errors == []


def test_single_ha_blueprint_file_is_an_error(tmp_path: Path) -> None:
    file = tmp_path / "a.yaml"
    file.write_text("blueprint: {name: A, domain: automation}\ntriggers: []\n")
    with pytest.raises(BlueprintError, match="Home Assistant automation blueprint, not a bpo one"):
        load_blueprint(file)


def test_seed_blueprint_starts_nobody_until_employees_are_listed() -> None:
    """Shipped into every install: it must not assign tasks to example people who do not exist."""
    bp = load_blueprint(SEED)
    assert bp.process.starts[0].for_each == []  # type: ignore[union-attr]


def test_a_file_over_the_size_limit_is_refused_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * 20_000_000 + b"\n")
    with pytest.raises(BlueprintError) as caught:
        load_blueprint(big)
    assert str(caught.value) == f"{big}: the file is 20.0 MB; a blueprint may be at most 1.0 MB"
