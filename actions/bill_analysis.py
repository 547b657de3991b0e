"""Why a bill is what it is: the tier breakdown of one bill and the reasons a bill is high.

The breakdown uses the same calculator as the tariff topic (knowledge.tariff.compute_bill), so
the lines a customer sees add up to the amount on the bill.

`usage_check` is the one place that decides whether usage is abnormal enough to suggest a meter
accuracy test; the bill answer, the tariff topic's "why is my bill high" (actions/high_bill.py)
and the meter-check answer all use it. Its thresholds are the project's own heuristic, kept as
data in knowledge (account_services.bills.usage_heuristic), not a utility rule.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Dict, List, Optional, Tuple

from actions.account_knowledge import value
from actions.bill_format import AccountData, money, percent_change, period_label, period_month, signed, yuan
from knowledge.tariff import compute_bill, season_of

HEURISTIC = "account_services.bills.usage_heuristic"
SEASON_TEXT = {"summer": "夏季", "non_summer": "非夏季"}


def _months_text(months: List[int]) -> str:
    ordered = sorted(months)
    if ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{ordered[0]}–{ordered[-1]}月"
    return "、".join(f"{m}月" for m in ordered)


def _kwh(number: Any) -> str:
    return f"{Decimal(str(number)).normalize():f}"


def season_bounds_text() -> str:
    summer = value("tariff.seasons.summer_months")
    summer_bounds = value("tariff.tiers.summer")
    winter_bounds = value("tariff.tiers.non_summer")
    return (f"夏季（{_months_text(summer)}）第一档上限{summer_bounds[0]}度、第二档上限{summer_bounds[1]}度；"
            f"其他月份第一档上限{winter_bounds[0]}度、第二档上限{winter_bounds[1]}度")


def usage_factors() -> List[str]:
    """What makes household use go up; shared with the meter-check answer."""
    return [
        f"阶梯电价按月计算：{season_bounds_text()}，超出部分单价更高",
        "季节变化：夏天空调、冬天热水器和取暖器用电明显增加",
        "新添了大功率电器（空调、电热水器、烘干机、电动车充电等），或电器长期待机",
        "家里住的人变多、在家时间变长，或抄表周期比上月多几天",
    ]


def usage_tips_general() -> str:
    lines = "\n".join(f"{i}. {item}" for i, item in enumerate(usage_factors(), 1))
    return f"电费偏高常见有这几个原因：\n{lines}\n验证身份后，我可以结合您家近一年的账单具体分析。"


def _breakdown(data: AccountData, bill: Dict[str, Any]):
    if not data.residential:
        return None
    try:
        result = compute_bill(bill["kwh"], period_month(bill["period"]),
                              multi_resident=bool(data.account.get("multi_resident")))
    except ValueError:
        return None
    # A bill priced differently (another tariff period) gets no breakdown rather than a wrong one.
    return result if abs(result.total - money(bill["amount"])) <= Decimal("0.01") else None


def tier_breakdown(data: AccountData, bill: Dict[str, Any]) -> str:
    tariff = data.account.get("tariff_type")
    if tariff == "shared_meter":
        return "您是合表用户，按合表电价计费，不分阶梯。"
    if tariff == "business":
        return "您是一般工商业用电，不执行居民阶梯电价。"
    result = _breakdown(data, bill)
    if result is None:
        return ""
    parts = "；".join(f"{line.label}{_kwh(line.kwh)}度×{line.price}元={yuan(line.amount)}" for line in result.lines)
    extra = "，已按一户多人口放宽档位" if result.multi_resident else ""
    return f"阶梯明细（{SEASON_TEXT[result.season]}标准{extra}）：{parts}。"


def same_month_last_year(bills: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    year, month = bills[0]["period"].split("-")
    wanted = f"{int(year) - 1:04d}-{month}"
    return next((b for b in bills if b["period"] == wanted), None)


def _decimal(number: Any) -> Decimal:
    return Decimal(str(number or 0))


@dataclass(frozen=True)
class UsageCheck:
    """How the newest bill's usage compares with the customer's own history."""
    kwh: Decimal                          # the newest bill's usage
    recent: List[Dict[str, Any]]          # the months before it that make the average, newest first
    recent_average: Optional[Decimal]
    last_year: Optional[Dict[str, Any]]   # the same month a year earlier, when billed
    basis: Optional[str]                  # what "abnormal" was judged against: "last_year" or "recent"
    ratio: Optional[Decimal]              # newest usage / that basis
    abnormal: bool                        # worth suggesting a home check and a meter test
    noticeably_higher: bool               # above the recent average by the "noticeable rise"

    def basis_text(self) -> str:
        return "去年同期" if self.basis == "last_year" else f"此前{len(self.recent)}个月平均"


def usage_check(bills: List[Dict[str, Any]]) -> UsageCheck:
    """Same month last year is the fairer comparison (same season); without it the recent months,
    which include the seasonal swing, so that threshold is higher."""
    rules = value(HEURISTIC)
    kwh = _decimal(bills[0]["kwh"])
    recent = bills[1:1 + int(rules["recent_months"])]
    average = sum(_decimal(b["kwh"]) for b in recent) / len(recent) if recent else None
    last_year = same_month_last_year(bills)
    basis, reference, threshold = None, None, None
    if last_year and _decimal(last_year["kwh"]) > 0:
        basis, reference, threshold = "last_year", _decimal(last_year["kwh"]), rules["vs_same_month_last_year"]
    elif average:
        basis, reference, threshold = "recent", average, rules["vs_recent_average"]
    ratio = kwh / reference if reference else None
    return UsageCheck(
        kwh=kwh, recent=recent, recent_average=average, last_year=last_year, basis=basis, ratio=ratio,
        abnormal=reference is not None and kwh >= reference * _decimal(threshold),
        noticeably_higher=bool(average) and kwh >= average * _decimal(rules["noticeable_rise"]),
    )


def abnormal_advice(check: UsageCheck) -> str:
    return (f"本月用电量约为{check.basis_text()}的{check.ratio:.1f}倍，明显偏高。建议先关掉家里全部电器，"
            "看电表是否还在走（指示灯是否还在闪）；如果排除了家里的原因，可以申请电表校验。")


def high_bill_reasons(data: AccountData) -> Tuple[str, bool]:
    """(answer, abnormal): tier crossing, season change, comparison with history, then whether
    the usage is abnormal enough to suggest a meter check."""
    bills = data.bills
    latest = bills[0]
    check = usage_check(bills)
    lines = [f"您{period_label(latest['period'])}用电 {latest['kwh']} 度，电费 {yuan(latest['amount'])}。"]
    previous = bills[1] if len(bills) > 1 else None
    history = []
    if previous:
        history.append(f"比上月{signed(latest['kwh'] - previous['kwh'], '度')}{percent_change(latest['kwh'], previous['kwh'])}")
    if check.last_year:
        history.append(f"比去年同期{signed(latest['kwh'] - check.last_year['kwh'], '度')}")
    if check.recent_average:
        history.append(f"此前{len(check.recent)}个月平均每月 {check.recent_average:.0f} 度")
    if history:
        lines.append("，".join(history) + "。")
    result = _breakdown(data, latest)
    if result is not None:
        upper = [line for line in result.lines if line.tier and line.tier > 1]
        if upper:
            parts = "、".join(f"{_kwh(line.kwh)}度按{line.label}{line.price}元/度" for line in upper)
            lines.append(f"本月超过了第一档上限{_kwh(result.bounds[0])}度，其中{parts}计价，所以电费涨得比用电量快。")
    if previous and data.residential:
        now_season = season_of(period_month(latest["period"]))
        before = season_of(period_month(previous["period"]))
        if now_season != before:
            if now_season == "non_summer":
                lines.append(f"另外，{period_month(latest['period'])}月起执行非夏季阶梯，档位上限变低（{season_bounds_text()}），同样的用电量更容易进入高档。")
            else:
                lines.append("另外，进入夏季后空调用电增加，是电费上涨最常见的原因。")
    if check.abnormal:
        lines.append(abnormal_advice(check))
    elif len(lines) <= 2:
        lines.append("和往常相比，您的用电量没有明显异常。")
    return "\n".join(lines), check.abnormal
