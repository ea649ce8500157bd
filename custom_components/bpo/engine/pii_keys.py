"""The PII rule for instance keys: a key may not be made of what a ``pii`` field is made of.

An instance's key names it everywhere - every ``bpo_*`` event (so HA's bus, logbook and recorder), task
rows, diagnostics, failure messages - and a masked key would be useless as a name. So instead of masking
keys, ``bpo validate`` refuses a start whose key reads the event (or fan-out item) data that one of its
``pii`` fields is filled from: ``key: "{{ event.email }}"`` next to ``fields: {email: "{{ event.email }}"}``
with ``email`` marked ``pii``. Keys without a template count as what they default to: the event's ``id``,
or the whole fan-out item. Values are never looked at: an id of a mail (a Message-ID) looks like an e-mail
address, yet it is not personal data.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import lru_cache

from jinja2 import TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import Collector, KeyPath
from .model import EventStart, Process, ScheduleStart

_ENV = ImmutableSandboxedEnvironment()
_ROOTS = ("event", "item")  # what a start's templates read the incoming data as
WHOLE = frozenset({"*"})  # reads the whole event or item (or could not be read)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _first_key(node: nodes.Getattr | nodes.Getitem) -> tuple[str, str] | None:
    """``event.a.b`` -> ("event", "a"); None when the chain does not start at a name with a constant key."""
    key: object = None
    current: nodes.Node = node
    while isinstance(current, nodes.Getattr | nodes.Getitem):
        if isinstance(current, nodes.Getattr):
            key = current.attr
        elif isinstance(current.arg, nodes.Const):
            key = current.arg.value
        else:
            key = None  # event[some_expression]: which attribute is unknown
        current = current.node
    if isinstance(current, nodes.Name) and current.name in _ROOTS:
        return current.name, key if isinstance(key, str) else "*"
    return None


def _walk(node: nodes.Node, out: set[str]) -> None:
    if isinstance(node, nodes.Getattr | nodes.Getitem):
        found = _first_key(node)
        if found is not None:
            out.add(found[1])
            return
    elif isinstance(node, nodes.Name):
        if node.name in _ROOTS:
            out.add("*")  # the whole event or item, e.g. {{ event | tojson }}
        return
    for child in node.iter_child_nodes():
        _walk(child, out)


@lru_cache(maxsize=1024)
def _reads(source: str) -> frozenset[str]:
    if "{{" not in source and "{%" not in source:
        return frozenset()  # plain text reads nothing
    try:
        tree = _ENV.parse(source)
    except (TemplateSyntaxError, RecursionError):
        return WHOLE  # the template checks report it; here it counts as reading everything
    out: set[str] = set()
    _walk(tree, out)
    return WHOLE if "*" in out else frozenset(out)


def reads(value: object) -> frozenset[str]:
    """Attributes of ``event``/``item`` that ``value`` (a template, or a structure of them) reads;
    ``WHOLE`` when it reads all of it."""
    found: set[str] = set()
    for text in _strings(value):
        part = _reads(text)
        if part == WHOLE:
            return WHOLE
        found |= part
    return frozenset(found)


def _key_reads(start: EventStart | ScheduleStart) -> frozenset[str]:
    if start.key is not None:
        return reads(start.key)
    return frozenset({"id"}) if isinstance(start, EventStart) else WHOLE  # the defaults (starts.py)


def _overlap(key: frozenset[str], field: frozenset[str]) -> bool:
    if not key or not field:
        return False
    return WHOLE in (key, field) or not key.isdisjoint(field)


def check(process: Process, start_paths: Sequence[KeyPath], out: Collector) -> None:
    """Refuse each start whose key is made of what one of its ``pii`` fields is made of."""
    for index, start in enumerate(process.starts):
        if not isinstance(start, EventStart | ScheduleStart):
            continue
        key = _key_reads(start)
        for name, template in start.fields.items():
            field = process.fields.get(name)
            if field is None or not field.pii or not _overlap(key, reads(template)):
                continue
            if start.key is not None:
                where, path = "the key", (*start_paths[index], "key")
            else:
                default = "the event's id" if isinstance(start, EventStart) else "the whole item"
                where, path = f"the default key ({default})", (*start_paths[index], "fields", name)
            out.add(
                path,
                f"{where} reads the data the pii field {name} is filled from; keys show in events, the "
                "logbook and task rows, so key on an id that is not personal data (like event.id)",
            )
            break
