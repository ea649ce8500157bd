"""Property test: whatever is done to a valid blueprint, the loader raises only BlueprintError."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from custom_components.bpo.engine.errors import BlueprintError
from custom_components.bpo.engine.model import Blueprint, Limits, Timeout
from custom_components.bpo.engine.schema import parse_blueprint

ROOT = Path(__file__).resolve().parents[2]
SEED_TEXT = (ROOT / "blueprints" / "bpo" / "device_security_report.yaml").read_text(encoding="utf-8")
RICH_TEXT = """\
blueprint:
  name: Rich
  domain: bpo
  input:
    people: {name: People, default: [a, b]}
    wait_for: {name: Wait, default: {hours: 2}}
process:
  key: rich
  catch_up: skip
  start:
    - schedule: "*/15 8-17 * * 1-5"
      for_each: !input people
    - event: bpo_x
      match: {k: "{{ event.v }}"}
    - manual: {}
      fields: {verdict: ok}
  limits: {max_starts: 10, per: 10m}
  fields:
    verdict: {type: choice, options: [ok, follow_up], default: ok}
    note: {type: text, pii: true}
    result: {type: text}
  steps:
    - id: ask
      task: {assignee: "{{ item }}", form: [verdict, note], due: 1d, remind: [2h], outcomes: [ok, no],
             escalate: [{after: 20h, notify: [group:x], reassign: "{{ supervisor_of(item) }}"}]}
      timeout: !input wait_for
      on_timeout: {goto: late}
    - id: both
      parallel:
        - {id: b1, task: {group: g}, timeout: 1h, on_timeout: complete}
        - {id: b2, wait: {delay: 5m}}
        - {id: b3, parallel: [{id: b4, action: {service: notify.notify}}]}
      join: 2
    - id: route
      choose:
        - {when: "{{ steps.ask.outcome == 'no' }}", goto: late}
      default: call
    - id: call
      when: "{{ fields.verdict == 'ok' }}"
      action: {connector: jamf, call: lock, data: {d: ["{{ item }}", 1]}, result: result}
      next: done
    - id: late
      wait: {until: "{{ now().isoformat() }}"}
    - id: done
      end: completed
  viewers: [supervisor]
  pii_cleared: [group:center]
"""
BASES = [SEED_TEXT, RICH_TEXT]


class _Input(str):
    """Marker so ``!input`` survives a load/mutate/dump round trip."""


class _FuzzLoader(yaml.CSafeLoader):  # libyaml: the round trip is most of each example's time
    pass


class _FuzzDumper(yaml.CSafeDumper):
    pass


def _construct_input(loader: yaml.SafeLoader, node: yaml.Node) -> _Input:
    assert isinstance(node, yaml.ScalarNode)
    return _Input(loader.construct_scalar(node))


_FuzzLoader.add_constructor("!input", _construct_input)
_FuzzDumper.add_representer(_Input, lambda dumper, data: dumper.represent_scalar("!input", str(data)))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*prefix, index)))
    return found


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


garbage = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**12), 10**12),
        st.floats(allow_nan=True),
        st.text(max_size=12),
        st.sampled_from(
            [
                "{{",
                "{% if %}",
                "!input",
                "24:00:00",
                "-1d",
                "1h 1h",
                "person.alice",
                "done",
                "report",
                "all",
                "n",
                "0 9 * *",
            ]
        ),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["id", "task", "x", "goto", "when", "type"]), inner, max_size=3),
    ),
    max_leaves=6,
)

mutation = st.sampled_from(["delete", "replace", "swap", "rename", "duplicate", "wrap"])


def _mutate(doc: Any, data: st.DataObject) -> Any:
    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 4))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            return doc
        path = data.draw(st.sampled_from(paths))
        parent = _get(doc, path[:-1])
        last = path[-1]
        kind = data.draw(mutation)
        if kind == "delete":
            del parent[last]
        elif kind == "replace":
            parent[last] = data.draw(garbage)
        elif kind == "swap":
            other = data.draw(st.sampled_from(paths))
            if other[: len(path)] != path and path[: len(other)] != other:
                other_parent = _get(doc, other[:-1])
                parent[last], other_parent[other[-1]] = other_parent[other[-1]], parent[last]
        elif kind == "rename" and isinstance(parent, dict):
            parent[data.draw(st.text(min_size=1, max_size=8))] = parent.pop(last)
        elif kind == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
        elif kind == "wrap":
            parent[last] = [parent[last]]
    return doc


def _check(text: str, inputs: dict[str, Any] | None = None) -> None:
    try:
        result = parse_blueprint(text, "fuzz.yaml", inputs)
    except BlueprintError as exc:
        assert exc.problems, "a BlueprintError must carry at least one problem"
        for problem in exc.problems:
            assert problem.file == "fuzz.yaml"
            assert problem.line is None or problem.line >= 1
            assert problem.message
        return
    assert isinstance(result, Blueprint)


def test_bases_are_valid() -> None:
    """The seeds parse into what they say (a seed that silently lost steps would weaken every fuzz case)."""
    seed, rich = (parse_blueprint(text, "base.yaml") for text in BASES)
    assert (seed.name, seed.process.key) == ("Device security report", "device_security_report")
    assert [s.id for s in seed.process.steps] == ["mdm", "report", "review", "done"]
    _mdm, report, review, _ = seed.process.steps
    assert report.task is not None and report.task.form == ("scan_history", "worries")
    assert (report.task.due, report.task.remind) == (7 * 86400, (3 * 86400, 6 * 86400))
    assert [b.id for b in review.parallel] == ["supervisor_check", "inspection"]
    assert review.join == "all"
    loop = review.parallel[1].repeat
    assert loop is not None and [s.id for s in loop.steps] == ["contractor_inspection", "fix"]
    assert review.parallel[0].timeout == Timeout(86400, "complete")
    assert seed.process.fields["worries"].pii and seed.process.fields["scan_history"].required
    assert seed.process.limits == Limits(max_starts=2000, window=3600.0)

    assert [s.id for s in rich.process.steps] == ["ask", "both", "route", "call", "late", "done"]
    assert [type(s).__name__ for s in rich.process.starts] == ["ScheduleStart", "EventStart", "ManualStart"]
    ask, both = rich.process.steps[:2]
    assert ask.timeout == Timeout(7200, "goto", "late")  # the !input default {hours: 2}
    assert (both.join, both.join_n) == ("n_of_m", 2)
    assert rich.process.starts[0].for_each == ["a", "b"]  # type: ignore[union-attr]
    assert rich.process.viewers == ("supervisor",) and rich.process.pii_cleared == ("group:center",)


@given(base=st.sampled_from(BASES), data=st.data())
def test_structural_mutations(base: str, data: st.DataObject) -> None:
    doc = _mutate(yaml.load(base, Loader=_FuzzLoader), data)
    text = yaml.dump(doc, Dumper=_FuzzDumper, allow_unicode=True, sort_keys=False)
    _check(text)


@given(base=st.sampled_from(BASES), cut=st.integers(0, 4000), insert=st.text(max_size=20), data=st.data())
def test_text_mutations(base: str, cut: int, insert: str, data: st.DataObject) -> None:
    cut %= len(base)
    kind = data.draw(st.sampled_from(["truncate", "insert", "drop_line", "indent_line"]))
    if kind == "truncate":
        text = base[:cut]
    elif kind == "insert":
        text = base[:cut] + insert + base[cut:]
    else:
        lines = base.splitlines(keepends=True)
        index = cut % len(lines)
        lines[index] = "" if kind == "drop_line" else "  " + lines[index]
        text = "".join(lines)
    _check(text)


@given(
    base=st.sampled_from(BASES),
    inputs=st.dictionaries(
        st.sampled_from(["employees", "supervisor_timeout", "people", "wait_for", "x"]), garbage, max_size=3
    ),
)
def test_garbage_inputs(base: str, inputs: dict[str, Any]) -> None:
    _check(base, inputs)
