"""What the account-service forms (过户, 退费, 电表校验, 投诉) share.

- Contact questions (name, mobile, address with its district), asked once per conversation:
  the slots survive a submitted order, so a second form does not ask again.
- Cancel words end a form from any question: validation stops the loop without confirmation
  and the submit action then files nothing (Rasa would otherwise take "不办了" as an answer).
- The confirmation question shows a masked summary; the work order is created only by the
  submit action, with a request_id derived from the sender and the form content, so a retry
  or a double click returns the same order instead of a second one.
"""
from __future__ import annotations

import abc
import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import backend_client
from actions.account_knowledge import find_district, canonical_district
from actions.forms import FAILURES_SLOT, ServiceFormValidation, entity_value, latest_text, wants_cancel
from actions.replies import apology_unavailable, buttons, hotline, utter_card
from bot.text.masking import mask_account, mask_phone, mask_text

logger = logging.getLogger(__name__)

PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
CONTACT_SLOTS = ("acct_contact_name", "acct_contact_phone")
YES = re.compile(r"^(确认|提交|确定|是的?|对的?|好的?|可以|没问题|没错|正确|ok|yes|嗯+|行)")
NO = re.compile(r"^(不对|不是|错了|不用|不要|否|no\b)")
NAME_PREFIX = re.compile(r"^(我(的名字)?(叫|是)|名字(是|叫)|姓名(是|:|：)?|联系人(是|:|：)?|户主(是|:|：)?)")
CONFIRM_BUTTONS = buttons([("确认提交", "/affirm"), ("取消办理", "/deny")])
CONTINUE_WORDS = {"继续", "继续填写", "继续办理"}


def answer_to(tracker: Tracker, slot: str) -> Optional[str]:
    """The latest message as the answer to `slot`, only when `slot` is the question asked.
    A button payload ("/intent...") is never a free-text answer."""
    if tracker.get_slot("requested_slot") != slot:
        return None
    text = latest_text(tracker).strip()
    return text if text and not text.startswith("/") else None


class AccountFormValidation(ServiceFormValidation):
    """Base validation for the account-service forms: cancel words, contact slots, confirmation."""

    confirm_slot = ""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        if tracker.get_slot("requested_slot"):
            text = latest_text(tracker)
            if wants_cancel(tracker) or text.startswith("/deny"):
                # End the loop unconfirmed (False); the submit action then files nothing.
                return [SlotSet(self.confirm_slot, False), SlotSet("requested_slot", None)]
            if text in CONTINUE_WORDS:
                # "继续填写" after the explanation: ask the same question again, nothing filled.
                return [SlotSet(FAILURES_SLOT, 0.0)]
        return await super().run(dispatcher, tracker, domain)

    async def next_requested_slot(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Optional[Dict[Text, Any]]:
        if tracker.slots.get(self.confirm_slot) is False:
            return SlotSet("requested_slot", None)  # the customer declined: stop asking
        return await super().next_requested_slot(dispatcher, tracker, domain)

    # -- contact -------------------------------------------------------------------------
    async def extract_acct_contact_name(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> Dict[Text, Any]:
        text = answer_to(tracker, "acct_contact_name")
        return {"acct_contact_name": NAME_PREFIX.sub("", text).strip(" ，。,.")} if text else {}

    async def validate_acct_contact_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                         domain: DomainDict) -> Dict[Text, Any]:
        name = str(value or "")
        if 1 <= len(name) <= 30 and not re.search(r"\d{3,}", name):
            return self.ok("acct_contact_name", name)
        return self.fail("acct_contact_name", dispatcher, tracker, "请告诉我联系人的姓名或称呼，比如“王先生”。")

    async def extract_acct_contact_phone(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                         domain: DomainDict) -> Dict[Text, Any]:
        phone = entity_value(tracker, "phone")
        if phone:
            return {"acct_contact_phone": str(phone)}
        text = answer_to(tracker, "acct_contact_phone")
        if text is None:
            return {}
        match = PHONE.search(text)
        return {"acct_contact_phone": match.group(0) if match else text}

    async def validate_acct_contact_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                          domain: DomainDict) -> Dict[Text, Any]:
        if value and PHONE.fullmatch(str(value)):
            return self.ok("acct_contact_phone", str(value))
        return self.fail("acct_contact_phone", dispatcher, tracker, "请提供11位手机号码，方便工作人员联系您。")

    # -- address -------------------------------------------------------------------------
    def address_result(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                       district_optional: bool = False) -> Dict[Text, Any]:
        address = str(value or "").strip()
        district = _district_from(tracker, address)
        if len(address) >= 2 and (district or district_optional):
            return {**self.ok(slot, address), "acct_district": district}
        return self.fail(slot, dispatcher, tracker, "请说明在深圳哪个区，比如“南山区粤海街道科苑路18号”。")

    # -- confirmation --------------------------------------------------------------------
    def extract_confirmation(self, tracker: Tracker) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != self.confirm_slot:
            return {}
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = latest_text(tracker).lower()
        if intent == "affirm" or YES.match(text):
            return {self.confirm_slot: True}
        if intent == "deny" or NO.match(text):
            return {self.confirm_slot: False}
        return {self.confirm_slot: "unclear"}

    def validate_confirmation(self, value: Any, dispatcher: CollectingDispatcher,
                              tracker: Tracker) -> Dict[Text, Any]:
        if value is True:
            return self.ok(self.confirm_slot, True)
        if value is False:
            # "不对" at the confirmation: stop without filing, like a cancel word.
            return {self.confirm_slot: False, "requested_slot": None, FAILURES_SLOT: 0.0}
        return self.fail(self.confirm_slot, dispatcher, tracker, "请回复“确认”提交申请，或回复“取消”不办理。")

    def explain(self, slot: str) -> str:
        if slot == self.confirm_slot:
            return "确认后才会正式提交，提交前不会产生任何申请。"
        if slot == "acct_contact_phone":
            return "手机号只用于工作人员联系您和查询办理进度。"
        return "这项信息是办理所必需的。"


def _district_from(tracker: Tracker, address: str) -> Optional[str]:
    named = entity_value(tracker, "district")
    if named and canonical_district(str(named)):
        return canonical_district(str(named))
    return find_district(address)


@dataclass
class OrderSpec:
    """One kind of account-service work order and how its form reads."""

    order_type: str
    form: str
    confirm_slot: str
    title: str  # receipt title, e.g. 投诉受理回执
    form_slots: Sequence[str]
    apply_payload: str = ""  # starts the form again
    resubmit_payload: str = ""  # files the confirmed answers again (same request_id)
    next_steps: Callable[[], str] = lambda: ""
    extra_fields: Callable[[Dict[str, Any]], List[Tuple[str, Any]]] = field(default=lambda order: [])


def request_id(tracker: Tracker, order_type: str, payload: Dict[str, Any]) -> str:
    """Same sender + same content -> same id: the back end returns the existing order."""
    content = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(f"{tracker.sender_id}|{order_type}|{content}".encode("utf-8")).hexdigest()
    return f"{order_type}-{digest[:40]}"


def channel_of(tracker: Tracker) -> Optional[str]:
    channel = (tracker.get_latest_input_channel() or "").lower()
    return channel if re.fullmatch(r"[a-z][a-z0-9_]{0,19}", channel) else None


def clear_form(spec: OrderSpec) -> List[Dict[Text, Any]]:
    """Forget the answers of this form but keep the contact slots for later forms."""
    keep = set(CONTACT_SLOTS)
    slots = [slot for slot in spec.form_slots if slot not in keep]
    return [SlotSet(slot, None) for slot in slots] + [SlotSet("service_request", None), SlotSet(FAILURES_SLOT, 0.0)]


def cancelled(dispatcher: CollectingDispatcher, spec: OrderSpec) -> List[Dict[Text, Any]]:
    """The form ended unconfirmed. Contact answers go too: they may be what was wrong."""
    dispatcher.utter_message(
        text="好的，已为您取消，没有提交任何申请。需要时可以重新办理，还有其他需要吗？",
        buttons=buttons([("重新办理", spec.apply_payload)] if spec.apply_payload else []),
    )
    return clear_form(spec) + [SlotSet(slot, None) for slot in CONTACT_SLOTS] + [SlotSet(spec.confirm_slot, None)]


async def account_place(account_no: str) -> Optional[Dict[str, Any]]:
    """The verified account's address and district; None when the back end cannot say."""
    result = await backend_client.get(f"/api/v1/accounts/{account_no}")
    return result.data if result.ok else None


async def submit_order(spec: OrderSpec, dispatcher: CollectingDispatcher, tracker: Tracker,
                       order: Dict[str, Any], intro: str) -> List[Dict[Text, Any]]:
    """Creates the work order (idempotent) and answers with a receipt card."""
    payload = {"type": spec.order_type, **{k: v for k, v in order.items() if v is not None}}
    channel = channel_of(tracker)
    if channel:
        payload["channel"] = channel
    payload["request_id"] = request_id(tracker, spec.order_type, payload)
    result = await backend_client.post("/api/v1/work-orders", payload)
    if not result.ok:
        return _not_filed(spec, dispatcher, result)
    data = result.data
    replay = result.status == 200
    fields: List[Tuple[str, Any]] = [
        ("受理编号", data.get("order_no")),
        ("业务类型", data.get("type_name") or spec.title),
        ("当前环节", data.get("current_step") or "已受理"),
        ("承办单位", data.get("responsible_unit")),
        ("联系电话", mask_phone(payload.get("phone", ""))),
    ]
    if payload.get("account_no"):
        fields.append(("户号", mask_account(payload["account_no"])))
    limits = step_limits(data.get("steps") or [])
    if limits:
        fields.append(("办理时限", limits))
    fields += spec.extra_fields(data)
    lead = "这份申请之前已经提交过，无需重复提交，受理信息如下。" if replay else intro
    utter_card(dispatcher, "receipt", spec.title, fields, intro=lead, buttons=buttons([
        ("查询办理进度", f'/application_progress{{"order_no":"{data.get("order_no")}"}}'),
    ]))
    tail = spec.next_steps()
    if tail:
        dispatcher.utter_message(text=tail)
    logger.info("work order %s filed for %s", data.get("order_no"), mask_text(tracker.sender_id))
    return clear_form(spec) + [SlotSet(spec.confirm_slot, None)]


def step_limits(steps: List[Dict[str, Any]]) -> str:
    """'受理并联系客户1个工作日内、调查处理并答复7个工作日内' from the order's steps."""
    parts = []
    for step in steps:
        if step.get("time_limit_hours") is not None:
            hours = float(step["time_limit_hours"])
            limit = f"{hours * 60:.0f}分钟内" if hours < 1 else f"{hours:g}小时内"
        elif step.get("time_limit_days") is not None:
            limit = f"{step['time_limit_days']}个工作日内"
        else:
            continue
        parts.append(f"{step['name']}{limit}")
    return "、".join(parts)


def _not_filed(spec: OrderSpec, dispatcher: CollectingDispatcher, result) -> List[Dict[Text, Any]]:
    """Nothing was created. Keep the answers so that trying again files the very same request."""
    if result.unavailable:
        apology_unavailable(dispatcher, "申请提交")
        if spec.resubmit_payload:
            dispatcher.utter_message(text="您可以稍后点“重新提交”，不会重复受理。",
                                     buttons=buttons([("重新提交", spec.resubmit_payload)]))
        return [SlotSet("service_request", None)]
    if result.error_code == "ACCOUNT_NOT_FOUND":
        dispatcher.utter_message(
            text="没有找到您提供的户号，申请未提交。请核对电费通知单上的10位户号后重新填写。",
            buttons=buttons([("重新填写", spec.apply_payload)] if spec.apply_payload else []),
        )
        return [SlotSet("service_request", None), SlotSet("transfer_account_no", None),
                SlotSet(spec.confirm_slot, None)]
    logger.warning("work order %s refused: %s", spec.order_type, result.error_code)
    dispatcher.utter_message(
        text=f"抱歉，申请没能提交成功，没有产生任何受理记录。请拨打 {hotline()} 由人工为您办理。"
    )
    return clear_form(spec)


class AskConfirmation(Action, metaclass=abc.ABCMeta):
    """action_ask_<form>_confirmed: a masked summary of the answers, then confirm or cancel.
    Abstract (ABCMeta + abstractmethod) so that the action server does not register the base."""

    spec: OrderSpec

    def name(self) -> Text:
        return f"action_ask_{self.spec.confirm_slot}"

    @abc.abstractmethod
    def summary(self, tracker: Tracker) -> List[Tuple[str, Any]]:
        """(label, value) lines of the answers, masked."""

    def note(self, tracker: Tracker) -> str:
        return ""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        lines = "\n".join(f"{label}：{value}" for label, value in self.summary(tracker) if value)
        note = self.note(tracker)
        dispatcher.utter_message(
            text=f"请核对以下信息：\n{lines}" + (f"\n{note}" if note else "") + "\n确认无误请回复“确认”，提交后生成受理编号。",
            buttons=CONFIRM_BUTTONS,
        )
        return []


def contact_summary(tracker: Tracker) -> List[Tuple[str, Any]]:
    return [
        ("联系人", tracker.get_slot("acct_contact_name")),
        ("联系电话", mask_phone(tracker.get_slot("acct_contact_phone") or "")),
    ]
