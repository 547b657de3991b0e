"""故障报修: the repair form (address, district, contact mobile, short description, confirmation)
and the submit action that creates the repair work order.

A hazard (险情) makes the order urgent: the safety advice has already been given by
action_triage_fault, the description is the hazard report itself, and the confirmation round is
skipped so that a crew is dispatched after two answers (where, which phone). Validation only
reads and answers; the order is created by action_submit_repair alone, with a request_id derived
from the sender and the form content, so a retry never creates a second order.
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
from actions.fault_triage import HAZARD_SLOT, TRIAGE_SLOT
from actions.forms import FAILURES_SLOT, ServiceFormValidation, entity_value, latest_text, wants_cancel
from actions.hazards import detect_hazard, hazard_label, power_hotline, safety_text
from actions.outage_guidance import overdue_text
from actions.outage_places import (
    AREA_TYPE_TEXT,
    arrival_commitment,
    arrival_minutes,
    area_type,
    canonical_district,
    district_names,
    district_of_street,
    duration_text,
)
from actions.replies import apology_unavailable, buttons, region, utter_card
from actions.verification import verified_account
from bot.text.masking import mask_phone

FORM_SLOTS = ("repair_address", "repair_district", "repair_phone", "repair_description", "repair_form_confirmed")
CONFIRMED = "repair_form_confirmed"
# The back end requires a contact name; the form does not ask for one (fewer questions when
# the power is off), so orders carry this neutral one and the crew calls the mobile number.
CONTACT_NAME = "报修客户"
MOBILE = re.compile(r"1[3-9]\d{9}")
CHANNEL = re.compile(r"[a-z][a-z0-9_]{0,19}")

ADDRESS_MARKERS = re.compile(r"[路街号栋座楼村巷苑园城院镇]|小区|花园|大厦|广场|社区|公寓|门口|对面|旁边|附近|楼下")
QUESTION = re.compile(r"[?？]|[吗呢]$|多久|几点|什么时候|怎么|为什么|是不是|会不会|能不能|要不要|多少")
ARRIVAL_QUESTION = re.compile(r"(?:多久|多长时间|什么时候|几点|啥时).{0,6}(?:到|来|上门)|(?:到|来|上门).{0,4}(?:多久|多长时间)")
CORRECTION = re.compile(r"改成|改为|换成|应该是|写错|更正|不是.{0,12}是|地址是|地址在")
ADDRESS_LEAD = re.compile(
    r"^(?:(?:不对|不是|错了|写错了)[，,。 ]*)?(?:报修)?(?:地址|位置|地点)?(?:改成|改为|换成|应该是|是在|是|在|就在|我家在|我住在|住在)?[：:，, ]*")
AFFIRM_WORDS = re.compile(r"^(?:是的?|对|确认|好|可以|没问题|提交|行|嗯|没错|正确|ok)", re.IGNORECASE)
CHANGE_WORDS = re.compile(r"不对|有误|错了|修改|改一下|要改")
# What is left of "我要报修" / "能不能派个电工来看看" once the request words are gone is not a
# description of the fault.
REQUEST_WORDS = re.compile(
    r"我要|我想|帮我|麻烦|请|能不能|可不可以|可以|报个?修|报故障|故障|报障|抢修|派个?|电工|师傅|来|看看|看一下|"
    r"修一下|处理|一下|你们|快点|尽快|[吧啊呀了的嘛哈喂]")
CJK = re.compile(r"[\u4e00-\u9fff]")


def urgent(tracker: Tracker) -> bool:
    return bool(tracker.get_slot(HAZARD_SLOT))


def _has_place(tracker: Tracker) -> bool:
    return bool(entity_value(tracker, "district") or entity_value(tracker, "street"))


def _district_in(tracker: Tracker) -> Optional[str]:
    return canonical_district(entity_value(tracker, "district")) or district_of_street(entity_value(tracker, "street"))


def _correcting_address(tracker: Tracker, text: str) -> bool:
    return bool(CORRECTION.search(text) and (_has_place(tracker) or ADDRESS_MARKERS.search(text)))


def descriptive(text: str) -> Optional[str]:
    """The message as a fault description, or None when it only asks for a repair."""
    if not text or text.startswith("/"):
        return None
    remainder = REQUEST_WORDS.sub("", text)
    return text[:200] if len(CJK.findall(remainder)) >= 3 else None


class ValidateRepairForm(ServiceFormValidation):
    def name(self) -> Text:
        return "validate_repair_form"

    def explain(self, slot: str) -> str:
        return {
            "repair_address": "报修地址要让抢修人员能找到：区、街道、路名门牌或小区楼栋，比如“南山区粤海街道科苑路18号6栋”。",
            "repair_district": f"{region().name}的区有：{'、'.join(district_names())}。",
            "repair_phone": "手机号是1开头的11位数字，抢修人员出发前会打这个电话跟您确认。",
            "repair_description": "简单说说哪里有问题就行，比如“整栋楼没电”“电表不亮”。",
        }.get(slot, "请按提示填写这一项。")

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> List[Text]:
        # An urgent order goes out without a confirmation round (see the module docstring).
        return [slot for slot in domain_slots if not (slot == CONFIRMED and urgent(tracker))]

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        requested = tracker.get_slot("requested_slot")
        text = latest_text(tracker)
        if requested and wants_cancel(tracker):
            # Ends the form; action_submit_repair sees no confirmation and creates nothing.
            return [SlotSet(CONFIRMED, False), SlotSet("requested_slot", None)]
        events: List[Dict] = []
        if requested and not urgent(tracker):
            kind = detect_hazard(text)
            if kind:  # a hazard told mid-form: safety first, and the order becomes urgent
                dispatcher.utter_message(text=safety_text(kind))
                tracker.slots[HAZARD_SLOT] = kind
                events.append(SlotSet(HAZARD_SLOT, kind))
        if requested and ARRIVAL_QUESTION.search(text):
            kind_of_area = await repair_area_type(tracker)
            dispatcher.utter_message(text=f"按服务承诺，{arrival_commitment(kind_of_area)}，登记好后就派单。")
            return events + [SlotSet(requested, tracker.get_slot(requested))]
        return events + await super().run(dispatcher, tracker, domain)

    async def extract_repair_address(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> Dict[Text, Any]:
        requested = tracker.get_slot("requested_slot")
        text = latest_text(tracker)
        if requested == "repair_address":
            if (QUESTION.search(text) and not _has_place(tracker)) or MOBILE.fullmatch(text):
                return {}
            return {"repair_address": ADDRESS_LEAD.sub("", text)[:100] or text[:100]}
        if requested in FORM_SLOTS and _correcting_address(tracker, text):
            return {"repair_address": ADDRESS_LEAD.sub("", text)[:100]}
        return {}

    async def extract_repair_district(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> Dict[Text, Any]:
        requested = tracker.get_slot("requested_slot")
        text = latest_text(tracker)
        found = _district_in(tracker)
        if requested == "repair_district":
            return {"repair_district": found or canonical_district(text) or text[:20]}
        if found and (requested in (None, "repair_address") or _correcting_address(tracker, text)):
            return {"repair_district": found}
        if requested is None and not tracker.get_slot("repair_district"):
            # Coming from a lookup: the place just asked about is most likely the one to repair.
            known = tracker.get_slot("outage_district") or district_of_street(tracker.get_slot("outage_street"))
            return {"repair_district": known} if known else {}
        return {}

    async def extract_repair_phone(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[Text, Any]:
        phone = entity_value(tracker, "phone")
        if phone:  # given early, in any answer, or as a correction ("电话改成139...")
            return {"repair_phone": str(phone)}
        if tracker.get_slot("requested_slot") != "repair_phone":
            return {}
        text = latest_text(tracker)
        digits = re.sub(r"\D", "", text)
        if not digits and QUESTION.search(text):
            return {}
        return {"repair_phone": digits or text[:20]}

    async def extract_repair_description(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                         domain: DomainDict) -> Dict[Text, Any]:
        requested = tracker.get_slot("requested_slot")
        text = latest_text(tracker)
        if requested == "repair_description":
            return {"repair_description": text[:200]}
        if requested is None and not tracker.get_slot("repair_description"):
            kind = tracker.get_slot(HAZARD_SLOT)
            if kind:
                # A button (the fallback's "/fault_repair{...}") carries no words of the customer's.
                said = "" if text.startswith("/") else f"：{text}"
                return {"repair_description": f"{hazard_label(kind)}{said}"[:200]}
            found = descriptive(text)
            return {"repair_description": found} if found else {}
        return {}

    async def extract_repair_form_confirmed(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                            domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != CONFIRMED:
            return {}
        text = latest_text(tracker)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        changing = entity_value(tracker, "phone") or _correcting_address(tracker, text)
        if not changing and (intent == "affirm" or AFFIRM_WORDS.match(text)) and not CHANGE_WORDS.search(text):
            return {CONFIRMED: True}
        if not changing and CHANGE_WORDS.search(text):
            dispatcher.utter_message(text="好的，请直接告诉我正确的内容，比如“地址改成……”或“电话改成……”。")
            return {CONFIRMED: None}
        return {}

    async def validate_repair_address(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> Dict[Text, Any]:
        if value is None:
            return {"repair_address": None}
        address = str(value).strip()
        if len(address) >= 4 and (ADDRESS_MARKERS.search(address) or canonical_district(address)):
            return self.ok("repair_address", address)
        return self.fail("repair_address", dispatcher, tracker, "这个地址我没太看明白，麻烦说得具体一点。")

    async def validate_repair_district(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       domain: DomainDict) -> Dict[Text, Any]:
        if value is None:
            return {"repair_district": None}
        district = canonical_district(str(value))
        if district:
            return self.ok("repair_district", district)
        return self.fail("repair_district", dispatcher, tracker, "这个区我没认出来。")

    async def validate_repair_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        if value is None:
            return {"repair_phone": None}
        if MOBILE.fullmatch(str(value)):
            return self.ok("repair_phone", str(value))
        return self.fail("repair_phone", dispatcher, tracker, "这个号码好像不对，请留一个11位手机号。")

    async def validate_repair_description(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                          domain: DomainDict) -> Dict[Text, Any]:
        if value is None:
            return {"repair_description": None}
        if len(str(value).strip()) >= 2:
            return self.ok("repair_description", str(value).strip()[:200])
        return self.fail("repair_description", dispatcher, tracker, "请简单描述一下故障情况。")

    async def validate_repair_form_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                             domain: DomainDict) -> Dict[Text, Any]:
        return {CONFIRMED: value if value in (True, False) else None}


class ActionAskRepairAddress(Action):
    def name(self) -> Text:
        return "action_ask_repair_address"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        if urgent(tracker):
            dispatcher.utter_message(text="请告诉我险情的具体位置（区、街道、路名或小区），比如“南山区粤海街道科苑路18号门口”。")
        else:
            dispatcher.utter_message(text="请告诉我报修地址（区、街道、路名门牌或小区楼栋），比如“南山区粤海街道科苑路18号6栋”。")
        return []


class ActionAskRepairDistrict(Action):
    def name(self) -> Text:
        return "action_ask_repair_district"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        dispatcher.utter_message(text=f"这个地址在{region().name}哪个区？",
                                 buttons=buttons((name, name) for name in district_names()))
        return []


async def repair_area_type(tracker: Tracker) -> str:
    """urban / rural / remote for the arrival commitment: a verified account's own area type
    (remote places are marked on the account, knowledge/geography area_type_basis) when the
    repair is in that account's district, else the district's."""
    district = tracker.get_slot("repair_district")
    account = verified_account(tracker)
    if account:
        result = await backend_client.get(f"/api/v1/accounts/{account}")
        if result.ok and result.data.get("district") == district and result.data.get("area_type") in AREA_TYPE_TEXT:
            return str(result.data["area_type"])
    return area_type(district)


def summary_fields(tracker: Tracker, kind_of_area: str) -> List:
    return [
        ("报修地址", f"{tracker.get_slot('repair_district') or ''} {tracker.get_slot('repair_address') or ''}".strip()),
        ("联系电话", mask_phone(tracker.get_slot("repair_phone") or "")),
        ("故障情况", tracker.get_slot("repair_description") or ""),
        ("到达承诺", arrival_commitment(kind_of_area)),
    ]


class ActionAskRepairFormConfirmed(Action):
    def name(self) -> Text:
        return "action_ask_repair_form_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        utter_card(dispatcher, "receipt", "报修信息确认", summary_fields(tracker, await repair_area_type(tracker)),
                   intro="请核对报修信息，没问题我就提交；要修改直接告诉我，比如“电话改成……”。",
                   buttons=buttons([("确认提交", "/affirm"), ("取消报修", "/deny")]))
        return []


def request_id(tracker: Tracker) -> str:
    content = "|".join(str(tracker.get_slot(slot) or "") for slot in FORM_SLOTS[:4] + (HAZARD_SLOT,))
    return "bx-" + hashlib.sha256(f"{tracker.sender_id}|repair|{content}".encode("utf-8")).hexdigest()[:40]


def _channel(tracker: Tracker) -> Optional[str]:
    channel = str(tracker.get_latest_input_channel() or "").lower()
    return channel if CHANNEL.fullmatch(channel) else None


class ActionSubmitRepair(Action):
    def name(self) -> Text:
        return "action_submit_repair"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        clear = [SlotSet(slot, None) for slot in FORM_SLOTS + (HAZARD_SLOT, TRIAGE_SLOT)] + [SlotSet(FAILURES_SLOT, 0.0)]
        is_urgent = urgent(tracker)
        complete = all(tracker.get_slot(slot) for slot in FORM_SLOTS[:4])
        if not complete or not (is_urgent or tracker.get_slot(CONFIRMED) is True):
            dispatcher.utter_message(text="好的，已为您取消本次报修，没有提交任何信息。还有其他需要吗？")
            return clear
        district = tracker.get_slot("repair_district")
        kind_of_area = await repair_area_type(tracker)
        payload: Dict[str, Any] = {
            "type": "repair",
            "request_id": request_id(tracker),
            "contact_name": CONTACT_NAME,
            "phone": tracker.get_slot("repair_phone"),
            "address": tracker.get_slot("repair_address"),
            "district": district,
            "details": {
                "area_type": kind_of_area,
                "description": tracker.get_slot("repair_description"),
                "hazard": tracker.get_slot(HAZARD_SLOT) or False,
                "urgent": is_urgent,
            },
        }
        if verified_account(tracker):
            payload["account_no"] = verified_account(tracker)
        if _channel(tracker):
            payload["channel"] = _channel(tracker)
        result = await backend_client.post("/api/v1/work-orders", payload)
        if not result.ok:
            apology_unavailable(dispatcher, "报修登记")
            if is_urgent:
                dispatcher.utter_message(text=f"险情请马上拨打{power_hotline()}报告，并继续远离危险区域。")
            # The answers stay: asking again re-sends the same request_id, which cannot double up;
            # a normal order is confirmed again before it is re-sent.
            return [SlotSet(CONFIRMED, None)]
        order = result.data
        self._receipt(dispatcher, tracker, order, is_urgent, kind_of_area, repeated=result.status == 200)
        return clear + [SlotSet("repair_order_no", order.get("order_no"))]

    @staticmethod
    def _receipt(dispatcher: CollectingDispatcher, tracker: Tracker, order: Dict[str, Any], is_urgent: bool,
                 kind_of_area: str, repeated: bool) -> None:
        fields = [("工单编号", order.get("order_no", ""))] + summary_fields(tracker, kind_of_area)[:3]
        fields += [("紧急程度", "紧急（险情）" if is_urgent else "一般"), ("到达承诺", arrival_commitment(kind_of_area)),
                   ("当前进度", order.get("current_step") or "已受理")]
        if repeated:
            intro = "这张报修单之前已经登记过了，不会重复派单，信息如下："
        elif is_urgent:
            intro = f"已为您登记紧急抢修，抢修人员会尽快赶到（平均{duration_text(arrival_minutes(kind_of_area))}内到达）。"
        else:
            intro = "报修已受理，抢修人员会尽快联系您。"
        utter_card(dispatcher, "receipt", "故障报修回执", fields, intro=intro)
        if is_urgent:
            follow = (f"抢修人员到达前，请继续远离危险区域，提醒他人绕行。情况有变化请直接拨打{power_hotline()}"
                      f"并报上工单编号。")
        else:
            follow = f"抢修人员出发前会打电话跟您确认，请保持手机畅通。{overdue_text()}"
        order_no = order.get("order_no", "")
        dispatcher.utter_message(text=follow, buttons=buttons([
            ("查询工单进度", f'/application_progress{{"order_no": "{order_no}"}}'),
            ("查询停电信息", "/outage_lookup"),
        ]))
