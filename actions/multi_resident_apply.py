"""Filing a 一户多人口 application as a `multi_resident` work order (DR...).

A verified customer's 户号, name, phone and address come from the back end, so only the household
size (prefilled from the account) and the confirmation are asked; otherwise the form asks 户号,
contact name, phone and address too. The order is created only by action_submit_multi_resident,
after the explicit confirmation, with a request_id derived from the sender and the content, so a
retry or a double tap gives back the same order. application_progress tracks it by number + phone.
"""
from __future__ import annotations

import hashlib
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import backend_client
from actions.forms import FAILURES_SLOT, ServiceFormValidation, entity_value, latest_text, wants_cancel
from actions.multi_resident import (
    NEXT_SLOT,
    SIZE_SLOT,
    document_items,
    effective_text,
    extract_size,
    members_rule_text,
    min_members,
    not_applicable_text,
    validate_size,
)
from actions.replies import apology_unavailable, buttons, hotline, region, utter_card
from bot.text.masking import mask_account, mask_phone

ACCOUNT_SLOT = "mr_account_no"
NAME_SLOT = "mr_contact_name"
PHONE_SLOT = "mr_phone"
ADDRESS_SLOT = "mr_address"
DISTRICT_SLOT = "mr_district"
CONFIRM_SLOT = "mr_confirmed"
FORM_SLOTS = (SIZE_SLOT, ACCOUNT_SLOT, NAME_SLOT, PHONE_SLOT, ADDRESS_SLOT, DISTRICT_SLOT, CONFIRM_SLOT)

ACCOUNT_NO = re.compile(r"(?<!\d)03\d{8}(?!\d)")
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
NAME_PREFIX = re.compile(r"^(我叫|我是|叫|姓名是?|名字是?|联系人是?|申请人是?)[:：]?")
YES = re.compile(r"(确认|提交|是的|对的|没问题|可以|好的|^好$|^对$|^是$|ok)", re.IGNORECASE)
NO = re.compile(r"(不对|有误|错了|不是|不提交|修改|改一下)")
# The retry button restarts the application: the kept answers skip straight to the confirmation.
RETRY_BUTTON = ("重新提交", '/multi_resident_policy{"aspect": "apply"}')
PROGRESS_PAYLOAD = '/application_progress{"order_no": "%s"}'


def _clear() -> List[Dict[Text, Any]]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


def district_of(text: str, tracker: Optional[Tracker] = None) -> Optional[str]:
    """The district named in an address: the NLU entity, else the region's district names."""
    named = entity_value(tracker, "district") if tracker else None
    districts = region().value("geography.districts")
    for district in districts:
        names = [district["name"], *district.get("aliases", [])]
        if named in names or any(name in text for name in sorted(names, key=len, reverse=True)):
            return district["name"]
    return None


async def start_application(dispatcher: CollectingDispatcher, tracker: Tracker,
                            size: Optional[int]) -> List[Dict[Text, Any]]:
    """Prefills what is known and sets multi_resident_next=apply (a rule starts the form)."""
    from actions.verification import verified_account

    done = [SlotSet(NEXT_SLOT, "done")]
    events: List[Dict[Text, Any]] = [SlotSet(CONFIRM_SLOT, None)]
    account_no = verified_account(tracker)
    if account_no:
        result = await backend_client.get(f"/api/v1/accounts/{account_no}")
        if not result.ok:
            if result.unavailable:
                apology_unavailable(dispatcher, "读取您的户号信息")
            else:
                dispatcher.utter_message(text=f"暂时没有查到您的户号信息，请拨打 {hotline()} 办理。")
            return done
        account = result.data
        reason = not_applicable_text(account)
        if reason:
            dispatcher.utter_message(text=reason)
            return done
        size = size or int(account.get("household_size") or 0) or None
        events += [SlotSet(ACCOUNT_SLOT, account_no), SlotSet(NAME_SLOT, account.get("holder_name")),
                   SlotSet(PHONE_SLOT, account.get("phone")), SlotSet(ADDRESS_SLOT, account.get("address")),
                   SlotSet(DISTRICT_SLOT, account.get("district"))]
    if size is not None:
        if size < min_members():
            dispatcher.utter_message(text=f"一户多人口需要{members_rule_text()}，您家{size}人暂不符合，这次就先不申请了。")
            return done
        events.append(SlotSet(SIZE_SLOT, float(size)))
    dispatcher.utter_message(text="好的，我来帮您在线提交一户多人口申请，只需要几项信息，最后会请您确认后才提交。"
                                  "中途想退出说“取消”就行。")
    return events + [SlotSet(NEXT_SLOT, "apply")]


def _intent(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


class ValidateMultiResidentForm(ServiceFormValidation):
    def name(self) -> Text:
        return "validate_multi_resident_form"

    def explain(self, slot: str) -> str:
        return {
            SIZE_SLOT: f"申请条件是{members_rule_text()}，请按户口簿上的人数回答。",
            ACCOUNT_SLOT: "户号是10位数字，以03开头，印在电费通知单上，南网在线App的“我的户号”里也能看到。",
            NAME_SLOT: "联系人姓名用于审核时与您联系，写申请人（一般是户主）的姓名即可。",
            PHONE_SLOT: "联系电话是11位手机号，用于接收审核结果和查询办理进度。",
            ADDRESS_SLOT: f"用电地址要写明所在区，比如“福田区莲花街道景田北路12号5栋1203室”，须在{region().name}。",
            CONFIRM_SLOT: "确认无误请回复“确认提交”，不提交请回复“取消”。",
        }.get(slot, super().explain(slot))

    async def run(self, dispatcher, tracker, domain):
        if wants_cancel(tracker):
            # Ends the form without an order: the submit action sees no confirmation.
            return [SlotSet(CONFIRM_SLOT, False), SlotSet(FAILURES_SLOT, 0.0), SlotSet("requested_slot", None)]
        return await super().run(dispatcher, tracker, domain)

    # ---------------------------------------------------------------- extraction

    async def extract_mr_household_size(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return extract_size(tracker)

    async def extract_mr_account_no(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != ACCOUNT_SLOT:
            return {}
        value = entity_value(tracker, "account_no")
        if value:
            return {ACCOUNT_SLOT: str(value)}
        match = re.search(r"\d{4,}", latest_text(tracker))  # a mistyped 户号 is explained, not ignored
        return {ACCOUNT_SLOT: match.group(0)} if match else {}

    async def extract_mr_contact_name(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != NAME_SLOT:
            return {}
        text = NAME_PREFIX.sub("", latest_text(tracker)).strip(" ，,。.")
        # A short answer is a name whatever intent NLU gave it; a long one may be a new question.
        if text and (_intent(tracker) in ("inform", None) or len(text) <= 6):
            return {NAME_SLOT: text}
        return {}

    async def extract_mr_phone(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != PHONE_SLOT:
            return {}
        value = entity_value(tracker, "phone")
        if value:
            return {PHONE_SLOT: str(value)}
        text = latest_text(tracker).replace("-", "").replace(" ", "")
        match = PHONE.search(text) or re.search(r"\d{5,}", text)
        return {PHONE_SLOT: match.group(0)} if match else {}

    async def extract_mr_address(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != ADDRESS_SLOT:
            return {}
        text = latest_text(tracker).strip()
        if text and (_intent(tracker) in ("inform", None) or district_of(text, tracker)):
            return {ADDRESS_SLOT: text}
        return {}

    async def extract_mr_confirmed(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != CONFIRM_SLOT:
            return {}
        text = latest_text(tracker)
        if NO.search(text) or _intent(tracker) == "deny":
            return {CONFIRM_SLOT: False}
        if _intent(tracker) == "affirm" or YES.search(text):
            return {CONFIRM_SLOT: True}
        return {CONFIRM_SLOT: "?"}

    # ---------------------------------------------------------------- validation

    async def validate_mr_household_size(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        size = validate_size(value)
        if size is None:
            return self.fail(SIZE_SLOT, dispatcher, tracker, "请告诉我户口簿上登记的家庭人数，比如“6口人”。")
        if size < min_members():
            dispatcher.utter_message(text=f"一户多人口需要{members_rule_text()}，您家{size}人暂不符合，这次就先不提交了。")
            return {SIZE_SLOT: None, CONFIRM_SLOT: False, "requested_slot": None}
        return self.ok(SIZE_SLOT, float(size))

    async def validate_mr_account_no(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value and ACCOUNT_NO.fullmatch(str(value)):
            return self.ok(ACCOUNT_SLOT, str(value))
        return self.fail(ACCOUNT_SLOT, dispatcher, tracker, "这个户号格式不对，户号是以03开头的10位数字。")

    async def validate_mr_contact_name(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        name = str(value or "").strip()
        if 2 <= len(name) <= 20 and not re.search(r"\d", name):
            return self.ok(NAME_SLOT, name)
        return self.fail(NAME_SLOT, dispatcher, tracker, "请告诉我联系人的姓名，比如“王建国”。")

    async def validate_mr_phone(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value and PHONE.fullmatch(str(value)):
            return self.ok(PHONE_SLOT, str(value))
        return self.fail(PHONE_SLOT, dispatcher, tracker, "请提供11位手机号码，比如“13812345678”。")

    async def validate_mr_address(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        address = str(value or "").strip()
        district = district_of(address, tracker)
        if len(address) >= 5 and district:
            return {**self.ok(ADDRESS_SLOT, address[:200]), DISTRICT_SLOT: district}
        return self.fail(ADDRESS_SLOT, dispatcher, tracker, "请告诉我完整的用电地址，要带上所在区。")

    async def validate_mr_confirmed(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value is True:
            return self.ok(CONFIRM_SLOT, True)
        if value is False:
            return {CONFIRM_SLOT: False, FAILURES_SLOT: 0.0, "requested_slot": None}
        return self.fail(CONFIRM_SLOT, dispatcher, tracker, "请回复“确认提交”或“取消”。")


def summary_fields(tracker: Tracker) -> List[tuple]:
    size = tracker.get_slot(SIZE_SLOT)
    return [
        ("业务", "一户多人口（居民阶梯电价）"),
        ("户号", mask_account(tracker.get_slot(ACCOUNT_SLOT) or "")),
        ("户籍人数", f"{int(size)}人" if size is not None else ""),
        ("联系人", tracker.get_slot(NAME_SLOT) or ""),
        ("联系电话", mask_phone(tracker.get_slot(PHONE_SLOT) or "")),
        ("用电地址", tracker.get_slot(ADDRESS_SLOT) or ""),
    ]


class ActionAskMrConfirmed(Action):
    """The confirmation question: everything collected, then 确认提交 / 取消."""

    def name(self) -> Text:
        return "action_ask_mr_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        utter_card(dispatcher, "receipt", "请核对申请信息", summary_fields(tracker),
                   intro="信息已填好，请核对：",
                   buttons=buttons([("确认提交", "/affirm"), ("取消", "/deny")]))
        return []


def request_id(tracker: Tracker) -> str:
    content = "|".join(str(tracker.get_slot(slot) or "") for slot in (ACCOUNT_SLOT, SIZE_SLOT, NAME_SLOT, PHONE_SLOT, ADDRESS_SLOT))
    return hashlib.sha256(f"{tracker.sender_id}|multi_resident|{content}".encode("utf-8")).hexdigest()[:32]


class ActionSubmitMultiResident(Action):
    def name(self) -> Text:
        return "action_submit_multi_resident"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        done = [SlotSet(NEXT_SLOT, "done"), SlotSet(FAILURES_SLOT, 0.0)]
        if tracker.get_slot(CONFIRM_SLOT) is not True:
            dispatcher.utter_message(text="好的，本次没有提交任何申请。之后想申请，随时说“申请一户多人口”。")
            return _clear() + done
        size = int(tracker.get_slot(SIZE_SLOT))
        body = {
            "type": "multi_resident",
            "request_id": request_id(tracker),
            "contact_name": tracker.get_slot(NAME_SLOT),
            "phone": tracker.get_slot(PHONE_SLOT),
            "address": tracker.get_slot(ADDRESS_SLOT),
            "district": tracker.get_slot(DISTRICT_SLOT),
            "account_no": tracker.get_slot(ACCOUNT_SLOT),
            "details": {"household_size": size},
        }
        channel = tracker.get_latest_input_channel()
        if channel and re.fullmatch(r"[a-z][a-z0-9_]{0,19}", channel):
            body["channel"] = channel
        result = await backend_client.post("/api/v1/work-orders", body)
        if result.unavailable:
            # Answers are kept (only the confirmation is asked again), so a retry files one order.
            apology_unavailable(dispatcher, "提交一户多人口申请")
            dispatcher.utter_message(text="稍后点“重新提交”，只需再确认一次。", buttons=buttons([RETRY_BUTTON]))
            return [SlotSet(CONFIRM_SLOT, None)] + done
        if not result.ok:
            dispatcher.utter_message(
                text=f"抱歉，申请没有提交成功，可能是户号或地址信息与系统登记不一致。"
                f"您可以核对后重新申请，或携带材料到供电营业厅、拨打 {hotline()} 办理。")
            return _clear() + done
        self._receipt(dispatcher, result.data, size, replay=result.status == 200)
        return _clear() + done

    @staticmethod
    def _receipt(dispatcher: CollectingDispatcher, order: Dict[str, Any], size: int, replay: bool) -> None:
        steps = order.get("steps") or []
        deadline = str(steps[-1].get("deadline") or "")[:10] if steps else ""
        fields = [("受理编号", order.get("order_no", "")), ("业务", "一户多人口"),
                  ("户籍人数", f"{size}人"), ("当前环节", order.get("current_step") or "申请受理")]
        if deadline:
            fields.append(("预计审核完成", deadline))
        intro = ("这份申请之前已经提交过，受理编号不变：" if replay
                 else "申请已提交，请记下受理编号：")
        utter_card(dispatcher, "receipt", "一户多人口申请回执", fields, intro=intro)
        dispatcher.utter_message(
            text="\n".join(["审核需要核验材料，请准备好：", *document_items(),
                            f"{effective_text()}。可以随时凭受理编号和联系电话查询办理进度。"]),
            buttons=buttons([("查询办理进度", PROGRESS_PAYLOAD % order.get("order_no", ""))]),
        )
