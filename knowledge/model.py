"""In-memory view of the knowledge base: facts, regions and the index of other places.

Objects here are read-only from the caller's point of view: lookups hand out deep copies of
values, so an action that edits a list it got back cannot corrupt the cached knowledge base
shared by the whole process.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple

from .errors import UnknownFact


@dataclass(frozen=True)
class Fact:
    """One leaf fact. ``verified`` is False when no source states the value or sources conflict
    and the utility still has to confirm it; replies should then add a "以供电局答复为准" hedge."""

    value: Any
    source: str
    effective_date: date
    note: Optional[str] = None
    verified: bool = True
    path: str = ""


@dataclass(frozen=True)
class OtherPlace:
    """A city or province we hold no figures for; used to say honestly that figures are the
    default region's."""

    name: str
    kind: str  # city | province
    province: str
    grid: str  # csg | state_grid | other
    aliases: Tuple[str, ...] = ()

    @property
    def names(self) -> Tuple[str, ...]:
        return (self.name,) + self.aliases


class Region:
    """The facts of one region, addressed by dotted paths that start with the topic file name."""

    def __init__(
        self,
        key: str,
        name: str,
        aliases: Iterable[str],
        facts: Mapping[str, Fact],
        trees: Mapping[str, Any],
    ) -> None:
        self.key = key
        self.name = name
        self.aliases = tuple(aliases)
        self._facts = dict(facts)  # insertion order = file order, kept for facts(prefix)
        self._trees = dict(trees)  # raw topic documents: tell groups from missing paths

    def __repr__(self) -> str:
        return f"Region({self.key!r}, {self.name!r}, {len(self._facts)} facts)"

    @property
    def topics(self) -> Tuple[str, ...]:
        return tuple(self._trees)

    def fact(self, path: str) -> Fact:
        """The fact at ``path`` (e.g. ``tariff.prices.including_funds.tier1``)."""
        found = self._facts.get(path)
        if found is None:
            if self._node(path) is not None:
                raise UnknownFact(
                    f"{self.key}: {path} is a group of facts, not a fact; use value() or facts()"
                )
            raise UnknownFact(f"{self.key}: no fact at {path!r}")
        return Fact(
            value=copy.deepcopy(found.value),
            source=found.source,
            effective_date=found.effective_date,
            note=found.note,
            verified=found.verified,
            path=found.path,
        )

    def value(self, path: str) -> Any:
        """The value at ``path``; for a group, a nested dict of its facts' values."""
        if path in self._facts:
            return copy.deepcopy(self._facts[path].value)
        if self._node(path) is None:
            raise UnknownFact(f"{self.key}: no fact or group at {path!r}")
        nested: Dict[str, Any] = {}
        for fact_path, fact in self._facts.items():
            if fact_path.startswith(path + "."):
                *groups, leaf = fact_path[len(path) + 1 :].split(".")
                target = nested
                for group in groups:
                    target = target.setdefault(group, {})
                target[leaf] = copy.deepcopy(fact.value)
        return nested

    def facts(self, prefix: str = "") -> Dict[str, Fact]:
        """All facts whose path is ``prefix`` or lies under it, in file order."""
        if not prefix:
            return {p: self.fact(p) for p in self._facts}
        chosen = {p: self.fact(p) for p in self._facts if p == prefix or p.startswith(prefix + ".")}
        if not chosen:
            raise UnknownFact(f"{self.key}: no facts under {prefix!r}")
        return chosen

    def has(self, path: str) -> bool:
        return path in self._facts or self._node(path) is not None

    def _node(self, path: str) -> Any:
        parts = path.split(".") if path else []
        if not parts or parts[0] not in self._trees:
            return None
        node: Any = self._trees[parts[0]]
        for part in parts[1:]:
            if not isinstance(node, dict) or "value" in node or part not in node:
                return None
            node = node[part]
        return node


@dataclass(frozen=True)
class KnowledgeBase:
    """All regions plus the index of places we hold no figures for."""

    default_region: str
    regions: Mapping[str, Region]
    other_cities: Tuple[OtherPlace, ...] = ()
    root: str = ""
    _lookup: Mapping[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regions", MappingProxyType(dict(self.regions)))
        lookup = {}
        for key, region in self.regions.items():
            for name in (key, region.name, *region.aliases):
                lookup[name] = key
        object.__setattr__(self, "_lookup", MappingProxyType(lookup))

    def region(self, name: Optional[str] = None) -> Region:
        """A region by key (``shenzhen``), Chinese name (``深圳``) or alias; default when None."""
        key = self.default_region if name is None else self._lookup.get(str(name).strip())
        if key is None or key not in self.regions:
            known = ", ".join(sorted(self.regions))
            raise UnknownFact(f"unknown region {name!r}; the knowledge base holds: {known}")
        return self.regions[key]

    def find_other_city(self, text: str) -> Optional[OtherPlace]:
        """The other city/province named in ``text`` (the longest matching name wins), or None."""
        best: Optional[OtherPlace] = None
        best_len = 0
        for place in self.other_cities:
            for name in place.names:
                if len(name) > best_len and name in (text or ""):
                    best, best_len = place, len(name)
        return best


