"""``for_each`` on a task, action or call step: one task, action or called instance per item of a list.

The step's token is a ``Join`` holding the rendered list (``items``, rendered once on entry, at most
``FOR_EACH_MAX``), how many items were started, the open items (item task or call token id -> index) and
each finished item's outcome. Items are opened in list order, at most ``concurrency`` open at once; each
finished item opens the next. ``item`` in the templates rendered when an item opens (title, assignee, data,
a call's fields, …) is that element (itemscope.py). The join completes when ``all``, ``any`` (one) or N
items finished; the still-open items are then cancelled (a called instance with its call token). The
step's result is ``{outcome: done, data: {outcomes: [{item, outcome}], done: <count>}}``: a task item's
outcome is the task's (its status when it has none), an action item's ``done``, a call item's the called
instance's (as a single ``call`` reports it, ``failed`` too: one failed item does not fail the others), an
item cancelled or never opened ``None``.

A called item instance gets the element as its ``item`` and the key ``<caller key>/<step id>/<index>``
(the caller's id when it has no key; index from 0); its start's dedupe key is ``<caller id>/<step id>/
<index>``, so opening the same item again (a retry after a crash saved the called instance but not the
caller) returns the running one, and never another caller's.

Task and call tokens of such a step are dispatched here too (the step's kind is ``for_each``); their own
behaviour (deadlines, reminders, cancel, restore) is the task or call kind's. Actions are awaited one after
another, so they never overlap; an item that finishes at once does not nest the next (``_drive`` loops,
like repeat's rounds). A called instance's end reaches :meth:`ForEachKind.item_returned` from
``CallKind.settle``, after the operation that ended it, so it never nests either.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..compiled import Compiled
from ..flow import Flow, StepKind
from ..itemscope import item_scope, no_item_scope
from ..model import Step
from ..state import Instance, Join, Task, Token, Wait
from ..stepschema import FOR_EACH_MAX
from ..templates import TemplateFailed
from .base import BaseKind
from .call import CallKind

FOR_EACH_OUTCOMES = ("done",)  # the step's own outcome (templatecheck.py)


def needed(step: Step, count: int) -> int:
    """How many items must finish before the join completes."""
    spec = step.for_each
    assert spec is not None
    if spec.join == "any":
        return min(1, count)
    if spec.join == "n_of_m" and spec.join_n > 0:
        return min(spec.join_n, count)
    return count


class ForEachKind(BaseKind):
    def __init__(self, flow: Flow) -> None:
        super().__init__(flow)
        self._driving: set[str] = set()  # joins whose items are being opened by _drive right now
        self._entering: dict[str, int] = {}  # join id -> the item being opened (an action finishes there)

    def _task_kind(self) -> StepKind:
        return self.flow.kinds["task"]

    def _call_kind(self) -> CallKind:
        return self.flow.kind("call", CallKind)

    def _inner(self, step: Step) -> StepKind:
        return self.flow.kinds["task" if step.task is not None else "action"]

    def _token_kind(self, token: Token) -> StepKind | None:
        """The kind an item's token belongs to (None: the join itself)."""
        if isinstance(token, Task):
            return self._task_kind()
        if isinstance(token, Wait):
            return self._call_kind()
        return None

    async def enter(
        self, inst: Instance, cp: Compiled, step: Step, parent: str | None, now: datetime
    ) -> None:
        spec = step.for_each
        assert spec is not None
        raw = self.ctx.templates.render_native(spec.items, self.ctx.template_ctx(inst, cp, now))
        if raw is None:
            items: list[Any] = []
        elif isinstance(raw, list | tuple):
            items = list(raw)
        else:
            raise TemplateFailed(f"for_each: expected a list, got {type(raw).__name__}")
        if len(items) > FOR_EACH_MAX:
            raise TemplateFailed(f"for_each: {len(items)} items, at most {FOR_EACH_MAX}")
        join = self.flow.add_join(inst, cp, step, parent, now)
        join.items, join.running, join.outcomes = items, {}, {}
        self.outbox.log(inst, now, "for_each_started", step=step.id, details={"items": len(items)})
        await self._drive(inst, cp, step, join, now)

    def _alive(self, inst: Instance, join: Join) -> bool:
        return inst.is_running and self.flow.join(inst, join.id) is join

    async def _drive(self, inst: Instance, cp: Compiled, step: Step, join: Join, now: datetime) -> None:
        """Open items while there is room; finish the join once enough items are done."""
        assert step.for_each is not None
        items = join.items or []
        running = join.running if join.running is not None else {}
        limit = step.for_each.concurrency or max(len(items), 1)
        target = needed(step, len(items))
        inner = self._inner(step)
        self._driving.add(join.id)
        try:
            while (
                self._alive(inst, join)
                and len(join.done) < target
                and join.started < len(items)
                and len(running) < limit
            ):
                index = join.started
                join.started += 1
                before = len(inst.tasks)
                if step.call is not None:
                    with item_scope(items[index]):
                        token = await self._open_call(inst, cp, step, join, index, now)
                    if token is not None:
                        running[token.id] = index
                    continue
                self._entering[join.id] = index
                try:
                    with item_scope(items[index]):
                        await inner.enter(inst, cp, step, join.id, now)
                finally:
                    self._entering.pop(join.id, None)
                for task in inst.tasks[before:]:
                    if task.parent == join.id and task.is_open:
                        running[task.id] = index
        finally:
            self._driving.discard(join.id)
        if self._alive(inst, join) and len(join.done) >= target:
            await self._finish(inst, cp, step, join, now)

    async def _open_call(
        self, inst: Instance, cp: Compiled, step: Step, join: Join, index: int, now: datetime
    ) -> Wait | None:
        key = f"{inst.key or inst.id}/{step.id}/{index}"  # documented: the called item instance's key
        # deduped per caller instance: two callers may share a key (a schedule's ticks), never an id
        dedupe = f"{inst.id}/{step.id}/{index}"
        items = join.items or []
        return await self._call_kind().open(
            inst, cp, step, join.id, now, key=key, item=items[index], dedupe=dedupe
        )

    async def item_returned(
        self, inst: Instance, cp: Compiled, token: Wait, outcome: Any, now: datetime
    ) -> None:
        """A called item instance ended (``CallKind.settle``; its token is already dropped)."""
        join = self.flow.join(inst, token.parent) if token.parent is not None else None
        if join is None or join.running is None or token.id not in join.running:
            return
        outcomes = join.outcomes if join.outcomes is not None else {}
        self._record(join, outcomes, join.running.pop(token.id), outcome)
        self.state.touch(inst)
        with no_item_scope():
            await self._drive(inst, cp, cp.steps[join.step], join, now)

    async def child_done(self, inst: Instance, cp: Compiled, token: Join, child: Step, now: datetime) -> None:
        outcomes = token.outcomes if token.outcomes is not None else {}
        index = self._entering.get(token.id)
        if index is not None:  # an action item (or a skipped one) finished while being opened
            self._record(token, outcomes, index, "done")
        else:
            running = token.running or {}
            closed = [tid for tid in running if tid not in self.state.open]
            for tid in closed:
                task = next((t for t in reversed(inst.tasks) if t.id == tid), None)
                outcome = (task.outcome or task.status) if task is not None else None
                self._record(token, outcomes, running.pop(tid), outcome)
        self.state.touch(inst)
        if token.id in self._driving:
            return  # _drive, further up this call, decides what comes next
        with no_item_scope():
            await self._drive(inst, cp, cp.steps[token.step], token, now)

    @staticmethod
    def _record(join: Join, outcomes: dict[str, Any], index: int, outcome: Any) -> None:
        outcomes[str(index)] = outcome
        join.outcomes = outcomes
        if str(index) not in join.done:
            join.done.append(str(index))

    async def _finish(self, inst: Instance, cp: Compiled, step: Step, join: Join, now: datetime) -> None:
        self.flow.cancel_children(inst, cp, join.id, now, "join")
        self.flow.drop_token(inst, join)
        outcomes = join.outcomes or {}
        items = join.items or []
        data = {
            # not "items": in templates ``data.items`` is the mapping's own items() method
            "outcomes": [{"item": item, "outcome": outcomes.get(str(i))} for i, item in enumerate(items)],
            "done": len(join.done),
        }
        if inst.results is None:
            inst.results = {}
        inst.results[step.id] = {"outcome": "done", "data": data}
        self.outbox.log(inst, now, "for_each_done", step=step.id, details={"done": len(join.done)})
        with no_item_scope():
            await self.flow.step_done(inst, cp, step, join.parent, now)

    # -- tokens: the join is this kind's; item tasks are the task kind's, call tokens the call kind's ------
    def deadlines(self, cp: Compiled, step: Step, token: Token) -> list[datetime]:
        kind = self._token_kind(token)
        return kind.deadlines(cp, step, token) if kind is not None else []

    def business_time(self, step: Step) -> bool:
        return self._task_kind().business_time(step) if step.task is not None else False

    async def on_timer(self, inst: Instance, cp: Compiled, step: Step, token: Token, now: datetime) -> bool:
        if not isinstance(token, Task):
            return True
        join = self.flow.join(inst, token.parent) if token.parent is not None else None
        index = (join.running or {}).get(token.id) if join is not None else None
        if join is None or index is None or join.items is None or index >= len(join.items):
            return await self._task_kind().on_timer(inst, cp, step, token, now)
        with item_scope(join.items[index]):  # reminders and escalations render with the task's own item
            return await self._task_kind().on_timer(inst, cp, step, token, now)

    def expire(self, inst: Instance, cp: Compiled, token: Token, now: datetime) -> None:
        kind = self._token_kind(token)
        if kind is not None:
            kind.expire(inst, cp, token, now)
        else:
            self.flow.cancel_children(inst, cp, token.id, now, "timeout")

    def cancel(self, inst: Instance, cp: Compiled, token: Token, now: datetime, reason: str) -> None:
        kind = self._token_kind(token)
        if kind is not None:
            kind.cancel(inst, cp, token, now, reason)
        else:
            self.flow.cancel_children(inst, cp, token.id, now, reason)

    def restored(self, inst: Instance, cp: Compiled, step: Step, token: Token) -> None:
        kind = self._token_kind(token)
        if kind is not None:
            kind.restored(inst, cp, step, token)
