"""Refund request for a double or wrong payment: the `refund_form` and the `refund` work order.

Only for a verified account: the order carries the verified 户号, and its address comes from
the account on file. A wrong payment also asks for the 户号 the money went to.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.account_knowledge import value
from actions.forms import entity_value
from actions.replies import apology_unavailable
from actions.service_orders import (AccountFormValidation, AskConfirmation, OrderSpec, account_place, answer_to,
                                    cancelled, contact_summary, submit_order)
from actions.verification import ACCOUNT_NO, offer_verification, verified_account
from bot.text.masking import mask_account, mask_text

REASONS = {"duplicate": "重复缴费", "wrong_account": "缴错户号"}
AMOUNT = re.compile(r"(\d+(?:\.\d{1,2})?)")
SPEC = OrderSpec(
    order_type="refund",
    form="refund_form",
    confirm_slot="refund_confirmed",
    title="退费申请受理回执",
    form_slots=("refund_reason", "refund_other_account", "refund_amount", "refund_payment_info",
                "acct_contact_name", "acct_contact_phone", "refund_confirmed"),
    apply_payload='/payment{"aspect":"refund_apply"}',
    resubmit_payload='/payment{"aspect":"refund_resubmit"}',
)


class ValidateRefundForm(AccountFormValidation):
    confirm_slot = SPEC.confirm_slot

    def name(self) -> Text:
        return "validate_refund_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> List[Text]:
        # The 户号 the money went to matters only for a wrong payment.
        if tracker.slots.get("refund_reason") == "wrong_account":
            return domain_slots
        return [slot for slot in domain_slots if slot != "refund_other_account"]

    def explain(self, slot: str) -> str:
        return {
            "refund_reason": "请选择“重复缴费”（同一笔电费交了两次）或“缴错户号”（交到了别人的户号）。",
            "refund_other_account": "就是您误缴进去的那个户号，10位数字，以03开头，可在缴费记录里看到。",
            "refund_amount": "请告诉我多缴或缴错的金额，例如“120元”。",
            "refund_payment_info": "例如“11月3日微信缴的”，方便核对缴费记录。",
        }.get(slot) or super().explain(slot)

    async def extract_refund_reason(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        text = answer_to(tracker, "refund_reason")
        if text is None:
            return {}
        if re.search(r"错", text):
            return {"refund_reason": "wrong_account"}
        if re.search(r"重复|两次|多", text):
            return {"refund_reason": "duplicate"}
        return {"refund_reason": text}

    async def validate_refund_reason(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> Dict[Text, Any]:
        if value in REASONS:
            return self.ok("refund_reason", value)
        return self.fail("refund_reason", dispatcher, tracker, "请问是重复缴费，还是缴错了户号？")

    async def extract_refund_other_account(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                           domain: DomainDict) -> Dict[Text, Any]:
        text = answer_to(tracker, "refund_other_account")
        if text is None:
            return {}
        return {"refund_other_account": str(entity_value(tracker, "account_no") or text)}

    async def validate_refund_other_account(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                            domain: DomainDict) -> Dict[Text, Any]:
        found = ACCOUNT_NO.search(str(value or ""))
        if found and found.group(0) != verified_account(tracker):
            return self.ok("refund_other_account", found.group(0))
        return self.fail("refund_other_account", dispatcher, tracker, "请提供误缴进去的那个户号（10位，以03开头）。")

    async def extract_refund_amount(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        text = answer_to(tracker, "refund_amount")
        if text is None:
            return {}
        found = AMOUNT.search(text)
        return {"refund_amount": found.group(1) if found else text}

    async def validate_refund_amount(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> Dict[Text, Any]:
        try:
            amount = float(str(value))
        except ValueError:
            amount = 0
        if 0 < amount <= 100000:
            return self.ok("refund_amount", f"{amount:.2f}")
        return self.fail("refund_amount", dispatcher, tracker, "请告诉我需要退的金额，例如“120元”。")

    async def extract_refund_payment_info(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                          domain: DomainDict) -> Dict[Text, Any]:
        text = answer_to(tracker, "refund_payment_info")
        return {"refund_payment_info": text} if text else {}

    async def validate_refund_payment_info(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                           domain: DomainDict) -> Dict[Text, Any]:
        if value and 2 <= len(str(value)) <= 100:
            return self.ok("refund_payment_info", str(value))
        return self.fail("refund_payment_info", dispatcher, tracker, "请简单说一下缴费的时间和渠道。")

    async def extract_refund_confirmed(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       domain: DomainDict) -> Dict[Text, Any]:
        return self.extract_confirmation(tracker)

    async def validate_refund_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> Dict[Text, Any]:
        return self.validate_confirmation(value, dispatcher, tracker)


class AskRefundConfirmed(AskConfirmation):
    spec = SPEC

    def summary(self, tracker: Tracker) -> List[Tuple[str, Any]]:
        other = tracker.get_slot("refund_other_account")
        return [
            ("业务", "电费退款申请"),
            ("户号", mask_account(verified_account(tracker) or "")),
            ("原因", REASONS.get(tracker.get_slot("refund_reason"), "")),
            ("误缴户号", mask_account(other) if other else ""),
            ("金额", f"{tracker.get_slot('refund_amount')}元"),
            ("缴费情况", mask_text(tracker.get_slot("refund_payment_info") or "")),
            *contact_summary(tracker),
        ]

    def note(self, tracker: Tracker) -> str:
        documents = "、".join(value("account_services.overpayment.refund_documents"))
        return f"核实时可能需要：{documents}。"


class ActionSubmitRefund(Action):
    def name(self) -> Text:
        return "action_submit_refund"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        if tracker.get_slot(SPEC.confirm_slot) is not True:
            return cancelled(dispatcher, SPEC)
        account_no = verified_account(tracker)
        if not account_no:
            # The verification expired while the form was filled: nothing is filed without it.
            offer_verification(dispatcher, "提交退款申请", tracker)
            return []
        place = await account_place(account_no)
        if place is None:
            apology_unavailable(dispatcher, "退款申请")
            return []
        details = {
            "reason": tracker.get_slot("refund_reason"),
            "amount": tracker.get_slot("refund_amount"),
            "payment": tracker.get_slot("refund_payment_info"),
        }
        if tracker.get_slot("refund_other_account"):
            details["paid_into_account_no"] = tracker.get_slot("refund_other_account")
        order = {
            "contact_name": tracker.get_slot("acct_contact_name"),
            "phone": tracker.get_slot("acct_contact_phone"),
            "address": place.get("address"),
            "district": place.get("district"),
            "account_no": account_no,
            "details": details,
        }
        return await submit_order(SPEC, dispatcher, tracker, order,
                                  intro="退款申请已提交，核实缴费记录后会联系您。")
