"""The customer's own bill (`bill_query`): latest bill with its tier breakdown, the last 6 or 12
months with the change from month to month, arrears and due dates, the late-payment charge,
why a bill is high, and electronic invoices.

Tariff explanations in general are the `tiered_tariff` topic's; here the calculator only
breaks down the customer's own bill. Account data needs a verified account: before that the
customer gets the general answer and an offer to verify, and the question is kept so that a
successful verification answers it at once.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.account_knowledge import value
from actions.bill_analysis import high_bill_reasons, tier_breakdown, usage_tips_general
from actions.bill_format import (AccountData, arrears_lines, date_label, late_fee_rule, load_account,
                                 money, percent_change, period_label, period_month, signed, yuan)
from actions.forms import entity_value, latest_text
from actions.meter_check import APPLY_BUTTON as METER_TEST_BUTTON
from actions.replies import apology_unavailable, buttons
from actions.verification import (defer_until_verified, offer_verification, requested_topic,
                                  runs_after_verification, verified_account)
from bot.text.masking import mask_account

INTENT = "bill_query"
# Ordered: the first cue that matches decides what the customer asks.
CUES = [
    ("invoice", re.compile(r"发票|开票|专票")),
    ("late_fee", re.compile(r"违约金|滞纳金|晚交|迟交|罚款|罚金")),
    ("high", re.compile(r"为什么|为何|点解|这么(高|多|贵)|咁贵|好贵|太贵|涨|翻了?一?倍|多了一倍|突然|算错|偏高|异常|比.{0,6}多")),
    ("arrears", re.compile(r"欠费|欠了|欠多少|余额|交了没|交没交|缴了没|截止|到期|应缴|未缴|负数|没交|逾期")),
    ("history", re.compile(r"\d+个月|几个月|半年|一年|全年|去年|今年|走势|对比|记录|清单|历史")),
]
NEXT_BUTTONS = [
    ("近6个月账单", '/bill_query{"aspect":"history_6"}'),
    ("近12个月账单", '/bill_query{"aspect":"history_12"}'),
    ("电费为什么高", '/bill_query{"aspect":"high"}'),
    ("去缴费", "/payment"),
    ("电子发票", '/bill_query{"aspect":"invoice"}'),
]
MONTH_AND_TOPIC = re.compile(r"^(history|month)_(\d{1,2})$")


def detect_request(tracker: Tracker) -> Optional[str]:
    """What this message asks: an aspect from a button, a cue word, a month, else None."""
    aspect = str(entity_value(tracker, "aspect") or "")
    if aspect in {key for key, _ in CUES} or MONTH_AND_TOPIC.match(aspect) or aspect == "latest":
        return aspect
    text = latest_text(tracker)
    for key, cue in CUES:
        if cue.search(text):
            return f"history_{history_months(text)}" if key == "history" else key
    month = entity_value(tracker, "month")
    if month and str(month).isdigit() and 1 <= int(month) <= 12:
        return f"month_{int(month)}"
    return None


def history_months(text: str) -> int:
    if re.search(r"一年|全年|去年|今年|12个月", text):
        return 12
    found = re.search(r"(\d+)个月", text)
    if found:
        return max(2, min(int(found.group(1)), 24))
    return 6


@runs_after_verification
class ActionBillQuery(Action):
    def name(self) -> Text:
        return "action_bill_query"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        request = requested_topic(tracker, self.name(), INTENT, detect_request) or "latest"
        if request == "invoice":
            self.invoice(dispatcher, tracker)
            return []
        account_no = verified_account(tracker)
        if not account_no:
            self.general(dispatcher, request)
            if request == "late_fee":
                return []
            offer_verification(dispatcher, "查询您家的账单", tracker)
            return defer_until_verified(self.name(), request)
        months = 13 if request in ("latest", "high") else 24 if request.startswith("month_") else 12
        match = MONTH_AND_TOPIC.match(request)
        if match and match.group(1) == "history":
            months = int(match.group(2)) + 1  # one more, for the change of the oldest month shown
        data = await load_account(account_no, months)
        if data is None:
            apology_unavailable(dispatcher, "账单查询")
            return [SlotSet("pending_request", None)]
        if not data.bills:
            dispatcher.utter_message(text="这个户号暂时还没有出账的电费账单。")
            return [SlotSet("pending_request", None)]
        if match and match.group(1) == "history":
            self.history(dispatcher, data, int(match.group(2)))
        elif match:
            self.month(dispatcher, data, int(match.group(2)))
        elif request == "arrears":
            self.arrears(dispatcher, data)
        elif request == "high":
            self.high(dispatcher, data)
        elif request == "late_fee":
            rule = late_fee_rule(data.account.get("tariff_type"))
            dispatcher.utter_message(text=" ".join([rule] + arrears_lines(data)),
                                     buttons=buttons([("去缴费", "/payment")]))
        else:
            self.latest(dispatcher, data)
        return [SlotSet("pending_request", None)]

    # -- answers without account data ------------------------------------------------------
    @staticmethod
    def general(dispatcher: CollectingDispatcher, request: str) -> None:
        if request == "late_fee":
            dispatcher.utter_message(text=late_fee_rule(), buttons=buttons([("查我家是否欠费", '/bill_query{"aspect":"arrears"}')]))
        elif request == "high":
            dispatcher.utter_message(text=usage_tips_general())
        else:
            channels = "、".join(value("account_services.bills.query_channels"))
            dispatcher.utter_message(text=f"电费按月出账，可以在{channels}查看账单和用电量。")

    @staticmethod
    def invoice(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        text = value("account_services.invoice.e_invoice")
        if re.search(r"专用|专票|增值税|公司|企业|报销|单位", latest_text(tracker)):
            text += value("account_services.invoice.special_vat_invoice")
        dispatcher.utter_message(text=text, buttons=buttons([("查本期账单", '/bill_query{"aspect":"latest"}')]))

    # -- answers with account data ---------------------------------------------------------
    def latest(self, dispatcher: CollectingDispatcher, data: AccountData) -> None:
        self.bill_card(dispatcher, data, data.bills[0], "最近一期")

    def month(self, dispatcher: CollectingDispatcher, data: AccountData, month: int) -> None:
        bill = next((b for b in data.bills if period_month(b["period"]) == month), None)
        if bill is None:
            dispatcher.utter_message(text=f"没有找到{month}月的账单，可能还没出账。下面是最近一期的账单。")
            bill = data.bills[0]
        self.bill_card(dispatcher, data, bill, "")

    @staticmethod
    def bill_card(dispatcher: CollectingDispatcher, data: AccountData, bill: Dict[str, Any], which: str) -> None:
        account_no = mask_account(data.account.get("account_no", ""))
        status = (f"已于{date_label(bill.get('paid_at'))}缴清" if bill.get("paid")
                  else f"已逾期未缴（截止日{date_label(bill['due_date'])}）" if bill.get("overdue")
                  else f"待缴，缴费截止日{date_label(bill['due_date'])}")
        intro = (f"您户号 {account_no} {which}（{period_label(bill['period'])}）电费 {yuan(bill['amount'])}，"
                 f"用电 {bill['kwh']} 度，{status}。")
        lines = [intro]
        breakdown = tier_breakdown(data, bill)
        if breakdown:
            lines.append(breakdown)
        owed = [line for line in arrears_lines(data) if "逾期未缴" in line or "违约金" in line]
        lines += owed
        fields = [("户号", account_no), ("账期", period_label(bill["period"])), ("用电量", f"{bill['kwh']}度"),
                  ("电费", yuan(bill["amount"])), ("缴费截止", date_label(bill["due_date"])), ("状态", status)]
        dispatcher.utter_message(
            text="\n".join(lines), buttons=buttons(NEXT_BUTTONS),
            json_message={"card": {"kind": "bill", "title": f"电费账单 {period_label(bill['period'])}",
                                   "fields": [[label, str(v)] for label, v in fields]}},
        )

    @staticmethod
    def history(dispatcher: CollectingDispatcher, data: AccountData, months: int) -> None:
        shown = data.bills[:months]
        rows = []
        for index, bill in enumerate(shown):
            older = data.bills[index + 1] if index + 1 < len(data.bills) else None
            change = ""
            if older:
                change = f"，比上月{signed(bill['kwh'] - older['kwh'], '度')}{percent_change(bill['kwh'], older['kwh'])}"
            rows.append(f"{period_label(bill['period'])}：{bill['kwh']}度，{yuan(bill['amount'])}{change}")
        total = sum(money(b["amount"]) for b in shown)
        average_kwh = sum(b["kwh"] for b in shown) / len(shown)
        head = f"您户号 {mask_account(data.account.get('account_no', ''))} 近{len(shown)}个月的账单（新到旧）："
        tail = f"合计 {yuan(total)}，月均用电 {average_kwh:.0f} 度。"
        dispatcher.utter_message(text="\n".join([head, *rows, tail]), buttons=buttons(NEXT_BUTTONS[2:]))

    @staticmethod
    def arrears(dispatcher: CollectingDispatcher, data: AccountData) -> None:
        lines = arrears_lines(data)
        options = [("去缴费", "/payment")] if money(data.account.get("unpaid_amount")) > 0 or data.account.get("prepaid") else []
        if data.account.get("prepaid"):
            options = [("怎么充值", '/payment{"aspect":"prepaid"}')]
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons(options + [("查本期账单", '/bill_query{"aspect":"latest"}')]))

    @staticmethod
    def high(dispatcher: CollectingDispatcher, data: AccountData) -> None:
        text, abnormal = high_bill_reasons(data)
        options = [("近12个月账单", '/bill_query{"aspect":"history_12"}')]
        if abnormal:  # the meter_check flow's own payload: it starts the accuracy-test form
            options.insert(0, METER_TEST_BUTTON)
        dispatcher.utter_message(text=text, buttons=buttons(options))
