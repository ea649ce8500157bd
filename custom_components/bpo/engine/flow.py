"""Moving through steps: the step-kind interface, and entering, leaving and closing that dispatch to it.

Each step kind (task, parallel, choose, wait, action, end, repeat, …) is one :class:`StepKind` in the
table ``Flow.kinds`` (built in :mod:`.steps`), the way BPMN engines keep one processor per element type.
``Flow`` holds what every kind shares: ``when``, successors, ``goto``, cancelling and dropping tokens,
arming a token's timer and closing the instance.

Flow rules (documented for blueprint authors in docs/blueprint-language.md):

- after a top-level step finishes, ``next`` wins, else the following step in the list; past the last
  step the instance completes; a step held by another (a parallel branch, a repeat body step) reports
  to its holder's kind instead (``child_done``);
- a ``goto`` (from ``choose`` or ``on_timeout: goto``) inside a held step leaves its holders: every open
  token of the instance is cancelled first;
- ``when`` false skips the step as if it had finished.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from .compiled import Compiled
from .context import Context
from .enginestate import EngineState
from .model import Step
from .outbox import Outbox, mask
from .runtime_errors import StepError
from .state import CANCELLED, COMPLETED, FAILED, Instance, Join, Task, Token, Wait
from .templates import TemplateFailed
from .timers import to_micros

K = TypeVar("K")
LATE = timedelta(minutes=5)  # a deadline handled later than this is reported as ``late``


class StepKind(Protocol):
    """The behaviour of one step kind. Kinds without tokens only need ``enter`` (see steps/base.py)."""

    async def enter(
        self, inst: Instance, cp: Compiled, step: Step, parent: str | None, now: datetime
    ) -> None:
        """Start the step: finish it at once (``flow.step_done``) or leave a token that will."""

    def deadlines(self, cp: Compiled, step: Step, token: Token) -> list[datetime]:
        """The token's own pending deadlines (the step timeout is added by ``Flow.arm``)."""

    def business_time(self, step: Step) -> bool:
        """Whether the step's timeout counts business time."""

    async def on_timer(self, inst: Instance, cp: Compiled, step: Step, token: Token, now: datetime) -> bool:
        """Handle the token's own deadlines due by ``now``; False when the token is gone."""

    def expire(self, inst: Instance, cp: Compiled, token: Token, now: datetime) -> None:
        """The step timed out (complete, fail or goto): the kind's part before the token is dropped."""

    def cancel(self, inst: Instance, cp: Compiled, token: Token, now: datetime, reason: str) -> None:
        """The token is cancelled: the kind's part before it is dropped."""

    def restored(self, inst: Instance, cp: Compiled, step: Step, token: Token) -> None:
        """The token was loaded from a record: rebuild the kind's indexes."""

    async def child_done(self, inst: Instance, cp: Compiled, token: Join, child: Step, now: datetime) -> None:
        """A step this one holds finished (kinds that hold steps: parallel, repeat)."""


def since(token: Token) -> datetime:
    """When the token's step began: timeouts count from here."""
    return token.created if isinstance(token, Task) else token.since


def timeout_from(step: Step, token: Token) -> datetime | None:
    """Where the step timeout counts from; None: it does not run now. ``on_timeout: requeue`` times how
    long the task's assignee has held it, so it runs only while someone holds it."""
    if step.timeout is not None and step.timeout.action == "requeue":
        return token.held if isinstance(token, Task) and token.assignee is not None else None
    return since(token)


class Flow:
    """Step navigation over the step-kind table; see the module docstring."""

    def __init__(self, ctx: Context, outbox: Outbox) -> None:
        self.ctx = ctx
        self.state: EngineState = ctx.state
        self.outbox = outbox
        self.kinds: dict[str, StepKind] = {}  # filled by steps.build_kinds (they need this Flow)

    def kind(self, name: str, cls: type[K]) -> K:
        """The registered kind ``name`` as its own class (for the operations only it offers)."""
        found = self.kinds[name]
        assert isinstance(found, cls)
        return found

    def kind_of(self, cp: Compiled, step_id: str, token: Token | None = None) -> StepKind:
        name = cp.kinds.get(step_id)
        if name is None:  # a token of a step this version lacks: its record type says what it is
            name = "task" if isinstance(token, Task) else "parallel" if isinstance(token, Join) else "wait"
            if isinstance(token, Wait) and token.child is not None:
                name = "call"
        return self.kinds[name]

    # -- entering and leaving -----------------------------------------------------------------------
    async def enter(
        self, inst: Instance, cp: Compiled, step_id: str, parent: str | None, now: datetime
    ) -> None:
        if not inst.is_running:
            return
        step = cp.steps.get(step_id)
        if step is None:
            self.unknown_step(inst, cp, step_id, now)
            return
        try:
            ctx = self.ctx
            if step.when is not None and not ctx.templates.truthy(step.when, ctx.template_ctx(inst, cp, now)):
                self.outbox.log(inst, now, "step_skipped", step=step.id)
                await self.step_done(inst, cp, step, parent, now)
                return
            await self.kinds[cp.kinds[step.id]].enter(inst, cp, step, parent, now)
        except TemplateFailed as err:
            self.close(inst, cp, FAILED, now, error=f"step {step.id}: {err}")
        except StepError:
            raise
        except Exception as err:
            raise StepError(step.id, err) from err  # the caller fails this instance (see deadlines.py)

    async def step_done(
        self, inst: Instance, cp: Compiled, step: Step, parent: str | None, now: datetime
    ) -> None:
        if not inst.is_running:
            return
        if parent is not None:
            holder = self.join(inst, parent)
            if holder is not None and holder.step not in cp.steps:
                self.unknown_step(inst, cp, holder.step, now)  # its holder's kind would look it up
            elif holder is not None:
                await self.kind_of(cp, holder.step, holder).child_done(inst, cp, holder, step, now)
            return
        target = step.next if step.next is not None else cp.follows.get(step.id)
        if target is None:
            self.close(inst, cp, COMPLETED, now)
            return
        await self.enter(inst, cp, target, None, now)

    def unknown_step(self, inst: Instance, cp: Compiled, step_id: str, now: datetime) -> None:
        """Fail ``inst`` at a step its version lacks (a token of a lost version runs on the current one)."""
        self.close(inst, cp, FAILED, now, error=f"unknown step {step_id!r}")

    async def goto(
        self, inst: Instance, cp: Compiled, target: str, parent: str | None, now: datetime
    ) -> None:
        if parent is not None:
            for tok in inst.tokens():
                self.cancel_token(inst, cp, tok, now, "goto")
        await self.enter(inst, cp, target, None, now)

    # -- tokens --------------------------------------------------------------------------------------
    @staticmethod
    def join(inst: Instance, join_id: str) -> Join | None:
        for join in inst.joins or ():
            if join.id == join_id:
                return join
        return None

    def add_join(self, inst: Instance, cp: Compiled, step: Step, parent: str | None, now: datetime) -> Join:
        """Open the token of a step that holds others (parallel, repeat) and arm its timeout."""
        join = Join(inst.next_id(), step.id, now, parent)
        if inst.joins is None:
            inst.joins = []
        inst.joins.append(join)
        self.arm(cp, join)
        return join

    def cancel_children(self, inst: Instance, cp: Compiled, join_id: str, now: datetime, reason: str) -> None:
        for tok in inst.tokens():
            if tok.parent == join_id:
                self.cancel_token(inst, cp, tok, now, reason)

    def cancel_token(self, inst: Instance, cp: Compiled, tok: Token, now: datetime, reason: str) -> None:
        self.kind_of(cp, tok.step, tok).cancel(inst, cp, tok, now, reason)
        self.drop_token(inst, tok)

    def drop_token(self, inst: Instance, token: Token) -> None:
        """Forget an active token (its record stays for tasks, which keep their final status)."""
        self.state.timers.discard(token.id)
        if isinstance(token, Task):
            self.state.open.pop(token.id, None)
        else:
            inst.remove_token(token)
        self.state.dirty.add(inst.id)

    def token_deadline(self, cp: Compiled, token: Token) -> datetime | None:
        step = cp.steps.get(token.step)
        if step is None:
            return None
        kind = self.kind_of(cp, step.id, token)
        candidates = kind.deadlines(cp, step, token)
        start = timeout_from(step, token)
        if step.timeout is not None and not token.timed_out and start is not None:
            candidates.append(self.ctx.after(cp, start, step.timeout.after, kind.business_time(step)))
        return min(candidates) if candidates else None

    def arm(self, cp: Compiled, token: Token) -> None:
        """(Re)arm the token's ONE timer at its earliest pending deadline (see deadlines.py)."""
        when = self.token_deadline(cp, token)
        if when is None:
            self.state.timers.discard(token.id)
        else:
            self.state.timers.arm(token.id, to_micros(when))

    # -- closing -------------------------------------------------------------------------------------
    def close(
        self,
        inst: Instance,
        cp: Compiled | None,
        status: str,
        now: datetime,
        *,
        error: str | None = None,
        who: str | None = None,
        source: str = "engine",
        details: dict[str, Any] | None = None,
    ) -> None:
        if not inst.is_running:
            return
        for tok in inst.tokens():
            if cp is not None:
                self.cancel_token(inst, cp, tok, now, status)
            else:
                self.drop_token(inst, tok)
        inst.status = status
        inst.ended = now
        inst.error = error
        info = dict(details or {})
        if error:
            info["error"] = error
        self.outbox.log(inst, now, f"instance_{status}", who=who, source=source, details=info or None)
        kind = "instance_cancelled" if status == CANCELLED else "instance_completed"
        self.outbox.emit(kind, inst, status=status, error=error, by=who, fields=mask(cp, inst.fields))
        if inst.parent is not None:  # a called instance: its caller takes the result (steps/call.py)
            self.state.returns.append(inst.id)

    def fail_instance(self, inst: Instance, now: datetime, reason: str, step: str | None) -> None:
        """Fail ``inst`` after an unexpected error, even when closing it normally fails too."""
        if inst.is_running:
            try:
                self.close(inst, self.ctx.compiled(inst), FAILED, now, error=reason)
            except Exception:  # noqa: BLE001 - the state may be what broke; close it by hand
                for tok in inst.tokens():
                    self.state.timers.discard(tok.id)
                    if isinstance(tok, Task):
                        self.state.open.pop(tok.id, None)
                        tok.status = CANCELLED
                        tok.completed_at = now
                inst.waits = inst.joins = None
                inst.status, inst.ended, inst.error = FAILED, now, reason
                self.state.touch(inst)
        else:
            self.state.touch(inst)
        self.outbox.emit("instance_error", inst, step=step, error=reason)
