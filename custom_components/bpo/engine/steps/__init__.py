"""The step-kind table: one behaviour per step kind, keyed by the kind's name (``Step.kind``).

Adding a step kind is one module here plus its entry below, its schema (stepschema.py, model.py) and
its section in docs/blueprint-language.md.
"""

from __future__ import annotations

from collections.abc import Callable

from ..flow import Flow, StepKind
from .action import ActionKind
from .choose import ChooseKind
from .end import EndKind
from .noop import NoopKind
from .parallel import ParallelKind
from .repeat import RepeatKind
from .task import TaskKind
from .wait import WaitKind

STEP_KINDS: dict[str, Callable[[Flow], StepKind]] = {
    "task": TaskKind,
    "parallel": ParallelKind,
    "choose": ChooseKind,
    "wait": WaitKind,
    "action": ActionKind,
    "end": EndKind,
    "repeat": RepeatKind,
    "noop": NoopKind,
}


def install_kinds(flow: Flow) -> None:
    """Give ``flow`` one behaviour object per kind (each holds the flow it acts through)."""
    flow.kinds = {name: make(flow) for name, make in STEP_KINDS.items()}
