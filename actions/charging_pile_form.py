"""充电桩报装 application form: which questions, reading the answers, validating them.

The blocking questions come first (is the space owned or leased for long enough, for a leased
space is the owner's written consent in hand, is the property's consent in hand), so a customer
who cannot apply yet learns it before typing any personal data. Missing consent is not a dead
end: when knowledge says consent may follow (charging_pile.application.consent_may_follow,
容缺受理) the customer may apply now; otherwise the form ends, nothing is saved and the submit
action (actions/charging_pile_submit.py) explains how to get the consent.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import replies
from actions.charging_pile import Sheet, ask, consent_may_follow, number, power_range
from actions.conversation import TOPIC_INTENTS
from actions.forms import FAILURES_SLOT, ServiceFormValidation, entity_value, latest_text, wants_cancel
from bot.text import parse_capacity, parse_number

OWNERSHIP, LEASE, CONSENT = "charging_pile_space_ownership", "charging_pile_lease_years", "charging_pile_consent"
OWNER_CONSENT = "charging_pile_owner_consent"  # the space owner's written consent (leased space)
DEFER, POWER, ADDRESS = "charging_pile_defer_consent", "charging_pile_power_kw", "charging_pile_address"
DISTRICT, NAME, PHONE = "charging_pile_district", "charging_pile_name", "charging_pile_phone"
CONFIRMED = "charging_pile_confirmed"
FORM_SLOTS = [OWNERSHIP, LEASE, OWNER_CONSENT, CONSENT, DEFER, POWER, ADDRESS, DISTRICT, NAME, PHONE, CONFIRMED]
CONSENTS = (OWNER_CONSENT, CONSENT)
YES_NO = {OWNER_CONSENT, CONSENT, DEFER, CONFIRMED}
# "No" to these two ends the application without saving, exactly like a cancel would.
NO_MEANS_STOP = {DEFER, CONFIRMED}

CONTINUE = re.compile(r"继续(填写|办理)?")
CONTINUE_MARK = "__continue__"  # never reaches Rasa: the validator turns it into "ask again"
QUESTION = re.compile(r"[?？]|吗|呢|怎么|如何|什么|多少|多久|能不能|可不可以|是否|哪里|哪个|为什么|咋|点算|点样")
LEASED = re.compile(r"租")
OWNED = re.compile(r"自有|自己|产权|买的|购买|买了|我的车位|自家|业主|私家|owned")
NO_CONSENT = re.compile(r"没有|还没|没拿|未|不同意|不给|不肯|唔肯|拒绝|不让|不配合|没|无|missing|不知道")
HAS_CONSENT = re.compile(r"有|已|拿到|同意了|同意|盖章|盖了|签了|搞定|in_hand")
YES = re.compile(r"确认|提交|是|对|好|可以|行|没问题|先申请|后补|要|ok", re.IGNORECASE)
NO = re.compile(r"不|否|别|暂不|等|再说|取消|算了")
UNSURE = re.compile(r"不知道|不清楚|不确定|不懂|没买|还没买|不记得|默认|常见|一般")
LEASE_TERM = re.compile(r"(\d+(?:\.\d+)?|[一二两三四五六七八九十]+|半)\s*个?\s*(年|月)(半)?")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
NAME_PREFIX = re.compile(r"^(我的?(名字)?(叫|是)|姓名(是|:)?|名字(是|叫)?|联系人(是|:)?|叫我|申请人(是|:)?)")
NAME_OK = re.compile(r"[\u4e00-\u9fffA-Za-z·]{2,20}")
FILLER = re.compile(r"好的?|可以|是的?|对的?|嗯+|行|继续|确认|谢谢")
# Characters that turn up in refusals and questions ("不想填了") but hardly ever in names.
NOT_IN_NAMES = re.compile(r"[不没吗呢吧啊了的我你]")


def _intent(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def is_question(tracker: Tracker) -> bool:
    """A topic question asked in the middle of the form: the form lets the rules answer it."""
    if _intent(tracker) not in TOPIC_INTENTS:
        return False
    text = latest_text(tracker)
    aspects = [v for v in tracker.get_latest_entity_values("aspect") if v != "apply"]
    return text.startswith("/") or bool(aspects) or bool(QUESTION.search(text))


def parse_ownership(value: Any) -> Optional[str]:
    text = str(value)
    if text in ("owned", "leased"):
        return text
    if LEASED.search(text):
        return "leased"
    return "owned" if OWNED.search(text) else None


def parse_lease_years(value: Any) -> Optional[float]:
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value)
    match = LEASE_TERM.search(text)
    if match is None:
        bare = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*", text)  # "3" answers "how many years"
        return float(bare.group(1)) if bare else None
    amount = 0.5 if match.group(1) == "半" else parse_number(match.group(1))
    if amount is None:
        return None
    years = float(amount) if match.group(2) == "年" else float(amount) / 12
    return years + (0.5 if match.group(3) else 0.0)


def parse_consent(value: Any, intent: Optional[str] = None) -> Optional[str]:
    text = re.sub(r"没问题|没错", "", str(value))  # "已经同意了，没问题" is a yes
    if NO_CONSENT.search(text) or intent == "deny":
        return "missing"
    if HAS_CONSENT.search(text) or intent == "affirm":
        return "in_hand"
    return None


def parse_yes_no(value: Any, intent: Optional[str] = None) -> Optional[bool]:
    if isinstance(value, bool):
        return value
    text = str(value)
    if intent == "deny" or NO.search(text):
        return False
    if intent == "affirm" or YES.search(text):
        return True
    return None


def owner_consent_needed(tracker: Tracker) -> bool:
    """A leased space needs its owner's written consent when the region's rule says so."""
    return (tracker.get_slot(OWNERSHIP) == "leased"
            and bool(Sheet()("charging_pile.eligibility.tenant_needs_owner_consent")))


def missing_consents(tracker: Tracker) -> List[str]:
    """The consent slots answered "missing" (only the ones this application asks)."""
    asked = [CONSENT] + ([OWNER_CONSENT] if owner_consent_needed(tracker) else [])
    return [slot for slot in CONSENTS if slot in asked and tracker.get_slot(slot) == "missing"]


def districts() -> List[Dict[str, Any]]:
    return replies.region().value("geography.districts")


def find_district(text: str) -> Optional[str]:
    """The canonical district named in an address: the district itself, an alias or a street."""
    for district in districts():
        names = [district["name"], *district.get("aliases", [])]
        streets = [s["name"] if isinstance(s, dict) else str(s) for s in district.get("streets", [])]
        if any(name in text for name in names) or any(street in text for street in streets):
            return district["name"]
    return None


def clean_name(text: str) -> str:
    text = NAME_PREFIX.sub("", re.sub(r"[\s,，。.!！]+", "", text))
    return re.sub(r"(女士|先生|小姐)$", "", text)


class ValidateChargingPileForm(ServiceFormValidation):
    def name(self) -> Text:
        return "validate_charging_pile_form"

    def explain(self, slot: str) -> str:
        return {
            OWNERSHIP: "个人充电桩要装在固定车位上，自有车位和租赁车位的要求不同。",
            LEASE: "租赁车位对租期有要求，请看租赁合同上的租期。",
            OWNER_CONSENT: "租赁车位装充电桩，需要车位产权人（出租人）同意安装的书面意见。",
            CONSENT: "物业同意安装、允许施工的证明是报装材料之一。",
            DEFER: "请选择现在先提交申请（同意书后补），还是拿到同意书后再申请。",
            POWER: "功率写在充电桩铭牌或购车资料上，用来确定供电方式。",
            ADDRESS: "车位地址用于安排现场勘查和装表。",
            DISTRICT: "所在区决定由哪个区供电局受理。",
            NAME: "申请人姓名需与身份证一致。",
            PHONE: "手机号用于客户经理联系您约现场勘查。",
            CONFIRMED: "确认后才会提交申请。",
        }.get(slot, super().explain(slot))

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        slots = [OWNERSHIP]
        if tracker.get_slot(OWNERSHIP) == "leased":
            slots.append(LEASE)
            if owner_consent_needed(tracker):
                slots.append(OWNER_CONSENT)
                if tracker.get_slot(OWNER_CONSENT) == "missing" and not consent_may_follow():
                    return slots  # no point asking about the property: the submit action explains
        slots.append(CONSENT)
        if missing_consents(tracker):
            if not consent_may_follow():
                return slots  # the form ends here; the submit action explains, nothing is saved
            slots.append(DEFER)
            if tracker.get_slot(DEFER) is False:
                return slots
        return slots + [POWER, ADDRESS, DISTRICT, NAME, PHONE, CONFIRMED]

    # ---- extraction: the latest message as the answer to the question asked ----------------

    def answer(self, tracker: Tracker, slot: str) -> Optional[Dict[Text, Any]]:
        """{slot: text} when the latest message answers `slot`; None for a question or a cancel,
        which the form rejects so the rules can answer or cancel."""
        if tracker.get_slot("requested_slot") != slot:
            return None
        text, intent = latest_text(tracker), _intent(tracker)
        if CONTINUE.fullmatch(text):
            return {slot: CONTINUE_MARK}
        if wants_cancel(tracker) and slot not in NO_MEANS_STOP:
            return None
        if intent == "deny" and slot not in YES_NO and not UNSURE.search(text):
            return None  # "不" to "your name?" means stop; "不清楚" is still an answer
        if is_question(tracker) and not (slot in CONSENTS and parse_consent(text) == "missing"):
            return None
        return {slot: text}

    async def extract_charging_pile_space_ownership(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return self.answer(tracker, OWNERSHIP) or {}

    async def extract_charging_pile_lease_years(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return self.answer(tracker, LEASE) or {}

    async def extract_charging_pile_consent(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return self._consent(tracker, CONSENT)

    async def extract_charging_pile_owner_consent(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return self._consent(tracker, OWNER_CONSENT)

    def _consent(self, tracker: Tracker, slot: str) -> Dict[Text, Any]:
        found = self.answer(tracker, slot)
        if found and found[slot] != CONTINUE_MARK:
            # The intent decides "没有"/"对" that carry no consent word of their own.
            found[slot] = parse_consent(found[slot], _intent(tracker)) or found[slot]
        return found or {}

    async def extract_charging_pile_defer_consent(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return self._yes_no(tracker, DEFER)

    async def extract_charging_pile_confirmed(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return self._yes_no(tracker, CONFIRMED)

    def _yes_no(self, tracker: Tracker, slot: str) -> Dict[Text, Any]:
        found = self.answer(tracker, slot)
        if found and found[slot] != CONTINUE_MARK:
            decided = parse_yes_no(found[slot], _intent(tracker))
            found[slot] = found[slot] if decided is None else decided
        return found or {}

    async def extract_charging_pile_power_kw(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        found = self.answer(tracker, POWER)
        capacity = entity_value(tracker, "capacity_kw")
        if found and capacity is not None and found[POWER] != CONTINUE_MARK:
            found[POWER] = float(capacity)
        return found or {}

    async def extract_charging_pile_address(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return self.answer(tracker, ADDRESS) or {}

    async def extract_charging_pile_district(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return self.answer(tracker, DISTRICT) or {}

    async def extract_charging_pile_name(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return self.answer(tracker, NAME) or {}

    async def extract_charging_pile_phone(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        found = self.answer(tracker, PHONE)
        phone = entity_value(tracker, "phone")
        if found and phone and found[PHONE] != CONTINUE_MARK:
            found[PHONE] = str(phone)
        return found or {}

    # ---- validation: no side effects beyond messages ----------------------------------------

    def again(self, slot: str) -> Dict[Text, Any]:
        return {slot: None, FAILURES_SLOT: 0.0}

    async def validate_charging_pile_space_ownership(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value == CONTINUE_MARK:
            return self.again(OWNERSHIP)
        ownership = parse_ownership(value)
        if ownership is None:
            return self.fail(OWNERSHIP, dispatcher, tracker, "请告诉我车位是您自己的（产权车位），还是租的。")
        result = self.ok(OWNERSHIP, ownership)
        years = parse_lease_years(value) if ownership == "leased" and isinstance(value, str) else None
        if years is not None:  # "租的，租期三年" answers the next question too
            result.update(self._lease(years, dispatcher))
        return result

    async def validate_charging_pile_lease_years(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value == CONTINUE_MARK:
            return self.again(LEASE)
        years = parse_lease_years(value)
        if years is None or years <= 0:
            return self.fail(LEASE, dispatcher, tracker, "没听清租期，请按合同告诉我，例如“2年”或“18个月”。")
        return self._lease(years, dispatcher)

    def _lease(self, years: float, dispatcher: CollectingDispatcher) -> Dict[Text, Any]:
        sheet = Sheet()
        minimum = float(sheet("charging_pile.eligibility.tenant_min_lease_years"))
        if years >= minimum:
            return self.ok(LEASE, years)
        # An understood answer that does not qualify: explain the rule and the ways forward.
        dispatcher.utter_message(
            text=f"按规定，租赁车位申请充电桩需要租期{number(minimum)}年及以上"
                 f"（{sheet.source('charging_pile.eligibility.tenant_min_lease_years')}），"
                 f"您的租期{number(round(years, 1))}年还不够。您可以：\n"
                 f"1. 与车位产权人续签到{number(minimum)}年及以上，再告诉我新的租期，继续办理；\n"
                 f"2. 暂时先使用公共充电桩。",
            buttons=replies.buttons([("了解公共充电桩", ask("public_pile")), ("取消办理", "/deny")]),
        )
        return {LEASE: None, FAILURES_SLOT: 0.0}

    async def validate_charging_pile_consent(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value == CONTINUE_MARK:
            return self.again(CONSENT)
        consent = parse_consent(value)
        if consent is None:
            return self.fail(CONSENT, dispatcher, tracker, "请告诉我物业同意安装的证明是否已经拿到：已拿到，或还没有。")
        return self.ok(CONSENT, consent)

    async def validate_charging_pile_owner_consent(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value == CONTINUE_MARK:
            return self.again(OWNER_CONSENT)
        consent = parse_consent(value)
        if consent is None:
            return self.fail(OWNER_CONSENT, dispatcher, tracker,
                             "请告诉我车位产权人（出租人）同意安装的书面意见是否已经拿到：已拿到，或还没有。")
        return self.ok(OWNER_CONSENT, consent)

    async def validate_charging_pile_defer_consent(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value == CONTINUE_MARK:
            return self.again(DEFER)
        if not isinstance(value, bool):
            return self.fail(DEFER, dispatcher, tracker, "请选择“先提交申请”，或“拿到同意书再申请”。")
        return self.ok(DEFER, value)

    async def validate_charging_pile_power_kw(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value == CONTINUE_MARK:
            return self.again(POWER)
        sheet = Sheet()
        typical = float(sheet("charging_pile.power.typical_kw"))
        kw = self._kw(value)
        if kw is None and isinstance(value, str) and UNSURE.search(value):
            dispatcher.utter_message(text=f"好的，先按常见的{number(typical)}千瓦登记，现场勘查时会再确认。")
            return self.ok(POWER, typical)
        if kw is None:
            return self.fail(POWER, dispatcher, tracker, f"请告诉我充电桩的功率，例如“{number(typical)}千瓦”；不清楚可以回答“不清楚”。")
        limits = power_range(sheet)
        if not limits["min"] <= kw <= limits["max"]:
            dispatcher.utter_message(
                text=f"个人充电桩可受理{number(limits['min'])}–{number(limits['max'])}千瓦，"
                     f"{number(kw)}千瓦超出了这个范围。请核对充电桩铭牌上的额定功率再告诉我；"
                     f"不确定的话回答“不清楚”，先按常见的{number(typical)}千瓦登记。{sheet.hedge()}",
                buttons=replies.buttons([(f"{number(typical)}千瓦（常见）", f"{number(typical)}千瓦"), ("不清楚", "不清楚")]),
            )
            return {POWER: None, FAILURES_SLOT: 0.0}
        if kw >= limits["three_phase_from"] and isinstance(value, str):
            dispatcher.utter_message(text=f"{number(kw)}千瓦需要三相380伏供电，现场勘查时会确认。")
        return self.ok(POWER, kw)

    @staticmethod
    def _kw(value: Any) -> Optional[float]:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        capacity = parse_capacity(str(value))
        if capacity is not None:
            return float(capacity.value)
        bare = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*", str(value))  # "7" answers "how many kW"
        return float(bare.group(1)) if bare else None

    async def validate_charging_pile_address(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value == CONTINUE_MARK:
            return self.again(ADDRESS)
        address = str(value).strip()
        if len(address) < 6 or not re.search(r"[\u4e00-\u9fff]", address) or MOBILE.search(address):
            return self.fail(ADDRESS, dispatcher, tracker,
                             "请告诉我车位的具体地址，包括区、小区名称和车位号，例如“南山区某某花园地下车库B2-018号”。")
        result = self.ok(ADDRESS, address[:100])
        district = find_district(address)
        if district:
            result[DISTRICT] = district
        return result

    async def validate_charging_pile_district(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value == CONTINUE_MARK:
            return self.again(DISTRICT)
        district = find_district(str(value))
        if district is None:
            examples = "、".join(d["name"] for d in districts()[:3])
            return self.fail(DISTRICT, dispatcher, tracker, f"请告诉我车位所在的区，例如{examples}。")
        return self.ok(DISTRICT, district)

    async def validate_charging_pile_name(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value == CONTINUE_MARK:
            return self.again(NAME)
        name = clean_name(str(value))
        if not NAME_OK.fullmatch(name) or FILLER.fullmatch(name) or NOT_IN_NAMES.search(name):
            return self.fail(NAME, dispatcher, tracker, "请告诉我申请人的姓名（与身份证一致），例如“张伟”。")
        return self.ok(NAME, name)

    async def validate_charging_pile_phone(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value == CONTINUE_MARK:
            return self.again(PHONE)
        match = MOBILE.search(re.sub(r"[\s\-]", "", str(value)))
        if match is None:
            return self.fail(PHONE, dispatcher, tracker, "请留一个11位的手机号码，方便客户经理联系您约现场勘查。")
        return self.ok(PHONE, match.group(0))

    async def validate_charging_pile_confirmed(self, value, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value == CONTINUE_MARK:
            return self.again(CONFIRMED)
        if not isinstance(value, bool):
            return self.fail(CONFIRMED, dispatcher, tracker, "请回复“确认”提交申请，或“取消”不提交。")
        return self.ok(CONFIRMED, value)
