"""The complaint form (what, where, when, contact) and the `complaint` work order, with the
response commitments and the 12398 escalation from knowledge/ on the receipt.

Anyone may complain: verification is not needed. When the customer is verified the order
carries the 户号, and a place without a district falls back to the account's district.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.account_knowledge import HEDGE, cite, fact, hotline_label, value
from actions.forms import entity_value
from actions.replies import apology_unavailable
from actions.service_orders import (AccountFormValidation, AskConfirmation, OrderSpec, account_place, answer_to,
                                    cancelled, contact_summary, submit_order)
from actions.verification import verified_account
from bot.text.masking import mask_text

CUE_WORDS = re.compile(r"我要|我想|要|投诉|投訴|头诉|举报|反映|你们|一下|提意见|意见|[，。！？!?,.、\s]")


def complaint_text(text: str) -> Optional[str]:
    """The message itself when it already says what happened ("抢修太慢了…"), not just "我要投诉"."""
    return text[:200] if len(CUE_WORDS.sub("", text)) >= 6 else None


def response_commitments() -> str:
    base = "account_services.complaints.response"
    contact = value(f"{base}.contact_within_working_days")
    reply = value(f"{base}.reply_within_working_days")
    verified = fact(f"{base}.contact_within_working_days").verified and fact(f"{base}.reply_within_working_days").verified
    return f"受理后{contact}个工作日内联系您，{reply}个工作日内答复处理结果{'' if verified else HEDGE}。"


def escalation_text() -> str:
    return (f"如对处理结果不满意，可拨打{hotline_label('energy_regulator')}反映"
            f"{cite('service.hotlines.energy_regulator')}。")


def category_of(text: str) -> str:
    for category, cue in (("outage", r"停电|断电|没电"), ("meter", r"电表|表走"), ("staff", r"态度|工作人员|师傅|客服|骂|挂"),
                          ("repair", r"抢修|报修|维修"), ("fee", r"电费|收费|扣|钱")):
        if re.search(cue, text):
            return category
    return "other"


SPEC = OrderSpec(
    order_type="complaint",
    form="complaint_form",
    confirm_slot="complaint_confirmed",
    title="投诉受理回执",
    form_slots=("complaint_what", "complaint_where", "complaint_when", "acct_contact_name", "acct_contact_phone",
                "complaint_confirmed"),
    apply_payload='/complaint{"aspect":"apply"}',
    resubmit_payload='/complaint{"aspect":"resubmit"}',
    next_steps=escalation_text,
)


class ValidateComplaintForm(AccountFormValidation):
    confirm_slot = SPEC.confirm_slot

    def name(self) -> Text:
        return "validate_complaint_form"

    def explain(self, slot: str) -> str:
        return {
            "complaint_what": "请简单说说发生了什么，比如“报修后6小时没人来”。",
            "complaint_where": "请说明地点，包含所在的区，例如“南山区粤海街道科苑路18号”或“福田区某某营业厅”。",
            "complaint_when": "大概的时间就可以，比如“昨天下午”或“这个月好几次”。",
        }.get(slot) or super().explain(slot)

    async def extract_complaint_what(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> Dict[Text, Any]:
        text = answer_to(tracker, "complaint_what")
        return {"complaint_what": text[:200]} if text else {}

    async def validate_complaint_what(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> Dict[Text, Any]:
        if value and len(str(value)) >= 4:
            return self.ok("complaint_what", str(value))
        return self.fail("complaint_what", dispatcher, tracker, "请再具体说说发生了什么。")

    async def extract_complaint_where(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> Dict[Text, Any]:
        text = answer_to(tracker, "complaint_where")
        return {"complaint_where": text[:150]} if text else {}

    async def validate_complaint_where(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       domain: DomainDict) -> Dict[Text, Any]:
        # A verified customer's own district stands in when the place names none.
        return self.address_result("complaint_where", value, dispatcher, tracker,
                                   district_optional=bool(verified_account(tracker)))

    async def extract_complaint_when(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> Dict[Text, Any]:
        text = answer_to(tracker, "complaint_when")
        if text is None:
            return {}
        day = entity_value(tracker, "date")
        return {"complaint_when": f"{text[:60]}（{day}）" if day and str(day) not in text else text[:60]}

    async def validate_complaint_when(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> Dict[Text, Any]:
        if value:
            return self.ok("complaint_when", str(value))
        return self.fail("complaint_when", dispatcher, tracker, "请问大概是什么时候发生的？")

    async def extract_complaint_confirmed(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                          domain: DomainDict) -> Dict[Text, Any]:
        return self.extract_confirmation(tracker)

    async def validate_complaint_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                           domain: DomainDict) -> Dict[Text, Any]:
        return self.validate_confirmation(value, dispatcher, tracker)


class AskComplaintConfirmed(AskConfirmation):
    spec = SPEC

    def summary(self, tracker: Tracker) -> List[Tuple[str, Any]]:
        return [
            ("业务", "投诉"),
            ("反映内容", mask_text(tracker.get_slot("complaint_what") or "")),
            ("地点", mask_text(tracker.get_slot("complaint_where") or "")),
            ("时间", mask_text(tracker.get_slot("complaint_when") or "")),
            *contact_summary(tracker),
        ]

    def note(self, tracker: Tracker) -> str:
        return response_commitments()


class ActionSubmitComplaint(Action):
    def name(self) -> Text:
        return "action_submit_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        if tracker.get_slot(SPEC.confirm_slot) is not True:
            return cancelled(dispatcher, SPEC)
        account_no = verified_account(tracker)
        district = tracker.get_slot("acct_district")
        if not district and account_no:
            place = await account_place(account_no)
            if place is None:
                apology_unavailable(dispatcher, "投诉提交")
                return []
            district = place.get("district")
        what = tracker.get_slot("complaint_what") or ""
        order = {
            "contact_name": tracker.get_slot("acct_contact_name"),
            "phone": tracker.get_slot("acct_contact_phone"),
            "address": tracker.get_slot("complaint_where"),
            "district": district,
            "account_no": account_no,
            "details": {"description": what, "when": tracker.get_slot("complaint_when"),
                        "category": category_of(what)},
        }
        intro = f"您的投诉已受理，{response_commitments()}"
        return await submit_order(SPEC, dispatcher, tracker, order, intro=intro)
