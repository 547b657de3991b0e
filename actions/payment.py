"""Paying (`payment`): channels, bank withholding (set up, cancel, failed deduction), paying
without knowing the 户号, prepaid card meters, reconnection after arrears, and double or wrong
payments (kept as prepayment by default; a refund request is the `refund` form, actions/refund.py).

Everything general is answered without verification. Questions about the customer's own account
(payment status, a card meter's balance, reconnection after paying arrears, a refund request)
get the general answer and an offer to verify before verification; the question is kept
(`defer_until_verified`) so that a successful verification answers it with the account's data.
"""
from __future__ import annotations

import re
from typing import List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.account_knowledge import bullet_lines, cite, value
from actions.bill_format import AccountData, arrears_lines, late_fee_rule, load_account, money, yuan
from actions.forms import entity_value, latest_text
from actions.refund import SPEC as REFUND, ActionSubmitRefund
from actions.replies import apology_unavailable, buttons
from actions.verification import (defer_until_verified, offer_verification, requested_topic,
                                  runs_after_verification, verified_account)

INTENT = "payment"
CUES = [
    ("refund_apply", re.compile(r"(申请|我要|帮我|要求|想).{0,3}(退款|退费|退钱|退回)")),
    ("refund", re.compile(r"[两2]次|重复|多交|多缴|多扣|交错|缴错|付错|错了户号|错户号|退款|退钱|退费|退回|能退|可以退")),
    ("reconnection", re.compile(r"复电|恢复供电|送电|来电|停了电|被停|停电.{0,8}(交|缴)|(交|缴).{0,8}(没电|停电|没来电)")),
    ("withholding_cancel", re.compile(r"(取消|解除|解约|关闭|停止|关掉).{0,4}(代扣|自动扣|自动缴|自动交|扣费)|代扣.{0,4}(取消|解约)")),
    # Before failed_deduction: "卡表余额不足" asks about the card meter, not a bank deduction.
    ("prepaid_balance", re.compile(r"(预付费|卡表|插卡|购电卡|电卡|电表|表里|卡里).{0,6}(余额|还剩|剩多少|剩下|还有多少|多少钱|够用|够不够)"
                                   r"|余额还?(有|剩)多少|剩多少(钱|度)|还够用")),
    ("failed_deduction", re.compile(r"扣款失败|扣费失败|没扣成功|没扣上|扣不了|扣失败|余额不足")),
    ("withholding", re.compile(r"代扣|自动扣|自动缴|自动交|签约|托收")),
    ("prepaid", re.compile(r"预付费|卡表|插卡|购电卡|电卡|买电|购电|充值")),
    ("no_account_no", re.compile(r"(不知道|忘了|忘记|没有|找不到|查不到|不记得).{0,4}户号|户号.{0,4}(忘|不知道|在哪|是多少)")),
    ("late_fee", re.compile(r"违约金|滞纳金|晚交|迟交")),
    ("status", re.compile(r"没到账|没有到账|还显示欠费|显示欠费|还是欠费|交费记录|缴费记录|查到")),
]
KEYS = {key for key, _ in CUES} | {"channels", "refund_resubmit"}
TOPIC_BUTTONS = [
    ("银行代扣", '/payment{"aspect":"withholding"}'),
    ("不知道户号", '/payment{"aspect":"no_account_no"}'),
    ("预付费/卡表", '/payment{"aspect":"prepaid"}'),
    ("交错/交重了", '/payment{"aspect":"refund"}'),
]
# Sub-questions about the customer's own account: unverified, the general answer comes with an
# offer to verify ("what" for offer_verification), and the question is kept for after it.
ACCOUNT_SPECIFIC = {
    "status": "查询您的缴费和欠费情况",
    "prepaid_balance": "查询您的卡表余额",
    "reconnection": "查询您家的欠费是否已结清",
}


def detect_request(tracker: Tracker) -> Optional[str]:
    aspect = str(entity_value(tracker, "aspect") or "")
    if aspect in KEYS:
        return aspect
    text = latest_text(tracker)
    return next((key for key, cue in CUES if cue.search(text)), None)


def refund_reason(text: str) -> Optional[str]:
    if re.search(r"交错|缴错|付错|错了户号|错户号|别人|错了账户", text):
        return "wrong_account"
    if re.search(r"[两2]次|重复|多交|多缴|多扣|重了", text):
        return "duplicate"
    return None


@runs_after_verification
class ActionPayment(Action):
    def name(self) -> Text:
        return "action_payment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        request = requested_topic(tracker, self.name(), INTENT, detect_request) or "channels"
        events: List = [SlotSet("service_request", None), SlotSet("pending_request", None)]
        account_no = verified_account(tracker)
        if request == "refund_resubmit":
            if tracker.get_slot(REFUND.confirm_slot) is True:
                return events + await ActionSubmitRefund().run(dispatcher, tracker, domain)
            request = "refund_apply"
        if request == "refund_apply":
            if account_no:
                dispatcher.utter_message(text="好的，我来帮您提交退款申请，需要问您几个问题，随时可以说“取消”。")
                reason = refund_reason(latest_text(tracker))
                return [SlotSet("service_request", "refund_form"), SlotSet("pending_request", None)] + (
                    [SlotSet("refund_reason", reason)] if reason else [])
            self.refund(dispatcher, tracker, None)
            offer_verification(dispatcher, "申请退款", tracker)
            return [SlotSet("service_request", None)] + defer_until_verified(self.name(), "refund")
        data: Optional[AccountData] = None
        if account_no and request in ("refund", "reconnection", "prepaid", "prepaid_balance", "status", "late_fee"):
            data = await load_account(account_no, 6)
            if data is None:
                apology_unavailable(dispatcher, "账户查询")
        handler = getattr(self, request, self.channels)
        handler(dispatcher, tracker, data)
        if request in ACCOUNT_SPECIFIC and not account_no:
            offer_verification(dispatcher, ACCOUNT_SPECIFIC[request], tracker)
            return [SlotSet("service_request", None)] + defer_until_verified(self.name(), request)
        return events

    @staticmethod
    def channels(dispatcher: CollectingDispatcher, tracker: Tracker, data: Optional[AccountData]) -> None:
        channels = value("account_services.payment.channels")
        dispatcher.utter_message(
            text=f"交电费可以通过这些渠道：{'、'.join(channels)}。缴费时需要提供户号。"
                 f"{cite('account_services.payment.channels')}",
            buttons=buttons(TOPIC_BUTTONS),
        )

    @staticmethod
    def withholding(dispatcher: CollectingDispatcher, tracker: Tracker, data: Optional[AccountData]) -> None:
        setup = value("account_services.payment.withholding.setup")
        dispatcher.utter_message(
            text=f"开通银行代扣后每月自动扣缴电费，办理方式：\n{bullet_lines(setup)}\n"
                 f"{value('account_services.payment.withholding.failed_deduction')}",
            buttons=buttons([("取消代扣", '/payment{"aspect":"withholding_cancel"}'), ("其他缴费方式", "/payment")]),
        )

    @staticmethod
    def withholding_cancel(dispatcher: CollectingDispatcher, tracker: Tracker, data: Optional[AccountData]) -> None:
        steps = value("account_services.payment.withholding.cancel")
        dispatcher.utter_message(text=f"取消代扣的方法：\n{bullet_lines(steps)}",
                                 buttons=buttons([("其他缴费方式", "/payment")]))

    @staticmethod
    def failed_deduction(dispatcher: CollectingDispatcher, tracker: Tracker, data: Optional[AccountData]) -> None:
        dispatcher.utter_message(
            text=f"{value('account_services.payment.withholding.failed_deduction')}\n{late_fee_rule()}",
            buttons=buttons([("其他缴费方式", "/payment"), ("查我家是否欠费", '/bill_query{"aspect":"arrears"}')]),
        )

    @staticmethod
    def no_account_no(dispatcher: CollectingDispatcher, tracker: Tracker, data: Optional[AccountData]) -> None:
        dispatcher.utter_message(
            text=f"{value('account_services.payment.without_account_number')}户号是以03开头的10位数字，也印在电费通知单上。",
            buttons=buttons([("缴费渠道", "/payment")]),
        )

    @staticmethod
    def late_fee(dispatcher: CollectingDispatcher, tracker: Tracker, data: Optional[AccountData]) -> None:
        # The rule for the account's tariff type once verified; both rules before that.
        lines = [late_fee_rule(data.account.get("tariff_type"))] + arrears_lines(data) if data else [late_fee_rule()]
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons([("缴费渠道", "/payment")]))

    @staticmethod
    def prepaid(dispatcher: CollectingDispatcher, tracker: Tracker, data: Optional[AccountData]) -> None:
        tips = value("account_services.payment.prepaid_meter")
        if re.search(r"丢|遗失|坏|补|损", latest_text(tracker)):
            tips = sorted(tips, key=lambda tip: "补办" not in tip)  # the lost-card answer first
        lines = [bullet_lines(tips) + cite("account_services.payment.prepaid_meter")]
        if data and data.account.get("prepaid"):
            lines.insert(0, _prepaid_balance(data))
        elif data:
            lines.insert(0, f"系统显示您的户号不是预付费（卡表）用户，电费按月出账后缴纳；"
                            f"账户预存余额 {yuan(data.account.get('balance'))}。")
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons([("缴费渠道", "/payment")]))

    def prepaid_balance(self, dispatcher: CollectingDispatcher, tracker: Tracker, data: Optional[AccountData]) -> None:
        """The balance is the account's (shown once verified); the top-up answer is general."""
        self.prepaid(dispatcher, tracker, data)

    @staticmethod
    def reconnection(dispatcher: CollectingDispatcher, tracker: Tracker, data: Optional[AccountData]) -> None:
        hours = value("outage.arrears_disconnection.restore_within_hours")
        # The steps name the time limit by placeholder: the number lives only in the outage fact.
        steps = [step.format(restore_within_hours=hours) for step in value("account_services.reconnection.steps")]
        lines = [f"欠费停电后，结清全部欠费和违约金，供电局确认到账后{hours}小时内恢复供电"
                 f"{cite('outage.arrears_disconnection.restore_within_hours')}。", bullet_lines(steps)]
        if data:
            arrears = money(data.account.get("arrears"))
            lines.insert(0, f"系统显示您还有 {yuan(arrears)} 逾期电费未结清，结清后才能安排复电。" if arrears > 0
                         else "系统显示您的逾期电费已经结清。")
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons([("缴费渠道", "/payment"), ("停电查询", "/outage_lookup")]))

    @staticmethod
    def refund(dispatcher: CollectingDispatcher, tracker: Tracker, data: Optional[AccountData]) -> None:
        overpayment = value("account_services.overpayment")
        reason = refund_reason(latest_text(tracker))
        lines = []
        if reason == "wrong_account":
            lines.append(overpayment["wrong_account"] + cite("account_services.overpayment.wrong_account"))
        else:
            handling = "转为预存电费，自动抵扣以后的电费" if overpayment["duplicate_payment"]["default_handling"] == "prepayment" else "退回"
            lines.append(f"重复缴纳或多缴的电费不会丢失，系统默认{handling}"
                         f"{cite('account_services.overpayment.duplicate_payment')}。")
            if re.search(r"销户", latest_text(tracker)):
                lines.append(overpayment["balance_on_closure"])
        if overpayment["duplicate_payment"]["refund_on_request"]:
            lines.append(f"如果希望退回，可以申请退款，需准备：{'、'.join(overpayment['refund_documents'])}。")
        if data:
            lines.insert(0, f"您账户目前的预存余额是 {yuan(data.account.get('balance'))}。")
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons([("申请退款", '/payment{"aspect":"refund_apply"}')]))

    @staticmethod
    def status(dispatcher: CollectingDispatcher, tracker: Tracker, data: Optional[AccountData]) -> None:
        if data:
            dispatcher.utter_message(text="\n".join(arrears_lines(data)),
                                     buttons=buttons([("近6个月账单", '/bill_query{"aspect":"history_6"}')]))
        else:
            dispatcher.utter_message(text="缴费后一般很快就能查到；如果长时间没有到账，请保留缴费凭证。")


def _prepaid_balance(data: AccountData) -> str:
    balance = money(data.account.get("balance"))
    text = f"您是预付费（卡表）用户，当前余额 {yuan(balance)}。"
    recent = [money(b["amount"]) for b in data.bills[:3]]
    if recent and sum(recent) > 0:
        daily = sum(recent) / (30 * len(recent))
        days = int(balance / daily) if daily else 0
        text += f"按您近{len(recent)}个月的用电，大约还够用{days}天。" if days > 0 else "余额已接近用完，请尽快充值。"
    return text
