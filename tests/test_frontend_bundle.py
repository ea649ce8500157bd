"""The committed web UI bundle (custom_components/bpo/frontend/bpo-panel.js) is exactly the build of
frontend/src: HACS users get the bundle without building, so a source change without a rebuild
(scripts/frontend) must fail here."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "custom_components" / "bpo" / "frontend" / "bpo-panel.js"


@pytest.mark.timeout(300)  # a first run installs the locked npm packages
@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed: no rebuild")
def test_committed_bundle_is_the_build_of_the_sources(tmp_path: Path) -> None:
    out = tmp_path / "bpo-panel.js"
    done = subprocess.run(
        [str(ROOT / "scripts" / "frontend"), str(out)],
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert out.read_bytes() == BUNDLE.read_bytes(), "the bundle is stale: run scripts/frontend and commit it"


def test_bundle_is_one_self_contained_module_defining_both_elements_once() -> None:
    text = BUNDLE.read_text(encoding="utf-8")
    # one file: no imports left for the browser to fetch (HA serves only this file)
    assert "import(" not in text and not any(line.startswith("import ") for line in text.splitlines())
    # both elements, each define guarded so the panel and the extra-JS load can both run it
    assert '"bpo-panel"' in text and '"bpo-tasks-card"' in text
    assert "customElements.get(" in text
    assert "customCards" in text


NESTED = """\
blueprint: {name: g, domain: bpo}
process:
  key: g
  start: {manual: {}}
  steps:
    - id: outer
      join: 2
      parallel:
        - id: a
          task: {group: g}
        - id: inner
          parallel: [{id: b, task: {group: g}}, {id: c, wait: {event: e}}]
          join: any
        - id: d
          action: {service: notify.notify}
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_panel_graph_parser_reads_every_line_the_engine_draws() -> None:
    """The panel draws instances from engine/graph.py's Mermaid text with its own small parser
    (frontend/src/graph-parse.ts): every node and edge line of every shipped, example and test
    blueprint's chart, and of every shape the engine draws, must come out as a node or an edge."""
    from custom_components.bpo.engine.graph import to_mermaid
    from custom_components.bpo.engine.schema import load_directory, parse_blueprint
    from tests.engine.test_graph import TEXT as EVERY_KIND

    blueprints = [parse_blueprint(EVERY_KIND, "kinds.yaml"), parse_blueprint(NESTED, "nested.yaml")]
    for folder in (
        ROOT / "config_examples" / "blueprints" / "bpo",
        ROOT / "custom_components" / "bpo" / "blueprints" / "bpo",
        ROOT / "tests" / "browser" / "blueprints",
    ):
        loaded, errors = load_directory(folder)
        assert not errors
        blueprints += loaded.values()
    charts = [to_mermaid(bp) for bp in blueprints]
    done = subprocess.run(
        ["node", str(ROOT / "frontend" / "tools" / "parse-graphs.mjs")],
        input=json.dumps(charts),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    shapes: set[str] = set()
    for chart, parsed in zip(charts, json.loads(done.stdout), strict=True):
        lines = chart.splitlines()[1:]  # after "flowchart TD"
        assert len(parsed["nodes"]) + len(parsed["edges"]) == len(lines), chart
        ids = {node["id"] for node in parsed["nodes"]}
        assert all(edge["from"] in ids and edge["to"] in ids for edge in parsed["edges"]), chart
        shapes |= {node["shape"] for node in parsed["nodes"]}
    # "flag": call steps (the contact-center blueprints are the first shipped ones with a call)
    assert shapes == {"start", "task", "choice", "end", "wait", "action", "parallel", "flag"}
