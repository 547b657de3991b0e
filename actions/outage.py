"""停电查询: outages by 户号, district / street or address text, and dates (明天, 周六, 这周 ...).

The place and dates asked about are kept in slots (outage_*), so follow-ups work without
restating them: "那大概几点能来电？" re-asks the same place, "那明天呢" changes only the date, and
"换个地址查一下" forgets the place and asks for a new one. The back end sorts the outages (the
account's own street first, ongoing before upcoming); the reply leads with the most relevant.
When nothing explains a power cut, the customer gets the self-checks, the meter boundary
explained kindly, and an offer to file a repair ticket.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client
from actions.forms import entity_value, latest_text
from actions.hazards import power_hotline
from actions.outage_guidance import arrears_text, notice_policy_text, ownership_text, self_check_text
from actions.outage_places import (
    AREA_TYPE_TEXT,
    address_in,
    area_type,
    canonical_district,
    day_text,
    district_of_street,
    range_text,
    restoration_hours,
    span_text,
    time_text,
)
from actions.replies import apology_unavailable, buttons, region, utter_card
from actions.verification import verified_account
from bot.text import normalize
from bot.text.masking import mask_account, mask_text

AWAITING_SLOT = "outage_awaiting"  # categorical: what the last outage action asked the customer for
PLACE_SLOTS = ("outage_account_no", "outage_district", "outage_street", "outage_address")
CONTEXT_SLOTS = PLACE_SLOTS + ("outage_date_from", "outage_date_to", "outage_kind")
MAX_LISTED = 3

CHANGE_PLACE = re.compile(r"(?:换|另|别的|其他|其它)[一]?个?(?:地址|地方|地点|小区|街道|区域|户号|位置)")
RESTORE_WORDS = re.compile(r"来电|恢复|送电|复电|有电|修好|停多久|停到|停多长")
WHEN_WORDS = re.compile(r"几点|什么时候|啥时|何时|几时|多久|多长时间|停到|停多长")
NOTICE_QUESTION = re.compile(r"提前几天|提前多久|提前多长|怎么通知|会不会通知|通知在哪|公告在哪|哪里看|在哪[里儿]?看|哪里查|停电地图")
# The customer's power is off right now (or they ask when it returns): say what is going on now.
POWER_OFF = re.compile(r"停电了|没电|黑了|跳闸|停了|断电|来电|恢复|送电|复电|有电了?没")
# "大鹏新区停电了吗" asks about an area; "我家停电了吗？" still reports the customer's own power cut.
AREA_QUESTION = re.compile(r"(?:停电|断电)了?(?:吗|么|嘛|没有?)[?？]?$")
HOME_WORDS = re.compile(r"我家|家里|我们家|屋里|我这|我们这|我住|楼里|整栋")
FOLLOW_UP = re.compile(r"^那.*呢|呢[?？]?$")
PLANNED_WORDS = re.compile(r"计划|检修|施工")
FAULT_WORDS = re.compile(r"故障|抢修")
ADDRESS_MARKERS = re.compile(r"[路街号栋座楼村巷苑园城院]|小区|花园|大厦|广场|社区|公寓|街道")

FOLLOW_UP_BUTTONS = [("订阅停电通知", "/subscribe_outage_notice"), ("换个地址查询", "换个地址查一下"), ("我要报修", "/fault_repair")]
NONE_NOW_BUTTONS = [("我要报修", "/fault_repair"), ("换个地址查询", "换个地址查一下"), ("转人工", "/human_agent")]
NONE_LATER_BUTTONS = [("订阅停电通知", "/subscribe_outage_notice"), ("换个地址查询", "换个地址查一下")]


@dataclass
class Place:
    account_no: Optional[str] = None
    district: Optional[str] = None
    street: Optional[str] = None
    address: Optional[str] = None

    @property
    def empty(self) -> bool:
        return not (self.account_no or self.district or self.street or self.address)

    @classmethod
    def from_slots(cls, tracker: Tracker) -> "Place":
        return cls(*(tracker.get_slot(slot) for slot in PLACE_SLOTS))

    def slots(self) -> Dict[str, Optional[str]]:
        return dict(zip(PLACE_SLOTS, (self.account_no, self.district, self.street, self.address)))

    def params(self) -> Dict[str, Optional[str]]:
        return {"account_no": self.account_no, "district": self.district, "street": self.street,
                "address": self.address}

    def label(self) -> str:
        # Never the account's address: the customer may not be its holder (not verified here).
        if self.account_no:
            return f"户号{mask_account(self.account_no)}所在区域"
        if self.district or self.street:
            return f"{self.district or ''}{self.street or ''}"
        return mask_text(self.address or "")[:30]


@dataclass
class Question:
    place: Place
    date_from: Optional[str]
    date_to: Optional[str]
    kind: Optional[str]
    about_restoration: bool
    power_off_now: bool

    def context_slots(self) -> List[Dict[Text, Any]]:
        values = {**self.place.slots(), "outage_date_from": self.date_from, "outage_date_to": self.date_to,
                  "outage_kind": self.kind}
        return [SlotSet(name, value) for name, value in values.items()]


def place_in_message(tracker: Tracker, text: str, answering: bool) -> Place:
    account = entity_value(tracker, "account_no")
    if account:
        return Place(account_no=str(account))
    street = entity_value(tracker, "street")
    district = canonical_district(entity_value(tracker, "district")) or district_of_street(street)
    if district or street:
        return Place(district=district, street=street)
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if (answering or intent == "inform") and ADDRESS_MARKERS.search(text):
        return Place(address=text[:100])
    # A first question may name the place as free text ("科苑路18号停电了吗"): only its
    # address-like part, so that "我们小区停电了" or "换个小区查一下" is not taken for one.
    address = address_in(text)
    if address and not CHANGE_PLACE.search(text):
        return Place(address=address)
    return Place()


def previous_user_text(tracker: Tracker) -> str:
    """The customer's message before the latest one (normalised), or ""."""
    said = [e for e in tracker.events if e.get("event") == "user"]
    return normalize(said[-2].get("text") or "") if len(said) >= 2 else ""


def asks_about_area(text: str) -> bool:
    return bool(AREA_QUESTION.search(text)) and not HOME_WORDS.search(text)


def _kind_in(text: str) -> Optional[str]:
    if FAULT_WORDS.search(text):
        return "fault"
    if PLANNED_WORDS.search(text):
        return "planned"
    return None


def read_question(tracker: Tracker, text: str, new_place: Place, answering: bool) -> Question:
    about_restoration = bool(RESTORE_WORDS.search(text) and WHEN_WORDS.search(text)) or \
        entity_value(tracker, "aspect") == "duration"
    date_from = entity_value(tracker, "date")
    date_to = entity_value(tracker, "date_end") or date_from
    kind = _kind_in(text)
    # The dates and kind of the previous question still hold for an answer to our question,
    # a bare place ("那福田呢") or "几点来电"; a new statement ("我家停电了") is about now.
    keeps_context = answering or about_restoration or bool(FOLLOW_UP.search(text)) or \
        (tracker.latest_message.get("intent") or {}).get("name") == "inform"
    if not date_from and keeps_context:
        date_from, date_to = tracker.get_slot("outage_date_from"), tracker.get_slot("outage_date_to")
    if kind is None and keeps_context:
        kind = tracker.get_slot("outage_kind")
    place = new_place if not new_place.empty else Place.from_slots(tracker)
    if place.empty and verified_account(tracker):
        place = Place(account_no=verified_account(tracker))
    power_off_now = about_restoration or (bool(POWER_OFF.search(text)) and not asks_about_area(text))
    if answering and not power_off_now:
        # A bare place answering our question: "我家停电了" / "什么时候来电" was said the turn before.
        asked = previous_user_text(tracker)
        about_restoration = bool(RESTORE_WORDS.search(asked) and WHEN_WORDS.search(asked))
        power_off_now = about_restoration or bool(POWER_OFF.search(asked))
    return Question(place, date_from, date_to, kind, about_restoration, power_off_now)


class ActionOutageLookup(Action):
    def name(self) -> Text:
        return "action_outage_lookup"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List:
        in_form = bool((tracker.active_loop or {}).get("name"))
        events = await self._answer(dispatcher, tracker, in_form)
        if in_form:
            # A side question during a form: the next bare answer belongs to the form, so the
            # lookup never waits for a place of its own (data/rules/outage.yml relies on it).
            events = [e for e in events if e.get("name") != AWAITING_SLOT] + [SlotSet(AWAITING_SLOT, None)]
        return events

    async def _answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, in_form: bool) -> List:
        text = latest_text(tracker)
        answering = tracker.get_slot(AWAITING_SLOT) == "place" and not in_form
        new_place = place_in_message(tracker, text, answering)
        city = entity_value(tracker, "city")
        if new_place.empty and city:
            dispatcher.utter_message(
                text=f"小南目前只能查询{region().name}的停电信息。{city}的停电信息请拨打{power_hotline()}咨询当地供电局。")
            return [SlotSet(AWAITING_SLOT, None)]
        if new_place.empty and in_form and (tracker.get_slot("repair_district") or tracker.get_slot("repair_address")):
            # Asked mid-way through the repair form: the place being reported is the one meant.
            new_place = Place(district=tracker.get_slot("repair_district"), address=tracker.get_slot("repair_address"))
        if new_place.empty and in_form:
            dispatcher.utter_message(text="登记完成后，告诉我户号或所在的区和街道，我马上帮您查停电信息。")
            return []
        if new_place.empty and CHANGE_PLACE.search(text):
            return self._ask_place(dispatcher, None, None, None, forget_place=True)
        if new_place.empty and NOTICE_QUESTION.search(text):
            dispatcher.utter_message(text=f"{notice_policy_text()}需要的话，告诉我户号或街道，我帮您查一下。",
                                     buttons=buttons(NONE_LATER_BUTTONS[:1]))
            return [SlotSet(AWAITING_SLOT, None)]
        question = read_question(tracker, text, new_place, answering)
        if question.place.empty:
            return self._ask_place(dispatcher, question.date_from, question.date_to, question.kind)
        params = {**question.place.params(), "date_from": question.date_from, "date_to": question.date_to,
                  "kind": question.kind}
        result = await backend_client.get("/api/v1/outages", **params)
        events = question.context_slots() + [SlotSet(AWAITING_SLOT, None)]
        if result.unavailable:
            apology_unavailable(dispatcher, "停电查询")
            return events
        if result.error_code == "ACCOUNT_NOT_FOUND":
            # Only "please check": nothing else about a number that may be a stranger's guess.
            dispatcher.utter_message(text=f"请核对一下户号{mask_account(question.place.account_no)}是否正确"
                                          f"（户号是03开头的10位数字），也可以告诉我所在的区和街道。")
            return events[:-1] + [SlotSet("outage_account_no", None), SlotSet(AWAITING_SLOT, "place")]
        query = result.data.get("query") or {}
        if not result.ok or query.get("matched") is False:
            # Quoted so the customer sees what was read; digits masked like everywhere else.
            quoted = f"“{mask_text(question.place.address)[:20]}”" if question.place.address else ""
            dispatcher.utter_message(text=f"这个地址{quoted}我没能认出在哪个区、哪个街道，请补充一下，比如“南山区粤海街道”。")
            return events[:-1] + [SlotSet("outage_address", None), SlotSet(AWAITING_SLOT, "place")]
        outages = result.data.get("outages") or []
        where = question.place.label()
        if question.place.account_no and question.place.account_no != verified_account(tracker):
            # Asked by account number without verification: the asker may not be the holder, so
            # the reply says whether the account's own supply is affected, never where it is.
            outages = [dict(o, district="", streets=[], area_desc="") for o in outages
                       if o.get("affects_account") is not False]
        if outages:
            self._found(dispatcher, question, outages, where, query)
        else:
            self._none_found(dispatcher, question, where, query)
        return events

    @staticmethod
    def _ask_place(dispatcher: CollectingDispatcher, date_from: Optional[str], date_to: Optional[str],
                   kind: Optional[str], forget_place: bool = False) -> List:
        when = range_text(date_from, date_to)
        intro = "好的，换个地方查。" if forget_place else f"好的，帮您查{when}的停电信息。" if when else "好的，帮您查停电信息。"
        dispatcher.utter_message(
            text=f"{intro}请告诉我户号（03开头的10位数字），或者所在的区和街道，比如“南山区粤海街道”。")
        events = [SlotSet("outage_date_from", date_from), SlotSet("outage_date_to", date_to),
                  SlotSet("outage_kind", kind), SlotSet(AWAITING_SLOT, "place")]
        if forget_place:
            events += [SlotSet(slot, None) for slot in PLACE_SLOTS]
        return events

    def _found(self, dispatcher: CollectingDispatcher, question: Question, outages: List[Dict[str, Any]],
               where: str, query: Dict[str, Any]) -> None:
        own = [o for o in outages if o.get("affects_account") is not False]
        ongoing = [o for o in own if o.get("status") == "ongoing"]
        if question.power_off_now and not ongoing and not question.date_from:
            # Nothing explains the power cut: the checks first, then what is coming up.
            self._power_cut_unexplained(dispatcher, question, where)
            dispatcher.utter_message(text="\n".join([f"另外，{where}近期的停电安排："] + [f"· {brief(o)}" for o in outages[:MAX_LISTED]]))
            return
        top = (ongoing or own or outages)[0]
        when = range_text(question.date_from, question.date_to)
        if question.place.account_no and not own:
            lead = f"{where}所在街道{when}暂未查到停电，同一区域的其他停电如下："
        else:
            lead = lead_sentence(top, where, when, area_type(top.get("district") or query.get("district"), query.get("street")),
                                 question.about_restoration)
        if question.about_restoration:
            dispatcher.utter_message(text=lead, buttons=buttons(FOLLOW_UP_BUTTONS))
            return
        others = [o for o in outages if o is not top]
        utter_card(dispatcher, "outage", f"{top.get('kind_text', '停电')}（{top.get('status_text', '')}）",
                   outage_fields(top), intro=lead, buttons=None if others else buttons(FOLLOW_UP_BUTTONS))
        if others:
            lines = ["另外还有："] + [f"· {brief(o)}" for o in others[: MAX_LISTED - 1]]
            if len(others) > MAX_LISTED - 1:
                lines.append(f"共{len(outages)}条，告诉我具体街道或日期可以缩小范围。")
            dispatcher.utter_message(text="\n".join(lines), buttons=buttons(FOLLOW_UP_BUTTONS))

    def _none_found(self, dispatcher: CollectingDispatcher, question: Question, where: str, query: Dict[str, Any]) -> None:
        if question.power_off_now and not question.date_from:
            self._power_cut_unexplained(dispatcher, question, where)
            return
        when = range_text(question.date_from, question.date_to) or "近期"
        kind = {"planned": "计划停电", "fault": "故障停电"}.get(question.kind or "", "停电")
        dispatcher.utter_message(
            text=f"{where}{when}暂未查到{kind}安排。{notice_policy_text()}想第一时间知道，可以订阅停电通知。",
            buttons=buttons(NONE_LATER_BUTTONS))

    @staticmethod
    def _power_cut_unexplained(dispatcher: CollectingDispatcher, question: Question, where: str) -> None:
        lead = f"目前没有查到{where}正在进行的停电"
        lead += "，所以暂时没有预计来电时间。" if question.about_restoration else "。"
        dispatcher.utter_message(text=f"{lead}您家没电，可能是家里或楼栋内部的问题。{self_check_text()}")
        dispatcher.utter_message(
            text=f"{ownership_text()}\n{arrears_text()}\n检查后还是没电，或者电表不亮、邻居家也没电，我可以马上帮您报修。",
            buttons=buttons(NONE_NOW_BUTTONS))


def lead_sentence(outage: Dict[str, Any], where: str, when: str, kind_of_area: str,
                  about_restoration: bool = False) -> str:
    """The answer first: is there an outage, and when does power come back."""
    status, kind = outage.get("status"), outage.get("kind")
    if status == "ended":
        return f"{where}{when}的停电已经恢复供电（{time_text(outage.get('end'))}）。"
    if kind == "fault":
        progress = outage.get("repair_status_text") or "抢修中"
        estimate = outage.get("estimated_restoration")
        if estimate:
            back = f"预计{time_text(estimate)}恢复供电"
        else:
            back = (f"恢复时间还在评估，按服务承诺，{AREA_TYPE_TEXT.get(kind_of_area, '城区')}抢修人员到达现场后"
                    f"平均{restoration_hours(kind_of_area):g}小时内恢复供电")
        return f"{where}目前有故障停电，{progress}，{back}。"
    if status == "ongoing":
        return f"{where}目前在计划停电，预计{time_text(outage.get('end'))}恢复供电。"
    if status == "upcoming" and not when:
        lead = f"{where}目前没有停电，近期有计划停电，时间是{span_text(outage.get('start'), outage.get('end'))}"
    else:
        lead = f"{where}{when}有计划停电，时间是{span_text(outage.get('start'), outage.get('end'))}"
    if about_restoration and outage.get("end"):
        return f"{lead}，预计{time_text(outage.get('end'))}恢复供电。"
    return f"{lead}。"


def outage_fields(outage: Dict[str, Any]) -> List[Tuple[str, str]]:
    streets = "、".join(outage.get("streets") or [])
    fields = [
        ("停电类型", outage.get("kind_text") or ""),
        ("当前状态", outage.get("status_text") or ""),
    ]
    where = f"{outage.get('district', '')} {streets}".strip()
    if outage.get("area_desc"):
        fields.append(("停电范围", outage["area_desc"]))
    if where:
        fields.append(("涉及街道", where))
    if outage.get("kind") == "planned":
        fields += [
            ("停电时间", span_text(outage.get("start"), outage.get("end"))),
            ("停电原因", outage.get("reason") or "未注明"),
            ("通知发布", day_text(date.fromisoformat(outage["notice_date"])) if outage.get("notice_date") else "未注明"),
        ]
    else:
        restored = outage.get("end")
        fields += [
            ("停电开始", time_text(outage.get("start"))),
            ("故障原因", outage.get("cause") or "正在排查"),
            ("抢修进度", outage.get("repair_status_text") or "抢修中"),
            ("恢复供电" if restored else "预计恢复", time_text(restored or outage.get("estimated_restoration"))),
        ]
    return fields


def brief(outage: Dict[str, Any]) -> str:
    streets = "、".join(outage.get("streets") or [])
    end = outage.get("end") or outage.get("estimated_restoration")
    return f"{span_text(outage.get('start'), end)} {outage.get('district', '')}{streets} {outage.get('kind_text', '')}（{outage.get('status_text', '')}）"
