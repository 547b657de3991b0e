"""一户多人口 (households with many residents): the policy, eligibility, the saving, documents.

`action_multi_resident_answer` answers the `multi_resident_policy` intent and sets
`multi_resident_next`: `check` (a rule starts multi_resident_check_form to ask household size and
typical usage), `apply` (a rule starts multi_resident_form, see multi_resident_apply.py) or `done`.
A verified customer's household size and 12 months of bills come from the back end instead.
Every rule and figure comes from knowledge/ (multi_resident.yml) and knowledge.tariff.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import backend_client
from actions.forms import FAILURES_SLOT, ServiceFormValidation, latest_text, wants_cancel
from actions.replies import apology_unavailable, buttons, hotline, region
from actions.tariff_text import (
    SEASONS,
    fact_unverified,
    joined,
    message_aspects,
    message_kwh,
    num,
    numbered,
    payload,
    representative_month,
    season_bounds,
    season_label,
    season_months,
    tier_ranges,
)
from actions.verification import verified_account
from bot.text import parse_number
from knowledge.tariff import multi_resident_saving

NEXT_SLOT = "multi_resident_next"
SIZE_SLOT = "mr_household_size"
KWH_SLOT = "mr_monthly_kwh"
MAX_MEMBERS = 50
MAX_KWH = Decimal("100000")
# "6口人", "五个人", "一家7口": the digits come from bot.text.normalize (Chinese numerals).
HOUSEHOLD = re.compile(r"(?<![\d.])(\d{1,2})\s*(?:多)?\s*(?:口人|口之家|口|个人|人)")
APPLY_WORDS = re.compile(r"(我要|我想|帮我|现在|直接|在线)(申请|办理|办)")
# "我家能不能办" asks about the customer's own household even without an NLU aspect.
OWN_CASE_WORDS = re.compile(r"(能不能办|能办吗|可以办吗|能不能享受|够不够条件|合不合算|划不划算|划算吗)")
EFFECTIVE_TEXT = {"next_billing_month": "审核通过后的下一个计费月起执行，不追溯以前的电费"}
UNVERIFIED_HEDGE = "（部分细则以供电局审核答复为准。）"

MY_FORMS = ("multi_resident_form", "multi_resident_check_form")
CHECK_BUTTON = ("看看我家能不能办、能省多少", payload("multi_resident_policy", aspect="saving"))
DOCS_BUTTON = ("需要什么材料", payload("multi_resident_policy", aspect="documents"))
APPLY_BUTTON = ("在线申请", payload("multi_resident_policy", aspect="apply"))

POLICY_PATHS = ("multi_resident.eligibility.min_members", "multi_resident.benefit.uplift_kwh_per_month",
                "multi_resident.benefit.uplift_applies_to", "multi_resident.benefit.effective_from",
                "multi_resident.validity.years")


def household_size_in(text: str) -> Optional[int]:
    match = HOUSEHOLD.search(text)
    return int(match.group(1)) if match else None


def min_members() -> int:
    return int(region().value("multi_resident.eligibility.min_members"))


def effective_text() -> str:
    value = str(region().value("multi_resident.benefit.effective_from"))
    return EFFECTIVE_TEXT.get(value, value)


def uplift_text() -> str:
    r = region()
    uplift = num(r.value("multi_resident.benefit.uplift_kwh_per_month"))
    if r.value("multi_resident.benefit.uplift_applies_to") == "all_tiers":
        return f"每个月各档电量上限都提高{uplift}度"
    return f"每个月第一档电量上限提高{uplift}度"


def raised_bounds_text() -> str:
    parts = []
    for season in SEASONS:
        ranges = tier_ranges(season_bounds(season, multi_resident=True))
        parts.append(f"{season_label(season)}第一档{ranges[0]}、第二档{ranges[1]}")
    return "；".join(parts)


def members_rule_text() -> str:
    r = region()
    permits = "（居住证登记的家庭成员可合并计算）" if r.value("multi_resident.eligibility.residence_permit_accepted") else ""
    return f"户口簿登记{permits}{min_members()}人及以上的居民家庭"


def source_text() -> str:
    r = region()
    start = str(r.value("multi_resident.policy.shenzhen_start_date"))
    year, month, day = (int(x) for x in start.split("-"))
    return f"依据：{r.value('multi_resident.policy.title')}，{r.name}自{year}年{month}月{day}日起执行。"


def hedge() -> str:
    return UNVERIFIED_HEDGE if fact_unverified(*POLICY_PATHS) else ""


def shared_meter_option(size: Optional[int]) -> Optional[str]:
    """The 合表 alternative for very large households, only while the data switch is on."""
    r = region()
    if not r.value("multi_resident.large_household_shared_meter_option.enabled"):
        return None
    threshold = int(r.value("multi_resident.large_household_shared_meter_option.min_members"))
    if size is not None and size < threshold:
        return None
    return f"家庭人口{threshold}人及以上的，也可以申请执行合表电价，办理前可向营业厅咨询哪种更划算。"


def document_items() -> List[str]:
    return numbered(region().value("multi_resident.application.documents"))


def documents_lines() -> List[str]:
    r = region()
    return ["申请一户多人口需要准备：", *document_items(),
            f"办理渠道：{joined(r.value('multi_resident.application.channels'))}。",
            f"线上路径：{r.value('multi_resident.application.online_path')}。",
            f"{effective_text()}。{hedge()}"]


def overview_lines() -> List[str]:
    r = region()
    lines = [f"一户多人口：{r.value('multi_resident.policy.summary')}",
             f"· 条件：{members_rule_text()}。",
             f"· 优惠：{uplift_text()}，即{raised_bounds_text()}，超出部分才按高档计价。",
             f"· 生效：{effective_text()}。"]
    if r.has("multi_resident.validity.years"):
        lines.append(f"· 有效期：{num(r.value('multi_resident.validity.years'))}年，{r.value('multi_resident.validity.renewal')}")
    option = shared_meter_option(None)
    if option:
        lines.append(f"· {option}")
    lines.append(source_text() + hedge())
    return lines


def saving_lines(kwh: Decimal) -> List[str]:
    """Monthly and yearly saving for a typical month's use, both seasons, from the calculator."""
    estimate = multi_resident_saving(kwh)
    by_month = {row.month: row for row in estimate.months}
    lines = [f"按每月用电{num(kwh)}度估算："]
    for season in SEASONS:
        row = by_month[representative_month(season)]
        lines.append(f"· {season_label(season)}：每月 {row.standard} 元 → {row.with_multi_resident} 元，"
                     f"省 {row.saving} 元（{len(season_months(season))}个月）")
    if estimate.yearly_saving > 0:
        lines.append(f"一年约省 {estimate.yearly_saving} 元，平均每月约 {estimate.average_monthly_saving} 元。")
    else:
        lines.append("按这个用电量，每个月都在第一档以内，申请后电费不会变化；用电多、超过第一档的月份才会省钱。")
    return lines


def eligibility_lines(size: Optional[int], kwh: Optional[Decimal]) -> List[str]:
    lines: List[str] = []
    if size is not None:
        if size >= min_members():
            lines.append(f"您家{size}人，符合一户多人口的人数条件（{members_rule_text()}）。")
        else:
            lines.append(f"您家{size}人，暂不符合：需要{members_rule_text()}。"
                         "如果人数有变化，达到条件后再来申请。")
            return lines
    if kwh is not None:
        lines += saving_lines(kwh)
    option = shared_meter_option(size)
    if option:
        lines.append(option)
    lines.append(f"{uplift_text()}，{effective_text()}。{hedge()}")
    return lines


def answer_buttons(eligible: bool = True) -> List[Dict[str, str]]:
    return buttons([APPLY_BUTTON, DOCS_BUTTON] if eligible else [("阶梯电价标准", payload("tiered_tariff"))])


async def personal_answer(dispatcher: CollectingDispatcher, account_no: str) -> None:
    """Eligibility and the saving from the verified account's own household size and bills."""
    account = await backend_client.get(f"/api/v1/accounts/{account_no}")
    bills = await backend_client.get(f"/api/v1/accounts/{account_no}/bills", months=12) if account.ok else account
    if account.unavailable or bills.unavailable:
        apology_unavailable(dispatcher, "查询您的户号信息")
        return
    if not account.ok:
        dispatcher.utter_message(text=f"暂时没有查到您的户号信息，请拨打 {hotline()} 咨询。")
        return
    data = account.data
    not_applicable = not_applicable_text(data)
    if not_applicable:
        dispatcher.utter_message(text=not_applicable)
        return
    size = int(data.get("household_size") or 0)
    lines = [f"您的户号登记的家庭人口为{size}人。"] + eligibility_lines(size, None)
    history = (bills.data.get("bills") or []) if bills.ok else []
    if size >= min_members() and history:
        estimate = multi_resident_saving({int(b["period"][5:7]): b["kwh"] for b in history[:12]})
        scaled = "（按已有月份折算全年）" if estimate.extrapolated else ""
        lines.insert(2, f"按您家最近{len(estimate.months)}个月的实际用电计算，一年约省 {estimate.yearly_saving} 元"
                        f"{scaled}，平均每月约 {estimate.average_monthly_saving} 元。")
    dispatcher.utter_message(text="\n".join(lines), buttons=answer_buttons(size >= min_members()))


def not_applicable_text(account: Dict[str, Any]) -> Optional[str]:
    if account.get("multi_resident"):
        return (f"您的户号已经在享受一户多人口政策，电费已按提高后的档位计算（{raised_bounds_text()}）。"
                + (f"有效期{num(region().value('multi_resident.validity.years'))}年，"
                   f"{region().value('multi_resident.validity.renewal')}" if region().has("multi_resident.validity.years") else ""))
    if account.get("tariff_type") == "shared_meter":
        return "您的户号是合表用户，执行单一电价、不分档，一户多人口（提高阶梯档位）对合表用户不适用。"
    if account.get("tariff_type") not in (None, "residential"):
        return "一户多人口是居民生活用电的政策，您的户号执行的不是居民电价，不适用。"
    return None


class ActionMultiResidentAnswer(Action):
    def name(self) -> Text:
        return "action_multi_resident_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        from actions.multi_resident_apply import start_application  # the apply module imports this one

        text = latest_text(tracker)
        aspects = set(message_aspects(tracker))
        size, kwh = household_size_in(text), message_kwh(tracker)
        account_no = verified_account(tracker)
        done = [SlotSet(NEXT_SLOT, "done")]
        if (tracker.active_loop or {}).get("name") in MY_FORMS:
            # A question in the middle of a form: answer it, the form then resumes (a rule).
            # Sizes and kWh in the message are left to the form's own extraction.
            if aspects & {"documents", "how_to_apply"}:
                dispatcher.utter_message(text="\n".join(documents_lines()))
            elif size is None and kwh is None:
                dispatcher.utter_message(text="\n".join(overview_lines()))
            return done
        if "apply" in aspects or APPLY_WORDS.search(text):
            return await start_application(dispatcher, tracker, size)
        if aspects & {"documents", "how_to_apply"}:
            dispatcher.utter_message(text="\n".join(documents_lines()), buttons=buttons([APPLY_BUTTON, CHECK_BUTTON]))
            return done
        asks_own_case = (bool(aspects & {"saving", "eligibility"}) or size is not None or kwh is not None
                         or bool(OWN_CASE_WORDS.search(text)))
        if account_no and asks_own_case:
            await personal_answer(dispatcher, account_no)
            return done
        if size is not None and (kwh is not None or size < min_members()):
            lines = eligibility_lines(size, kwh)
            dispatcher.utter_message(text="\n".join(lines), buttons=answer_buttons(size >= min_members()))
            return done
        if asks_own_case:
            dispatcher.utter_message(text="好的，我帮您看看能不能办、大概能省多少。")
            return [SlotSet(NEXT_SLOT, "check"), SlotSet(SIZE_SLOT, float(size) if size else None),
                    SlotSet(KWH_SLOT, float(kwh) if kwh is not None else None)]
        dispatcher.utter_message(text="\n".join(overview_lines()), buttons=buttons([CHECK_BUTTON, DOCS_BUTTON, APPLY_BUTTON]))
        return done


# ------------------------------------------------------------------ eligibility check form

def validate_size(value: Any) -> Optional[int]:
    try:
        size = int(Decimal(str(value)))
    except (ArithmeticError, ValueError):
        return None
    return size if 1 <= size <= MAX_MEMBERS and Decimal(str(value)) == size else None


def extract_size(tracker: Tracker) -> Dict[Text, Any]:
    """Household size from "6口人", or a bare number when the question was asked."""
    text = latest_text(tracker)
    size = household_size_in(text)
    if size is not None:
        return {SIZE_SLOT: float(size)}
    if tracker.get_slot("requested_slot") != SIZE_SLOT:
        return {}
    number = parse_number(text)
    if number is not None:
        return {SIZE_SLOT: float(number)}
    if (tracker.latest_message.get("intent") or {}).get("name") == "inform":
        return {SIZE_SLOT: text}
    return {}


class ValidateMultiResidentCheckForm(ServiceFormValidation):
    def name(self) -> Text:
        return "validate_multi_resident_check_form"

    def explain(self, slot: str) -> str:
        if slot == SIZE_SLOT:
            return f"是否符合条件看户口簿（和居住证）上登记的人数，需要{min_members()}人及以上。"
        return "每月用电度数在电费单或南网在线账单的“本期电量”里，说个大概的数就行，比如“400度”。"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        # A household below the threshold does not qualify: no need to ask its usage.
        size = validate_size(tracker.get_slot(SIZE_SLOT)) if tracker.get_slot(SIZE_SLOT) is not None else None
        if size is not None and size < min_members():
            return [SIZE_SLOT]
        return domain_slots

    async def run(self, dispatcher, tracker, domain):
        if wants_cancel(tracker):
            return [SlotSet(FAILURES_SLOT, 0.0), SlotSet("requested_slot", None)]
        return await super().run(dispatcher, tracker, domain)

    async def extract_mr_household_size(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> Dict[Text, Any]:
        return extract_size(tracker)

    async def extract_mr_monthly_kwh(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> Dict[Text, Any]:
        kwh = message_kwh(tracker)
        if kwh is not None:
            return {KWH_SLOT: float(kwh)}
        if tracker.get_slot("requested_slot") != KWH_SLOT:
            return {}
        number = parse_number(latest_text(tracker))
        if number is not None:
            return {KWH_SLOT: float(number)}
        if (tracker.latest_message.get("intent") or {}).get("name") == "inform":
            return {KWH_SLOT: latest_text(tracker)}
        return {}

    async def validate_mr_household_size(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                         domain: DomainDict) -> Dict[Text, Any]:
        size = validate_size(value)
        if size is None:
            return self.fail(SIZE_SLOT, dispatcher, tracker, "请告诉我家里户口簿上登记的人数，比如“6口人”。")
        return self.ok(SIZE_SLOT, float(size))

    async def validate_mr_monthly_kwh(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> Dict[Text, Any]:
        try:
            kwh = Decimal(str(value))
        except ArithmeticError:
            kwh = None
        if kwh is None or kwh < 0 or kwh > MAX_KWH:
            return self.fail(KWH_SLOT, dispatcher, tracker, "请告诉我家里一般每月用多少度电，比如“450度”。")
        return self.ok(KWH_SLOT, float(kwh))


class ActionMultiResidentCheck(Action):
    """Runs when multi_resident_check_form is complete: eligibility, saving, next steps."""

    def name(self) -> Text:
        return "action_multi_resident_check"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        size = validate_size(tracker.get_slot(SIZE_SLOT)) if tracker.get_slot(SIZE_SLOT) is not None else None
        raw_kwh = tracker.get_slot(KWH_SLOT)
        events = [SlotSet(NEXT_SLOT, "done"), SlotSet(KWH_SLOT, None)]
        if size is None:
            dispatcher.utter_message(text="好的，先不算了。想了解一户多人口政策，随时问我。")
            return events + [SlotSet(SIZE_SLOT, None)]
        kwh = Decimal(str(raw_kwh)) if raw_kwh is not None else None
        eligible = size >= min_members()
        lines = eligibility_lines(size, kwh if eligible else None)
        if eligible:
            lines.append("需要的材料和办理渠道点“需要什么材料”查看，也可以现在在线申请。")
        dispatcher.utter_message(text="\n".join(lines), buttons=answer_buttons(eligible))
        # The size is kept so an application right after does not ask it again.
        return events if eligible else events + [SlotSet(SIZE_SLOT, None)]
