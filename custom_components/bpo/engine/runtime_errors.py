"""Errors the runtime raises to callers (services, CLI). Each message is meant for a person.

Kept apart from ``errors.py`` (blueprint loading problems) because these are about live state.
"""

from __future__ import annotations


class EngineError(Exception):
    """Base class: a request to the engine could not be carried out."""


class TaskNotFound(EngineError):
    """No task (or instance) with that id."""


class InvalidOutcome(EngineError):
    """The outcome is not one the task offers."""


class NotAllowed(EngineError):
    """The user may not act on this task, or the task/instance is already closed."""


class InvalidForm(EngineError):
    """Form data names unknown fields, misses required ones, or has the wrong type."""


class BlueprintSuspended(EngineError):
    """The process hit its start limit and takes no new starts until resumed."""


class StartFailed(EngineError):
    """Starting an instance failed part-way; nothing of it was kept."""


class StepError(EngineError):
    """Entering a step raised something unexpected; names the step, never the values involved."""

    def __init__(self, step: str, cause: BaseException) -> None:
        self.step = step
        super().__init__(f"step {step}: {failure_text(cause)}")


class UnknownProcess(EngineError):
    """No blueprint defines that process key."""


class ActionFailed(EngineError):
    """Raised by ActionPort implementations when an outbound call fails.

    The runtime catches this (and TimeoutError / OSError) around action steps and records the
    failure on the instance; anything else is a bug and propagates.
    """


def failure_text(err: BaseException) -> str:
    """What to record about an unexpected failure: our own errors speak for themselves; anything else
    is named by its type only, because its message may quote field values (PII)."""
    if isinstance(err, EngineError):
        return str(err)
    return f"internal error ({type(err).__name__})"
