"""Checks of ``call`` steps across blueprints (one file cannot know the processes it calls).

Loaded together (a folder: ``bpo validate <dir>``, Home Assistant's blueprint folder), a blueprint whose
``call`` names an unknown process, passes a field the called process does not declare, or calls in a
cycle (a → b → a) is invalid and is not loaded. Validated alone, each call is a warning that it was not
checked. At run time calls nest at most ``steps.call.CALL_DEPTH_MAX`` deep.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping

from . import templatecheck
from .checks import suggestion
from .errors import BlueprintError, Problem
from .model import Blueprint, Step


def call_steps(bp: Blueprint) -> Iterator[Step]:
    """Every ``call`` step of ``bp``, nested ones too."""
    return (step for step in _all_steps(bp.process.steps) if step.call is not None)


def _problem(bp: Blueprint, step: Step, where: str, message: str) -> Problem:
    line = step.pos.line if step.pos is not None and step.pos.line else None
    return Problem(bp.path, line, f"step {step.id}: {where}", message)


def problems(found: Mapping[str, Blueprint]) -> dict[str, list[Problem]]:
    """Process key -> what is wrong with its calls, given every blueprint loaded together."""
    out: dict[str, list[Problem]] = {}
    for key, bp in found.items():
        called: dict[str, tuple[str, ...]] = {}  # call step id -> the outcomes it can give
        for step in call_steps(bp):
            assert step.call is not None
            target = found.get(step.call.process)
            if target is None:
                hint = suggestion(step.call.process, found)
                msg = f"calls process '{step.call.process}', which is not loaded{hint}"
                out.setdefault(key, []).append(_problem(bp, step, "call.process", msg))
                continue
            extra = sorted(set(step.call.fields) - set(target.process.fields))
            if extra:
                msg = f"process '{target.process.key}' has no field(s) {', '.join(extra)}"
                out.setdefault(key, []).append(_problem(bp, step, "call.fields", msg))
            if step.for_each is None:  # a for_each step's own outcome is 'done' (templatecheck.py)
                called[step.id] = outcomes(target, step)
        wrong = templatecheck.check_called(bp, called) if called else []
        if wrong:
            out.setdefault(key, []).extend(wrong)
    for key, cycle in _cycles(found).items():
        bp = found[key]
        step = next(s for s in call_steps(bp) if s.call is not None and s.call.process == cycle[1])
        msg = f"calls itself through {' -> '.join(cycle)}; a process may not call itself, directly or not"
        out.setdefault(key, []).append(_problem(bp, step, "call.process", msg))
    return out


def outcomes(target: Blueprint, step: Step) -> tuple[str, ...]:
    """What ``steps.<id>.outcome`` of a call step can be (steps/call.py): the id of an ``end`` step of the
    called process, its status when it ran past its last step or was cancelled, ``timeout`` when the step
    has one. A failed called instance fails the caller, so no later step reads ``failed``."""
    ends = [s.id for s in _all_steps(target.process.steps) if s.end is not None]
    statuses = ["completed", "cancelled", *(["timeout"] if step.timeout is not None else [])]
    return tuple(dict.fromkeys([*ends, *statuses]))


def _all_steps(steps: tuple[Step, ...]) -> Iterator[Step]:
    for step in steps:
        yield step
        yield from _all_steps(step.inner())


def _cycles(found: Mapping[str, Blueprint]) -> dict[str, list[str]]:
    """Process key -> one call cycle through it (``[a, b, a]``), for every process on a cycle."""
    edges = {
        key: sorted(
            {s.call.process for s in call_steps(bp) if s.call is not None and s.call.process in found}
        )
        for key, bp in found.items()
    }
    out: dict[str, list[str]] = {}
    for start in edges:
        path = _path_back(start, edges)
        if path is not None:
            out[start] = path
    return out


def _path_back(start: str, edges: Mapping[str, list[str]]) -> list[str] | None:
    """A call path from ``start`` back to itself (breadth first: the shortest), or None."""
    seen = {start}
    queue: list[list[str]] = [[start]]
    while queue:
        path = queue.pop(0)
        for target in edges.get(path[-1], ()):
            if target == start:
                return [*path, start]
            if target not in seen:
                seen.add(target)
                queue.append([*path, target])
    return None


def drop_invalid(found: dict[str, Blueprint]) -> list[BlueprintError]:
    """Remove blueprints whose calls are wrong (repeatedly: a caller of a dropped one is wrong too)."""
    errors: list[BlueprintError] = []
    while True:
        wrong = problems(found)
        if not wrong:
            return errors
        for key, listed in sorted(wrong.items()):
            errors.append(BlueprintError(listed))
            del found[key]


def unchecked(bp: Blueprint, known: Collection[str] = ()) -> list[Problem]:
    """Warnings for the calls of a blueprint validated alone: their process was not checked."""
    out: list[Problem] = []
    for step in call_steps(bp):
        assert step.call is not None
        if step.call.process not in known and step.call.process != bp.process.key:
            msg = (
                f"warning: calls process '{step.call.process}', which is not checked here; "
                "validate the folder holding both to check it"
            )
            out.append(_problem(bp, step, "call.process", msg))
    return out
