"""充电桩报装 application: the questions that need facts from knowledge, the confirmation
summary, and the submission that creates the `charging_pile` work order.

The submit action is the only place an order is created. Its request_id is derived from the
sender and the answers, so a retry after a timeout finds the order instead of duplicating it.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import backend_client, replies
from actions.charging_pile import APPLY_SLOT, Sheet, ask, consent_may_follow, number, numbered
from actions.charging_pile_form import (
    ADDRESS, CONFIRMED, CONSENT, DEFER, DISTRICT, FORM_SLOTS, LEASE, NAME, OWNER_CONSENT, OWNERSHIP, PHONE,
    POWER, missing_consents, owner_consent_needed,
)
from actions.forms import FAILURES_SLOT
from bot.text.masking import mask_phone


# ---- questions that need facts from knowledge ---------------------------------------------

class ActionAskConsent(Action):
    def name(self) -> Text:
        return "action_ask_charging_pile_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        # A leased space's owner consent has its own question (utter_ask_charging_pile_owner_consent).
        dispatcher.utter_message(text="物业（或业委会）同意安装、允许施工的证明拿到了吗？",
                                 buttons=replies.buttons([("已拿到", "已拿到"), ("还没有", "还没有")]))
        return []


# Documents named in replies, per consent slot.
CONSENT_DOCUMENTS = {CONSENT: "物业同意书", OWNER_CONSENT: "车位产权人同意书"}


def missing_documents(tracker: Tracker) -> str:
    return "和".join(CONSENT_DOCUMENTS[slot] for slot in missing_consents(tracker))


class ActionAskDeferConsent(Action):
    def name(self) -> Text:
        return "action_ask_charging_pile_defer_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        sheet = Sheet()
        missing = missing_consents(tracker)
        later = [item for item in sheet("charging_pile.documents.deferred_allowed") if "同意" in str(item)]
        how = ""
        if OWNER_CONSENT in missing:
            how += f"车位产权人同意书：{sheet('charging_pile.faq.rented_space')}请先与出租人联系取得。\n"
        if CONSENT in missing:
            how += f"争取物业同意可以这样做：\n{numbered(sheet('charging_pile.faq.property_refuses'))}\n"
        dispatcher.utter_message(
            text=f"没关系。{how}"
                 f"{missing_documents(tracker)}可以先申请、后补交（容缺受理）{('：' + later[0]) if later else ''}。"
                 f"要现在先提交申请吗？{sheet.hedge()}",
            buttons=replies.buttons([("先提交申请，同意书后补", "/affirm"), ("拿到同意书再申请", "/deny")]),
        )
        return []


class ActionAskPower(Action):
    def name(self) -> Text:
        return "action_ask_charging_pile_power_kw"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        typical = number(Sheet()("charging_pile.power.typical_kw"))
        dispatcher.utter_message(
            text=f"充电桩的额定功率是多少千瓦？家用交流桩常见{typical}千瓦，铭牌或购车资料上有写；不确定可以回答“不清楚”。",
            buttons=replies.buttons([(f"{typical}千瓦", f"{typical}千瓦"), ("不清楚", "不清楚")]),
        )
        return []


def summary_fields(tracker: Tracker) -> List[tuple]:
    get = tracker.get_slot
    space = "自有车位" if get(OWNERSHIP) == "owned" else f"租赁车位（租期{number(get(LEASE) or 0)}年）"
    fields = [("申请人", get(NAME)), ("联系电话", mask_phone(get(PHONE))), ("车位地址", get(ADDRESS)),
              ("所在区", get(DISTRICT)), ("车位", space)]
    if owner_consent_needed(tracker):
        fields.append(("车位产权人同意书", _consent_text(get(OWNER_CONSENT))))
    return fields + [("物业同意书", _consent_text(get(CONSENT))), ("充电桩功率", f"{number(get(POWER) or 0)}千瓦")]


def _consent_text(value: Optional[str]) -> str:
    return "已拿到" if value == "in_hand" else "后补（容缺受理）"


class ActionAskConfirmed(Action):
    def name(self) -> Text:
        return "action_ask_charging_pile_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        text = replies.card_text("请核对申请信息", summary_fields(tracker))
        dispatcher.utter_message(text=f"{text}\n信息无误请点“确认提交”。",
                                 buttons=replies.buttons([("确认提交", "/affirm"), ("取消", "/deny")]))
        return []


# ---- submission ---------------------------------------------------------------------------

def request_id(tracker: Tracker, payload: Dict[str, Any]) -> str:
    """Same sender + same answers -> same id, so a retry never creates a second order."""
    content = json.dumps(payload, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(f"{tracker.sender_id}|charging_pile|{content}".encode("utf-8")).hexdigest()[:32]


def order_payload(tracker: Tracker) -> Dict[str, Any]:
    get = tracker.get_slot
    details: Dict[str, Any] = {
        "parking_space": get(OWNERSHIP),
        "property_consent": "in_hand" if get(CONSENT) == "in_hand" else "to_follow",
        "power_kw": float(get(POWER)),
    }
    if get(OWNERSHIP) == "leased":
        details["lease_years"] = float(get(LEASE))
    if owner_consent_needed(tracker):
        details["owner_consent"] = "in_hand" if get(OWNER_CONSENT) == "in_hand" else "to_follow"
    payload = {"type": "charging_pile", "contact_name": get(NAME), "phone": get(PHONE),
               "address": get(ADDRESS), "district": get(DISTRICT), "details": details}
    payload["request_id"] = request_id(tracker, payload)
    return payload


def _limit(step: Dict[str, Any]) -> str:
    if step.get("time_limit_days"):
        return f"{step['time_limit_days']}个工作日内"
    return f"{number(step.get('time_limit_hours') or 0)}小时内"


def _day(iso: Optional[str]) -> str:
    try:
        moment = datetime.fromisoformat(str(iso))
    except ValueError:
        return ""
    return f"{moment.month}月{moment.day}日前"


def clear_events() -> List[Dict[Text, Any]]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet(APPLY_SLOT, False), SlotSet(FAILURES_SLOT, 0.0)]


class ActionChargingPileSubmit(Action):
    """Ends the form: the no-consent guidance, a declined confirmation, or the work order."""

    def name(self) -> Text:
        return "action_charging_pile_submit"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        if missing_consents(tracker) and tracker.get_slot(DEFER) is not True:
            self._no_consent(dispatcher, tracker)
            return clear_events()
        if tracker.get_slot(CONFIRMED) is not True:
            dispatcher.utter_message(text="好的，这次没有提交申请，您的信息也没有保存。需要时随时可以重新申请。",
                                     buttons=replies.buttons([("重新申请", ask("apply"))]))
            return clear_events()
        result = await backend_client.post("/api/v1/work-orders", order_payload(tracker))
        if result.unavailable:
            # Keep the answers: "重新提交" reopens the form at the confirmation with the same
            # request_id, so an order the back end did create is found, not duplicated.
            replies.apology_unavailable(dispatcher, "充电桩报装申请的提交")
            dispatcher.utter_message(text="稍后点“重新提交”，只需再确认一次。",
                                     buttons=replies.buttons([("重新提交", ask("apply"))]))
            return [SlotSet(CONFIRMED, None), SlotSet(APPLY_SLOT, False)]
        if not result.ok:
            dispatcher.utter_message(
                text=f"抱歉，申请信息没能通过系统校验，这次没有提交。请拨打供电服务热线 {replies.hotline()}，"
                     f"由人工客服帮您办理。")
            return clear_events()
        self._receipt(dispatcher, tracker, result.data, replayed=result.status == 200)
        return clear_events()

    @staticmethod
    def _no_consent(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        sheet = Sheet()
        missing = missing_consents(tracker)
        lines = ["好的，这次先不提交，您的信息没有保存。"]
        if not consent_may_follow(sheet):
            lines = [f"{missing_documents(tracker)}是报装必需的材料，目前不能后补，所以这次先不提交，您的信息没有保存。"]
        if OWNER_CONSENT in missing:
            lines.append(f"{sheet('charging_pile.faq.rented_space')}请先与车位产权人（出租人）联系取得。")
        if CONSENT in missing:
            lines += ["争取物业同意可以这样做：", numbered(sheet("charging_pile.faq.property_refuses")),
                      f"政策依据：{sheet.source('charging_pile.eligibility.property_management_cooperation')}。"]
        lines.append(f"拿到同意书后随时找我申请。{sheet.hedge()}")
        dispatcher.utter_message(
            text="\n".join(lines),
            buttons=replies.buttons([("拿到了，现在申请", ask("apply")), ("了解公共充电桩", ask("public_pile")),
                                     ("转人工", "/human_agent")]),
        )

    @staticmethod
    def _receipt(dispatcher: CollectingDispatcher, tracker: Tracker, order: Dict[str, Any], replayed: bool) -> None:
        steps = order.get("steps") or []
        current = next((s for s in steps if s.get("status") == "in_progress"), steps[0] if steps else {})
        upcoming = next((s for s in steps if s.get("status") == "pending"), None)
        fields = [("受理编号", order["order_no"]), ("业务", order.get("type_name") or "充电桩报装")]
        fields += summary_fields(tracker)[:3]
        if current:
            fields.append(("当前环节", f"{current['name']}（{_limit(current)}，{_day(current.get('deadline'))}）"))
        if upcoming:
            fields.append(("下一步", f"{upcoming['name']}（{_limit(upcoming)}，{_day(upcoming.get('deadline'))}）"))
        intro = ("这份申请之前已经提交过，无需重复提交：" if replayed else "申请已提交！")
        replies.utter_card(dispatcher, "receipt", "充电桩报装受理回执", fields, intro=intro)
        reminder = "请保管好受理编号，凭编号和手机号可随时查询进度。"
        if missing_consents(tracker):
            reminder = f"{missing_documents(tracker)}请尽快补交。" + reminder
        dispatcher.utter_message(
            text=reminder,
            buttons=replies.buttons([
                ("查询办理进度", '/application_progress{"order_no": "%s"}' % order["order_no"]),
                ("需要准备的材料", ask("documents")),
            ]),
        )
