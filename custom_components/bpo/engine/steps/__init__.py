"""The step-kind table: one behaviour per step kind, keyed by the kind's name (``Step.kind``).

Adding a step kind is one module here plus its entry below, its schema (stepschema.py, model.py) and
its section in docs/blueprint-language.md.
"""

from __future__ import annotations

from collections.abc import Callable

from ..flow import Flow, StepKind
from .action import ActionKind
from .call import CallKind
from .choose import ChooseKind
from .end import EndKind
from .for_each import ForEachKind
from .noop import NoopKind
from .parallel import ParallelKind
from .repeat import RepeatKind
from .sequence import SequenceKind
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
    "call": CallKind,
    "steps": SequenceKind,  # a parallel branch that is a step sequence
    "for_each": ForEachKind,  # not a key of its own: a task, action or call step with for_each
    "noop": NoopKind,
}


def install_kinds(flow: Flow) -> None:
    """Give ``flow`` one behaviour object per kind (each holds the flow it acts through)."""
    flow.kinds = {name: make(flow) for name, make in STEP_KINDS.items()}
