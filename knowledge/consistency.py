"""Checks JSON Schema cannot express: ordering, partitions, uniqueness and cross-file links.

They run after the schema check, so the shapes they read are already known to be right.
Each check returns ``(topic, field_path, message)`` problems; the loader turns the first batch
into a ``KnowledgeError`` that names the file and field.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, List, Tuple

from .errors import PathPart

Problem = Tuple[str, List[PathPart], str]
Docs = Dict[str, Any]


def _v(doc: Any, *keys: str) -> Any:
    """The ``value`` of the fact at ``keys`` in a raw topic document."""
    for key in keys:
        doc = doc[key]
    return doc["value"]


def check_tariff(docs: Docs) -> Iterator[Problem]:
    tariff = docs["tariff"]
    summer = _v(tariff, "seasons", "summer_months")
    other = _v(tariff, "seasons", "non_summer_months")
    for name, months in (("summer_months", summer), ("non_summer_months", other)):
        seen = set()
        for index, month in enumerate(months):
            if month in seen:
                yield "tariff", ["seasons", name, "value", index], f"month {month} listed twice"
            seen.add(month)
    overlap = sorted(set(summer) & set(other))
    if overlap:
        yield "tariff", ["seasons", "non_summer_months", "value"], f"months {overlap} are also summer"
    missing = sorted(set(range(1, 13)) - set(summer) - set(other))
    if missing:
        yield "tariff", ["seasons"], f"months {missing} belong to no season"

    tier_count = len(tariff["prices"]["including_funds"])
    for season in ("summer", "non_summer"):
        bounds = _v(tariff, "tiers", season)
        for index in range(1, len(bounds)):
            if bounds[index] <= bounds[index - 1]:
                yield (
                    "tariff",
                    ["tiers", season, "value", index],
                    f"{bounds[index]} is not greater than the previous bound {bounds[index - 1]}",
                )
        if len(bounds) != tier_count - 1:
            yield (
                "tariff",
                ["tiers", season, "value"],
                f"{len(bounds)} bounds need {len(bounds) + 1} tier prices, found {tier_count}",
            )
    for basis in ("including_funds", "excluding_funds"):
        prices = _v_group(tariff["prices"][basis])
        expected = [f"tier{n}" for n in range(1, len(prices) + 1)]
        if sorted(prices) != sorted(expected):
            yield "tariff", ["prices", basis], f"tiers must be numbered {expected}, found {sorted(prices)}"
    surcharges = set(tariff["prices"]["tier_surcharge"])
    wanted = {f"tier{n}" for n in range(2, tier_count + 1)}
    if surcharges != wanted:
        yield "tariff", ["prices", "tier_surcharge"], f"expected keys {sorted(wanted)}, found {sorted(surcharges)}"

    tou = tariff["prices"].get("time_of_use")
    if tou:
        yield from _check_day_coverage(_v(tou, "periods"))


def _v_group(group: Dict[str, Any]) -> Dict[str, Any]:
    return {key: fact["value"] for key, fact in group.items()}


def _check_day_coverage(periods: Dict[str, List[List[int]]]) -> Iterator[Problem]:
    path = ["prices", "time_of_use", "periods", "value"]
    owner: Dict[int, str] = {}
    for name, ranges in periods.items():
        for index, (start, end) in enumerate(ranges):
            if start >= end:
                yield "tariff", [*path, name, index], f"start hour {start} is not before end hour {end}"
                continue
            for hour in range(start, end):
                if hour in owner:
                    yield "tariff", [*path, name, index], f"hour {hour} is also in {owner[hour]}"
                owner.setdefault(hour, name)
    uncovered = sorted(set(range(24)) - set(owner))
    if uncovered:
        yield "tariff", path, f"hours {uncovered} belong to no period"


def check_multi_resident(docs: Docs) -> Iterator[Problem]:
    tariff, multi = docs["tariff"], docs["multi_resident"]
    uplift = _v(multi, "benefit", "uplift_kwh_per_month")
    if _v(multi, "benefit", "uplift_applies_to") != "tier1_only":
        return
    for season in ("summer", "non_summer"):
        bounds = _v(tariff, "tiers", season)
        if len(bounds) > 1 and bounds[0] + uplift >= bounds[1]:
            yield (
                "multi_resident",
                ["benefit", "uplift_kwh_per_month", "value"],
                f"tier1_only uplift {uplift} makes the {season} tier-1 bound reach tier 2 ({bounds[1]})",
            )


def check_geography(docs: Docs) -> Iterator[Problem]:
    districts = _v(docs["geography"], "districts")
    owner: Dict[str, str] = {}
    for index, district in enumerate(districts):
        names = [district["name"], *district["aliases"]]
        for field_name, words in (("aliases", names), ("streets", district["streets"])):
            for word in words:
                if word in owner and owner[word] != district["name"]:
                    yield (
                        "geography",
                        ["districts", "value", index, field_name],
                        f"{word!r} is already used by {owner[word]}",
                    )
                owner.setdefault(word, district["name"])


def check_hazards(docs: Docs) -> Iterator[Problem]:
    kinds = _v(docs["outage"], "hazards", "kinds")
    seen_kinds: Dict[str, int] = {}
    seen_words: Dict[str, str] = {}
    for index, entry in enumerate(kinds):
        path = ["hazards", "kinds", "value", index]
        if entry["kind"] in seen_kinds:
            yield "outage", [*path, "kind"], f"kind {entry['kind']!r} listed twice"
        seen_kinds[entry["kind"]] = index
        for word in entry["keywords"]:
            if word in seen_words:
                yield "outage", [*path, "keywords"], f"keyword {word!r} also maps to {seen_words[word]}"
            seen_words[word] = entry["kind"]


def check_work_orders(docs: Docs) -> Iterator[Problem]:
    orders = docs["work_orders"]
    categories = set(_v(docs["connection"], "categories"))
    connection = _v(orders, "connection")
    if connection.get("variant_field") != "category":
        yield "work_orders", ["connection", "value", "variant_field"], "must be 'category'"
    elif set(connection["variants"]) != categories:
        yield (
            "work_orders",
            ["connection", "value", "variants"],
            f"variants {sorted(connection['variants'])} differ from connection.categories {sorted(categories)}",
        )
    repair = _v(orders, "repair")
    area_types = set(docs["outage"]["repair"]["arrival_minutes"])
    if repair.get("variant_field") == "area_type" and set(repair["variants"]) != area_types:
        yield (
            "work_orders",
            ["repair", "value", "variants"],
            f"variants {sorted(repair['variants'])} differ from outage.repair.arrival_minutes {sorted(area_types)}",
        )


def check_charging_pile(docs: Docs) -> Iterator[Problem]:
    key = _v(docs["charging_pile"], "price", "tariff_key")
    if key not in docs["tariff"]["prices"]:
        yield (
            "charging_pile",
            ["price", "tariff_key", "value"],
            f"{key!r} is not a key under tariff.prices ({sorted(docs['tariff']['prices'])})",
        )


CHECKS: Tuple[Callable[[Docs], Iterator[Problem]], ...] = (
    check_tariff,
    check_multi_resident,
    check_geography,
    check_hazards,
    check_work_orders,
    check_charging_pile,
)


def region_problems(docs: Docs) -> List[Problem]:
    """Every problem found in one region's topic documents."""
    problems: List[Problem] = []
    for check in CHECKS:
        problems.extend(check(docs))
    return problems
