"""充电桩报装 answers: conditions, documents, steps and time limits, who pays, the price options,
the public-pile alternative and the frequent problems.

Every fact comes from knowledge/ (charging_pile.*, tariff.*, service.*); this module only picks
the sub-question and words the answer. The same action starts the application form: it sets
`charging_pile_apply` and the rules in data/rules/charging_pile.yml branch on it.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import replies
from actions.forms import wants_cancel
from actions.tariff_text import other_place
from bot.text import normalize

FORM = "charging_pile_form"
APPLY_SLOT = "charging_pile_apply"

# Words customers use for each frequent problem. Cue words, not facts; checked before the NLU
# aspect because "租的车位可以装吗" is about renting, not about conditions in general.
PROBLEM_CUES: Sequence[Tuple[str, re.Pattern]] = (
    ("property_refuses", re.compile(r"物业.{0,8}(不同意|不让|不给|不肯|唔肯|拒绝|阻挠|不配合|拖|不出|刁难|收.{0,4}费|为难)"
                                    r"|(不同意|不让|不给|拒绝).{0,6}物业|业委会.{0,6}(不同意|拒绝)")),
    ("moving_pile", re.compile(r"迁移|移桩|移表|搬家|换(了)?车位|移到|移过去|挪|拆了|拆桩|新家")),
    ("pile_with_car", re.compile(r"送的|赠送|随车|4s|经销商|车企|厂家|买车送|送了|送桩|附送")),
    ("rented_space", re.compile(r"租的|租赁|租来|承租|租期|租车位|租了")),
    ("old_estate", re.compile(r"老旧|老小区|旧小区|老房|旧楼|老楼|90年代|九十年代|容量不够|容量不足|没有容量|没容量|电不够")),
    ("public_pile", re.compile(r"公共(充电)?桩|充电站|没有(固定)?车位|无(固定)?车位|临时(停)?车位|公共车位|没车位")),
    ("charging_easy", re.compile(r"充电易")),
    ("power", re.compile(r"功率|220|380|单相|三相|慢充|快充|交流桩|直流桩|多大容量|容量怎么选")),
)
# The NLU's `aspect` values (bot/nlu/keywords.yml) and the button payloads -> answer topics.
ASPECT_TOPICS = {
    "eligibility": "conditions", "conditions": "conditions",
    "documents": "documents",
    "steps": "steps", "duration": "steps", "how_to_apply": "steps", "presence": "steps",
    "cost": "cost",
    "price": "price", "time_of_use": "price", "shared_meter": "price", "saving": "price",
    "capacity_increase": "power", "voltage_level": "power", "power": "power",
    "apply": "apply", "overview": "overview",
}
MENU = (("申请条件", "conditions"), ("所需材料", "documents"), ("流程和时限", "steps"),
        ("费用谁出", "cost"), ("充电电价", "price"), ("物业不同意怎么办", "property_refuses"))


def ask(topic: str) -> str:
    """Button payload asking the charging-pile action about one topic."""
    return '/charging_pile{"aspect": "%s"}' % topic


def topic_buttons(*topics: str, apply: bool = True) -> List[Dict[str, str]]:
    titles = dict((t, title) for title, t in MENU)
    titles.update({"public_pile": "公共充电桩", "pile_with_car": "随车送的桩", "rented_space": "租的车位",
                   "power": "功率怎么选", "moving_pile": "充电桩迁移", "old_estate": "老小区容量不够"})
    options = [(titles[t], ask(t)) for t in topics]
    if apply:
        options.append(("在线申请", ask("apply")))
    return replies.buttons(options)


class Sheet:
    """Reads facts for one reply and remembers whether any of them is still unverified, so
    the reply can say the utility has the last word."""

    def __init__(self) -> None:
        self.region = replies.region()
        self.unverified = False

    def __call__(self, path: str) -> Any:
        fact = self.region.fact(path)
        self.unverified = self.unverified or not fact.verified
        return fact.value

    def source(self, path: str) -> str:
        return self.region.fact(path).source

    def hedge(self) -> str:
        return "（具体以供电局答复为准）" if self.unverified else ""


def numbered(items: Sequence[Any]) -> str:
    return "\n".join(f"{i}. {item}" for i, item in enumerate(items, start=1))


def number(value: Any) -> str:
    """7.0 -> 7, 3.5 -> 3.5: numbers read the way people say them."""
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:g}"


def steps_total(sheet: Sheet) -> int:
    return sum(int(step.get("time_limit_working_days") or 0) for step in sheet("charging_pile.steps"))


def power_range(sheet: Sheet) -> Dict[str, Any]:
    return sheet("charging_pile.power.accepted_range_kw")


def consent_may_follow(sheet: Optional[Sheet] = None) -> bool:
    """Whether a missing consent (the property's, or the space owner's for a leased space) may
    be handed in after applying (容缺受理): the explicit switch in knowledge decides."""
    return bool((sheet or Sheet())("charging_pile.application.consent_may_follow"))


def other_city_line(tracker: Tracker) -> str:
    """Names another city? Then say the answer is the default region's, as tariff answers do."""
    place = other_place(tracker)
    if place is None:
        return ""
    name = replies.region().name
    return (f"小南目前只有{name}的充电桩报装资料，下面的条件、流程和电价都是{name}的，{place.name}不一定相同，"
            f"请以当地供电企业的规定为准（可拨打 {replies.hotline()} 咨询）。")


# ---- answers: each returns (text, buttons) ----------------------------------------------

def answer_overview(s: Sheet) -> Tuple[str, list]:
    text = (f"可以申请。家用充电桩报装主要看三点：\n"
            f"1. {s('charging_pile.eligibility.fixed_parking_space')}\n"
            f"2. 物业同意：{s('charging_pile.eligibility.property_management_cooperation')}\n"
            f"3. 费用：{s('charging_pile.costs.meter')}充电桩和表后线路由您负责。\n"
            f"流程是{'→'.join(step['name'] for step in s('charging_pile.steps'))}，"
            f"约{steps_total(s)}个工作日。您想先了解哪一项？也可以直接在线申请。")
    return text, topic_buttons("conditions", "documents", "steps", "price", "property_refuses")


def answer_conditions(s: Sheet) -> Tuple[str, list]:
    owner = "租赁车位还需要车位产权人同意安装的书面意见。" if s("charging_pile.eligibility.tenant_needs_owner_consent") else ""
    text = (f"申请家用充电桩需要满足：\n"
            f"1. {s('charging_pile.eligibility.fixed_parking_space')}{owner}\n"
            f"2. 物业同意安装、允许施工。{s('charging_pile.eligibility.property_management_cooperation')}\n"
            f"3. 安装位置：{s('charging_pile.eligibility.installation_position')}"
            f"电表到充电桩的线缆属于您，建议不超过{number(s('charging_pile.eligibility.max_cable_length_m'))}米。"
            f"{s.hedge()}")
    return text, topic_buttons("documents", "rented_space", "property_refuses")


def answer_documents(s: Sheet) -> Tuple[str, list]:
    deferred = s("charging_pile.documents.deferred_allowed")
    text = f"申请时请准备：\n{numbered(s('charging_pile.documents.required'))}"
    if deferred:
        text += f"\n可以先申请、后补交（容缺受理）：{'；'.join(deferred)}。"
    text += s.hedge()
    return text, topic_buttons("steps", "property_refuses")


def answer_steps(s: Sheet) -> Tuple[str, list]:
    lines = [f"{step['name']}（{step['time_limit_working_days']}个工作日内）：{step['detail']}"
             for step in s("charging_pile.steps")]
    text = (f"办理流程共{len(lines)}步，合计约{steps_total(s)}个工作日：\n{numbered(lines)}\n"
            f"也可以现在就在这里在线申请。{s.hedge()}")
    return text, topic_buttons("documents", "cost")


def answer_cost(s: Sheet) -> Tuple[str, list]:
    text = (f"{s('charging_pile.costs.meter')}{s('charging_pile.costs.grid_connection_fee')}\n"
            f"需要您承担的是：{'、'.join(s('charging_pile.costs.customer_pays'))}。{s.hedge()}")
    return text, topic_buttons("price", "pile_with_car")


def answer_price(s: Sheet) -> Tuple[str, list]:
    key = s("charging_pile.price.tariff_key")
    flat = s(f"tariff.prices.{key}.excluding_funds")
    text = (f"{s('charging_pile.price.rule')}\n"
            f"• 合表电价（不分时）：{flat}元/度（不含政府性基金及附加）。")
    if s("charging_pile.price.time_of_use_on_request"):
        # Knowledge holds no time-of-use table for the 合表 price a pile pays, and the residential
        # tier-1 time-of-use table does not apply to it: the option is named, its prices are not.
        text += (f"\n• 峰谷分时电价：按国家规定可以向供电局申请执行{s.hedge()}。小南这里没有充电桩适用的峰谷价格表，"
                 f"峰谷时段和价格以供电局公布的价目表为准，申请前可拨打 {replies.hotline()} 确认。")
    where = "；".join(str(item) for item in s("tariff.publication.where_to_check"))
    # The tariff's own disclaimer is the hedge for the figure: prices are the utility's to publish.
    text += (f"\n查看价目表：{where}。"
             f"\n依据：{s.source('charging_pile.price.rule')}。{s('tariff.publication.disclaimer')}")
    return text, topic_buttons("cost", "steps")


def answer_power(s: Sheet, requested_kw: Optional[float] = None) -> Tuple[str, list]:
    r = power_range(s)
    text = (f"家用充电桩常见是{number(s('charging_pile.power.typical_kw'))}千瓦的交流桩。"
            f"单相220伏最大{number(r['single_phase_max'])}千瓦，{number(r['three_phase_from'])}千瓦及以上需要三相380伏供电；"
            f"个人充电桩可受理{number(r['min'])}–{number(r['max'])}千瓦。")
    if requested_kw is not None:
        if not r["min"] <= requested_kw <= r["max"]:
            text += f"您说的{number(requested_kw)}千瓦不在这个范围内，请核对充电桩铭牌上的额定功率。"
        elif requested_kw >= r["three_phase_from"]:
            text += f"您说的{number(requested_kw)}千瓦需要三相供电，现场勘查时会确认。"
        else:
            text += f"您说的{number(requested_kw)}千瓦可以正常申请。"
    return text + s.hedge(), topic_buttons("conditions", "steps")


def answer_public_pile(s: Sheet) -> Tuple[str, list]:
    text = (f"个人充电桩{s('charging_pile.eligibility.fixed_parking_space')}\n"
            f"{s('charging_pile.public_pile_alternative')}\n{s('charging_pile.charging_easy')}{s.hedge()}")
    return text, topic_buttons("conditions", apply=False)


def answer_charging_easy(s: Sheet) -> Tuple[str, list]:
    return s("charging_pile.charging_easy") + s.hedge(), topic_buttons("steps")


def answer_property_refuses(s: Sheet) -> Tuple[str, list]:
    text = (f"物业不同意时，可以这样做：\n{numbered(s('charging_pile.faq.property_refuses'))}\n"
            f"政策依据：{s.source('charging_pile.eligibility.property_management_cooperation')}。{s.hedge()}")
    return text, topic_buttons("documents", "public_pile")


def answer_faq(key: str, follow: Sequence[str]):
    def answer(s: Sheet) -> Tuple[str, list]:
        return s(f"charging_pile.faq.{key}") + s.hedge(), topic_buttons(*follow)
    return answer


ANSWERS = {
    "overview": answer_overview,
    "conditions": answer_conditions,
    "documents": answer_documents,
    "steps": answer_steps,
    "cost": answer_cost,
    "price": answer_price,
    "power": answer_power,
    "public_pile": answer_public_pile,
    "charging_easy": answer_charging_easy,
    "property_refuses": answer_property_refuses,
    "old_estate": answer_faq("old_estate_no_capacity", ("public_pile", "steps")),
    "rented_space": answer_faq("rented_space", ("conditions", "documents")),
    "pile_with_car": answer_faq("pile_with_car", ("documents", "cost")),
    "moving_pile": answer_faq("moving_pile", ("documents", "steps")),
}


def pick_topic(tracker: Tracker) -> str:
    """Which sub-question the latest message asks: a button's aspect, a frequent problem named
    in the text, the NLU's aspect, else the overview. "我要申请" alone starts the form; with
    another question ("想申请，要什么材料") the question is answered first."""
    aspects = [str(e.get("value")) for e in tracker.latest_message.get("entities") or [] if e.get("entity") == "aspect"]
    text = normalize(tracker.latest_message.get("text") or "")
    if text.startswith("/"):
        for aspect in aspects:
            if aspect in ANSWERS or aspect == "apply":
                return aspect
    for topic, cue in PROBLEM_CUES:
        if cue.search(text.lower()):
            return topic
    if requested_power(tracker) is not None:  # "30千瓦的桩能装吗" is about that power
        return "power"
    topics = [ASPECT_TOPICS[a] for a in aspects if a in ASPECT_TOPICS]
    questions = [t for t in topics if t != "apply"]
    if questions:
        return questions[0]
    return "apply" if "apply" in topics else "overview"


def requested_power(tracker: Tracker) -> Optional[float]:
    value = next(tracker.get_latest_entity_values("capacity_kw"), None)
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def render(topic: str, tracker: Optional[Tracker] = None) -> Tuple[str, list]:
    sheet = Sheet()
    if topic == "power" and tracker is not None:
        return answer_power(sheet, requested_power(tracker))
    return ANSWERS.get(topic, answer_overview)(sheet)


class ActionChargingPileAnswer(Action):
    """Answers a charging-pile question, or starts the application (slot charging_pile_apply)."""

    def name(self) -> Text:
        return "action_charging_pile_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List:
        in_form = (tracker.active_loop or {}).get("name") == FORM
        if in_form and wants_cancel(tracker):
            # "充电桩不申请了" may be read as a charging-pile message: it still ends the form.
            return [SlotSet(APPLY_SLOT, False), FollowupAction("action_cancel_form")]
        topic = pick_topic(tracker)
        elsewhere = other_city_line(tracker)
        if topic == "apply":
            if in_form:
                dispatcher.utter_message(text="好的，我们正在为您办理，请接着回答下面的问题。")
                return [SlotSet(APPLY_SLOT, False)]
            if elsewhere:
                elsewhere += f"这里的在线申请只受理{replies.region().name}的车位。\n"
            dispatcher.utter_message(
                text=f"{elsewhere}好的，现在为您在线申请充电桩报装。先确认车位和物业同意的情况，再登记联系方式；"
                     "随时说“取消”即可停止，不会提交任何信息。")
            return [SlotSet(APPLY_SLOT, True)]
        text, buttons = render(topic, tracker)
        if elsewhere:
            text = f"{elsewhere}\n{text}"
        if in_form:
            buttons = []  # the form asks its next question right after this answer
            text += "\n我们接着办理申请："
        dispatcher.utter_message(text=text, buttons=buttons)
        return [SlotSet(APPLY_SLOT, False)]
