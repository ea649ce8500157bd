"""libyaml and the pure-Python parser read blueprints the same; deep nesting never reaches libyaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from custom_components.bpo.engine import yamlload
from custom_components.bpo.engine.errors import BlueprintError, Collector, KeyPath, Problem

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(
    [*ROOT.glob("custom_components/bpo/blueprints/**/*.yaml"), *ROOT.glob("config_examples/**/*.yaml")]
)


def _read(
    text: str, loader: type[yaml.SafeLoader], monkeypatch: pytest.MonkeyPatch
) -> tuple[object, dict[KeyPath, int], list[Problem]]:
    monkeypatch.setattr(yamlload, "loader_for", lambda _text: loader)
    out = Collector("f.yaml")
    data = yamlload.load_yaml(text, out)
    return data, dict(out.lines), out.problems


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_both_parsers_give_the_same_values_lines_and_problems(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = path.read_text(encoding="utf-8")
    assert yamlload.loader_for(text) is yamlload._FastLoader  # real files are shallow: the fast path
    assert yamlload._FastLoader is not None
    fast = _read(text, yamlload._FastLoader, monkeypatch)
    slow = _read(text, yamlload.BlueprintLoader, monkeypatch)
    assert fast == slow
    assert fast[1]  # lines were recorded, so the comparison covered them


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 60_000 + "]" * 60_000 + "\n",  # 50k crashed libyaml on an 8 MB stack
        "".join(" " * i + "k:\n" for i in range(600)),  # deeper than libyaml gets, under the file limit
        "- " * 60_000 + "x\n",
    ],
    ids=["flow", "block", "compact"],
)
def test_deep_nesting_goes_to_the_python_parser_and_is_an_error(text: str) -> None:
    assert yamlload.loader_for(text) is yamlload.BlueprintLoader
    with pytest.raises(BlueprintError) as caught:
        out = Collector("deep.yaml")
        yamlload.load_yaml(text, out)
        out.raise_if_any()
    assert "nested" in str(caught.value)


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


nested = st.recursive(
    st.none() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text("ab", max_size=2), inner, max_size=3),
    max_leaves=40,
)


@given(value=nested, flow=st.sampled_from([None, False, True]), indent=st.integers(2, 5))
def test_nesting_bound_is_never_below_the_real_depth(value: object, flow: bool | None, indent: int) -> None:
    text = yaml.safe_dump({"root": value}, default_flow_style=flow, indent=indent, width=10_000)
    assert yamlload._nesting_bound(text) >= _depth({"root": value})
