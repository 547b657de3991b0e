"""Load and validate the knowledge base.

Order of checks for each file, so the first message is the most specific one:
YAML syntax -> generic fact rule (fact_rule.py) -> topic JSON Schema -> consistency checks.
Nothing is half-loaded: any problem raises ``KnowledgeError`` and no knowledge base is returned.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Dict, Optional, Union

from .consistency import region_problems
from .errors import KnowledgeError, UnknownFact, located
from .fact_rule import collect_facts
from .model import Fact, KnowledgeBase, OtherPlace, Region
from .schema_check import SCHEMA_DIR, validate_against_schema
from .yaml_io import display_path, read_yaml

__all__ = [
    "DEFAULT_ROOT",
    "TOPICS",
    "Fact",
    "KnowledgeBase",
    "KnowledgeError",
    "OtherPlace",
    "Region",
    "UnknownFact",
    "clear_cache",
    "load_knowledge",
]

DEFAULT_ROOT = Path(__file__).resolve().parent
# Every region must provide all of these; code elsewhere relies on each of them existing.
TOPICS = (
    "tariff",
    "multi_resident",
    "connection",
    "outage",
    "charging_pile",
    "account_services",
    "geography",
    "service",
    "work_orders",
)

_cache: Optional[KnowledgeBase] = None
_cache_lock = threading.Lock()


def load_knowledge(root: Union[str, Path, None] = None) -> KnowledgeBase:
    """The validated knowledge base. Cached per process for the default root (the package
    directory); an explicit ``root`` (tests, tools) is always loaded afresh."""
    global _cache
    if root is not None and Path(root).resolve() != DEFAULT_ROOT:
        return _load(Path(root).resolve())
    with _cache_lock:
        if _cache is None:
            _cache = _load(DEFAULT_ROOT)
        return _cache


def clear_cache() -> None:
    """Forget the cached default knowledge base (after editing files in a long-lived process)."""
    global _cache
    with _cache_lock:
        _cache = None


def _load(root: Path) -> KnowledgeBase:
    index_path = root / "regions.yml"
    index = read_yaml(index_path)
    validate_against_schema("regions", index, display_path(index_path), _schema_dir(root))
    index_label = display_path(index_path)

    keys = [entry["key"] for entry in index["regions"]]
    for position, key in enumerate(keys):
        if keys.index(key) != position:
            raise KnowledgeError(located(index_label, ["regions", position, "key"], f"region {key!r} listed twice"))
    if index["default_region"] not in keys:
        raise KnowledgeError(
            located(index_label, ["default_region"], f"unknown region {index['default_region']!r}; listed: {keys}")
        )

    regions = {entry["key"]: _load_region(root, entry) for entry in index["regions"]}
    others = tuple(
        OtherPlace(
            name=place["name"],
            kind=place["kind"],
            province=place["province"],
            grid=place["grid"],
            aliases=tuple(place.get("aliases", ())),
        )
        for place in index["other_places"]
    )
    _check_other_places(index_label, regions, others)
    return KnowledgeBase(
        default_region=index["default_region"],
        regions=regions,
        other_cities=others,
        root=str(root),
    )


def _load_region(root: Path, entry: Dict[str, Any]) -> Region:
    directory = root / "regions" / entry["key"]
    if not directory.is_dir():
        raise KnowledgeError(f"{display_path(directory)}: region directory is missing (listed in regions.yml)")
    documents: Dict[str, Any] = {}
    labels: Dict[str, str] = {}
    facts: Dict[str, Fact] = {}
    for topic in TOPICS:
        path = directory / f"{topic}.yml"
        label = display_path(path)
        document = read_yaml(path)
        facts.update(collect_facts(topic, document, label))
        validate_against_schema(topic, document, label, _schema_dir(root))
        documents[topic], labels[topic] = document, label
    unexpected = sorted(p.name for p in directory.glob("*.yml") if p.stem not in TOPICS)
    if unexpected:
        raise KnowledgeError(
            f"{display_path(directory)}: unknown topic file(s) {unexpected}; known topics: {list(TOPICS)}"
        )
    problems = region_problems(documents)
    if problems:
        raise KnowledgeError("\n".join(located(labels[t], path, msg) for t, path, msg in problems))
    return Region(
        key=entry["key"],
        name=entry["name"],
        aliases=entry.get("aliases", ()),
        facts=facts,
        trees=documents,
    )


def _check_other_places(label: str, regions: Dict[str, Region], others) -> None:
    own = {name for region in regions.values() for name in (region.name, *region.aliases)}
    seen: Dict[str, str] = {}
    for index, place in enumerate(others):
        for name in place.names:
            if name in own:
                raise KnowledgeError(
                    located(label, ["other_places", index], f"{name!r} is one of our own regions")
                )
            if name in seen:
                raise KnowledgeError(
                    located(label, ["other_places", index], f"{name!r} is already listed for {seen[name]}")
                )
            seen[name] = place.name


def _schema_dir(root: Path) -> Path:
    """A test root may carry its own schemas; otherwise the package's schemas apply."""
    own = root / "schema"
    return own if (own / "common.schema.json").is_file() else SCHEMA_DIR


def region_or_default(region: Union[Region, str, None]) -> Region:
    """Helper for calculators: accept a Region, a region key/name, or None (default region)."""
    return region if isinstance(region, Region) else load_knowledge().region(region)
