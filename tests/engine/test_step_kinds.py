"""The step-kind table: every kind the loader can produce has exactly one behaviour, in its own module."""

from __future__ import annotations

from custom_components.bpo.engine.steps import STEP_KINDS
from custom_components.bpo.engine.stepschema import KINDS


def test_every_parsed_kind_has_a_behaviour_and_nothing_else_is_registered() -> None:
    # "noop": a Step built in code with no kind set (Step.kind's fallback), never parsed from YAML
    assert set(STEP_KINDS) == {*KINDS, "noop"}


def test_each_behaviour_lives_in_a_module_of_its_own() -> None:
    modules = {name: make.__module__ for name, make in STEP_KINDS.items()}
    assert len(set(modules.values())) == len(modules)
    assert modules["repeat"] == "custom_components.bpo.engine.steps.repeat"
