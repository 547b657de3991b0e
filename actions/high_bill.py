""""Why is my electricity bill so high?" (电费为什么这么高).

Not verified: the general reasons (tier crossing, the season switch) with numbers from the
calculator, and an offer to verify so the customer's own months can be compared. Verified: the
latest bill tier by tier, compared with the previous months and the same month last year from the
back end; clearly abnormal usage points to a meter accuracy test (申请校验电能表) with the
meter_check flow's button. Whether usage is abnormal is decided by
actions.bill_analysis.usage_check, shared with the bill_query and meter_check answers.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import backend_client
from actions.bill_analysis import UsageCheck, usage_check
from actions.meter_check import APPLY_BUTTON as METER_TEST_BUTTON
from actions.replies import apology_unavailable, buttons, hotline, region
from actions.tariff_text import (
    breakdown_lines,
    formula,
    message_kwh,
    message_month,
    num,
    payload,
    price_notice,
    representative_month,
    season_bounds,
    season_label,
    season_months,
)
from actions.verification import offer_verification, runs_after_verification, verified_account
from bot.text.masking import mask_account
from knowledge.tariff import compute_bill, multi_resident_saving, season_of, shared_meter_bill

ACTION_NAME = "action_explain_high_bill"

HIGH_BILL = re.compile(
    r"(电费|账单|电费单|用电量|电量|度数).{0,8}(高|贵|涨|翻倍|离谱|多了|多出|变多|这么多|那么多|好多|太多)"
    r"|(为什么|为啥|怎么|咋).{0,10}(电费|用电|电量|账单).{0,6}(高|贵|多|涨)"
    r"|比(上个?月|去年|以前|平时|之前|往常).{0,8}(高|贵|多|涨)"
)


def is_high_bill_question(text: str) -> bool:
    """'为什么这个月电费这么高' yes; '电费多少钱' (多少) and '电价是不是涨了' (price, not bill) no."""
    return bool(HIGH_BILL.search(text.replace("多少", "")))


def _meter_test_text() -> str:
    r = region()
    lines = [f"如怀疑电表计量不准，可以申请校验电能表：{r.value('account_services.meter_test.how_to_apply')}"]
    fee = r.value("account_services.meter_test.fee_rule") if r.has("account_services.meter_test.fee_rule") else None
    if isinstance(fee, dict):
        lines.append("校验结果：" + "；".join(str(v) for v in fee.values()) + "。")
    return "".join(lines)


def _pct(now: Decimal, before: Decimal) -> str:
    change = (now - before) / before * 100
    word = "多" if change >= 0 else "少"
    return f"{word}{abs(change).quantize(Decimal('1'))}%"


def general_reasons(kwh: Optional[Decimal], month: Optional[int]) -> List[str]:
    r = region()
    surcharge = r.value("tariff.prices.tier_surcharge")
    summer, winter = season_bounds("summer"), season_bounds("non_summer")
    switch_month = season_months("non_summer")[0]
    # A usage just past the non-summer tier-2 bound shows the season switch clearly.
    example = kwh if kwh is not None else winter[-1] + 50
    in_summer = compute_bill(example, representative_month("summer"))
    in_winter = compute_bill(example, switch_month)
    lines = [
        "电费变高，最常见的是这几个原因：",
        f"1. 阶梯按月计算：当月用电超过第一档（夏季{num(summer[0])}度、非夏季{num(winter[0])}度）后，"
        f"超出部分每度多{num(surcharge['tier2'])}元；超过第二档（夏季{num(summer[1])}度、非夏季{num(winter[1])}度）"
        f"后每度多{num(surcharge['tier3'])}元。",
        f"2. 季节切换：每年{switch_month}月起执行非夏季标准，第一档上限从{num(summer[0])}度降到{num(winter[0])}度，"
        f"同样的用电量会更早进入高档。比如{num(example)}度：夏季月份 {in_summer.total} 元，"
        f"{switch_month}月 {in_winter.total} 元。",
        "3. 用电量本身增加：比如空调、取暖器、热水器等大功率电器用得多了。",
    ]
    if kwh is not None and month is not None:
        bill = compute_bill(kwh, month)
        lines.append(f"按您说的{month}月{num(kwh)}度：{formula(bill)}")
    return lines


@runs_after_verification
class ActionExplainHighBill(Action):
    """Also run by action_verify_account (slot after_verification) once the customer verified,
    in the same turn, so that the turn still ends with action_verify_account."""

    def name(self) -> Text:
        return ACTION_NAME

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        return await explain_high_bill(dispatcher, tracker, message_kwh(tracker), message_month(tracker))


async def explain_high_bill(dispatcher: CollectingDispatcher, tracker: Tracker,
                            kwh: Optional[Decimal], month: Optional[int]) -> List[Dict[Text, Any]]:
    account_no = verified_account(tracker)
    if account_no:
        await _personal(dispatcher, account_no)
        return []
    lines = general_reasons(kwh, month) + [_meter_test_text(), price_notice()]
    dispatcher.utter_message(text="\n".join(lines))
    offer_verification(dispatcher, "对比您家最近几个月的用电量", tracker)
    return [SlotSet("after_verification", ACTION_NAME)]


async def _personal(dispatcher: CollectingDispatcher, account_no: str) -> None:
    account = await backend_client.get(f"/api/v1/accounts/{account_no}")
    history = await backend_client.get(f"/api/v1/accounts/{account_no}/bills", months=13) if account.ok else account
    if account.unavailable or history.unavailable:
        apology_unavailable(dispatcher, "查询您的用电记录")
        return
    bills = history.data.get("bills") or [] if history.ok else []
    if not account.ok or not bills:
        dispatcher.utter_message(
            text=f"暂时没有查到户号 {mask_account(account_no)} 的账单记录。请拨打 {hotline()}，客服可以帮您逐月核对。")
        return
    check = usage_check(bills)
    dispatcher.utter_message(text="\n".join(_personal_lines(account.data, bills, check)),
                             buttons=_personal_buttons(account.data, bills, check.abnormal))


def _month_of(bill: Dict[str, Any]) -> int:
    return int(str(bill["period"])[5:7])


def _period_text(bill: Dict[str, Any]) -> str:
    return f"{str(bill['period'])[:4]}年{_month_of(bill)}月"


def _personal_lines(account: Dict[str, Any], bills: List[Dict[str, Any]], check: UsageCheck) -> List[str]:
    latest = bills[0]
    kwh, month = Decimal(str(latest["kwh"])), _month_of(latest)
    tariff_type = account.get("tariff_type") or "residential"
    lines = [f"您（户号 {mask_account(account.get('account_no', ''))}）最近一期 {_period_text(latest)} 用电 {num(kwh)} 度，"
             f"电费 {Decimal(str(latest['amount'])).quantize(Decimal('0.01'))} 元。"]
    if tariff_type == "residential":
        breakdown = compute_bill(kwh, month, multi_resident=bool(account.get("multi_resident")))
        note = "（已按一户多人口档位计算）" if breakdown.multi_resident else ""
        lines += [f"按{season_label(breakdown.season)}档位{note}：", *breakdown_lines(breakdown)]
    elif tariff_type == "shared_meter":
        lines.append(f"您是合表用户，不分档：{formula(shared_meter_bill(kwh))}")
    else:
        lines.append("您的户号执行一般工商业电价，不适用居民阶梯电价，电费主要随用电量变化。")

    previous, recent_avg, year_ago = check.recent, check.recent_average, check.last_year
    last_year = Decimal(str(year_ago["kwh"])) if year_ago else None
    if previous:
        lines.append("近几个月用电：" + "、".join(f"{_month_of(b)}月 {num(b['kwh'])}度" for b in previous)
                     + f"；本期比前{len(previous)}个月平均（{num(recent_avg.quantize(Decimal('1')))}度）{_pct(kwh, recent_avg)}。")
    if last_year:
        lines.append(f"去年同期（{_period_text(year_ago)}）用电 {num(last_year)} 度，本期{_pct(kwh, last_year)}。")

    reasons = _reasons(kwh, month, bills, tariff_type, account, recent_avg, check.noticeably_higher)
    if check.abnormal:
        lines.append("本期用电量明显高于平时。建议先排查：是否有电器长时间运行或出现故障、是否有他人接用您的电；"
                     "也可以关掉家里所有电器，看电表是否还在走。")
        lines.append(_meter_test_text())
    elif reasons:
        lines.append("电费变化主要来自：" + "；".join(reasons) + "。用电量在正常波动范围内。")
    else:
        lines.append("本期用电量和电费都在正常范围内。")
    lines.append(price_notice())
    return lines


def _reasons(kwh: Decimal, month: int, bills: List[Dict[str, Any]], tariff_type: str,
             account: Dict[str, Any], recent_avg: Optional[Decimal], noticeably_higher: bool) -> List[str]:
    reasons: List[str] = []
    if recent_avg and noticeably_higher:
        reasons.append(f"用电量比前几个月{_pct(kwh, recent_avg)}")
    if tariff_type != "residential":
        return reasons
    multi = bool(account.get("multi_resident"))
    breakdown = compute_bill(kwh, month, multi_resident=multi)
    for line in breakdown.lines:
        if line.tier and line.tier >= 2:
            bound = breakdown.bounds[line.tier - 2]
            reasons.append(f"超过{num(bound)}度的{num(line.kwh)}度按{line.label}{num(line.price)}元/度计价")
    if len(bills) > 1:
        before = season_of(_month_of(bills[1]))
        if before == "summer" and breakdown.season == "non_summer":
            old, new = season_bounds("summer", multi)[0], season_bounds("non_summer", multi)[0]
            reasons.append(f"{month}月已执行非夏季标准，第一档上限从{num(old)}度降到{num(new)}度")
    return reasons


def _personal_buttons(account: Dict[str, Any], bills: List[Dict[str, Any]], abnormal: bool) -> List[Dict[str, str]]:
    options = [("查看电价标准", payload("tiered_tariff")), ("转人工核查", "/human_agent")]
    if abnormal:  # the meter_check flow's own payload: it starts the accuracy-test form
        options.insert(0, METER_TEST_BUTTON)
    min_members = region().value("multi_resident.eligibility.min_members")
    if (account.get("tariff_type") == "residential" and not account.get("multi_resident")
            and int(account.get("household_size") or 0) >= int(min_members)):
        saving = multi_resident_saving({_month_of(b): b["kwh"] for b in bills[:12]})
        if saving.yearly_saving > 0:
            options.insert(0, (f"一户多人口（约省{saving.yearly_saving}元/年）", payload("multi_resident_policy", aspect="saving")))
    return buttons(options)
