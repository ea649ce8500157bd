"""YAML reading for blueprints: plain data plus the line of every key and item.

PyYAML composes the node graph; ``_Builder`` turns nodes into dicts, lists and
scalars itself so that no tag can construct arbitrary objects. Deliberate choices:

* ``!input name`` becomes an :class:`InputRef`, replaced later by :func:`resolve_inputs`.
* HA's file/secret tags (``!secret``, ``!include`` ...) are reported, never followed.
* Unquoted ``24:00:00`` stays text (YAML 1.1 would read it as a base-60 integer).
* Dates and timestamps stay ISO text, so everything loaded is JSON-able.
* Only ``true``/``false`` are booleans (YAML 1.2): ``yes``, ``no``, ``on``, ``off`` stay words.
* Duplicate keys, recursive aliases and alias bombs are problems, not crashes.

Size limits, each a problem naming the file: a blueprint text may be at most ``MAX_FILE_BYTES``; what it
expands to through aliases at most ``MAX_NODES`` values and ``MAX_EXPANDED_BYTES`` bytes of text, counted
while the values are built (so a small file of aliases to long strings stops early, before the version
hash or anything else walks the expansion).
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import BlueprintError, Collector, KeyPath, Problem

_STD = "tag:yaml.org,2002:"
_MERGE = _STD + "merge"
_PLAIN_SCALARS = frozenset({"str", "int", "float", "bool", "null"})
_HA_ONLY_TAGS = frozenset(
    {
        "!secret",
        "!include",
        "!include_dir_list",
        "!include_dir_named",
        "!include_dir_merge_list",
        "!include_dir_merge_named",
        "!env_var",
    }
)
MAX_NODES = 100_000  # built values, counting alias re-use: stops "billion laughs" documents
MAX_DEPTH = 64
MAX_FILE_BYTES = 1_000_000  # the largest shipped blueprint is a few KB
MAX_EXPANDED_BYTES = 4_000_000  # text of every key and scalar, counting alias re-use


@dataclass(frozen=True, slots=True)
class InputRef:
    """A ``!input name`` placeholder awaiting its value."""

    name: str


class BlueprintLoader(yaml.SafeLoader):
    """Only composes nodes; :class:`_Builder` constructs values, so unknown tags never run code."""


# libyaml parses about ten times faster and gives the same nodes and marks, but it recurses on
# the C stack: a document nested tens of thousands deep crashes the process (measured: 50k on an
# 8 MB stack; executor threads may have 1 MB). It only gets text whose nesting is provably shallow.
_FastLoader: type[yaml.SafeLoader] | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _CBlueprintLoader(yaml.CSafeLoader):  # type: ignore[misc]
        pass

    _FastLoader = cast(type[yaml.SafeLoader], _CBlueprintLoader)

_FAST_MAX_DEPTH = 1000


def _nesting_bound(text: str) -> int:
    """An upper bound on how deep ``text`` can nest.

    Flow levels need a ``[`` or ``{`` each; block levels need more indent or a ``- ``/``? `` on the
    line, except a sequence directly under a key, so at most two levels per column of the widest line.
    """
    widest = max((len(line) for line in text.splitlines()), default=0)
    return 2 * widest + 2 + text.count("[") + text.count("{")


def loader_for(text: str) -> type[yaml.SafeLoader]:
    """The parser for ``text``: libyaml when the nesting is safe for it, else the pure-Python one."""
    if _FastLoader is not None and _nesting_bound(text) <= _FAST_MAX_DEPTH:
        return _FastLoader
    return BlueprintLoader


class _TooBig(Exception):
    """The expansion passed a limit; the message says which."""


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def file_too_big(size: int) -> str | None:
    """The problem with a blueprint text of ``size`` bytes, or None."""
    if size > MAX_FILE_BYTES:
        return f"the file is {_megabytes(size)}; a blueprint may be at most {_megabytes(MAX_FILE_BYTES)}"
    return None


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, out: Collector) -> None:
        self.loader = loader
        self.out = out
        self.count = 0
        self.bytes = 0
        self.active: set[int] = set()  # nodes being built: an alias to one of them is a cycle

    def spend(self, text: str) -> None:
        self.bytes += len(text)
        if self.bytes > MAX_EXPANDED_BYTES:
            raise _TooBig(
                f"YAML expands to more than {_megabytes(MAX_EXPANDED_BYTES)} of text "
                "(aliases repeating long values?)"
            )

    def build(self, node: Node, path: KeyPath, depth: int = 0) -> object:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooBig("YAML expands to too many values (alias bomb?)")
        if isinstance(node, ScalarNode):
            self.spend(node.value)
        if depth > MAX_DEPTH:
            self.out.add(path, f"nested more than {MAX_DEPTH} levels deep")
            return None
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if node.tag not in (_STD + "seq", _STD + "map"):
            self.out.add(path, f"tag {node.tag} is not supported on a list or mapping")
            return None
        if id(node) in self.active:
            self.out.add(path, "an alias refers to the structure that contains it")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return self.sequence(node, path, depth)
            if isinstance(node, MappingNode):
                return self.mapping(node, path, depth)
        finally:
            self.active.discard(id(node))
        return None  # pragma: no cover - PyYAML has only three node kinds

    def scalar(self, node: ScalarNode, path: KeyPath) -> object:
        tag = node.tag
        if tag == "!input":
            name = str(node.value).strip()
            if not name:
                self.out.add(path, "!input needs the name of an input, like !input employees")
                return None
            return InputRef(name)
        if tag in _HA_ONLY_TAGS:
            self.out.add(path, f"{tag} is not supported in bpo blueprints")
            return None
        if not tag.startswith(_STD):
            self.out.add(path, f"unknown tag {tag}")
            return None
        kind = tag[len(_STD) :]
        if kind == "timestamp":
            return str(node.value)
        # "not node.style" means plain: the Python parser gives None there, libyaml ""
        if kind in ("int", "float") and ":" in node.value and not node.style:
            return str(node.value)  # base-60 in YAML 1.1; admins mean a duration like 24:00:00
        if kind == "bool" and not node.style and node.value.lower() not in ("true", "false"):
            return str(node.value)  # YAML 1.2 rule: only true/false; "outcomes: [yes, no]" means words
        if kind not in _PLAIN_SCALARS:
            self.out.add(path, f"tag !!{kind} is not supported in bpo blueprints")
            return None
        constructor = cast(Callable[[yaml.SafeLoader, Node], object], self.loader.yaml_constructors[tag])
        try:
            return constructor(self.loader, node)
        except (ValueError, yaml.YAMLError):
            self.out.add(path, f"cannot read {node.value!r} as {kind}")
            return None

    def sequence(self, node: SequenceNode, path: KeyPath, depth: int) -> list[object]:
        items: list[object] = []
        for index, child in enumerate(node.value):
            item_path = (*path, index)
            self.out.lines.setdefault(item_path, child.start_mark.line + 1)
            items.append(self.build(child, item_path, depth + 1))
        return items

    def mapping(self, node: MappingNode, path: KeyPath, depth: int) -> dict[str, object]:
        merges = sum(1 for key, _ in node.value if key.tag == _MERGE)
        own = len(node.value) - merges
        try:
            self.loader.flatten_mapping(node)  # resolves "<<: *anchor" merge keys like HA does
        except yaml.YAMLError as exc:
            self.out.add(path, f"cannot merge: {getattr(exc, 'problem', exc)}")
            return {}
        result: dict[str, object] = {}
        own_keys: set[str] = set()  # an own key may override a merged one, but not another own key
        first_own = len(node.value) - own
        for index, (key_node, value_node) in enumerate(node.value):
            if not isinstance(key_node, ScalarNode) or key_node.tag == "!input":
                self.out.add(path, "a key must be plain text")
                continue
            key = str(key_node.value)  # source text: "on:" stays "on", not True
            self.spend(key)
            key_path = (*path, key)
            if index >= first_own:
                if key in own_keys:
                    self.out.lines[key_path] = key_node.start_mark.line + 1
                    self.out.add(key_path, f"duplicate key '{key}'")
                    continue
                own_keys.add(key)
            self.out.lines[key_path] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, key_path, depth + 1)
        return result


def _syntax_problem(exc: yaml.YAMLError, text: str, filename: str) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line: int | None = mark.line + 1 if mark is not None else None
    position = getattr(exc, "position", None)
    if line is None and isinstance(position, int):  # ReaderError: bad character
        line = text.count("\n", 0, position) + 1
    problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    detail = f"{context}, {problem}" if context else str(problem)
    if line is not None and _tab_indented(text, line):
        # PyYAML only says a '\t' "cannot start any token"; people need to hear that tabs are the problem
        detail = "the line is indented with a tab; YAML indents with spaces only"
    return Problem(filename, line, "", f"YAML syntax error: {detail}")


def _tab_indented(text: str, line: int) -> bool:
    lines = text.split("\n", line)
    if len(lines) < line:
        return False
    row = lines[line - 1]
    return "\t" in row[: len(row) - len(row.lstrip(" \t"))]


def load_yaml(text: str, out: Collector) -> object:
    """Parse ``text``; lines go into ``out.lines``, tag problems into ``out``.

    Raises :class:`BlueprintError` at once for YAML syntax errors and size limits (nothing else can be
    checked then).
    """
    too_big = file_too_big(len(text.encode("utf-8", "surrogatepass")))
    if too_big:
        raise BlueprintError([Problem(out.file, None, "", too_big)])
    try:
        loader = loader_for(text)(text)  # the pure-Python reader rejects bad characters right here
    except yaml.YAMLError as exc:
        raise BlueprintError([_syntax_problem(exc, text, out.file)]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        out.lines[()] = node.start_mark.line + 1
        return _Builder(loader, out).build(node, ())
    except yaml.YAMLError as exc:
        raise BlueprintError([_syntax_problem(exc, text, out.file)]) from None
    except RecursionError:
        raise BlueprintError([Problem(out.file, None, "", "YAML is nested too deeply")]) from None
    except _TooBig as exc:
        raise BlueprintError([Problem(out.file, None, "", str(exc))]) from None
    finally:
        loader.dispose()


def resolve_inputs(
    value: object, path: KeyPath, values: Mapping[str, Any], declared: Collection[str], out: Collector
) -> object:
    """Replace every :class:`InputRef` below ``value`` by (a copy of) its input's value.

    ``declared`` inputs missing from ``values`` were already reported where they are declared.
    """
    if isinstance(value, InputRef):
        if value.name in values:
            return copy.deepcopy(values[value.name])
        if value.name in declared:
            out.muted.add(path)
        else:
            hint = difflib.get_close_matches(value.name, list(declared), n=1)
            suffix = f"; did you mean '{hint[0]}'?" if hint else ""
            out.add(path, f"unknown input '{value.name}' (declare it under blueprint.input){suffix}")
        return None
    if isinstance(value, dict):
        return {k: resolve_inputs(v, (*path, k), values, declared, out) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_inputs(v, (*path, i), values, declared, out) for i, v in enumerate(value)]
    return value


def contains_input_ref(value: object) -> bool:
    if isinstance(value, InputRef):
        return True
    if isinstance(value, dict):
        return any(contains_input_ref(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_input_ref(v) for v in value)
    return False
