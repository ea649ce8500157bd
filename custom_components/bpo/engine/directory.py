"""People and groups for templates and permissions, read from an admin-edited YAML file.

```yaml
groups:                      # queue name -> members (person entity ids)
  contractors: [person.dave]
supervisors:                 # person -> their supervisor
  person.alice: person.sam
```
Problems are reported like blueprint problems: file, line, key path, plain words.
"""

from __future__ import annotations

from collections.abc import Mapping

from .errors import Collector
from .reader import Reader, describe
from .yamlload import load_yaml

DIRECTORY_KEYS = ("groups", "supervisors")


class StaticDirectory:
    """A :class:`ports.Directory` over plain mappings."""

    def __init__(
        self, groups: Mapping[str, list[str]] | None = None, supervisors: Mapping[str, str] | None = None
    ) -> None:
        self.groups: dict[str, list[str]] = {g: list(m) for g, m in (groups or {}).items()}
        self.supervisors: dict[str, str] = dict(supervisors or {})
        self._member_of: dict[str, list[str]] = {}
        for group, members in self.groups.items():
            for person in members:
                self._member_of.setdefault(person, []).append(group)

    def supervisor_of(self, who: str) -> str | None:
        return self.supervisors.get(who)

    def members(self, group: str) -> list[str]:
        return list(self.groups.get(group, ()))

    def groups_of(self, who: str) -> list[str]:
        return list(self._member_of.get(who, ()))

    def people(self) -> set[str]:
        """Everyone the directory mentions."""
        return set(self._member_of) | set(self.supervisors) | set(self.supervisors.values())


def parse_directory(text: str, filename: str) -> StaticDirectory:
    """Validate ``text``; raises ``BlueprintError`` listing every problem."""
    out = Collector(filename)
    raw = load_yaml(text, out)
    reader = Reader(out)
    groups: dict[str, list[str]] = {}
    supervisors: dict[str, str] = {}
    top = {} if raw is None else reader.mapping(raw, (), DIRECTORY_KEYS)
    raw_groups = (top or {}).get("groups") or {}
    if not isinstance(raw_groups, dict):
        reader.error(("groups",), f"expected a mapping of group: [people], got {describe(raw_groups)}")
        raw_groups = {}
    for name, members in raw_groups.items():
        path = ("groups", name)
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            reader.error(path, f"expected a list of person entity ids, got {describe(members)}")
            continue
        groups[str(name)] = members
    sup = (top or {}).get("supervisors") or {}
    if not isinstance(sup, dict):
        reader.error(("supervisors",), f"expected a mapping of person: supervisor, got {describe(sup)}")
        sup = {}
    for person, boss in sup.items():
        if not isinstance(boss, str):
            reader.error(("supervisors", person), f"expected a person entity id, got {describe(boss)}")
            continue
        supervisors[str(person)] = boss
    out.raise_if_any()
    return StaticDirectory(groups, supervisors)
