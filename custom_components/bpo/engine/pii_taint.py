"""Which rendered texts of a process may carry personal data, and the one rule that masks them.

A task title such as ``"Call back {{ fields.caller_name }}"`` is personal data once rendered, though the
title itself is no field. Rather than track values at run time, the templates are read once per process
version (jinja2's syntax tree, never pattern matching) and a text is *tainted* when its template reads

- ``fields.<name>`` / ``fields['name']`` of a field marked ``pii: true``;
- ``steps.<id>.form.<name>`` of such a field (the form a task collected);
- the ``fields`` object, a step's ``form`` or a step's ``data``/``result`` as a whole, or any name
  after them that is not a declared field (``fields.items()``, ``fields[key]``, ``{% set f = fields %}``)
  - conservatively, when the process declares any ``pii`` field at all.

:func:`mask_text` is the one masking rule every output applies (to-do items, ``list_tasks``, bus events and
logbook, notifications, calendar, diagnostics, error messages): a tainted text is replaced by
:func:`masked_title` unless the person looking is cleared for PII. Outputs that no single person owns
(events, logs, the recorder, persistent notifications, calendar) always pass ``cleared=False``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import lru_cache

from jinja2 import Environment, TemplateSyntaxError, nodes

from .model import Process, TaskSpec

MASK = "***"
_CACHE_MAX = 4096
# steps.<id>.<attr> that never hold field values
_STEP_PLAIN = frozenset({"outcome", "by", "status", "completed_at"})
_ENV = Environment()  # parsing only: the syntax tree is the same as in the sandboxed environments


@dataclass(frozen=True, slots=True)
class TaskTaint:
    """Which rendered texts of one task step may hold personal data."""

    title: bool = False
    visit_location: bool = False
    notify_title: bool = False
    notify_message: bool = False
    description: bool = False


CLEAN = TaskTaint()


def humanise(step_id: str) -> str:
    """``call_back`` -> ``Call back`` (as the runtime titles a task without a ``title``)."""
    text = step_id.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def masked_title(step_id: str) -> str:
    """What a person not cleared for PII sees instead of a tainted title: the step, and the mask."""
    return f"{humanise(step_id)} ({MASK})"


def mask_text(text: str, tainted: bool, cleared: bool, *, masked: str = MASK) -> str:
    """The one rule: a tainted text reaches only people cleared for PII; everyone else gets ``masked``."""
    return text if cleared or not tainted else masked


def _chain(node: nodes.Node) -> tuple[str, list[object]] | None:
    """``a.b['c'].d`` -> ("a", ["b", "c", "d"]); None when a key is not a constant."""
    keys: list[object] = []
    while True:
        if isinstance(node, nodes.Getattr):
            keys.append(node.attr)
            node = node.node
        elif isinstance(node, nodes.Getitem):
            if not isinstance(node.arg, nodes.Const):
                return None
            keys.append(node.arg.value)
            node = node.node
        elif isinstance(node, nodes.Name):
            keys.reverse()
            return node.name, keys
        else:
            return None


@dataclass(slots=True)
class _Reads:
    names: set[str]
    whole: bool = False
    title: bool = False  # ``task.title`` (notify templates)


def _walk(node: nodes.Node, declared: Collection[str], out: _Reads) -> None:
    if isinstance(node, nodes.Getattr | nodes.Getitem):
        found = _chain(node)
        if found is not None:
            _classify(found[0], found[1], declared, out)
            return
    elif isinstance(node, nodes.Name):
        if node.name in ("fields", "steps"):
            out.whole = True
        elif node.name == "task":
            out.title = True
        return
    for child in node.iter_child_nodes():
        _walk(child, declared, out)


def _classify(root: str, keys: list[object], declared: Collection[str], out: _Reads) -> None:
    if root == "fields":
        key = keys[0]  # a chain of Getattr/Getitem has at least one key
        if isinstance(key, str) and key in declared:
            out.names.add(key)
        else:
            out.whole = True
    elif root == "steps":
        attr = keys[1] if len(keys) > 1 else None
        if attr == "form" and len(keys) > 2 and isinstance(keys[2], str) and keys[2] in declared:
            out.names.add(keys[2])
        elif attr not in _STEP_PLAIN:
            out.whole = True
    elif root == "task" and (not keys or keys[0] == "title"):
        out.title = True


@lru_cache(maxsize=_CACHE_MAX)
def _reads(source: str, declared: frozenset[str]) -> _Reads | None:
    try:
        tree = _ENV.parse(source)
    except (TemplateSyntaxError, RecursionError):  # nested too deeply: the syntax check reports it
        return None
    out = _Reads(set())
    _walk(tree, declared, out)
    return out


def template_tainted(source: str | None, declared: Collection[str], pii: Collection[str]) -> bool:
    """Whether ``source`` (a template or plain text) renders personal data; unparsable counts as tainted
    when the process has PII (``bpo validate`` rejects it anyway)."""
    if not source or ("{{" not in source and "{%" not in source) or not pii:
        return False
    reads = _reads(source, frozenset(declared))
    if reads is None or reads.whole:
        return True
    return not reads.names.isdisjoint(pii)


def _notify_tainted(source: str | None, declared: Collection[str], pii: Collection[str], title: bool) -> bool:
    if not source or not pii:
        return False
    reads = _reads(source, frozenset(declared))
    return reads is None or reads.whole or not reads.names.isdisjoint(pii) or (reads.title and title)


ALL = TaskTaint(True, True, True, True, True)


def task_taint(process: Process | None, step_id: str) -> TaskTaint:
    """The taint of one task step of ``process``.

    An unknown process or step (a version no file holds any more) counts as tainted throughout: nothing
    says its texts are clean."""
    if process is None:
        return ALL
    # a fan-out asks for the same step thousands of times: remember the answer per process object (kept in
    # the entry, so a recycled id can never match another process)
    key = (id(process), step_id)
    hit = _by_process.get(key)
    if hit is not None and hit[0] is process:
        return hit[1]
    try:
        spec = process.step(step_id).task
    except KeyError:
        spec = None
    found = ALL if spec is None else spec_taint(spec, frozenset(process.fields), pii_fields(process))
    if len(_by_process) >= _CACHE_MAX:
        _by_process.clear()
    _by_process[key] = (process, found)
    return found


_by_process: dict[tuple[int, str], tuple[Process, TaskTaint]] = {}


@lru_cache(maxsize=_CACHE_MAX)
def spec_taint(spec: TaskSpec, declared: frozenset[str], pii: frozenset[str]) -> TaskTaint:
    """The taint of one task spec, given the process's declared and ``pii`` field names."""
    title = template_tainted(spec.title, declared, pii)
    note = spec.notify
    return TaskTaint(
        title=title,
        visit_location=template_tainted(spec.visit_location, declared, pii),
        notify_title=note is not None and _notify_tainted(note.title, declared, pii, title),
        notify_message=note is not None and _notify_tainted(note.message, declared, pii, title),
        description=template_tainted(spec.description, declared, pii),
    )


def pii_fields(process: Process) -> frozenset[str]:
    return frozenset(name for name, f in process.fields.items() if f.pii)


def public_title(process: Process | None, step_id: str, title: str, cleared: bool = False) -> str:
    """A task's title as someone with clearance ``cleared`` may see it (events, logs: ``cleared=False``)."""
    if cleared or not task_taint(process, step_id).title:
        return title  # mask_text's rule, without building the masked text for the common clean case
    return masked_title(step_id)


def shown_description(process: Process, spec: TaskSpec, rendered: str | None, cleared: bool) -> str:
    """A task's description as someone with clearance ``cleared`` may see it: the text rendered when the
    task opened (masked when it reads a ``pii`` field), or the step's literal text."""
    if rendered is not None:
        return mask_text(
            rendered, spec_taint(spec, frozenset(process.fields), pii_fields(process)).description, cleared
        )
    if "{{" in spec.description or "{%" in spec.description:
        return ""  # a task opened before its description became a template has no rendered text
    return spec.description


def tainted_steps(process: Process) -> Iterator[str]:
    """Ids of the task steps whose title carries personal data (for docs and ``bpo validate`` notes)."""
    stack = list(process.steps)
    while stack:
        step = stack.pop(0)
        stack.extend(step.parallel)
        if step.task is not None and task_taint(process, step.id).title:
            yield step.id


def clear_caches() -> None:
    """Forget every remembered answer. Only tests need it (a forked test process inherits warm caches); a
    reload needs none: answers are kept per template text, spec and process object."""
    _reads.cache_clear()
    spec_taint.cache_clear()
    _by_process.clear()
