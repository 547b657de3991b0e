"""The 用电报装 application form: collect, confirm, submit, and the electronic receipt.

Slots fill from what the customer already said (entities map in any turn) and from answers to
the form's questions. A message that corrects an earlier answer ("地址写错了，是…",
"容量改成100千瓦") updates that slot whichever question is open. Validation only checks and
explains; the connection work order is created by action_connection_submit alone, after the
customer confirmed the summary, with a request_id derived from the sender and the content, so
a retry or a double tap returns the same order.
"""
from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import backend_client, replies
from actions.account_knowledge import find_place
from actions.connection import (
    DUAL_SUPPLY, HUNDRED_MILLIONS, TOO_LARGE, TYPE_LABELS, ConnectionFacts, ask, capacity_problem, capacity_text,
    decide_category, normalise_customer_type,
)
from actions.conversation import TOPIC_INTENTS
from actions.forms import FAILURES_SLOT, ServiceFormValidation, entity_value, latest_text, wants_cancel
from actions.progress import current_step_of, limit_text, when_text
from bot.text import parse_number
from bot.text.masking import mask_phone
from knowledge import load_knowledge

TYPE, NAME, PHONE, ADDRESS, CAPACITY, CONFIRMED = (
    "connection_customer_type", "connection_contact_name", "connection_phone", "connection_address",
    "connection_capacity_kw", "connection_confirmed")
UNIT, DISTRICT, DUAL = "connection_capacity_unit", "connection_district", "connection_dual_supply"
REQUIRED = (TYPE, NAME, PHONE, ADDRESS, CAPACITY, CONFIRMED)
# Set alongside a required slot; rasa_sdk only returns required slots, so they are re-added.
AUXILIARY = (UNIT, DISTRICT, DUAL)
UNCLEAR = "unclear"
MOBILE = re.compile(r"1[3-9]\d{9}")

# Cue words (not facts). A correction names the field and says it was wrong or changes it.
CORRECTION_CUE = re.compile(r"写错|填错|说错|打错|搞错|弄错|错了|不对|改成|改为|改一下|换成|更正|修改|应该是|重新填")
FIELD_WORDS = (
    (ADDRESS, re.compile(r"地址|地点|位置")),
    (PHONE, re.compile(r"电话|手机|号码")),
    (NAME, re.compile(r"名字|姓名|联系人|称呼")),
    (CAPACITY, re.compile(r"容量|功率|千瓦|千伏安|kw|kva", re.IGNORECASE)),
    (TYPE, re.compile(r"类型|类别|用户性质")),
)
NEW_VALUE_AFTER = re.compile(r"(?:应该是|改成|改为|换成|更正为|其实是|正确的是|是)[:：\s]*")
QUESTION = re.compile(r"[?？吗呢]|怎么|多少|什么|哪|能不能|可不可以|要不要|为啥|为什么")
AFFIRM_WORDS = re.compile(r"确认|提交|没问题|对的|是的|正确|没错|可以|好的|行")
NEGATION = re.compile(r"不|别|取消")
LEADING_FILLER = re.compile(r"^[了啦的呀吧哦喔，,。.!！:：\s]+")
UNSURE = re.compile(r"不知道|不清楚|记不清|不确定|不懂|没算过|不了解|说不准")
TYPE_WORDS = (
    ("residential", re.compile(r"家|住宅|居民|个人|自住|新房")),
    ("factory", re.compile(r"厂|工业|园区|楼宇|写字楼|大容量|工地|高压")),
    ("business", re.compile(r"店|商|企业|公司|小微|个体|办公|餐")),
)
NAME_LEADIN = re.compile(r"^(?:我的?(?:名字|姓名)(?:是|叫)?|我叫|我是|我姓|叫我|姓名(?:是)?|名字(?:是)?|联系人(?:是)?|称呼我?)[:：\s]*")
ADDRESS_LEADIN = re.compile(r"^(?:用电)?(?:地址|地点)(?:是|在)?[:：\s]*|^(?:我家|我们|店|厂)?(?:在|位于)")
PUNCTUATION = re.compile(r"[，,。.!！;；、\s]+")
# Intents whose text may be a bare answer to the open question.
ANSWER_INTENTS = {None, "", "inform", "out_of_scope", "nlu_fallback", "chitchat"}


def facts() -> ConnectionFacts:
    return ConnectionFacts(replies.region())


# -- reading the message ---------------------------------------------------------------------
def intent_of(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def is_bare_answer(tracker: Tracker) -> bool:
    """Free text may answer the open question only when it is not a question of its own."""
    text = latest_text(tracker)
    return bool(text) and intent_of(tracker) not in TOPIC_INTENTS | {"affirm", "deny"} and not QUESTION.search(text)


def correction_of(text: str) -> Optional[str]:
    """The field a message says was wrong or changes ("地址写错了" -> the address slot)."""
    if not CORRECTION_CUE.search(text):
        return None
    return next((slot for slot, words in FIELD_WORDS if words.search(text)), None)


def new_value(text: str) -> str:
    """What follows the correction: "地址写错了，应该是福田区…" -> "福田区…"; "地址写错了" -> ""."""
    parts = NEW_VALUE_AFTER.split(text)
    tail = parts[-1] if len(parts) > 1 else CORRECTION_CUE.split(text)[-1]
    return LEADING_FILLER.sub("", tail).strip(" ，,。.:：")


def value_before_latest_message(tracker: Tracker, slot: str) -> Any:
    user_turns = [i for i, e in enumerate(tracker.events) if e.get("event") == "user"]
    value = None
    for event in tracker.events[: user_turns[-1] if user_turns else 0]:
        if event.get("event") == "slot" and event.get("name") == slot:
            value = event.get("value")
    return value


def district_mentioned_earlier(tracker: Tracker) -> Optional[str]:
    """The district entity of the customer's latest message that had one (e.g. "我在南山开店")."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        for item in (event.get("parse_data") or {}).get("entities") or []:
            if item.get("entity") == "district":
                return str(item.get("value"))
    return None


# -- the form --------------------------------------------------------------------------------
class ValidateConnectionForm(ServiceFormValidation):
    def name(self) -> Text:
        return "validate_connection_form"

    def explain(self, slot: str) -> str:
        return {
            TYPE: "用户类型决定报装流程：家里用电选“家庭用电”，店铺、小微企业选“店铺/小微企业”，厂房、楼宇等选“大容量用电”。",
            NAME: "联系人是供电局客户经理上门勘查时联系的人，告诉我姓名就可以。",
            PHONE: "手机号用来联系您约勘查时间、通知进度，请提供1开头的11位手机号。",
            ADDRESS: "用电地址是要装表的地方，请说出所在区和详细地址，例如“南山区粤海街道科技园路1号”。",
            CAPACITY: "容量可以按主要用电设备铭牌上的功率加起来估算，说个大概就行，勘查时工作人员会帮您核定。",
            CONFIRMED: "请点“确认提交”提交申请；信息有误就直接告诉我要改的内容。",
        }.get(slot, super().explain(slot))

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        # "算了不办了" in any wording ends the form unconfirmed: the submit action then creates
        # nothing. A side question ("先不说这个，要多久") carries an aspect and is not a cancel.
        if wants_cancel(tracker) and not entity_value(tracker, "aspect"):
            return [SlotSet(CONFIRMED, False), SlotSet("requested_slot", None)]
        events = await super().run(dispatcher, tracker, domain)
        already = {event.get("name") for event in events if event.get("event") == "slot"}
        recent = tracker.slots_to_validate()
        return events + [SlotSet(slot, recent[slot]) for slot in AUXILIARY if slot in recent and slot not in already]

    def _requested(self, tracker: Tracker, slot: str) -> bool:
        return tracker.get_slot("requested_slot") == slot

    def _acknowledge(self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, value: Any,
                     shown: str) -> None:
        """Say that a correction was taken (not for the answer to the open question)."""
        before = value_before_latest_message(tracker, slot)
        if not self._requested(tracker, slot) and before not in (None, "") and str(before) != str(value):
            labels = {TYPE: "用户类型", NAME: "联系人", PHONE: "手机号", ADDRESS: "用电地址", CAPACITY: "用电容量"}
            dispatcher.utter_message(text=f"好的，{labels[slot]}已改为{shown}。")

    # -- extraction: what this message says about each field --------------------------------
    async def extract_connection_customer_type(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        said = normalise_customer_type(entity_value(tracker, "customer_type"))
        if said:
            return {TYPE: said}
        text = latest_text(tracker)
        if correction_of(text) == TYPE:
            text = new_value(text)
            return {TYPE: next((kind for kind, words in TYPE_WORDS if words.search(text)), None)}
        if self._requested(tracker, TYPE) and is_bare_answer(tracker):
            return {TYPE: next((kind for kind, words in TYPE_WORDS if words.search(text)), text)}
        return {}

    async def extract_connection_contact_name(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        text = latest_text(tracker)
        if correction_of(text) == NAME:
            return {NAME: NAME_LEADIN.sub("", new_value(text)) or None}
        if self._requested(tracker, NAME) and is_bare_answer(tracker):
            segments = [NAME_LEADIN.sub("", part) for part in PUNCTUATION.split(text) if part]
            return {NAME: max(segments, key=len) if segments else text}
        return {}

    async def extract_connection_phone(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        phone = entity_value(tracker, "phone")
        if phone:
            return {PHONE: str(phone)}
        text = latest_text(tracker)
        if correction_of(text) == PHONE:
            return {PHONE: re.sub(r"\D", "", new_value(text)) or None}
        other_quantity = entity_value(tracker, "capacity_kw") is not None or entity_value(tracker, "order_no")
        if self._requested(tracker, PHONE) and not other_quantity and (re.search(r"\d", text) or is_bare_answer(tracker)):
            return {PHONE: re.sub(r"[\s\-－—]", "", text)}
        return {}

    async def extract_connection_address(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        text = latest_text(tracker)
        if correction_of(text) == ADDRESS:
            return {ADDRESS: ADDRESS_LEADIN.sub("", new_value(text)) or None}
        if self._requested(tracker, ADDRESS) and is_bare_answer(tracker):
            return {ADDRESS: ADDRESS_LEADIN.sub("", text)}
        return {}

    async def extract_connection_capacity_kw(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        text = latest_text(tracker)
        found: Dict[Text, Any] = {DUAL: True} if DUAL_SUPPLY.search(text) else {}
        capacity = entity_value(tracker, "capacity_kw")
        if capacity is not None:
            return {**found, CAPACITY: capacity, UNIT: entity_value(tracker, "capacity_unit") or "kW"}
        corrected = correction_of(text) == CAPACITY
        if corrected or self._requested(tracker, CAPACITY):
            if HUNDRED_MILLIONS.search(text):
                return {**found, CAPACITY: TOO_LARGE}
            number = parse_number(new_value(text) if corrected else text)
            if number is not None:
                return {**found, CAPACITY: float(number), UNIT: "kW"}
            if corrected:
                return {**found, CAPACITY: None}
            if is_bare_answer(tracker):
                return {**found, CAPACITY: UNCLEAR}
        return found

    async def extract_connection_confirmed(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if not self._requested(tracker, CONFIRMED):
            return {}
        text = latest_text(tracker)
        plain_yes = AFFIRM_WORDS.search(text) and not NEGATION.search(text) and not CORRECTION_CUE.search(text)
        if intent_of(tracker) == "affirm" or plain_yes:
            return {CONFIRMED: True}
        changes = correction_of(text) or any(
            entity_value(tracker, name) is not None for name in ("capacity_kw", "phone", "customer_type"))
        return {} if changes else {CONFIRMED: UNCLEAR}

    # -- validation: check, normalise, explain ----------------------------------------------
    async def validate_connection_customer_type(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        kind = normalise_customer_type(value)
        if not kind:
            return self.fail(TYPE, dispatcher, tracker, "没太明白是哪类用电，请点选下面的一项，或说“家里用”“开店用”“厂房用”。")
        self._acknowledge(dispatcher, tracker, TYPE, kind, TYPE_LABELS[kind])
        return self.ok(TYPE, kind)

    async def validate_connection_contact_name(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value is None:
            return {NAME: None}
        name = str(value).strip()
        if not re.fullmatch(r"[\u3400-\u9fffA-Za-z·•. ]{2,20}", name):
            return self.fail(NAME, dispatcher, tracker, "请告诉我联系人的姓名（2到20个字，不含数字），例如“王小明”。")
        self._acknowledge(dispatcher, tracker, NAME, name, name)
        return self.ok(NAME, name)

    async def validate_connection_phone(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value is None:
            return {PHONE: None}
        digits = re.sub(r"\D", "", str(value))
        if len(digits) == 13 and digits.startswith("86"):
            digits = digits[2:]
        if not MOBILE.fullmatch(digits):
            return self.fail(PHONE, dispatcher, tracker,
                             "这个号码好像不对：手机号是1开头的11位数字，请再说一次（固定电话暂不支持）。")
        self._acknowledge(dispatcher, tracker, PHONE, digits, mask_phone(digits))
        return self.ok(PHONE, digits)

    async def validate_connection_address(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value is None:
            return {ADDRESS: None}
        text = str(value).strip(" ，,。")
        region = replies.region()
        other = load_knowledge().find_other_city(text)
        if other and region.name not in text:
            return self.fail(ADDRESS, dispatcher, tracker,
                             f"小南这里只能受理{region.name}的用电报装，{other.name}的请联系当地供电局"
                             f"（热线{replies.hotline()}）。如果地址在{region.name}，请再说一次。")
        found = find_place(text)
        district = found[1] if found else entity_value(tracker, "district") or district_mentioned_earlier(tracker)
        if not district:
            return self.fail(ADDRESS, dispatcher, tracker,
                             f"抱歉，没能从地址里认出是{region.name}哪个区。麻烦带上区名再说一次，例如“南山区粤海街道科技园路1号”。")
        detail = text.replace(found[0], "") if found else text
        detail = re.sub(rf"^(?:.{{0,3}}省)?(?:{region.name}市?)", "", detail)
        if len(detail) < 4 and not re.search(r"\d", detail):
            return self.fail(ADDRESS, dispatcher, tracker,
                             "请把地址说具体一些：街道、路名和门牌号（或小区、楼栋），方便工作人员上门勘查。")
        # Keep the customer's words, led by the full district name ("南山区"), which the surveyor needs.
        short = district[:-1] if district.endswith("区") else district
        address = text if district in text else f"{district}{text[len(short):] if text.startswith(short) else text}"
        self._acknowledge(dispatcher, tracker, ADDRESS, address, address)
        return {**self.ok(ADDRESS, address), DISTRICT: district}

    async def validate_connection_capacity_kw(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value is None:
            return {CAPACITY: None}
        if value == UNCLEAR:
            text = latest_text(tracker)
            reason = "不确定也没关系。" if UNSURE.search(text) else "没听明白容量是多少。"
            return self.fail(CAPACITY, dispatcher, tracker,
                             f"{reason}{self.explain(CAPACITY)}请说一个数字加单位，例如“80千瓦”。")
        problem = capacity_problem(value)
        if problem:
            return self.fail(CAPACITY, dispatcher, tracker, problem)
        unit = tracker.get_slot(UNIT) or "kW"
        number = float(Decimal(str(value)))
        self._acknowledge(dispatcher, tracker, CAPACITY, number, capacity_text(number, unit))
        return {**self.ok(CAPACITY, number), UNIT: unit, DUAL: bool(tracker.get_slot(DUAL))}

    async def validate_connection_confirmed(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value is True or value is False:
            return self.ok(CONFIRMED, value)
        if value == UNCLEAR:
            return self.fail(CONFIRMED, dispatcher, tracker, "信息没问题的话请点“确认提交”；要修改就直接说，比如“地址改成…”。")
        return {CONFIRMED: None}


# -- the summary and the submission ------------------------------------------------------------
def application_summary(tracker: Tracker) -> List[Tuple[str, str]]:
    f = facts()
    capacity, unit = tracker.get_slot(CAPACITY), tracker.get_slot(UNIT)
    category = decide_category(f, tracker.get_slot(TYPE), capacity, bool(tracker.get_slot(DUAL)))
    rows = [
        ("用户类型", TYPE_LABELS.get(tracker.get_slot(TYPE), "")),
        ("联系人", tracker.get_slot(NAME)),
        ("手机号", mask_phone(tracker.get_slot(PHONE))),
        ("用电地址", tracker.get_slot(ADDRESS)),
        ("申请容量", capacity_text(capacity, unit) if capacity is not None else ""),
    ]
    if category:
        rows.append(("报装类别", f"{f.label(category)}（{f.voltage(category)}）"))
    return rows


class ActionAskConnectionConfirmed(Action):
    """The last question: the summary to check before anything is submitted."""

    def name(self) -> Text:
        return "action_ask_connection_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        lines = "\n".join(f"{label}：{value}" for label, value in application_summary(tracker))
        dispatcher.utter_message(
            text=f"信息齐了，请核对：\n{lines}\n没问题请点“确认提交”；要修改直接告诉我，"
            f"比如“容量改成100千瓦”“地址写错了”。",
            buttons=replies.buttons([("确认提交", "/affirm"), ("取消办理", "/deny")]),
        )
        return []


def request_id_for(tracker: Tracker, payload: Dict[str, Any]) -> str:
    """Same sender + same content -> same id: the back end then returns the first order."""
    content = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{tracker.sender_id}|connection|{content}".encode("utf-8")).hexdigest()[:40]


def order_payload(tracker: Tracker) -> Dict[str, Any]:
    f = facts()
    capacity = float(tracker.get_slot(CAPACITY))
    unit = tracker.get_slot(UNIT) or "kW"
    dual = bool(tracker.get_slot(DUAL))
    customer_type = tracker.get_slot(TYPE)
    payload: Dict[str, Any] = {
        "type": "connection",
        "contact_name": tracker.get_slot(NAME),
        "phone": tracker.get_slot(PHONE),
        "address": tracker.get_slot(ADDRESS),
        "district": tracker.get_slot(DISTRICT),
        "details": {
            "category": decide_category(f, customer_type, capacity, dual),
            "customer_type": customer_type,
            "capacity_kw": capacity,
            "capacity_unit": unit,
            "dual_supply": dual,
            "description": f"{TYPE_LABELS[customer_type]}，申请容量{capacity_text(capacity, unit)}",
        },
    }
    channel = tracker.get_latest_input_channel()
    if channel and re.fullmatch(r"[a-z][a-z0-9_]{0,19}", channel):
        payload["channel"] = channel
    return payload


class ActionConnectionSubmit(Action):
    """Creates the connection work order after confirmation and replies with the receipt."""

    def name(self) -> Text:
        return "action_connection_submit"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        if tracker.get_slot(CONFIRMED) is not True or any(tracker.get_slot(s) is None for s in REQUIRED[:-1]):
            dispatcher.utter_message(text="好的，已为您取消本次报装申请，没有提交任何信息。还有其他需要吗？")
            return self._clear(keep_situation=False)
        payload = order_payload(tracker)
        payload["request_id"] = request_id_for(tracker, payload)
        result = await backend_client.post("/api/v1/work-orders", payload)
        retry = replies.buttons([("重新提交", ask("apply"))])
        if not result.ok:
            if result.unavailable:
                replies.apology_unavailable(dispatcher, "报装申请提交")
                dispatcher.utter_message(text="您填的信息小南都记着，稍后点“重新提交”核对一下就行。", buttons=retry)
            else:
                dispatcher.utter_message(
                    text=f"抱歉，申请暂时没能提交成功，信息已为您保留。您可以稍后点“重新提交”，"
                    f"或拨打 {replies.hotline()} 由人工帮您办理。", buttons=retry)
            # Kept for a retry; only the confirmation is asked again (same content, same order).
            return [SlotSet(CONFIRMED, None)]
        order = result.data
        self._receipt(dispatcher, tracker, order, payload)
        return self._clear(keep_situation=True) + [
            SlotSet("connection_order_no", order.get("order_no")),
            SlotSet("progress_order_no", order.get("order_no")),
            SlotSet("progress_phone", payload["phone"]),
        ]

    @staticmethod
    def _receipt(dispatcher: CollectingDispatcher, tracker: Tracker, order: Dict[str, Any],
                 payload: Dict[str, Any]) -> None:
        f = facts()
        details = payload["details"]
        step = current_step_of(order) or {}
        fields = [
            ("受理编号", order.get("order_no")),
            ("业务类型", f"用电报装（{f.label(details['category'])}）"),
            ("用电地址", payload["address"]),
            ("申请容量", capacity_text(details["capacity_kw"], details["capacity_unit"])),
            ("联系人", payload["contact_name"]),
            ("联系电话", mask_phone(payload["phone"])),
            ("当前环节", order.get("current_step") or "已受理"),
            ("环节时限", limit_text(step) or "按供电服务承诺时限办理"),
            ("办理单位", order.get("responsible_unit") or ""),
            ("受理时间", when_text(order.get("created_at"))),
        ]
        replies.utter_card(
            dispatcher, "receipt", "业扩电子回执", fields,
            intro="报装申请已提交成功，这是您的电子回执，请记下受理编号：",
            buttons=replies.buttons([
                ("查询办理进度", '/application_progress{"order_no": "%s"}' % order.get("order_no")),
                ("要准备什么材料", ask("documents")),
            ]),
        )
        dispatcher.utter_message(
            text=f"客户经理会在时限内通过 {mask_phone(payload['phone'])} 联系您约现场勘查。"
            f"之后想看进度，随时说“查进度”并报受理编号就可以。")

    @staticmethod
    def _clear(keep_situation: bool) -> List[Dict[str, Any]]:
        """Forget the application; who the customer is and the capacity stay for follow-up questions."""
        slots = [NAME, PHONE, ADDRESS, DISTRICT, CONFIRMED, DUAL]
        if not keep_situation:
            slots += [TYPE, CAPACITY, UNIT]
        return [SlotSet(slot, None) for slot in slots] + [SlotSet(FAILURES_SLOT, 0.0)]
