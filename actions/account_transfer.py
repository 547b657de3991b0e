"""过户, 更名, 销户 (`account_transfer`): what each is, documents of both parties (the old owner's
only when the new one cannot prove the property changed hands), settling the old account, what
happens to the old owner's prepayments and debts, channels, time limits and fees, buying a
second-hand home (joint transfer at the real-estate registry), and the `account_transfer` work
order. A company (营业执照, 公章, 法定代表人) gets the business document lists.

The form does not require verification: the person filing is usually the new owner, whose
phone is not the one on file. The 户号 is optional (a buyer may not know it); when given, the
back end checks it exists.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.account_knowledge import HEDGE, bullet_lines, cite, fact, value
from actions.forms import entity_value, latest_text
from actions.replies import buttons
from actions.service_orders import (AccountFormValidation, AskConfirmation, OrderSpec, answer_to, cancelled,
                                    contact_summary, submit_order)
from actions.verification import ACCOUNT_NO
from bot.text.masking import mask_account, mask_text

INTENT = "account_transfer"
KINDS = ("transfer", "rename", "close")
CLOSE = re.compile(r"销户|注销|销掉|拆表|不再用电|退租|拆了|不用电了")
TRANSFER = re.compile(r"过户|买|卖|二手|继承|过给|去世|离婚|转给|转到|新业主|新房主|拍卖|交房|转让|转租")
RENAME = re.compile(r"更名|改名|名称变更|户名|名字")
# A company or other organisation asking: its documents differ (seal, legal representative).
BUSINESS = re.compile(r"公司|企业|单位|商铺|门店|店铺|工厂|厂房|营业执照|法人|法定代表人|公章|个体户|商户")
BUSINESS_TYPES = ("business", "factory", "high_voltage")
AT = "account_services.account_transfer"
CUES = [
    ("second_hand", re.compile(r"二手|买了?.{0,2}房|不动产|水电气|联合过户|联办|网签|交房|拍卖")),
    ("debts", re.compile(r"欠费|欠了|欠的|预存|余额|押金|结清")),
    ("presence", re.compile(r"到场|本人|委托|中介|联系不上|代办|亲自")),
    ("documents", re.compile(r"资料|材料|证件|带什么|房产证|购房合同|手续")),
    ("cost", re.compile(r"收费|费用|多少钱|要钱|免费")),
    ("duration", re.compile(r"多久|几天|多长时间|时限|工作日")),
    ("channels", re.compile(r"网上|线上|app|App|APP|营业厅|在哪|流程|怎么办|去哪")),
]
ASPECTS = {"documents": "documents", "cost": "cost", "duration": "duration", "presence": "presence",
           "how_to_apply": "channels", "steps": "channels", "apply": "apply"}
UNKNOWN = "unknown"
SPEC = OrderSpec(
    order_type="account_transfer",
    form="account_transfer_form",
    confirm_slot="account_transfer_confirmed",
    title="过户/更名/销户申请受理回执",
    form_slots=("transfer_kind", "transfer_account_no", "acct_contact_name", "acct_contact_phone",
                "acct_address", "account_transfer_confirmed"),
    apply_payload='/account_transfer{"aspect":"apply"}',
    resubmit_payload='/account_transfer{"aspect":"resubmit"}',
)


def kind_of(text: str) -> Optional[str]:
    if CLOSE.search(text):
        return "close"
    if TRANSFER.search(text):
        return "transfer"
    if RENAME.search(text):
        return "rename"
    return None


def kind_info(kind: str) -> Dict[str, str]:
    """{label, meaning} of one kind; `kinds` is a single fact holding all three."""
    return value("account_services.account_transfer.kinds")[kind]


def label(kind: str) -> str:
    return kind_info(kind)["label"]


def detect_request(tracker: Tracker) -> Optional[str]:
    aspect = str(entity_value(tracker, "aspect") or "")
    if aspect in ("resubmit", "second_hand", "debts", "overview"):
        return aspect
    if ASPECTS.get(aspect) == "apply":
        return "apply"
    text = latest_text(tracker)
    found = next((key for key, cue in CUES if cue.search(text)), None)
    return found or ASPECTS.get(aspect)


def is_business(tracker: Tracker) -> bool:
    return entity_value(tracker, "customer_type") in BUSINESS_TYPES or bool(BUSINESS.search(latest_text(tracker)))


def kind_steps(kind: str) -> List[Tuple[str, Optional[int], Optional[float]]]:
    """(name, working days, hours) of each step: work_orders.account_transfer varies by
    details.kind, so 更名 and 销户 end in their own step rather than 过户办结."""
    steps = value("work_orders.account_transfer")["variants"][kind]["steps"]
    return [(step["name"], step.get("time_limit_working_days"), step.get("time_limit_hours")) for step in steps]


def documents_path(kind: str, business: bool = False) -> str:
    return f"{AT}.business_documents.{kind}" if business else f"{AT}.documents.{kind}"


def documents(kind: str, business: bool = False) -> List[str]:
    return value(documents_path(kind, business))


def old_owner_lines(kind: str, business: bool) -> List[str]:
    """What the old owner brings or does; only a transfer changes the holder."""
    if kind != "transfer":
        return []
    if business:  # the business list already names the old company's part
        return [f"{value(f'{AT}.old_owner.presence')}{cite(f'{AT}.old_owner.presence')}"]
    return [f"{value(f'{AT}.old_owner.presence')}{cite(f'{AT}.old_owner.presence')}",
            f"还没有新的不动产权证书、不能证明产权已转移时，还需原户主提供：{'；'.join(value(f'{AT}.old_owner.documents'))}"
            f"{cite(f'{AT}.old_owner.documents')}。"]


class ActionAccountTransfer(Action):
    def name(self) -> Text:
        return "action_account_transfer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        request = detect_request(tracker) or "overview"
        text = latest_text(tracker)
        kind = kind_of(text) or tracker.get_slot("transfer_kind") or "transfer"
        if request == "resubmit" and tracker.get_slot(SPEC.confirm_slot) is True:
            return await ActionSubmitAccountTransfer().run(dispatcher, tracker, domain)
        if request in ("apply", "resubmit"):
            return self.start_form(dispatcher, tracker, kind_of(text))
        answer = getattr(self, request, self.overview)(kind, is_business(tracker))
        dispatcher.utter_message(text=answer, buttons=self.next_buttons(request))
        return [SlotSet("service_request", None)]

    @staticmethod
    def start_form(dispatcher: CollectingDispatcher, tracker: Tracker, kind: Optional[str]) -> List:
        dispatcher.utter_message(text="好的，我来帮您在线提交申请，需要问您几个问题，随时可以说“取消”。"
                                      "提交后工作人员会联系您核对材料。")
        events = [SlotSet("service_request", SPEC.form)]
        if kind:
            events.append(SlotSet("transfer_kind", kind))
        account_no = entity_value(tracker, "account_no")
        if account_no and ACCOUNT_NO.fullmatch(str(account_no)):
            events.append(SlotSet("transfer_account_no", str(account_no)))
        return events

    @staticmethod
    def next_buttons(request: str) -> List[Dict[str, str]]:
        options = [
            ("所需材料", '/account_transfer{"aspect":"documents"}'),
            ("欠费和预存怎么处理", '/account_transfer{"aspect":"debts"}'),
            ("买二手房怎么过户", '/account_transfer{"aspect":"second_hand"}'),
            ("在线提交申请", SPEC.apply_payload),
        ]
        return buttons([(title, payload) for title, payload in options if request not in payload])

    @staticmethod
    def overview(kind: str, business: bool = False) -> str:
        meaning = kind_info(kind)["meaning"]
        channels = "、".join(value("account_services.account_transfer.channels"))
        who = "单位办理" if business else ""
        lines = [f"{label(kind)}：{meaning}。可以通过{channels}办理。",
                 f"{who}需要准备：{'；'.join(documents(kind, business))}。", *old_owner_lines(kind, business)]
        if kind != "close":
            lines.append(f"办理条件：{'；'.join(value('account_services.account_transfer.conditions'))}"
                         f"{cite('account_services.account_transfer.conditions')}。")
        return "\n".join(lines)

    @staticmethod
    def documents(kind: str, business: bool = False) -> str:
        who = "单位" if business else ("新户主" if kind == "transfer" else "")
        lines = [f"{who}办理{label(kind)}需要准备：", bullet_lines(documents(kind, business)),
                 cite(documents_path(kind, business)), *old_owner_lines(kind, business)]
        return "\n".join(lines)

    @staticmethod
    def cost(kind: str, business: bool = False) -> str:
        return f"{value('account_services.account_transfer.fee')}{cite('account_services.account_transfer.fee')}"

    @staticmethod
    def duration(kind: str, business: bool = False) -> str:
        steps = kind_steps(kind)
        limits = "、".join(f"{name}{f'{hours:g}小时内' if hours is not None else f'{days}个工作日内'}"
                          for name, days, hours in steps)
        hedge = "" if fact("work_orders.account_transfer").verified else HEDGE
        if any(days is None for _, days, _ in steps):
            return f"材料齐全时，{label(kind)}的办理时限：{limits}{hedge}。"
        total = sum(days for _, days, _ in steps)
        return f"材料齐全时，{label(kind)}一般{total}个工作日内办结（{limits}）{hedge}。"

    @staticmethod
    def debts(kind: str, business: bool = False) -> str:
        conditions = value(f"{AT}.conditions")
        lines = [f"{bullet_lines(conditions)}{cite(f'{AT}.conditions')}"]
        if kind == "close":
            lines.append(value("account_services.overpayment.balance_on_closure")
                         + cite("account_services.overpayment.balance_on_closure"))
        else:
            lines.append(f"原户主的预存电费：{value(f'{AT}.old_owner.prepaid_balance')}{cite(f'{AT}.old_owner.prepaid_balance')}")
            lines.append(f"不再用电要销户的：{value('account_services.overpayment.balance_on_closure')}")
        return "关于欠费和预存电费：\n" + "\n".join(lines)

    @staticmethod
    def second_hand(kind: str, business: bool = False) -> str:
        path = "account_services.account_transfer.second_hand_home"
        return (f"{value(path)}{cite(path)}\n单独办理过户需要：{'；'.join(documents('transfer', business))}。\n"
                f"{value(f'{AT}.old_owner.presence')}")

    @staticmethod
    def presence(kind: str, business: bool = False) -> str:
        listed = documents(kind, business)
        proxy = [item for item in listed if "委托" in item]
        lines = [f"办理{label(kind)}以材料为准：{'；'.join(d for d in listed if d not in proxy)}。"]
        if proxy:
            lines.append(f"不能亲自办理的，可以委托他人：{'；'.join(proxy)}。")
        lines += old_owner_lines(kind, business)
        return "\n".join(lines)

    @staticmethod
    def channels(kind: str, business: bool = False) -> str:
        channels = value("account_services.account_transfer.channels")
        return (f"{label(kind)}可以通过这些渠道办理：{'、'.join(channels)}"
                f"{cite('account_services.account_transfer.channels')}。也可以在这里直接提交申请。")


class ValidateAccountTransferForm(AccountFormValidation):
    confirm_slot = SPEC.confirm_slot

    def name(self) -> Text:
        return "validate_account_transfer_form"

    def explain(self, slot: str) -> str:
        return {
            "transfer_kind": "过户是房屋换了主人；更名是同一户主或单位改名称；销户是以后不再用电。",
            "transfer_account_no": "户号是10位数字、以03开头，印在电费通知单上；不知道可以回复“不知道”。",
            "acct_address": "用电地址请包含所在的区，例如“南山区粤海街道科苑路18号6栋2101”。",
        }.get(slot) or super().explain(slot)

    async def extract_transfer_kind(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        text = answer_to(tracker, "transfer_kind")
        return {"transfer_kind": kind_of(text) or text} if text else {}

    async def validate_transfer_kind(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> Dict[Text, Any]:
        if value in KINDS:
            return self.ok("transfer_kind", value)
        return self.fail("transfer_kind", dispatcher, tracker, "请问您要办理过户、更名还是销户？")

    async def extract_transfer_account_no(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                          domain: DomainDict) -> Dict[Text, Any]:
        text = answer_to(tracker, "transfer_account_no")
        if text is None:
            return {}
        if re.search(r"不知道|不清楚|没有|忘|不记得|找不到", text):
            return {"transfer_account_no": UNKNOWN}
        return {"transfer_account_no": str(entity_value(tracker, "account_no") or text)}

    async def validate_transfer_account_no(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                           domain: DomainDict) -> Dict[Text, Any]:
        if value == UNKNOWN:
            return self.ok("transfer_account_no", UNKNOWN)
        found = ACCOUNT_NO.search(str(value or ""))
        if found:
            return self.ok("transfer_account_no", found.group(0))
        return self.fail("transfer_account_no", dispatcher, tracker,
                         "这个户号格式不对，户号是以03开头的10位数字；不知道可以回复“不知道”。")

    async def extract_acct_address(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[Text, Any]:
        text = answer_to(tracker, "acct_address")
        return {"acct_address": text} if text else {}

    async def validate_acct_address(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        return self.address_result("acct_address", value, dispatcher, tracker)

    async def extract_account_transfer_confirmed(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                                 domain: DomainDict) -> Dict[Text, Any]:
        return self.extract_confirmation(tracker)

    async def validate_account_transfer_confirmed(self, value: Any, dispatcher: CollectingDispatcher,
                                                  tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return self.validate_confirmation(value, dispatcher, tracker)


class AskAccountTransferConfirmed(AskConfirmation):
    spec = SPEC

    def summary(self, tracker: Tracker) -> List[Tuple[str, Any]]:
        account_no = tracker.get_slot("transfer_account_no")
        return [
            ("业务", label(tracker.get_slot("transfer_kind") or "transfer")),
            ("户号", mask_account(account_no) if account_no and account_no != UNKNOWN else "未提供"),
            ("用电地址", mask_text(tracker.get_slot("acct_address") or "")),
            *contact_summary(tracker),
        ]

    def note(self, tracker: Tracker) -> str:
        kind = tracker.get_slot("transfer_kind") or "transfer"
        return f"办理时请准备：{'；'.join(documents(kind))}。"


class ActionSubmitAccountTransfer(Action):
    def name(self) -> Text:
        return "action_submit_account_transfer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        if tracker.get_slot(SPEC.confirm_slot) is not True:
            return cancelled(dispatcher, SPEC)
        kind = tracker.get_slot("transfer_kind") or "transfer"
        account_no = tracker.get_slot("transfer_account_no")
        order = {
            "contact_name": tracker.get_slot("acct_contact_name"),
            "phone": tracker.get_slot("acct_contact_phone"),
            "address": tracker.get_slot("acct_address"),
            "district": tracker.get_slot("acct_district"),
            "account_no": account_no if account_no and account_no != UNKNOWN else None,
            "details": {"kind": kind, "kind_label": label(kind)},
        }
        intro = f"{label(kind)}申请已提交，工作人员会联系您核对材料。请准备：{'；'.join(documents(kind))}。"
        return await submit_order(SPEC, dispatcher, tracker, order, intro=intro)
