"""Sandboxed templates: text vs native rendering, the fast path, helpers, errors."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.bpo.engine.templates import StepsView, TemplateFailed, Templates


def ctx(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "item": "alice",
        "fields": {"n": 3, "tags": ["a", "b"]},
        "steps": StepsView(lambda: {"check": {"outcome": "reject"}}),
    }
    base.update(extra)
    return base


def test_plain_strings_and_simple_substitution() -> None:
    t = Templates()
    assert t.render_str("no template", ctx()) == "no template"
    assert t.render_str("Report of {{ item }}", ctx()) == "Report of alice"
    assert t.render_str("{{ fields.missing }}", ctx()) == ""
    assert t.render_str("{{ steps.check.outcome }}", ctx()) == "reject"


def test_native_rendering_keeps_types() -> None:
    t = Templates()
    assert t.render_native("{{ fields.n }}", ctx()) == 3
    assert t.render_native("{{ fields.n * 2 }}", ctx()) == 6
    assert t.render_native("{{ ['x', 'y'] }}", ctx()) == ["x", "y"]
    assert t.render_value({"a": ["{{ fields.n }}", 1], "b": "{{ item }}"}, ctx()) == {
        "a": [3, 1],
        "b": "alice",
    }
    assert t.truthy("{{ steps.check.outcome == 'reject' }}", ctx()) is True
    assert t.truthy("{{ fields.n > 5 }}", ctx()) is False


def test_helpers_are_available() -> None:
    t = Templates({"supervisor_of": lambda who: f"{who}-boss", "members": lambda g: [f"{g}1", f"{g}2"]})
    assert t.render_str("{{ supervisor_of(item) }}", ctx()) == "alice-boss"
    assert t.render_native("{{ members('ops') }}", ctx()) == ["ops1", "ops2"]


def test_sandbox_blocks_private_attributes_and_errors_are_engine_errors() -> None:
    t = Templates()
    assert t.render_str("{{ item.__class__ }}", ctx()) == ""  # the sandbox hides private attributes
    with pytest.raises(TemplateFailed):
        t.render_str("{{ ''.__class__.__subclasses__() }}", ctx())
    with pytest.raises(TemplateFailed, match="does not compile"):
        t.render_str("{{ item ", ctx())
    with pytest.raises(TemplateFailed):
        t.render_native("{{ 1 / 0 }}", ctx())


def test_compiled_templates_are_cached() -> None:
    t = Templates()
    t.render_str("{{ item | upper }}", ctx())
    t.render_str("{{ item | upper }}", ctx(item="bob"))
    assert len(t._cache_text) == 1
    assert t.render_str("{{ item | upper }}", ctx(item="bob")) == "BOB"


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("{{ dict(a=1)[fields.name] + 1 }}", "UndefinedError"),  # jinja would quote the missing key
        ("{{ fields.name | int + 'a' }}", "TypeError"),
        ("{{ 1 // (fields.name | int) }}", "ZeroDivisionError"),
    ],
)
@pytest.mark.parametrize("native", [False, True])
def test_a_failed_render_never_quotes_a_value(source: str, why: str, native: bool) -> None:
    """The error reaches the instance record, events and Repairs: it names the template and the error type."""
    t = Templates()
    with pytest.raises(TemplateFailed) as err:
        (t.render_native if native else t.render_str)(source, {"fields": {"name": "PII-MARK-4711"}})
    assert why in str(err.value) and source in str(err.value)
    assert "PII-MARK" not in str(err.value).replace(source, "")
