"""A step with no kind (built in code, never parsed from YAML): it finishes at once."""

from __future__ import annotations

from .base import BaseKind


class NoopKind(BaseKind):
    """Finishes on entry (``BaseKind.enter``)."""
