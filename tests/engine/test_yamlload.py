from __future__ import annotations

import pytest

from custom_components.bpo.engine import yamlload
from custom_components.bpo.engine.errors import BlueprintError, Collector
from custom_components.bpo.engine.yamlload import InputRef, load_yaml, resolve_inputs


@pytest.fixture(autouse=True, params=["libyaml", "python"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs with both parsers: libyaml when it is safe, Python as the fallback."""
    chosen = yamlload._FastLoader if request.param == "libyaml" else yamlload.BlueprintLoader
    assert chosen is not None, "this PyYAML was built without libyaml"
    monkeypatch.setattr(yamlload, "loader_for", lambda text: chosen)
    return str(request.param)


def load(text: str) -> tuple[object, Collector]:
    out = Collector("f.yaml")
    return load_yaml(text, out), out


def test_lines_for_keys_and_items() -> None:
    data, out = load("a:\n  b: 1\n  c:\n    - x\n    - {d: 2}\n")
    assert data == {"a": {"b": 1, "c": ["x", {"d": 2}]}}
    assert out.lines[("a",)] == 1
    assert out.lines[("a", "b")] == 2
    assert out.lines[("a", "c", 0)] == 4
    assert out.lines[("a", "c", 1, "d")] == 5
    assert out.problems == []


def test_line_of_unknown_path_falls_back_to_nearest_ancestor() -> None:
    _, out = load("a:\n  b: [1, 2]\n")
    assert out.line(("a", "b", 7, "zz")) == 2


def test_input_tag_becomes_ref() -> None:
    data, out = load("x: !input employees\n")
    assert data == {"x": InputRef("employees")}
    assert not out.problems


def test_empty_input_tag_is_a_problem() -> None:
    _, out = load("x: !input\n")
    assert "needs the name of an input" in out.problems[0].message


@pytest.mark.parametrize("tag", ["!secret", "!include", "!env_var", "!include_dir_named"])
def test_ha_file_tags_are_rejected_with_line(tag: str) -> None:
    _, out = load(f"a: 1\nb: {tag} thing\n")
    assert len(out.problems) == 1
    assert out.problems[0].line == 2
    assert out.problems[0].message == f"{tag} is not supported in bpo blueprints"


def test_python_tags_are_never_constructed(tmp_path: object) -> None:
    data, out = load("a: !!python/object/apply:os.system ['touch /tmp/bpo_pwned']\nb: !custom 3\n")
    assert data == {"a": None, "b": None}
    messages = [p.message for p in out.problems]
    assert any("unknown tag" in m or "not supported" in m for m in messages)
    assert "unknown tag !custom" in messages


def test_clock_durations_stay_text_and_dates_stay_iso() -> None:
    data, _ = load(
        "a: 24:00:00\nb: 1:30\nc: 2025-01-31\nd: 2025-01-31T09:00:00Z\ne: 7\nf: 1.5\ng: yes\nh: True\n"
    )
    assert data == {
        "a": "24:00:00",
        "b": "1:30",
        "c": "2025-01-31",
        "d": "2025-01-31T09:00:00Z",
        "e": 7,
        "f": 1.5,
        "g": "yes",
        "h": True,
    }


def test_keys_keep_their_source_text() -> None:
    data, _ = load("on: 1\n3: x\nnull: y\n")
    assert data == {"on": 1, "3": "x", "null": "y"}


def test_duplicate_keys_are_reported() -> None:
    data, out = load("a: 1\nb: 2\na: 3\n")
    assert data == {"a": 1, "b": 2}
    assert [(p.line, p.path, p.message) for p in out.problems] == [(3, "a", "duplicate key 'a'")]


def test_merge_keys_work_and_own_keys_override() -> None:
    data, out = load("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n")
    assert data == {"base": {"x": 1, "y": 2}, "c": {"x": 1, "y": 3}}
    assert out.problems == []


def test_syntax_error_has_file_and_line() -> None:
    with pytest.raises(BlueprintError) as caught:
        load("a: 1\nb: [1, 2\nc: 3\n")
    problem = caught.value.problems[0]
    assert problem.file == "f.yaml"
    assert problem.line is not None and problem.line >= 2
    assert "YAML syntax error" in problem.message


def test_bad_character_is_a_syntax_error() -> None:
    with pytest.raises(BlueprintError) as caught:
        load("a: 1\nb: \x07\n")
    assert caught.value.problems[0].line == 2


def test_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    with pytest.raises(BlueprintError, match="too many values"):
        load("\n".join(lines) + "\n")


def test_recursive_alias_is_a_problem() -> None:
    data, out = load("a: &x [1, *x]\n")
    assert data == {"a": [1, None]}
    assert "refers to the structure that contains it" in out.problems[0].message


def test_deep_nesting_is_a_problem_not_a_crash() -> None:
    with pytest.raises(BlueprintError):
        _, out = load("a: " + "[" * 2000 + "]" * 2000 + "\n")
        out.raise_if_any()


def test_complex_key_is_a_problem() -> None:
    _, out = load("? [a, b]\n: 1\n")
    assert out.problems[0].message == "a key must be plain text"


def test_resolve_inputs_copies_values_and_reports_unknown() -> None:
    out = Collector("f.yaml", lines={("p",): 1, ("p", "a"): 2, ("p", "b"): 3})
    values = {"people": ["x", "y"]}
    data = {"a": InputRef("people"), "b": [InputRef("peple")]}
    resolved = resolve_inputs(data, ("p",), values, {"people"}, out)
    assert resolved == {"a": ["x", "y"], "b": [None]}
    assert isinstance(resolved, dict) and resolved["a"] is not values["people"]
    assert [(p.line, p.message) for p in out.problems] == [
        (3, "unknown input 'peple' (declare it under blueprint.input); did you mean 'people'?")
    ]


def test_declared_input_without_value_mutes_problems_below_it() -> None:
    out = Collector("f.yaml")
    resolve_inputs({"t": InputRef("timeout")}, ("p",), {}, {"timeout"}, out)
    out.add(("p", "t"), "noise")
    out.add(("p", "other"), "real")
    assert [p.message for p in out.problems] == ["real"]


@pytest.mark.timeout(300)  # the pure-Python parser under tracemalloc takes long on a loaded machine
def test_aliases_to_long_strings_stop_at_the_expanded_size_limit(parser: str) -> None:
    """Issue 11: 640 KB of aliases to one long string reached 1.5 GB; now the expansion stops early.

    Measured without tracemalloc: libyaml 0.02 s, the pure-Python parser 2.2 s (it composes every alias
    node of the file before anything is built).
    """
    import time
    import tracemalloc

    long = "x" * 10_000
    text = f"s: &s {long}\nl: [" + ", ".join(["*s"] * 155_000) + "]\n"
    assert 600_000 < len(text) < yamlload.MAX_FILE_BYTES
    tracemalloc.start()
    began = time.monotonic()
    try:
        with pytest.raises(BlueprintError, match="expands to more than 4.0 MB of text") as caught:
            load(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.problems[0].file == "f.yaml"
    if parser == "libyaml":
        assert time.monotonic() - began < 5
    assert peak < 200_000_000


def test_a_text_over_the_file_size_limit_is_refused_before_parsing() -> None:
    with pytest.raises(BlueprintError) as caught:
        load("a: " + "x" * 2_000_000 + "\n")
    assert str(caught.value) == "f.yaml: the file is 2.0 MB; a blueprint may be at most 1.0 MB"
