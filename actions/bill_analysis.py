"""Why a bill is what it is: the tier breakdown of one bill and the reasons a bill is high.

The breakdown uses the same calculator as the tariff topic (knowledge.tariff.compute_bill), so
the lines a customer sees add up to the amount on the bill. "Abnormal" usage is a heuristic
for suggesting a meter check, not a utility rule: ABNORMAL_RATIO times the recent average.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Dict, List, Optional, Tuple

from actions.account_knowledge import value
from actions.bill_format import AccountData, money, percent_change, period_label, period_month, signed, yuan
from knowledge.tariff import compute_bill, season_of

ABNORMAL_RATIO = 1.5
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


def _same_month_last_year(bills: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    year, month = bills[0]["period"].split("-")
    wanted = f"{int(year) - 1:04d}-{month}"
    return next((b for b in bills if b["period"] == wanted), None)


def high_bill_reasons(data: AccountData) -> Tuple[str, bool]:
    """(answer, abnormal): tier crossing, season change, comparison with history, then whether
    the usage is abnormal enough to suggest a meter check."""
    bills = data.bills
    latest = bills[0]
    lines = [f"您{period_label(latest['period'])}用电 {latest['kwh']} 度，电费 {yuan(latest['amount'])}。"]
    previous = bills[1] if len(bills) > 1 else None
    recent = [b["kwh"] for b in bills[1:7]]
    average = sum(recent) / len(recent) if recent else 0
    history = []
    if previous:
        history.append(f"比上月{signed(latest['kwh'] - previous['kwh'], '度')}{percent_change(latest['kwh'], previous['kwh'])}")
    last_year = _same_month_last_year(bills)
    if last_year:
        history.append(f"比去年同期{signed(latest['kwh'] - last_year['kwh'], '度')}")
    if average:
        history.append(f"此前{len(recent)}个月平均每月 {average:.0f} 度")
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
    abnormal = bool(average) and latest["kwh"] > ABNORMAL_RATIO * average
    if abnormal:
        lines.append(f"本月用电量约为您平时的{latest['kwh'] / average:.1f}倍，明显偏高。建议先关掉家里全部电器，"
                     "看电表是否还在走（指示灯是否还在闪）；如果排除了家里的原因，可以申请电表校验。")
    elif len(lines) <= 2:
        lines.append("和往常相比，您的用电量没有明显异常。")
    return "\n".join(lines), abnormal
