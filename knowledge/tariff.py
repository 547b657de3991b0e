"""Residential electricity bill calculators driven by ``tariff.yml`` and ``multi_resident.yml``.

All money is ``Decimal``: each line is rounded ROUND_HALF_UP to 0.01 元 and the total is the sum
of the rounded lines, so the lines a customer sees always add up to the total shown.
Tiers reset every month (Guangdong scheme): a month's kWh are split over that month's bounds.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from .loader import region_or_default
from .model import Fact, Region

CENT = Decimal("0.01")
MAX_MONTHLY_KWH = Decimal("1000000")  # beyond any household; almost surely a unit or typing error
PRICE_BASES = ("including_funds", "excluding_funds")
TOU_PERIODS = ("peak", "flat", "valley")
_PERIOD_LABELS = {"peak": "峰时段", "flat": "平时段", "valley": "谷时段"}
_TIER_LABELS = {1: "第一档", 2: "第二档", 3: "第三档"}

RegionArg = Union[Region, str, None]
KwhArg = Union[int, float, Decimal, str]


@dataclass(frozen=True)
class BillLine:
    tier: Optional[int]  # None for lines that are not a tier (合表, time-of-use periods)
    label: str
    kwh: Decimal
    price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class BillBreakdown:
    kwh: Decimal
    month: Optional[int]
    season: Optional[str]  # summer | non_summer; None for the untiered 合表 price
    price_basis: str
    multi_resident: bool
    bounds: Tuple[Decimal, ...]  # tier upper bounds used (after any multi-resident uplift)
    lines: Tuple[BillLine, ...]
    total: Decimal
    sources: Tuple[str, ...]
    verified: bool  # False when any fact used is unconfirmed: replies add "以供电局公布为准"
    region: str


@dataclass(frozen=True)
class MonthSaving:
    month: int
    kwh: Decimal
    standard: Decimal
    with_multi_resident: Decimal
    saving: Decimal


@dataclass(frozen=True)
class SavingEstimate:
    months: Tuple[MonthSaving, ...]
    total_saving: Decimal
    average_monthly_saving: Decimal
    yearly_saving: Decimal
    extrapolated: bool  # True when fewer than 12 months were given and the year is scaled up
    uplift_applies_to: str
    sources: Tuple[str, ...]
    verified: bool


# ---------------------------------------------------------------------------- input checks

def _kwh(raw: Any, name: str = "kwh") -> Decimal:
    if isinstance(raw, bool) or raw is None:
        raise ValueError(f"{name} must be a number, got {raw!r}")
    if isinstance(raw, float) and not math.isfinite(raw):
        raise ValueError(f"{name} must be a finite number, got {raw!r}")
    try:
        value = Decimal(str(raw).strip()) if not isinstance(raw, Decimal) else raw
    except (InvalidOperation, ValueError):
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if not value.is_finite():
        raise ValueError(f"{name} must be a finite number, got {raw!r}")
    if value < 0:
        raise ValueError(f"{name} cannot be negative, got {raw!r}")
    if value > MAX_MONTHLY_KWH:
        raise ValueError(f"{name} {raw!r} exceeds {MAX_MONTHLY_KWH} kWh per month")
    return value


def _month(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError(f"month must be 1..12, got {raw!r}")
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if isinstance(raw, float) and math.isfinite(raw) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, Decimal) and raw.is_finite() and raw == raw.to_integral_value():
        raw = int(raw)
    if not isinstance(raw, int) or not 1 <= raw <= 12:
        raise ValueError(f"month must be 1..12, got {raw!r}")
    return raw


def _basis(price_basis: str) -> str:
    if price_basis not in PRICE_BASES:
        raise ValueError(f"price_basis must be one of {PRICE_BASES}, got {price_basis!r}")
    return price_basis


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _dec(number: Any) -> Decimal:
    # str() first: Decimal(0.68) would carry the binary float error into the bill.
    return Decimal(str(number))


# ---------------------------------------------------------------------------- tariff tables

class _Used:
    """Collects the facts a calculation relied on, for its sources and verified flag."""

    def __init__(self, region: Region) -> None:
        self.region = region
        self.facts: List[Fact] = []

    def value(self, path: str) -> Any:
        fact = self.region.fact(path)
        self.facts.append(fact)
        return fact.value

    @property
    def sources(self) -> Tuple[str, ...]:
        return tuple(dict.fromkeys(f.source for f in self.facts))

    @property
    def verified(self) -> bool:
        return all(f.verified for f in self.facts)


def season_of(month: int, region: RegionArg = None) -> str:
    """``summer`` or ``non_summer`` for a month 1..12."""
    month = _month(month)
    summer = region_or_default(region).value("tariff.seasons.summer_months")
    return "summer" if month in summer else "non_summer"


def _bounds(used: _Used, season: str, multi_resident: bool) -> Tuple[Decimal, ...]:
    bounds = [_dec(b) for b in used.value(f"tariff.tiers.{season}")]
    if multi_resident:
        uplift = _dec(used.value("multi_resident.benefit.uplift_kwh_per_month"))
        scope = used.value("multi_resident.benefit.uplift_applies_to")
        if scope == "all_tiers":
            bounds = [b + uplift for b in bounds]
        else:  # tier1_only; the loader guarantees the raised bound stays below tier 2
            bounds[0] += uplift
    return tuple(bounds)


def _tier_prices(used: _Used, basis: str, tiers: int) -> Tuple[Decimal, ...]:
    return tuple(_dec(used.value(f"tariff.prices.{basis}.tier{n}")) for n in range(1, tiers + 1))


def _split(kwh: Decimal, bounds: Sequence[Decimal]) -> List[Decimal]:
    """kWh falling in each tier: [0, b1], (b1, b2], ..., above the last bound."""
    parts, lower = [], Decimal(0)
    for upper in bounds:
        parts.append(max(Decimal(0), min(kwh, upper) - lower))
        lower = upper
    parts.append(max(Decimal(0), kwh - lower))
    return parts


# ---------------------------------------------------------------------------- calculators

def compute_bill(
    kwh: KwhArg,
    month: int,
    region: RegionArg = None,
    multi_resident: bool = False,
    price_basis: str = "including_funds",
) -> BillBreakdown:
    """The tiered bill of one month's consumption. Raises ValueError on bad input."""
    amount_kwh, month, basis = _kwh(kwh), _month(month), _basis(price_basis)
    region = region_or_default(region)
    used = _Used(region)
    season = "summer" if month in used.value("tariff.seasons.summer_months") else "non_summer"
    bounds = _bounds(used, season, bool(multi_resident))
    prices = _tier_prices(used, basis, len(bounds) + 1)
    lines = tuple(
        BillLine(tier=n, label=_TIER_LABELS.get(n, f"第{n}档"), kwh=part, price=price,
                 amount=_money(part * price))
        for n, (part, price) in enumerate(zip(_split(amount_kwh, bounds), prices), start=1)
        if part > 0
    )
    return BillBreakdown(
        kwh=amount_kwh, month=month, season=season, price_basis=basis,
        multi_resident=bool(multi_resident), bounds=bounds, lines=lines,
        total=sum((line.amount for line in lines), Decimal("0.00")),
        sources=used.sources, verified=used.verified, region=region.key,
    )


def shared_meter_bill(
    kwh: KwhArg, region: RegionArg = None, price_basis: str = "including_funds"
) -> BillBreakdown:
    """A 合表 (shared master meter) bill: one flat price, no tiers, no seasons.
    Also the price of a residential EV charging pile (charging_pile.price.tariff_key)."""
    amount_kwh, basis = _kwh(kwh), _basis(price_basis)
    region = region_or_default(region)
    path = f"tariff.prices.shared_meter.{basis}"
    if not region.has(path):
        raise ValueError(f"{region.name}的知识库没有合表电价（{basis}）")
    used = _Used(region)
    price = _dec(used.value(path))
    lines = (BillLine(tier=None, label="合表电价", kwh=amount_kwh, price=price,
                      amount=_money(amount_kwh * price)),) if amount_kwh > 0 else ()
    return BillBreakdown(
        kwh=amount_kwh, month=None, season=None, price_basis=basis, multi_resident=False,
        bounds=(), lines=lines, total=sum((l.amount for l in lines), Decimal("0.00")),
        sources=used.sources, verified=used.verified, region=region.key,
    )


def time_of_use_period(hour: int, region: RegionArg = None) -> str:
    """``peak``, ``flat`` or ``valley`` for an hour of the day 0..23."""
    if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour <= 23:
        raise ValueError(f"hour must be 0..23, got {hour!r}")
    periods = region_or_default(region).value("tariff.prices.time_of_use.periods")
    for name, ranges in periods.items():
        if any(start <= hour < end for start, end in ranges):
            return name
    raise ValueError(f"hour {hour} is in no time-of-use period")  # the loader rules this out


def time_of_use_bill(
    peak_kwh: KwhArg,
    flat_kwh: KwhArg,
    valley_kwh: KwhArg,
    month: int,
    region: RegionArg = None,
    multi_resident: bool = False,
) -> BillBreakdown:
    """A time-of-use (峰谷) bill, excluding government funds (the only basis the table has).

    Each period's kWh pay the tier-1 period price; the month's kWh above the tier bounds then
    pay the tier surcharges (tier 2 +0.05, tier 3 +0.30 元/kWh), as the table's note says.
    """
    parts = {"peak": _kwh(peak_kwh, "peak_kwh"), "flat": _kwh(flat_kwh, "flat_kwh"),
             "valley": _kwh(valley_kwh, "valley_kwh")}
    month = _month(month)
    total_kwh = _kwh(sum(parts.values()), "total kwh")
    region = region_or_default(region)
    if not region.has("tariff.prices.time_of_use"):
        raise ValueError(f"{region.name}的知识库没有分时电价")
    used = _Used(region)
    season = "summer" if month in used.value("tariff.seasons.summer_months") else "non_summer"
    bounds = _bounds(used, season, bool(multi_resident))
    period_prices = used.value("tariff.prices.time_of_use.tier1_excluding_funds")
    lines: List[BillLine] = [
        BillLine(tier=None, label=_PERIOD_LABELS[name], kwh=parts[name],
                 price=_dec(period_prices[name]), amount=_money(parts[name] * _dec(period_prices[name])))
        for name in TOU_PERIODS if parts[name] > 0
    ]
    for n, part in enumerate(_split(total_kwh, bounds)[1:], start=2):
        if part > 0:
            surcharge = _dec(used.value(f"tariff.prices.tier_surcharge.tier{n}"))
            lines.append(BillLine(tier=n, label=f"{_TIER_LABELS.get(n, f'第{n}档')}加价", kwh=part,
                                  price=surcharge, amount=_money(part * surcharge)))
    return BillBreakdown(
        kwh=total_kwh, month=month, season=season, price_basis="excluding_funds",
        multi_resident=bool(multi_resident), bounds=bounds, lines=tuple(lines),
        total=sum((l.amount for l in lines), Decimal("0.00")),
        sources=used.sources, verified=used.verified, region=region.key,
    )


def multi_resident_saving(
    monthly_kwh: Union[KwhArg, Sequence[KwhArg], Mapping[int, KwhArg]],
    region: RegionArg = None,
    price_basis: str = "including_funds",
    start_month: int = 1,
) -> SavingEstimate:
    """What the 一户多人口 uplift saves, computed with ``compute_bill`` with and without it.

    ``monthly_kwh`` is one of: a single number (the same use in every month of a typical year);
    a list of 1..12 monthly figures for consecutive months from ``start_month``; or a mapping
    ``{month: kwh}``. With fewer than 12 months the yearly figure is the monthly average x 12.
    """
    region = region_or_default(region)
    months = _months_of(monthly_kwh, _month(start_month))
    rows = []
    sources: Dict[str, None] = {}
    verified = True
    for month, kwh in months:
        standard = compute_bill(kwh, month, region, False, price_basis)
        uplifted = compute_bill(kwh, month, region, True, price_basis)
        rows.append(MonthSaving(month=month, kwh=standard.kwh, standard=standard.total,
                                with_multi_resident=uplifted.total,
                                saving=standard.total - uplifted.total))
        sources.update(dict.fromkeys(standard.sources + uplifted.sources))
        verified = verified and standard.verified and uplifted.verified
    total = sum((row.saving for row in rows), Decimal("0.00"))
    average = total / len(rows)
    return SavingEstimate(
        months=tuple(rows),
        total_saving=total,
        average_monthly_saving=_money(average),
        yearly_saving=total if len(rows) == 12 else _money(average * 12),
        extrapolated=len(rows) != 12,
        uplift_applies_to=region.value("multi_resident.benefit.uplift_applies_to"),
        sources=tuple(sources),
        verified=verified,
    )


def _months_of(monthly_kwh: Any, start_month: int) -> List[Tuple[int, Any]]:
    if isinstance(monthly_kwh, Mapping):
        pairs = [(_month(m), k) for m, k in monthly_kwh.items()]
        if len({m for m, _ in pairs}) != len(pairs):
            raise ValueError("each month may appear only once")
        if not pairs:
            raise ValueError("monthly_kwh is empty")
        return sorted(pairs)
    if isinstance(monthly_kwh, (list, tuple)):
        if not 1 <= len(monthly_kwh) <= 12:
            raise ValueError(f"give 1..12 monthly figures, got {len(monthly_kwh)}")
        return [((start_month - 1 + i) % 12 + 1, k) for i, k in enumerate(monthly_kwh)]
    if isinstance(monthly_kwh, Iterable) and not isinstance(monthly_kwh, (str, bytes)):
        return _months_of(list(monthly_kwh), start_month)
    return [(m, monthly_kwh) for m in range(1, 13)]
