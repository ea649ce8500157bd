from __future__ import annotations

from pathlib import Path

from custom_components.bpo.engine.graph import to_mermaid
from custom_components.bpo.engine.schema import load_blueprint, parse_blueprint

SEED = Path(__file__).resolve().parents[2] / "blueprints" / "bpo" / "device_security_report.yaml"
EMPLOYEES = {"employees": ["person.alice", "person.bob", "person.carol"]}


def test_seed_graph() -> None:
    chart = to_mermaid(load_blueprint(SEED, inputs=EMPLOYEES)).splitlines()
    assert chart[0] == "flowchart TD"
    assert '    start0(["schedule 0 9 1 * *<br/>for each of 3 items"])' in chart
    assert "    start0 --> s_mdm" in chart
    assert "    s_mdm --> s_report" in chart
    assert any(line.startswith('    s_review[/"review: parallel"\\]') for line in chart)
    assert '    s_review_join[\\"join all"/]' in chart
    assert "    s_review --> s_supervisor_check" in chart
    # a follow_up loops: the employee's fix, then the contractor again, until ok or three rounds
    assert "    s_review --> s_inspection" in chart
    assert "    s_contractor_inspection --> s_fix" in chart
    assert '    s_inspection_until -.->|"again"| s_inspection' in chart
    assert "    s_inspection_until --> s_review_join" in chart
    assert '    s_supervisor_check -.->|"after 1d: complete"| s_review_join' in chart
    assert "    s_report --> s_review" in chart
    assert "    s_review_join --> s_done" in chart
    assert '    s_done(("completed"))' in chart
    assert not any("finish" in line for line in chart)  # the last step is an end step


TEXT = """\
blueprint: {name: g, domain: bpo}
process:
  key: g
  start: [{event: bpo_x}, {manual: {}}]
  steps:
    - id: ask
      task: {title: 'Say "hi"', group: g, due: 2h, outcomes: [yes, no]}
      timeout: 1d
      on_timeout: {goto: end}
    - id: route
      choose:
        - when: "{{ steps.ask.outcome == 'no' }}"
          goto: end
    - id: wait
      wait: {delay: 90m}
      timeout: 1h
    - id: act
      action: {connector: jamf, call: lock}
      timeout: 5m
      on_timeout: escalate
    - id: end
      end: failed
"""


def test_kinds_edges_and_escaping() -> None:
    chart = to_mermaid(parse_blueprint(TEXT, "g.yaml")).splitlines()
    assert '    start0(["event bpo_x"])' in chart and '    start1(["manual start"])' in chart
    assert '    s_ask["ask: Say #quot;hi#quot;<br/>to group g<br/>due 2h"]' in chart
    assert '    s_ask -.->|"after 1d"| s_end' in chart
    assert '    s_route{"route: choose"}' in chart
    assert "    s_route -->|\"{{ steps.ask.outcome == 'no' }}\"| s_end" in chart
    assert '    s_route -->|"otherwise"| s_wait' in chart
    assert '    s_wait{{"wait: wait 1h 30m"}}' in chart
    assert '    s_wait -.->|"after 1h: fail"| timeout_failed' in chart
    assert '    timeout_failed(("failed (timeout)"))' in chart
    assert '    s_act[["act: jamf.lock"]]' in chart
    assert '    s_act -.->|"after 5m: escalate"| s_act' in chart
    assert '    s_end(("failed"))' in chart
    assert "    s_act --> s_end" in chart
    assert not any(line.strip().startswith("end") for line in chart)  # 'end' is a Mermaid keyword


def test_falling_off_the_end_draws_a_finish_node() -> None:
    text = (
        "blueprint: {name: g, domain: bpo}\n"
        "process: {key: g, start: {manual: {}}, steps: [{id: a, task: {group: g}}]}\n"
    )
    chart = to_mermaid(parse_blueprint(text, "g.yaml")).splitlines()
    assert '    finish((("completed")))' in chart
    assert "    s_a --> finish" in chart


def test_nested_parallel_and_n_of_m_join() -> None:
    text = """\
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
    chart = to_mermaid(parse_blueprint(text, "g.yaml")).splitlines()
    assert '    s_outer_join[\\"join 2 of 3"/]' in chart
    assert '    s_inner_join[\\"join any"/]' in chart
    assert "    s_outer --> s_inner" in chart
    assert "    s_inner_join --> s_outer_join" in chart
    assert "    s_inner --> s_c" in chart
    assert "    s_outer_join --> finish" in chart
