"""``item`` in templates: the instance's item, or — while a ``for_each`` step opens one of its tasks or
actions — that list element (steps/for_each.py).

A context variable rather than an argument threaded through every step kind: it is set only around the
entry of one item and is local to the running asyncio task, so a concurrent operation never sees it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .state import Instance

_CURRENT: ContextVar[tuple[Any] | None] = ContextVar("bpo_for_each_item", default=None)


def item_for(inst: Instance) -> Any:
    current = _CURRENT.get()
    return inst.item if current is None else current[0]


@contextmanager
def item_scope(item: Any) -> Iterator[None]:
    """Templates rendered inside see ``item`` as this for_each element."""
    reset = _CURRENT.set((item,))
    try:
        yield
    finally:
        _CURRENT.reset(reset)


@contextmanager
def no_item_scope() -> Iterator[None]:
    """Leave an item's scope while the flow moves on past its for_each step."""
    reset = _CURRENT.set(None)
    try:
        yield
    finally:
        _CURRENT.reset(reset)
