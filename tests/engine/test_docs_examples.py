"""Every ```yaml block in docs/blueprint-language.md is validated.

Markers are HTML comments on the lines just above a block (several may be joined with ``;``):

- no marker: the block is a complete blueprint;
- ``<!-- fragment: process -->``: keys of ``process:``; wrapped into a minimal blueprint that adds ``key``,
  a manual ``start`` and an ``end`` step only when the block has none;
- ``<!-- fragment: header -->``: a ``blueprint:`` header; a minimal process is appended;
- ``<!-- invalid: text -->``: the block must fail with a problem containing ``text``;
- ``<!-- simulate: blueprint|answers|scenario -->``: the files of the ``bpo simulate`` example, run together
  by ``test_simulate_scenario.py`` (the blueprint is also validated here).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from custom_components.bpo.engine.errors import BlueprintError
from custom_components.bpo.engine.schema import parse_blueprint

DOC = Path(__file__).resolve().parents[2] / "docs" / "blueprint-language.md"
_MARKER = re.compile(r"<!--\s*(.*?)\s*-->")
_MINIMAL_PROCESS = """
process:
  key: doc_example
  start: [{manual: {}}]
  steps:
    - id: done
      end: completed
"""


@dataclass
class Block:
    line: int
    text: str
    markers: dict[str, str] = field(default_factory=dict)


def _blocks() -> list[Block]:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        if lines[index].strip() != "```yaml":
            index += 1
            continue
        markers: dict[str, str] = {}
        back = index - 1
        while back >= 0 and _MARKER.fullmatch(lines[back].strip()):
            for part in _MARKER.fullmatch(lines[back].strip()).group(1).split(";"):  # type: ignore[union-attr]
                name, _, value = part.partition(":")
                markers[name.strip()] = value.strip()
            back -= 1
        end = lines.index("```", index + 1)
        blocks.append(Block(index + 1, "\n".join(lines[index + 1 : end]) + "\n", markers))
        index = end + 1
    return blocks


def _has_top_key(text: str, key: str) -> bool:
    return re.search(rf"^{key}:", text, re.MULTILINE) is not None


def wrap(block: Block) -> str:
    kind = block.markers.get("fragment")
    if kind is None:
        return block.text
    if kind == "header":
        return block.text + _MINIMAL_PROCESS
    assert kind == "process", f"unknown fragment kind {kind!r} at docs line {block.line}"
    extra = []
    if not _has_top_key(block.text, "key"):
        extra.append("key: doc_example")
    if not _has_top_key(block.text, "start"):
        extra.append("start: [{manual: {}}]")
    if not _has_top_key(block.text, "steps"):
        extra.append("steps: [{id: done, end: completed}]")
    body = textwrap.indent(block.text + "\n".join(extra) + "\n", "  ")
    return "blueprint: {name: Doc example, domain: bpo}\nprocess:\n" + body


BLOCKS = _blocks()


def simulate_files() -> dict[str, str]:
    """The ``bpo simulate`` example of the doc: blueprint, answers and scenario file texts."""
    return {b.markers["simulate"]: b.text for b in BLOCKS if "simulate" in b.markers}


def test_the_doc_has_many_examples() -> None:
    assert len(BLOCKS) >= 20
    assert sum("invalid" in b.markers for b in BLOCKS) >= 5
    assert any(not b.markers for b in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"line{b.line}" for b in BLOCKS])
def test_doc_example(block: Block) -> None:
    text = wrap(block)
    name = f"docs/blueprint-language.md@{block.line}"
    expected = block.markers.get("invalid")
    if block.markers.get("simulate") in ("answers", "scenario"):
        pytest.skip("a bpo simulate input file, run by test_simulate_scenario.py")
    if expected is None:
        if not block.markers or block.markers.get("simulate") == "blueprint":
            assert _has_top_key(text, "blueprint"), f"unmarked block at line {block.line} is not a blueprint"
        parse_blueprint(text, name)
        return
    with pytest.raises(BlueprintError) as caught:
        parse_blueprint(text, name)
    assert any(expected in p.message for p in caught.value.problems), str(caught.value)


def test_wrapping_keeps_fragment_keys_and_adds_only_missing_ones() -> None:
    block = Block(1, "key: mine\nsteps:\n  - id: a\n    end: failed\n", {"fragment": "process"})
    bp = parse_blueprint(wrap(block), "x.yaml")
    assert bp.process.key == "mine"
    assert [s.id for s in bp.process.steps] == ["a"]
    assert len(bp.process.starts) == 1


def test_yes_no_outcomes_and_merge_example_means_what_the_doc_says() -> None:
    block = next(b for b in BLOCKS if "ask_again" in b.text)
    process = parse_blueprint(wrap(block), "x.yaml").process
    again = process.step("ask_again").task
    assert again is not None
    assert (again.group, again.due, again.outcomes, again.title) == (
        "office",
        172800.0,
        ("yes", "no"),
        "Ask again",
    )
