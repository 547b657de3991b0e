"""Wording shared by the tariff, high-bill and multi-resident actions.

Every figure comes from knowledge/ (tables) or knowledge.tariff (arithmetic): this module only
formats them, so a price change in the YAML changes every reply without a code change.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any, Dict, Iterable, List, Optional, Sequence

from rasa_sdk import Tracker

from actions.forms import entity_value, latest_text
from actions.replies import region
from bot.text import parse_kwh
from knowledge import load_knowledge
from knowledge.tariff import BillBreakdown, compute_bill

SEASONS = ("summer", "non_summer")
SEASON_NAMES = {"summer": "夏季", "non_summer": "非夏季"}
PER_KWH = re.compile(r"(?<![\d.])(1|每)度电?(多少|几|要|收|是|的?价|咁|幾|系|贵|便宜)")
BASIS_NAMES = {"including_funds": "含政府性基金及附加", "excluding_funds": "不含政府性基金及附加"}


# ------------------------------------------------------------------ numbers

def num(value: Any) -> str:
    """450 -> '450', 0.6542 -> '0.6542', 12.50 kept as '12.5' (use money() for 元)."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    text = format(number.normalize(), "f")
    return text


def money(value: Any) -> str:
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return f"{number.quantize(Decimal('0.01'))}"


def payload(intent: str, **entities: Any) -> str:
    """A button payload Rasa parses without NLU: /intent{"entity": value}."""
    return f"/{intent}{json.dumps(entities, ensure_ascii=False)}" if entities else f"/{intent}"


# ------------------------------------------------------------------ what the customer said

def message_kwh(tracker: Tracker) -> Optional[Decimal]:
    """kWh of the latest message: the NLU entity, else the shared parser on the normalised text.

    "一度多少钱" asks the price per kWh: the extractor reads it as 1 kWh, which is not a usage.
    """
    text = latest_text(tracker)
    value = entity_value(tracker, "kwh")
    if value is None:
        quantity = parse_kwh(text)
        value = quantity.value if quantity else None
    try:
        kwh = Decimal(str(value)) if value is not None else None
    except ArithmeticError:
        return None
    if kwh == 1 and PER_KWH.search(text):
        return None
    return kwh


def message_month(tracker: Tracker) -> Optional[int]:
    value = entity_value(tracker, "month")
    try:
        month = int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
    return month if month and 1 <= month <= 12 else None


def message_aspects(tracker: Tracker) -> List[str]:
    return [str(v) for v in tracker.get_latest_entity_values("aspect")]


def other_place(tracker: Tracker):
    """The other city/province the customer named (entity `city` or the region index), or None."""
    kb = load_knowledge()
    named = entity_value(tracker, "city")
    for text in (str(named) if named else "", latest_text(tracker)):
        place = kb.find_other_city(text) if text else None
        if place:
            return place
    return None


# ------------------------------------------------------------------ seasons and tiers

def season_months(season: str) -> List[int]:
    return list(region().value(f"tariff.seasons.{season}_months"))


def months_text(months: Sequence[int]) -> str:
    """[5..10] -> '5–10月'; [11, 12, 1, .., 4] -> '11月–次年4月' (lists are consecutive)."""
    if not months:
        return ""
    first, last = months[0], months[-1]
    if len(months) == 1:
        return f"{first}月"
    return f"{first}月–次年{last}月" if last < first else f"{first}–{last}月"


def season_label(season: str) -> str:
    return f"{SEASON_NAMES[season]}（{months_text(season_months(season))}）"


def representative_month(season: str) -> int:
    return season_months(season)[0]


def tier_prices(basis: str = "including_funds") -> List[Decimal]:
    prices = region().value(f"tariff.prices.{basis}")
    return [Decimal(str(prices[f"tier{n}"])) for n in (1, 2, 3)]


def season_bounds(season: str, multi_resident: bool = False) -> List[Decimal]:
    # The calculator applies the multi-resident switch; asking it keeps one source of truth.
    return list(compute_bill(0, representative_month(season), multi_resident=multi_resident).bounds)


def tier_ranges(bounds: Sequence[Decimal]) -> List[str]:
    lower = Decimal(0)
    ranges = []
    for upper in bounds:
        start = num(lower + 1) if lower else "0"
        ranges.append(f"{start}–{num(upper)}度")
        lower = upper
    ranges.append(f"{num(lower)}度以上")
    return ranges


def season_table_line(season: str, multi_resident: bool = False) -> str:
    prices = tier_prices()
    ranges = tier_ranges(season_bounds(season, multi_resident))
    names = ("第一档", "第二档", "第三档")
    parts = [f"{name} {span} {num(price)}元/度" for name, span, price in zip(names, ranges, prices)]
    return f"{season_label(season)}：" + "；".join(parts)


# ------------------------------------------------------------------ bills

def formula(breakdown: BillBreakdown) -> str:
    """'260×0.68 + 190×0.73 = 315.50 元' (the working a customer can redo by hand)."""
    if not breakdown.lines:
        return f"0度 = {money(breakdown.total)} 元"
    terms = " + ".join(f"{num(line.kwh)}×{num(line.price)}" for line in breakdown.lines)
    return f"{terms} = {money(breakdown.total)} 元"


def breakdown_lines(breakdown: BillBreakdown) -> List[str]:
    return [
        f"· {line.label} {num(line.kwh)}度 × {num(line.price)}元/度 = {money(line.amount)}元"
        for line in breakdown.lines
    ]


def price_notice(basis: str = "including_funds") -> str:
    """Where the figures come from and where to see the official table."""
    r = region()
    where = "；".join(str(item) for item in r.value("tariff.publication.where_to_check"))
    disclaimer = str(r.value("tariff.publication.disclaimer")).rstrip("。")
    return f"以上按{r.name}居民电价（{BASIS_NAMES[basis]}）计算，{disclaimer}。查看价目表：{where}。"


def joined(items: Iterable[Any], sep: str = "、") -> str:
    return sep.join(str(item) for item in items)


def numbered(items: Iterable[Any]) -> List[str]:
    return [f"{i}. {item}" for i, item in enumerate(items, start=1)]


def kb_value(path: str, default: Any = None) -> Any:
    """A fact that may be absent from a region's files (optional features): default instead."""
    r = region()
    return r.value(path) if r.has(path) else default


def fact_unverified(*paths: str) -> bool:
    r = region()
    return any(r.has(path) and not r.fact(path).verified for path in paths)


def dict_get(data: Dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if data.get(key) is not None:
            return data[key]
    return None
