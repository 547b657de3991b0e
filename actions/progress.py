"""Application progress (办理进度) for every kind of work order the back end holds.

The customer gives the order number (or it is remembered from an application made in this
chat) and the mobile number on the order, which the back end checks before it shows anything.
The reply leads with where the order stands, then the timeline: steps done, the current step
and its deadline, the steps to come; an overdue step is flagged with ways to chase it.
Customers who lost the number can list their orders by the mobile number instead, but only
after proving they hold that phone: the form then also asks for a one-time SMS code
(action_ask_progress_sms_code sends it), the form's validation checks it with the back end
and keeps the grant it buys for this one lookup, and only then are the orders listed. A phone
number alone reveals nothing, not even whether any orders exist.
"""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import backend_client, replies
from actions.forms import FAILURES_SLOT, ServiceFormValidation, entity_value, latest_text
from actions.verification import client_address, wait_reply
from bot.text.masking import mask_phone
from security.rate_limit import Subject, limiter

ORDER, PHONE = "progress_order_no", "progress_phone"
# Lookup by phone only: the customer's 6-digit reply, then (once verified) the back end's grant.
CODE = "progress_sms_code"
FORGOTTEN = "forgotten"  # the customer has no order number: list their orders by phone instead
RESEND = "resend"  # CODE's extracted value when the customer asks for a new code
PURPOSE = "work_orders"
ORDER_NO = re.compile(r"[A-Z]{2}\d{14}")
MOBILE = re.compile(r"1[3-9]\d{9}")
SMS_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
GRANT = re.compile(r"[A-Za-z0-9_\-]{16,128}")  # the back end's grant is opaque; this is only a sanity check
FORGOT = re.compile(r"忘|不记得|记不得|记不清|不知道|没有单号|没单号|找不到|丢了|冇|唔记得|手机号查|用手机")
WANTS_NEW_CODE = re.compile(r"重发|重新发|再发|重新获取|重新验证|新的验证码|没收到|收不到|没有收到|未收到")
RESEND_BUTTON = ("重新发送验证码", "重新发送验证码")
MAX_LISTED = 5
PROGRESS_BUTTON = '/application_progress{"order_no": "%s"}'


# -- formatting shared with the application receipt ------------------------------------------
def when_text(iso: Optional[str]) -> str:
    """'2026-11-23T10:00:00+08:00' -> '11月23日10:00'."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(str(iso))
    except ValueError:  # a malformed time from the back end must not break the whole reply
        return ""
    return f"{moment.month}月{moment.day}日{moment:%H:%M}"


def limit_only(step: Dict[str, Any]) -> str:
    if step.get("time_limit_hours") is not None:
        return f"{format(Decimal(str(step['time_limit_hours'])).normalize(), 'f')}小时"
    if step.get("time_limit_days") is not None:
        return f"{step['time_limit_days']}个工作日"
    return ""


def limit_text(step: Dict[str, Any]) -> str:
    """A step's time limit and deadline, e.g. '1个工作日（11月23日10:00前）'."""
    limit, deadline = limit_only(step), when_text(step.get("deadline"))
    if limit and deadline:
        return f"{limit}（{deadline}前）"
    return limit or (f"{deadline}前" if deadline else "")


def current_step_of(order: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    return next((step for step in order.get("steps") or [] if step.get("status") == "in_progress"), None)


def step_status(step: Dict[str, Any]) -> str:
    if step.get("status") == "done":
        late = "，超出了承诺时限" if step.get("overdue") else ""
        return f"已完成（{when_text(step.get('done_at'))}）{late}"
    if step.get("status") == "in_progress":
        late = "，已超时" if step.get("overdue") else ""
        return f"办理中，时限{limit_text(step)}{late}"
    return f"待办理（时限{limit_only(step)}）" if limit_only(step) else "待办理"


def timeline_fields(order: Dict[str, Any]) -> List[tuple]:
    status = order.get("status_text") or ""
    if order.get("overdue"):
        status += "（当前环节已超时）"
    fields = [("工单号", order.get("order_no")), ("业务类型", order.get("type_name") or order.get("type")),
              ("办理状态", status)]
    fields += [(f"{n}. {step.get('name')}", step_status(step)) for n, step in enumerate(order.get("steps") or [], 1)]
    fields.append(("办理单位", order.get("responsible_unit") or ""))
    return fields


def headline(order: Dict[str, Any]) -> str:
    """The answer first: where the order stands."""
    kind = order.get("type_name") or "业务"
    if order.get("status") == "completed":
        return f"您的{kind}工单已办结（{when_text(order.get('completed_at'))}）。"
    step = current_step_of(order)
    if not step:
        return f"您的{kind}工单已受理，正在处理。"
    text = f"您的{kind}工单正在“{step.get('name')}”环节，应于{when_text(step.get('deadline'))}前完成。"
    if order.get("overdue"):
        text += "这一环节已经超过承诺时限，非常抱歉，小南可以帮您转人工催办。"
    return text


def overdue_note() -> str:
    """Where to turn when the utility misses its commitment (from knowledge/service)."""
    try:
        regulator = replies.region().value("service.hotlines.energy_regulator")
    except Exception:  # the fact is optional: without it the reply just offers the buttons
        return ""
    return f"如对处理结果不满意，还可以拨打{regulator['number']}（{regulator['name']}）反映。"


# -- the form: which order, and the phone that proves it is the customer's --------------------
class ValidateProgressForm(ServiceFormValidation):
    def name(self) -> Text:
        return "validate_progress_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        # Only a lookup by phone needs the SMS code; by order number the back end checks the phone.
        if tracker.get_slot(ORDER) == FORGOTTEN:
            return [*domain_slots, CODE]
        return domain_slots

    def explain(self, slot: str) -> str:
        if slot == CODE:
            return ("验证码是刚发到您手机上的短信里的6位数字，用来确认是机主本人在查询；没收到可以回复“重新发送”。")
        if slot == ORDER:
            return ("工单号是2位字母加14位数字，例如BZ20261120000012，在受理回执、短信或南网在线App里能找到。"
                    "记不得的话说“忘了”，小南用手机号帮您查。")
        return "请提供办理业务时登记的11位手机号，用来核对是您本人的工单。"

    async def extract_progress_order_no(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        said = entity_value(tracker, "order_no")
        if said:
            return {ORDER: str(said).upper()}
        requested = tracker.get_slot("requested_slot")
        text = latest_text(tracker)
        asking = requested == ORDER or (requested is None and tracker.get_slot(ORDER) is None)
        if asking and (FORGOT.search(text) or entity_value(tracker, "phone")):
            return {ORDER: FORGOTTEN}
        if requested != ORDER:
            return {}
        compact = re.sub(r"[\s\-]", "", text).upper()
        return {ORDER: compact} if re.search(r"[A-Z0-9]{4,}", compact) else {}

    async def extract_progress_phone(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") == CODE:
            return {}  # the code was sent to this phone: changing it now would verify nothing
        phone = entity_value(tracker, "phone")
        if phone:
            return {PHONE: str(phone)}
        if tracker.get_slot("requested_slot") != PHONE:
            return {}
        text = latest_text(tracker)
        digits = re.sub(r"\D", "", text)
        if not digits and FORGOT.search(text):
            return {PHONE: FORGOTTEN}
        return {PHONE: digits} if digits else {}

    async def extract_progress_sms_code(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != CODE:
            return {}
        text = latest_text(tracker)
        code = SMS_CODE.search(text)
        if code:
            return {CODE: code.group(0)}
        if WANTS_NEW_CODE.search(text):
            return {CODE: RESEND}
        digits = re.sub(r"\D", "", text)
        return {CODE: digits} if digits else {}

    async def validate_progress_order_no(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value == FORGOTTEN:
            # A new lookup by phone starts unverified, whatever an earlier lookup left behind.
            return {**self.ok(ORDER, value), CODE: None}
        if value is None:
            return self.ok(ORDER, value)
        match = ORDER_NO.search(str(value).upper())
        if not match:
            return self.fail(ORDER, dispatcher, tracker,
                             "这个工单号格式不对：应是2位字母加14位数字，例如BZ20261120000012。")
        return self.ok(ORDER, match.group(0))

    async def validate_progress_phone(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value == FORGOTTEN:
            # Without the phone on the order the chat cannot check who is asking; the hall can.
            return self.fail(PHONE, dispatcher, tracker,
                             f"没有办理时登记的手机号，小南就没法在线核对是您本人的工单。您可以带身份证到供电营业厅，"
                             f"或拨打 {replies.hotline()} 由人工核实后查询；想起来了也可以随时告诉我11位手机号。")
        digits = re.sub(r"\D", "", str(value or ""))
        if not MOBILE.fullmatch(digits):
            return self.fail(PHONE, dispatcher, tracker, "手机号应是1开头的11位数字，请再说一次。")
        return self.ok(PHONE, digits)

    async def validate_progress_sms_code(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        """The one validation here that calls the back end. It is safe: the code is extracted only
        in answer to the code question, never at the form's activation (where Rasa may validate
        twice, rasa#11595), and verifying is what the customer's answer asks for."""
        if value == RESEND:
            return {CODE: None}  # action_ask_progress_sms_code sends a new one
        digits = str(value or "")
        if not SMS_CODE.fullmatch(digits):
            return self.fail(CODE, dispatcher, tracker, "验证码是6位数字，请输入短信里的6位验证码。")
        phone = tracker.get_slot(PHONE)
        # Code tries slowed down per conversation, client address, phone and overall, as the
        # 户号 check is (the back end also voids a code after 5 wrong tries).
        subject = Subject("sms_code", tracker.sender_id, client_address(tracker), phone)
        wait = await limiter().wait_seconds(subject)
        if wait:
            dispatcher.utter_message(text=wait_reply(wait))
            return {CODE: None}
        result = await backend_client.post("/api/v1/sms/codes/verify",
                                           {"phone": phone, "purpose": PURPOSE, "code": digits})
        if result.ok and GRANT.fullmatch(str(result.data.get("grant") or "")):
            await limiter().succeeded(subject)
            return {CODE: result.data["grant"], FAILURES_SLOT: 0.0}
        if result.unavailable:
            replies.apology_unavailable(dispatcher, "验证码核对")
            return {CODE: None}
        if result.error_code == "CODE_INVALID":
            await limiter().failed(subject)
        error = result.data.get("error") or {}
        left = error.get("attempts_left")
        if result.error_code == "CODE_INVALID" and isinstance(left, int) and left > 0:
            dispatcher.utter_message(text=f"验证码不正确，还可以再试{left}次。请核对短信后，重新输入6位验证码。")
        elif result.error_code in ("CODE_INVALID", "CODE_EXPIRED"):
            why = "输错次数过多" if result.error_code == "CODE_INVALID" else "超过5分钟或已经用过"
            dispatcher.utter_message(
                text=f"这个验证码已失效（{why}）。需要的话小南再发一条新的验证码，请回复“重新发送”。",
                buttons=replies.buttons([RESEND_BUTTON]))
        else:
            dispatcher.utter_message(text=f"抱歉，暂时没能核对验证码，请稍后再试或拨打 {replies.hotline()}。")
        return {CODE: None}


def code_answer(tracker: Tracker) -> tuple:
    """(answering, checked): was the customer's latest message sent while the bot was asking for
    the SMS code, and did the form's validation handle a code in this turn (it then has said
    what was wrong)? Not checked but answering: the form resumes after a side question."""
    asked = answering = None
    checked = False
    for event in tracker.events:
        if event.get("event") == "slot" and event.get("name") == "requested_slot":
            asked = event.get("value")
        elif event.get("event") == "slot" and event.get("name") == CODE:
            checked = True
        elif event.get("event") == "user":
            answering, checked = asked, False  # what the bot was asking when this message came in
    return answering == CODE, checked


def wait_text(seconds: Any) -> str:
    try:
        seconds = max(1, int(seconds))
    except (TypeError, ValueError):
        return "1分钟"
    return f"{seconds}秒" if seconds <= 90 else f"{-(-seconds // 60)}分钟"


class ActionAskProgressSmsCode(Action):
    """Asks for the SMS code, sending one first unless the customer is answering a code that is
    still on its way or in their hands (a wrong or malformed try keeps the same code; the form's
    validation has already said why). "重新发送" asks for a new one."""

    def name(self) -> Text:
        return "action_ask_progress_sms_code"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        answering, checked = code_answer(tracker)
        if answering and not WANTS_NEW_CODE.search(latest_text(tracker)):
            if not checked:  # back from a side question: the code already sent is still the one
                dispatcher.utter_message(text="请回复短信里的6位验证码；没收到的话可以回复“重新发送”。",
                                         buttons=replies.buttons([RESEND_BUTTON]))
            return []
        phone = tracker.get_slot(PHONE)
        result = await backend_client.post("/api/v1/sms/codes", {"phone": phone, "purpose": PURPOSE})
        if result.ok:
            minutes = -(-int(result.data.get("expires_in") or 300) // 60)
            dispatcher.utter_message(
                text=f"为保护您的信息，用手机号查询前需要先验证是机主本人。验证码已发送到{mask_phone(phone)}，"
                f"请回复6位验证码（{minutes}分钟内有效）。")
        elif result.unavailable:
            replies.apology_unavailable(dispatcher, "验证码发送")
        elif result.error_code == "RATE_LIMITED":
            wait = wait_text((result.data.get("error") or {}).get("retry_after_seconds"))
            dispatcher.utter_message(
                text=f"验证码发送得太频繁了，请{wait}后再回复“重新发送”。如果已经收到验证码短信，直接回复短信里的6位验证码就可以。")
        else:
            dispatcher.utter_message(text=f"抱歉，暂时没能发送验证码，请稍后再试或拨打 {replies.hotline()}。")
        return []


# -- the answer ---------------------------------------------------------------------------------
class ActionApplicationProgress(Action):
    def name(self) -> Text:
        return "action_application_progress"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        order_no, phone = tracker.get_slot(ORDER), tracker.get_slot(PHONE)
        if not phone:
            dispatcher.utter_message(text="查询进度需要办理时登记的手机号。", buttons=self._again())
            return []
        if not order_no or order_no == FORGOTTEN:
            return await self._list_by_phone(dispatcher, phone, tracker.get_slot(CODE))
        result = await backend_client.get(f"/api/v1/work-orders/{order_no}", phone=phone)
        if result.ok:
            self._show(dispatcher, result.data)
            return []
        if result.unavailable:
            replies.apology_unavailable(dispatcher, "进度查询")
            return []
        if result.error_code == "PHONE_MISMATCH":
            dispatcher.utter_message(
                text=f"手机号 {mask_phone(phone)} 和工单 {order_no} 登记的联系电话不一致，为保护您的信息暂时不能显示。"
                f"请点下方按钮，换成办理时登记的手机号再查。",
                buttons=self._again(order_no))
            return [SlotSet(PHONE, None)]
        dispatcher.utter_message(
            text=f"没有找到工单 {order_no}，请核对一下单号（2位字母加14位数字）。记不得单号的话，"
            f"也可以用登记的手机号查。",
            buttons=replies.buttons([("重新输入单号", "/application_progress"),
                                     ("用手机号查", '/application_progress{"phone": "%s"}' % phone)]))
        return [SlotSet(ORDER, None)]

    async def _list_by_phone(self, dispatcher: CollectingDispatcher, phone: str, grant: Optional[str]) -> List:
        # The grant serves this one lookup only.
        forget = [SlotSet(ORDER, None), SlotSet(CODE, None)]
        if not grant or not GRANT.fullmatch(str(grant)):
            # Nothing about the orders before the code is confirmed, not even whether there are any.
            dispatcher.utter_message(
                text="为保护您的信息，用手机号查询工单需要先通过短信验证码确认是机主本人。",
                buttons=replies.buttons([("用手机号查询", "/application_progress")]))
            return forget
        result = await backend_client.get("/api/v1/work-orders", phone=phone, grant=grant, limit=MAX_LISTED)
        if not result.ok:
            if result.error_code == "PHONE_NOT_VERIFIED":
                dispatcher.utter_message(
                    text="短信验证已过期，请重新查询，小南会再发一条验证码。",
                    buttons=replies.buttons([("重新查询", "/application_progress")]))
            elif result.unavailable:
                replies.apology_unavailable(dispatcher, "进度查询")
            else:
                dispatcher.utter_message(text=f"抱歉，暂时没能查到，请稍后再试或拨打 {replies.hotline()}。")
            return forget
        orders = result.data.get("orders") or []
        if not orders:
            dispatcher.utter_message(
                text=f"没有查到用 {mask_phone(phone)} 登记的工单。如果办理时留的是别的号码，换那个号码再查；"
                f"也可以拨打 {replies.hotline()} 人工查询。")
            return forget
        if len(orders) == 1:
            full = await backend_client.get(f"/api/v1/work-orders/{orders[0]['order_no']}", phone=phone)
            if full.ok:
                self._show(dispatcher, full.data)
                return forget
        lines = []
        for n, order in enumerate(orders, 1):
            where = order.get("current_step") or order.get("status_text") or ""
            late = "（已超时）" if order.get("overdue") else ""
            lines.append(f"{n}. {order.get('order_no')} {order.get('type_name')}：{where}{late}")
        dispatcher.utter_message(
            text=f"用 {mask_phone(phone)} 登记的工单有{len(orders)}张：\n" + "\n".join(lines) + "\n点一张查看详细进度。",
            buttons=replies.buttons((f"{o.get('type_name')} {o.get('order_no')}", PROGRESS_BUTTON % o.get("order_no"))
                                    for o in orders))
        return forget

    @staticmethod
    def _show(dispatcher: CollectingDispatcher, order: Dict[str, Any]) -> None:
        buttons = []
        if order.get("overdue"):
            buttons = replies.buttons([("转人工催办", "/human_agent"), ("我要投诉", "/complaint")])
        replies.utter_card(dispatcher, "receipt", "工单进度", timeline_fields(order), intro=headline(order),
                           buttons=buttons)
        if order.get("overdue"):
            note = overdue_note()
            if note:
                dispatcher.utter_message(text=note)

    @staticmethod
    def _again(order_no: Optional[str] = None) -> List[Dict[str, str]]:
        payload = PROGRESS_BUTTON % order_no if order_no else "/application_progress"
        return replies.buttons([("重新输入手机号", payload)])
