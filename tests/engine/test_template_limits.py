"""Templates cannot change instance state or exhaust the host (issue 11, item 2)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from custom_components.bpo.engine.model import FieldDef, Step, TaskSpec
from custom_components.bpo.engine.templates import TemplateFailed, Templates

from .test_runtime import make, simple


def ctx() -> dict[str, Any]:
    return {"fields": {"approved": False, "n": 3}, "item": ["a"], "instance": {"key": "k"}}


@pytest.mark.parametrize(
    "source",
    [
        "{{ fields.update({'approved': True}) }}",
        "{{ fields.pop('approved') }}",
        "{{ fields.setdefault('x', 1) }}",
        "{{ fields.clear() }}",
        "{{ item.append('b') }}",
        "{{ item.extend(['b']) }}",
        "{{ instance.update({'key': 'other'}) }}",
    ],
)
@pytest.mark.parametrize("native", [False, True])
def test_templates_cannot_mutate_state(source: str, native: bool) -> None:
    t = Templates()
    data = ctx()
    with pytest.raises(TemplateFailed):
        (t.render_native if native else t.render_str)(source, data)
    assert data == ctx()


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ 9 ** (9 ** 9) > 0 }}", "too large"),
        ("{{ 10 ** 100000 }}", "too large"),
        ("{{ 'x' * 4000000000 }}", "repeating text or a list"),
        ("{{ 4000000000 * [1] }}", "repeating text or a list"),
        ("{{ range(10 ** 9) | list }}", "range of 1000000000 items"),
        (
            "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
            "loop iterations",
        ),
        (
            "{% set x = 'x' * 1000 %}{% for a in x %}{% for b in x %}{% for c in x %}{% endfor %}"
            "{% endfor %}{% endfor %}",
            "loop iterations",
        ),
        ("{{ 'x' * 900000 }}{{ 'y' * 900000 }}", "rendered more than 1000000"),
        (
            "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
            "joining into more than",
        ),
        ("{{ '%999999999d' % 1 }}", "a % format"),
        ("{{ '{:>999999999}'.format(1) }}", "a format text asking"),
        ("{{ 'x'.ljust(10 ** 9) }}", "a call asking"),
        ("{{ 'x' | center(10 ** 9) }}", "a filter asking"),
        ("{{ '%999999999s' | format('x') }}", "a filter asking"),
    ],
)
@pytest.mark.parametrize("native", [False, True])
def test_resource_bombs_fail_fast_with_a_clear_error(source: str, message: str, native: bool) -> None:
    t = Templates()
    began = time.monotonic()
    with pytest.raises(TemplateFailed, match=message):
        (t.render_native if native else t.render_str)(source, ctx())
    assert time.monotonic() - began < 2.0


def test_ordinary_templates_still_work() -> None:
    t = Templates()
    assert t.render_native("{{ 2 ** 10 }}", ctx()) == 1024
    assert t.render_native("{{ 2.5 ** 2 }}", ctx()) == 6.25
    assert t.render_str("{{ 'ab' * 3 }}", ctx()) == "ababab"
    assert t.render_str("{% for i in range(3) %}{{ i }}{% endfor %}", ctx()) == "012"
    assert t.render_str("{% for i in range(3) %}{{ loop.index }}{% else %}none{% endfor %}", ctx()) == "123"
    assert t.render_str("{{ 'x' | center(5) }}|{{ '%05d' % 42 }}|{{ '{:>4}'.format(7) }}", ctx()) == (
        "  x  |00042|   7"
    )
    assert t.render_native("{{ [1, 2] + [3] }}", ctx()) == [1, 2, 3]
    assert t.render_str("{{ fields.n + 1 }}", ctx()) == "4"
    # the budget is per render: many renders of a loop of 150,000 are each fine
    for _ in range(3):
        assert t.render_native("{% for i in range(100000) %}{% endfor %}{{ 1 }}", ctx()) == 1


async def test_a_template_bomb_fails_its_instance_and_nothing_else() -> None:
    bp = simple(
        "bomb",
        Step(id="check", when="{{ fields.n ** (9 ** 9) > 0 }}", task=TaskSpec(assignee="x")),
        fields={"n": FieldDef("n", "number")},
    )
    engine, _, _, _ = make(bp)
    await engine.restore()
    began = time.monotonic()
    bad = await engine.start("bomb", fields={"n": 9})
    good = await engine.start("bomb", fields={"n": 1})  # 1 ** anything stays small
    assert time.monotonic() - began < 2.0
    assert bad.status == "failed" and "too large" in (bad.error or "")
    assert good.is_running and [t.step for t in good.tasks] == ["check"]


@pytest.mark.parametrize("native", [False, True])
def test_a_template_nested_past_the_recursion_limit_fails_cleanly(native: bool) -> None:
    # validation refuses such a source; should one reach rendering anyway, it must fail as a template:
    # every caller handles TemplateFailed, none a RecursionError
    templates = Templates()
    render = templates.render_native if native else templates.render_str
    with pytest.raises(TemplateFailed, match="nested too deeply"):
        render("{{ " * 50 + "1" + " }}" * 50, ctx())
