"""Residential tiered tariff (阶梯电价): tiers, seasons and prices, bill computation, time-of-use
(峰谷) and shared-meter (合表) prices, and other cities.

One action answers the `tiered_tariff` intent and decides from the message what is asked; when
the customer wants a bill computed but gave no kWh it sets `tariff_next: calc` and a rule starts
`tariff_calc_form`. "Why is my bill high" lives in actions/high_bill.py.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import ServiceFormValidation, entity_value, latest_text
from actions.high_bill import explain_high_bill, is_high_bill_question
from actions.replies import buttons, hotline, region
from actions.tariff_text import (
    SEASONS,
    breakdown_lines,
    formula,
    kb_value,
    message_aspects,
    message_kwh,
    message_month,
    num,
    other_place,
    payload,
    price_notice,
    representative_month,
    season_label,
    season_table_line,
)
from bot.text import parse_kwh, parse_number
from knowledge.tariff import compute_bill, season_of, shared_meter_bill

NEXT_SLOT = "tariff_next"
KWH_SLOT = "tariff_kwh"
MONTH_SLOT = "tariff_month"
MAX_KWH = Decimal("100000")  # a household month far above this is a typing or unit mistake
# "帮我算一下" without a number: the customer wants a computation, not the rules.
CALC_WORDS = re.compile(r"(帮我|给我|帮忙|麻烦)?(算一下|算算|算一算|计算一下|帮我算|给我算|估算|算下)")
SUMMER_WORDS = re.compile(r"(夏|热天|暑)")
NON_SUMMER_WORDS = re.compile(r"(非夏|冬|冷天)")  # checked first: 非夏季 contains 夏
BOTH_WORDS = re.compile(r"(都|两个|两季|不知道|不确定|不清楚|不记得|随便|全部)")

AFTER_BILL_BUTTONS = [
    ("一户多人口能省多少", payload("multi_resident_policy", aspect="saving")),
    ("为什么电费变高了", payload("tiered_tariff", aspect="high_bill")),
    ("再算一次", payload("tiered_tariff", aspect="calculate")),
]
TOPIC_BUTTONS = [
    ("算一算电费", payload("tiered_tariff", aspect="calculate")),
    ("一户多人口", payload("multi_resident_policy")),
    ("峰谷电价", payload("tiered_tariff", aspect="time_of_use")),
    ("合表电价", payload("tiered_tariff", aspect="shared_meter")),
]


# ------------------------------------------------------------------ answers

def explain_tiers(dispatcher: CollectingDispatcher) -> None:
    r = region()
    surcharge = r.value("tariff.prices.tier_surcharge")
    lines = [
        f"{r.name}居民用电实行阶梯电价，按月计算、每月重新起算，用得越多，超出部分的单价越高：",
        *(season_table_line(season) for season in SEASONS),
        f"第二档每度比第一档贵{num(surcharge['tier2'])}元，第三档贵{num(surcharge['tier3'])}元；"
        f"只有超出的那部分按高档计价。",
        price_notice(),
        "告诉我用电度数和月份，我帮您算电费，比如“7月用了450度”。",
    ]
    dispatcher.utter_message(text="\n".join(lines), buttons=buttons(TOPIC_BUTTONS))


def explain_month(dispatcher: CollectingDispatcher, month: int) -> None:
    season = season_of(month)
    dispatcher.utter_message(
        text=f"{month}月属于{season_label(season)}，按这个季节的档位计价：\n"
        f"{season_table_line(season)}\n{price_notice()}\n告诉我这个月用了多少度，我帮您算出电费。",
        buttons=buttons([(f"算一算{month}月电费", payload("tiered_tariff", aspect="calculate", month=month)),
                         ("一户多人口", payload("multi_resident_policy"))]),
    )


def bill_text(kwh: Decimal, month: Optional[int], season: Optional[str] = None) -> str:
    """One month's bill tier by tier; `season` alone (no month) uses the season's first month."""
    if month is not None:
        breakdown = compute_bill(kwh, month)
        head = f"{month}月属于{season_label(breakdown.season)}，用电{num(kwh)}度，电费约 {breakdown.total} 元："
    else:
        breakdown = compute_bill(kwh, representative_month(season))
        head = f"{season_label(season)}月份用电{num(kwh)}度，电费约 {breakdown.total} 元："
    return "\n".join([head, *breakdown_lines(breakdown), f"合计：{formula(breakdown)}"])


def both_seasons_text(kwh: Decimal) -> str:
    lines = [f"用电{num(kwh)}度，夏季和非夏季的档位不同，电费分别是："]
    for season in SEASONS:
        breakdown = compute_bill(kwh, representative_month(season))
        lines.append(f"· {season_label(season)}：{formula(breakdown)}")
    lines.append("告诉我是几月的用电，我可以按那个月细算。")
    return "\n".join(lines)


def utter_bill(dispatcher: CollectingDispatcher, kwh: Decimal, month: Optional[int],
               season: Optional[str] = None) -> None:
    body = bill_text(kwh, month, season) if (month or season) else both_seasons_text(kwh)
    dispatcher.utter_message(
        text=f"{body}\n{price_notice()}实际电费以电费账单为准。",
        buttons=buttons(AFTER_BILL_BUTTONS),
    )


def explain_time_of_use(dispatcher: CollectingDispatcher) -> None:
    r = region()
    tou = kb_value("tariff.prices.time_of_use")
    if not tou:
        dispatcher.utter_message(text=f"{r.name}的峰谷分时电价小南这里暂时没有资料，请拨打 {hotline()} 咨询。")
        return
    names = {"peak": "高峰", "flat": "平段", "valley": "低谷"}
    prices = tou["tier1_excluding_funds"]
    surcharge = r.value("tariff.prices.tier_surcharge")
    lines = [f"{r.name}居民峰谷分时电价（第一档，不含政府性基金及附加）："]
    for period in ("peak", "flat", "valley"):
        spans = "、".join(f"{start:02d}:00–{end:02d}:00" for start, end in tou["periods"][period])
        lines.append(f"· {names[period]} {spans}：{num(prices[period])}元/度")
    lines.append(f"当月用电超过第一档、第二档上限的部分，在对应时段电价上每度再加{num(surcharge['tier2'])}元、"
                 f"{num(surcharge['tier3'])}元。用电主要在低谷时段的家庭更可能划算，白天用电多则可能更贵。")
    lines.append(price_notice("excluding_funds"))
    dispatcher.utter_message(text="\n".join(lines), buttons=buttons(TOPIC_BUTTONS[:2]))


def explain_shared_meter(dispatcher: CollectingDispatcher, kwh: Optional[Decimal]) -> None:
    r = region()
    fact = r.fact("tariff.prices.shared_meter.excluding_funds")
    lines = [f"合表用户（多户共用一只总表）不分档、不分季节，执行单一电价："
             f"{num(fact.value)}元/度（不含政府性基金及附加）。"]
    including = "tariff.prices.shared_meter.including_funds"
    # A derived all-in figure is quoted only once the utility has confirmed it.
    if r.has(including) and r.fact(including).verified:
        lines.append(f"含政府性基金及附加为{num(r.value(including))}元/度。")
    if kwh is not None:
        bill = shared_meter_bill(kwh, price_basis="excluding_funds")
        lines.append(f"按{num(kwh)}度计：{formula(bill)}（不含基金及附加）。")
    lines.append(price_notice("excluding_funds"))
    dispatcher.utter_message(text="\n".join(lines), buttons=buttons(TOPIC_BUTTONS[:2]))


def explain_other_place(dispatcher: CollectingDispatcher, place: Any) -> None:
    """Honest answer for another city: our figures are the default region's; then the national
    rule every province follows and where that place publishes its own table."""
    r = region()
    lines = [f"小南目前只有{r.name}的电价资料，下面的档位和价格都是{r.name}的，{place.name}不一定相同。"]
    rule = kb_value("tariff.other_regions.general_rule")
    if rule:
        lines.append(f"一般规则：{rule}")
    coverage = kb_value("tariff.other_regions.tier_coverage")
    steps = kb_value("tariff.other_regions.price_steps")
    if coverage or steps:
        # Quoted as "原则上、约": the coverage shares are the usual reading of the national guidance.
        share = (f"按国家指导意见，第一档原则上覆盖约{num(coverage['tier1_percent'])}%的居民家庭，"
                 f"前两档合计覆盖约{num(coverage['tier2_percent'])}%。") if coverage else ""
        lines.append(share + (str(steps) if steps else ""))
    where = kb_value(f"tariff.other_regions.where_to_check.{place.grid}")
    if where:
        items = where if isinstance(where, list) else [where]
        lines.append(f"{place.name}的电价请以当地公布的为准，可以这样查：")
        lines.extend(f"· {item}" for item in items)
    else:
        lines.append(f"{place.name}的电价请以当地供电企业公布的价目表为准，也可以拨打当地 {hotline()} 咨询。")
    dispatcher.utter_message(text="\n".join(lines))


def explain_non_residential(dispatcher: CollectingDispatcher) -> None:
    r = region()
    where = "；".join(str(item) for item in r.value("tariff.publication.where_to_check"))
    dispatcher.utter_message(
        text=f"小南这里只有{r.name}居民生活用电的阶梯电价。商铺、工厂等一般工商业用电不执行居民阶梯电价，"
        f"具体电价请查看：{where}，或拨打 {hotline()} 咨询。",
        buttons=buttons(TOPIC_BUTTONS[:1]),
    )


class ActionTariffAnswer(Action):
    """Answers a tiered_tariff message; sets tariff_next (calc -> the rule starts the form)."""

    def name(self) -> Text:
        return "action_tariff_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        text = latest_text(tracker)
        aspects = message_aspects(tracker)
        kwh, month = message_kwh(tracker), message_month(tracker)
        if kwh is not None and month is None:
            month = remembered_month(tracker)
        place = other_place(tracker)
        if place:
            explain_other_place(dispatcher, place)
        # The remembered month is used once: by the kWh that follows a month's explanation.
        done = [SlotSet(NEXT_SLOT, "done"), SlotSet(MONTH_SLOT, None)]
        if "high_bill" in aspects or is_high_bill_question(text):
            return await explain_high_bill(dispatcher, tracker, kwh, month) + done
        if "time_of_use" in aspects:
            explain_time_of_use(dispatcher)
        elif "shared_meter" in aspects:
            explain_shared_meter(dispatcher, kwh)
        elif entity_value(tracker, "customer_type") in ("business", "factory") and kwh is None:
            explain_non_residential(dispatcher)
        elif kwh is not None and kwh <= MAX_KWH:
            utter_bill(dispatcher, kwh, month)
        elif kwh is not None:
            dispatcher.utter_message(text=f"{num(kwh)}度超出了家庭一个月的正常用电范围，请核对一下度数（电费单上的“本期电量”）。")
        elif "calculate" in aspects or CALC_WORDS.search(text):
            events = [SlotSet(NEXT_SLOT, "calc"), SlotSet(KWH_SLOT, None)]
            return events + [SlotSet(MONTH_SLOT, str(month) if month else None)]
        elif month is not None:
            explain_month(dispatcher, month)
            # "7月怎么算" then "用了450度": the bare kWh that follows is computed for July.
            return [SlotSet(NEXT_SLOT, "done"), SlotSet(MONTH_SLOT, str(month))]
        else:
            explain_tiers(dispatcher)
        return done


def remembered_month(tracker: Tracker) -> Optional[int]:
    """The month of the previous answer (explain_month), while no form is using the slot."""
    value = tracker.get_slot(MONTH_SLOT)
    if tracker.active_loop or not (isinstance(value, str) and value.isdigit()):
        return None
    return int(value) if 1 <= int(value) <= 12 else None


# ------------------------------------------------------------------ the calculator form

class ValidateTariffCalcForm(ServiceFormValidation):
    def name(self) -> Text:
        return "validate_tariff_calc_form"

    def explain(self, slot: str) -> str:
        if slot == KWH_SLOT:
            return "用电度数在电费单或南网在线的账单里叫“本期电量”，单位是度（千瓦时），直接告诉我数字就行。"
        return "夏季和非夏季的阶梯档位不同，所以要知道是几月的用电；不确定的话可以说“都算一下”。"

    async def extract_tariff_kwh(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> Dict[Text, Any]:
        kwh = message_kwh(tracker)
        if kwh is not None:
            return {KWH_SLOT: float(kwh)}
        if tracker.get_slot("requested_slot") != KWH_SLOT:
            return {}
        number = parse_number(latest_text(tracker))
        if number is not None:
            return {KWH_SLOT: float(number)}
        # A plain answer that is not a number is still an answer: validation explains why not.
        if (tracker.latest_message.get("intent") or {}).get("name") == "inform":
            return {KWH_SLOT: latest_text(tracker)}
        return {}

    async def extract_tariff_month(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[Text, Any]:
        month = message_month(tracker)
        if month is not None:
            return {MONTH_SLOT: str(month)}
        if tracker.get_slot("requested_slot") != MONTH_SLOT:
            return {}
        text = latest_text(tracker)
        for value, pattern in (("non_summer", NON_SUMMER_WORDS), ("summer", SUMMER_WORDS), ("both", BOTH_WORDS)):
            if pattern.search(text):
                return {MONTH_SLOT: value}
        if parse_kwh(text):
            return {}  # a corrected kWh while the month is asked: extract_tariff_kwh takes it
        if (tracker.latest_message.get("intent") or {}).get("name") in ("inform", "deny"):
            return {MONTH_SLOT: text or "?"}
        return {}

    async def validate_tariff_kwh(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[Text, Any]:
        try:
            kwh = Decimal(str(value))
        except ArithmeticError:
            kwh = None
        if kwh is None or kwh < 0:
            return self.fail(KWH_SLOT, dispatcher, tracker, "没听清用了多少度，请告诉我一个数字，比如“450度”。")
        if kwh > MAX_KWH:
            return self.fail(KWH_SLOT, dispatcher, tracker, f"{num(kwh)}度超出了家庭一个月的正常用电范围，请核对一下。")
        return self.ok(KWH_SLOT, float(kwh))

    async def validate_tariff_month(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        text = str(value)
        if text in SEASONS or text == "both" or (text.isdigit() and 1 <= int(text) <= 12):
            return self.ok(MONTH_SLOT, text)
        return self.fail(MONTH_SLOT, dispatcher, tracker, "请告诉我是几月份（1–12月），或者选夏季/非夏季。")


class ActionTariffCompute(Action):
    """Runs when tariff_calc_form is complete: the bill, then the form's answers are forgotten."""

    def name(self) -> Text:
        return "action_tariff_compute"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        kwh, month = tracker.get_slot(KWH_SLOT), str(tracker.get_slot(MONTH_SLOT) or "both")
        # A month is remembered for one more message: "那600度呢" is computed for the same month.
        remember = month if month.isdigit() else None
        clear = [SlotSet(KWH_SLOT, None), SlotSet(MONTH_SLOT, remember), SlotSet(NEXT_SLOT, "done")]
        if kwh is None:
            return clear
        amount = Decimal(str(kwh))
        if month.isdigit():
            utter_bill(dispatcher, amount, int(month))
        elif month in SEASONS:
            utter_bill(dispatcher, amount, None, month)
        else:
            utter_bill(dispatcher, amount, None)
        return clear
