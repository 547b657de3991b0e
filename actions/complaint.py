"""Complaints (`complaint`): acknowledge with empathy, then one of
- a landlord's / property's mark-up on electricity (转供电加价, 城中村 1.5 元/度): the rule, the
  lawful charge for the kWh the customer gives (tariff calculator), and where to report it;
- repeated outages: also offer the outage lookup; a meter that "runs fast": offer the meter check;
- escalation (12398) and how complaints are answered;
- otherwise the complaint form (actions/complaint_form.py) and a `complaint` work order.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.account_knowledge import bullet_lines, cite, hotline_label, value
from actions.bill_format import today, yuan
from actions.complaint_form import SPEC, ActionSubmitComplaint, complaint_text, response_commitments
from actions.forms import entity_value, latest_text
from actions.replies import buttons
from knowledge.tariff import compute_bill

INTENT = "complaint"
CUES = [
    ("markup", re.compile(r"房东|二房东|包租|物业|转供电|城中村|加价|加收|(\d+(\.\d+)?|\d块\d?)(元|块)?(钱)?(1|一|每)度")),
    ("escalate", re.compile(r"12398|能源局|能源监管|升级|不满意|领导|上次投诉|没人回复|没消息|重新投诉|没人管|没人理|没用")),
    ("outage", re.compile(r"停电|断电|没电|跳闸|停了.{0,3}次|停電")),
    ("meter", re.compile(r"电表|表走|表快|表不准|表有问题|电錶")),
    ("info", re.compile(r"投诉电话|投诉渠道|几天.{0,4}(答复|回复)|怎么投诉|在哪.{0,2}投诉|哪里投诉|如何投诉")),
]
KWH = re.compile(r"(?<![\d.元块每])(\d+(?:\.\d+)?)\s*(?:度|千瓦时|kwh|KWH|kWh)")
# "1.5元一度", "1块5收1度" (normalised "一块五收一度"), "每度1.5元", "一度电收1块5".
PRICE = re.compile(
    r"(?P<yuan>\d+(?:\.\d+)?)\s*(?:元|块)(?P<dime>[\d一二两三四五六七八九])?(?:毛)?(?:钱)?\s*(?:收)?\s*(?:1|一|每)\s*度"
    r"|(?:每|(?<![\d.])1|一)\s*度电?\s*(?:收|要|算|是|按)?\s*(?P<yuan2>\d+(?:\.\d+)?)\s*(?:元|块)(?P<dime2>[\d一二两三四五六七八九])?"
)
_CN_DIGITS = {"一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
EMPATHY = {
    "outage": "经常停电确实影响生活和生意，非常理解您的心情。",
    "meter": "电费和用电量对不上确实让人着急，您的疑问我们会认真核实。",
    "escalate": "让您一再反映还没解决，非常抱歉。",
    "default": "非常抱歉给您带来不好的体验，您反映的问题我会如实记录并转给相关部门处理。",
}
APPLY = '/complaint{"aspect":"apply"}'


def detect_request(tracker: Tracker) -> Optional[str]:
    aspect = str(entity_value(tracker, "aspect") or "")
    if aspect in ("apply", "resubmit", "markup", "info", "escalate"):
        return aspect
    text = latest_text(tracker)
    return next((key for key, cue in CUES if cue.search(text)), None)


def kwh_in(text: str, tracker: Tracker) -> Optional[Decimal]:
    """The month's kWh the customer gives; '1.5元一度' is a price, not an amount of energy."""
    # The price is cut out first: normalising "一块五一度" gives "1块51度", whose "51度" is no usage.
    rest = PRICE.sub(" ", text)
    amounts = [Decimal(m.group(1)) for m in KWH.finditer(rest)]
    amounts = [a for a in amounts if a > 1]
    if amounts:
        return amounts[-1]
    if PRICE.search(text):
        return None  # the extractor's kwh entity would be read out of the price
    entity = entity_value(tracker, "kwh")
    return Decimal(str(entity)) if entity and float(entity) > 1 else None


def price_in(text: str) -> Optional[Decimal]:
    found = PRICE.search(text)
    if not found:
        return None
    yuan_part = Decimal(found.group("yuan") or found.group("yuan2"))
    dime = found.group("dime") or found.group("dime2")
    # "1块5一度" (also what normalising "一块五一度" gives: "1块51度") is 1.5 元/度.
    # Normalising keeps a trailing "块五" as it is: "一度电收一块五，" -> "1度电收1块五,".
    dime = _CN_DIGITS.get(dime, dime) if dime else None
    return yuan_part + Decimal(dime) / 10 if dime else yuan_part


class ActionComplaint(Action):
    def name(self) -> Text:
        return "action_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        request = detect_request(tracker)
        if request == "resubmit" and tracker.get_slot(SPEC.confirm_slot) is True:
            return await ActionSubmitComplaint().run(dispatcher, tracker, domain)
        if request == "markup":
            self.markup(dispatcher, tracker)
        elif request == "outage":
            dispatcher.utter_message(
                text=f"{EMPATHY['outage']}您可以先查一下所在区域的停电原因和预计恢复时间；如果需要，我也可以帮您登记投诉。",
                buttons=buttons([("查询停电/抢修进度", "/outage_lookup"), ("提交投诉", APPLY)]),
            )
        elif request == "meter":
            dispatcher.utter_message(
                text=f"{EMPATHY['meter']}可以先看看电量的变化和电表自查方法，怀疑电表不准可以申请校验；也可以直接登记投诉。",
                buttons=buttons([("电表检查与校验", "/meter_check"), ("提交投诉", APPLY)]),
            )
        elif request in ("escalate", "info"):
            self.how_answered(dispatcher, tracker, request)
        else:
            return self.start_form(dispatcher, tracker, request)
        return [SlotSet("service_request", None)]

    @staticmethod
    def start_form(dispatcher: CollectingDispatcher, tracker: Tracker, request: Optional[str]) -> List:
        dispatcher.utter_message(text=f"{EMPATHY['default']}我需要问您几个问题，随时可以说“取消”。")
        events: List[Dict] = [SlotSet("service_request", SPEC.form)]
        what = complaint_text(latest_text(tracker)) if request != "apply" else None
        if what:
            events.append(SlotSet("complaint_what", what))
        return events

    @staticmethod
    def how_answered(dispatcher: CollectingDispatcher, tracker: Tracker, request: str) -> None:
        channels = "、".join(value("account_services.complaints.channels"))
        regulator = value("service.hotlines.energy_regulator")
        lines = [EMPATHY["escalate"]] if request == "escalate" else []
        lines.append(f"投诉可以通过{channels}提出，也可以在这里直接登记。{response_commitments()}")
        lines.append(f"{regulator['when']}，可以拨打{hotline_label('energy_regulator')}反映"
                     f"{cite('service.hotlines.energy_regulator')}。")
        options = [("提交投诉", APPLY)]
        order_no = entity_value(tracker, "order_no")
        if order_no:
            options.insert(0, ("查询原投诉进度", f'/application_progress{{"order_no":"{order_no}"}}'))
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons(options))

    @staticmethod
    def markup(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        text = latest_text(tracker)
        rule_path = "account_services.landlord_markup.rule"
        lines = [f"{value(rule_path)}{cite(rule_path)}"]
        kwh, price = kwh_in(text, tracker), price_in(text)
        if kwh:
            month = entity_value(tracker, "month")
            month = int(month) if month and 1 <= int(month) <= 12 else today().month
            bill = compute_bill(kwh, month)
            lawful = f"按政府规定的居民阶梯电价，{month}月用电{kwh:f}度应交约 {yuan(bill.total)}"
            if price:
                charged = kwh * price
                extra = charged - bill.total
                lawful += f"；按{price:f}元/度收是 {yuan(charged)}，" + (f"多收了约 {yuan(extra)}" if extra > 0 else "没有超出")
            lines.append(lawful + "（如房东是合表用户，按合表电价计算；电价以供电局公布为准）。")
        else:
            lines.append("告诉我一个月用了多少度，比如“房东按1.5元一度收，这个月用了300度”，我帮您算按规定应交多少。")
        report = value("account_services.landlord_markup.what_to_do")
        lines.append(f"可以这样维权：\n{bullet_lines(report)}\n举报电话：{hotline_label('government')}。")
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons([("查看阶梯电价", "/tiered_tariff")]))
