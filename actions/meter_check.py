"""Meter checks (`meter_check`, "电表走得快"): what affects usage, how to read the meter and
check it at home, and an application for a meter accuracy test (`meter_test` work order) with
who pays in which outcome and the time limit, both from knowledge/.

With a verified account the answer also compares the latest month with the customer's own
history (actions.bill_analysis.usage_check, the same judgement the bill answers use); before
verification the general answer comes with an offer to verify, and the question is kept so a
successful verification answers it. The test application needs a verified account: the meter
is the account's.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.account_knowledge import HEDGE, bullet_lines, cite, fact, value
from actions.bill_analysis import usage_check, usage_factors
from actions.bill_format import load_account, period_label
from actions.forms import entity_value, latest_text
from actions.replies import apology_unavailable, buttons
from actions.service_orders import (AccountFormValidation, AskConfirmation, OrderSpec, account_place, answer_to,
                                    cancelled, contact_summary, submit_order)
from actions.verification import (defer_until_verified, offer_verification, requested_topic,
                                  runs_after_verification, verified_account)
from bot.text.masking import mask_account, mask_text

INTENT = "meter_check"
CUES = [
    ("apply", re.compile(r"(申请|我要|帮我|要求|想).{0,4}(校验|检测|校表|验表|检定|测一下|换表)")),
    ("read_meter", re.compile(r"读数|怎么看|看表|看电表|抄表|显示屏|屏幕|示数")),
    ("self_check", re.compile(r"没人|没用电|关了|关掉|还在走|还在转|还在跳|在闪|拉闸|漏电")),
    ("test_info", re.compile(r"校验|检测|校表|验表|检定|谁出|谁付|费用|收费|多久|几天")),
]
KEYS = {key for key, _ in CUES} | {"fast", "resubmit"}
# How to read a meter and check it at home: general know-how, not regional policy.
READ_METER = [
    "智能电表的屏幕会轮流显示几项数据，找到标着“总”或“正向有功总电能”、单位是kWh的那一项，就是累计读数",
    "本期用电量 = 本次读数 − 上次读数（上次读数见电费账单）",
    "电表上的脉冲指示灯闪得越快，说明当时家里用电功率越大",
]
SELF_CHECK = [
    "关掉家里所有电器，或断开户内总开关",
    "观察几分钟：电表读数不再增加、指示灯不再闪，说明电表正常，电量来自家里的电器",
    "全部关掉后电表仍在走，可能是户内线路漏电，或电表本身有问题",
]
SPEC = OrderSpec(
    order_type="meter_test",
    form="meter_test_form",
    confirm_slot="meter_test_confirmed",
    title="电能表校验申请受理回执",
    form_slots=("meter_symptom", "acct_contact_name", "acct_contact_phone", "meter_test_confirmed"),
    apply_payload='/meter_check{"aspect":"apply"}',
    resubmit_payload='/meter_check{"aspect":"resubmit"}',
)
APPLY_BUTTON = ("申请电表校验", SPEC.apply_payload)


def detect_request(tracker: Tracker) -> Optional[str]:
    aspect = str(entity_value(tracker, "aspect") or "")
    if aspect in KEYS:
        return aspect
    text = latest_text(tracker)
    return next((key for key, cue in CUES if cue.search(text)), None)


def test_rules() -> str:
    """Who pays in which outcome, and how soon the result comes."""
    fee = value("account_services.meter_test.fee_rule")
    days = value("account_services.meter_test.result_within_working_days")
    hedge = "" if fact("account_services.meter_test.result_within_working_days").verified else HEDGE
    return (f"{value('account_services.meter_test.how_to_apply')}\n"
            f"费用：{fee['within_tolerance']}；{fee['out_of_tolerance']}{cite('account_services.meter_test.fee_rule')}。\n"
            f"时限：受理后{days}个工作日内出具校验结果{hedge}。")


@runs_after_verification
class ActionMeterCheck(Action):
    def name(self) -> Text:
        return "action_meter_check"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        request = requested_topic(tracker, self.name(), INTENT, detect_request) or "fast"
        account_no = verified_account(tracker)
        events: List[Dict[Text, Any]] = [SlotSet("service_request", None), SlotSet("pending_request", None)]
        if request == "resubmit" and tracker.get_slot(SPEC.confirm_slot) is True:
            return events + await ActionSubmitMeterTest().run(dispatcher, tracker, domain)
        if request in ("apply", "resubmit"):
            if account_no and tracker.latest_message.get("intent", {}).get("name") == INTENT:
                dispatcher.utter_message(text=f"好的，我来帮您申请电表校验。先说明一下：\n{test_rules()}")
                return [SlotSet("service_request", SPEC.form), SlotSet("pending_request", None)]
            if account_no:  # right after verification: offer, the form starts from the button
                dispatcher.utter_message(text=test_rules(), buttons=buttons([APPLY_BUTTON]))
                return events
            dispatcher.utter_message(text=test_rules())
            offer_verification(dispatcher, "申请电表校验", tracker)
            return [SlotSet("service_request", None)] + defer_until_verified(self.name(), "apply")
        if request == "read_meter":
            dispatcher.utter_message(text=f"看电表读数的方法：\n{bullet_lines(READ_METER)}",
                                     buttons=buttons([("电表走得快怎么办", '/meter_check{"aspect":"fast"}')]))
        elif request == "self_check":
            self.self_check(dispatcher)
        elif request == "test_info":
            dispatcher.utter_message(text=test_rules(), buttons=buttons([APPLY_BUTTON]))
        else:
            await self.fast(dispatcher, account_no)
            if not account_no:
                offer_verification(dispatcher, "结合您家近一年的用电量判断", tracker)
                return [SlotSet("service_request", None)] + defer_until_verified(self.name(), "fast")
        return events

    @staticmethod
    def self_check(dispatcher: CollectingDispatcher) -> None:
        boundary = value("outage.ownership_boundary.rule")
        contacts = "、".join(value("outage.ownership_boundary.customer_side_contacts"))
        dispatcher.utter_message(
            text=f"可以这样自查：\n{bullet_lines(SELF_CHECK)}\n{boundary}户内线路问题可以找{contacts}。",
            buttons=buttons([APPLY_BUTTON, ("怎么看电表读数", '/meter_check{"aspect":"read_meter"}')]),
        )

    @staticmethod
    async def fast(dispatcher: CollectingDispatcher, account_no: Optional[str]) -> None:
        lines = ["电表“走得快”，多数是用电量本身变了。常见原因：", bullet_lines(usage_factors())]
        if account_no:
            data = await load_account(account_no, 13)  # 13: the same month last year is the fair comparison
            if data is None:
                apology_unavailable(dispatcher, "用电量查询")
            elif len(data.bills) >= 2:
                latest, check = data.bills[0], usage_check(data.bills)
                reference = check.last_year["kwh"] if check.basis == "last_year" else f"{check.recent_average:.0f}"
                judged = "明显高于平时水平" if check.abnormal else "与平时水平相近"
                lines.insert(0, f"您户号 {mask_account(account_no)} {period_label(latest['period'])}用电{latest['kwh']}度，"
                                f"{check.basis_text()}{reference}度，{judged}。")
        lines.append(f"自查方法：{SELF_CHECK[0]}，看电表是否还在走。排除家里的原因后，可以申请电表校验。")
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons([
            APPLY_BUTTON, ("怎么看电表读数", '/meter_check{"aspect":"read_meter"}'),
            ("校验费用和时限", '/meter_check{"aspect":"test_info"}'),
        ]))


class ValidateMeterTestForm(AccountFormValidation):
    confirm_slot = SPEC.confirm_slot

    def name(self) -> Text:
        return "validate_meter_test_form"

    def explain(self, slot: str) -> str:
        if slot == "meter_symptom":
            return "比如“家里没人时电表还在走”或“这个月电量比平时多一倍”。"
        return super().explain(slot)

    async def extract_meter_symptom(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        text = answer_to(tracker, "meter_symptom")
        return {"meter_symptom": text[:200]} if text else {}

    async def validate_meter_symptom(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> Dict[Text, Any]:
        if value and len(str(value)) >= 2:
            return self.ok("meter_symptom", str(value))
        return self.fail("meter_symptom", dispatcher, tracker, "请简单说说您发现的情况。")

    async def extract_meter_test_confirmed(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                           domain: DomainDict) -> Dict[Text, Any]:
        return self.extract_confirmation(tracker)

    async def validate_meter_test_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                            domain: DomainDict) -> Dict[Text, Any]:
        return self.validate_confirmation(value, dispatcher, tracker)


class AskMeterTestConfirmed(AskConfirmation):
    spec = SPEC

    def summary(self, tracker: Tracker) -> List[Tuple[str, Any]]:
        return [
            ("业务", "电能表校验申请"),
            ("户号", mask_account(verified_account(tracker) or "")),
            ("情况说明", mask_text(tracker.get_slot("meter_symptom") or "")),
            *contact_summary(tracker),
        ]

    def note(self, tracker: Tracker) -> str:
        fee = value("account_services.meter_test.fee_rule")
        return f"请知悉：{fee['within_tolerance']}；{fee['out_of_tolerance']}。"


class ActionSubmitMeterTest(Action):
    def name(self) -> Text:
        return "action_submit_meter_test"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        if tracker.get_slot(SPEC.confirm_slot) is not True:
            return cancelled(dispatcher, SPEC)
        account_no = verified_account(tracker)
        if not account_no:
            offer_verification(dispatcher, "提交校验申请", tracker)
            return []
        place = await account_place(account_no)
        if place is None:
            apology_unavailable(dispatcher, "校验申请")
            return []
        order = {
            "contact_name": tracker.get_slot("acct_contact_name"),
            "phone": tracker.get_slot("acct_contact_phone"),
            "address": place.get("address"),
            "district": place.get("district"),
            "account_no": account_no,
            "details": {"reason": tracker.get_slot("meter_symptom")},
        }
        days = value("account_services.meter_test.result_within_working_days")
        return await submit_order(SPEC, dispatcher, tracker, order,
                                  intro=f"电表校验申请已提交，工作人员会联系您约定时间，{days}个工作日内告知结果。")
