"""用电报装 enquiries: answers built from knowledge/ for what the customer said.

Who the customer is (home, shop, factory), how much capacity they need and whether they need a
dual supply decide the category (residential, low-voltage business, high voltage single/dual),
and the category decides the steps, time limits, documents and costs. Every figure comes from
knowledge/ (connection.*); this module only works out the category and words the answer.
The same action starts the application form (actions/connection_form.py): it sets
`connection_apply` and the rules in data/rules/connection.yml branch on it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import replies
from actions.forms import entity_value, latest_text
from knowledge import UnknownFact, load_knowledge

FORM = "connection_form"
APPLY_SLOT = "connection_apply"
CUSTOMER_TYPES = ("residential", "business", "factory")
# The NLU contract once called large customers "high_voltage"; both mean "not a home or shop".
TYPE_ALIASES = {"high_voltage": "factory"}
TYPE_LABELS = {"residential": "家庭用电", "business": "店铺/小微企业", "factory": "厂房/楼宇等大容量用电"}
UNIT_LABELS = {"kW": "千瓦", "kVA": "千伏安"}
# Cue words (not facts): a second independent supply, and temporary supply (building sites).
DUAL_SUPPLY = re.compile(r"双电源|双回路|双路|两路电源|两路供电|多电源|备用电源")
TEMPORARY = re.compile(r"临时用电|临时供电|临时接电|临时电|工地")
# Upper bound of a plausible single connection, as a typing check only: a figure above it
# (10^9 kW is a thousand big power stations) is a slip of the unit or an extra zero.
MAX_PLAUSIBLE_KW = Decimal(100_000)
TOO_LARGE = "too_large"
# bot.text reads 万 but not 亿 in quantities (it would read "10亿千瓦" as 10): such figures are
# absurd for one connection anyway, so they are recognised here only to be questioned.
HUNDRED_MILLIONS = re.compile(r"亿\s*(?:千瓦|千伏安|兆瓦|瓦|kw|kva|mw|w)", re.IGNORECASE)
SUB_QUESTIONS = ("steps", "duration", "documents", "cost", "how_to_apply", "voltage_level", "presence",
                 "capacity_increase")
MENU = (("办理流程", "steps"), ("要多久", "duration"), ("要什么材料", "documents"), ("要不要钱", "cost"),
        ("怎么申请", "how_to_apply"), ("要不要本人到场", "presence"), ("增容怎么办", "capacity_increase"))
_URL = re.compile(r"https?://[A-Za-z0-9./?=&_%:#~+\-]+")


def ask(aspect: str) -> str:
    """Button payload asking the connection action one sub-question."""
    return '/connection_enquiry{"aspect": "%s"}' % aspect


def menu_buttons(answered: Sequence[str], apply: bool = True) -> List[Dict[str, str]]:
    options = [(title, ask(aspect)) for title, aspect in MENU if aspect not in answered][:4]
    if apply:
        options.append(("在线申请报装", ask("apply")))
    return replies.buttons(options)


def normalise_customer_type(value: Any) -> Optional[str]:
    value = TYPE_ALIASES.get(str(value), str(value)) if value else None
    return value if value in CUSTOMER_TYPES else None


def number_text(value: Any) -> str:
    """80.0 -> "80", 0.5 -> "0.5" (no float noise in replies)."""
    number = Decimal(str(value)).normalize()
    return format(number, "f") if number == number.to_integral() else str(number)


def capacity_text(value: Any, unit: Optional[str]) -> str:
    return f"{number_text(value)}{UNIT_LABELS.get(unit or 'kW', '千瓦')}"


def capacity_problem(value: Any) -> Optional[str]:
    """Why a capacity cannot be right, or None. Shared by the enquiry and the form."""
    if value == TOO_LARGE:
        return "这个容量大得不像一处用电的需求，可能是单位或位数说错了，请再核对一下，例如“800千伏安”或“80千瓦”。"
    try:
        number = Decimal(str(value))
    except (ArithmeticError, ValueError):
        return "没听明白容量是多少，请说一个数字加单位，例如“80千瓦”。"
    if not number.is_finite() or number <= 0:
        return "用电容量要大于0，请说一下大概需要多少千瓦（或千伏安），例如“80千瓦”。"
    if number > MAX_PLAUSIBLE_KW:
        return (f"{number_text(number)}千瓦相当于一座大型电厂的出力，不像是一处用电的需求，"
                f"可能是单位或位数说错了，请再核对一下，例如“800千伏安”或“80千瓦”。")
    return None


def short_source(source: str) -> str:
    """The document a fact comes from, without URLs: the first part naming a document."""
    parts = [_URL.sub("", part).strip() for part in str(source).split("；")]
    named = [part for part in parts if part and not part.startswith("（")]
    return (named or ["供电局公开信息"])[0]


class ConnectionFacts:
    """The connection facts of one region, plus the wording of where they come from."""

    def __init__(self, region: Any) -> None:
        self.region = region

    def value(self, key: str) -> Any:
        return self.region.value(f"connection.{key}")

    def basis(self, key: str) -> str:
        fact = self.region.fact(f"connection.{key}")
        hedge = "以供电局公布为准" if fact.verified else "以供电局答复为准"
        return f"（依据：{short_source(fact.source)}，{hedge}）"

    def hedge(self, key: str) -> str:
        return "" if self.region.fact(f"connection.{key}").verified else "（具体以供电局答复为准）"

    @property
    def threshold_kva(self) -> Decimal:
        return Decimal(str(self.value("low_voltage_threshold_kva")))

    def label(self, category: str) -> str:
        return self.value("categories")[category]["label"]

    def voltage(self, category: str) -> str:
        return self.value("categories")[category]["voltage"]

    def steps(self, level: str) -> List[str]:
        return list(self.value(f"process.{level}_voltage.steps"))

    def plan_days(self, category: str) -> int:
        return int(self.value("commitments.supply_plan_reply_working_days")[category])

    def install_days(self, category: str) -> int:
        return int(self.value("commitments.installation_working_days")[category])


@dataclass(frozen=True)
class Situation:
    """What the customer told us about the connection they need."""

    customer_type: Optional[str] = None
    capacity_kw: Optional[Decimal] = None
    capacity_unit: Optional[str] = None
    dual_supply: bool = False
    temporary: bool = False

    def category(self, facts: ConnectionFacts) -> Optional[str]:
        return decide_category(facts, self.customer_type, self.capacity_kw, self.dual_supply)

    def level(self, facts: ConnectionFacts) -> Optional[str]:
        category = self.category(facts)
        if category:
            return "high" if category.startswith("high") else "low"
        if self.capacity_kw is not None:  # low capacity but not yet known whether home or shop
            return "low"
        return None

    @property
    def capacity(self) -> Optional[str]:
        return capacity_text(self.capacity_kw, self.capacity_unit) if self.capacity_kw is not None else None


def decide_category(facts: ConnectionFacts, customer_type: Optional[str], capacity_kw: Any,
                    dual_supply: bool = False) -> Optional[str]:
    """The work-order category (the back end's connection variants), or None when unknown.

    The threshold is in kVA while customers often say kW; Shenzhen's own announcements state
    the limit in both units interchangeably (knowledge note: "160千瓦（千伏安）"), so a kW figure
    is compared with it as it is.
    """
    capacity = Decimal(str(capacity_kw)) if capacity_kw is not None else None
    if dual_supply or (capacity is not None and capacity > facts.threshold_kva):
        return "high_voltage_dual" if dual_supply else "high_voltage_single"
    if customer_type == "residential":
        return "residential"
    if customer_type == "business" or (customer_type == "factory" and capacity is not None):
        return "low_voltage_business"
    return None


def situation_from(tracker: Tracker) -> Situation:
    """The latest message first (it may correct what was said before), then the slots."""
    customer_type = normalise_customer_type(entity_value(tracker, "customer_type")) or normalise_customer_type(
        tracker.get_slot("connection_customer_type"))
    capacity, unit = entity_value(tracker, "capacity_kw"), entity_value(tracker, "capacity_unit")
    if capacity is None:
        capacity, unit = tracker.get_slot("connection_capacity_kw"), tracker.get_slot("connection_capacity_unit")
    if capacity is not None and capacity_problem(capacity):
        capacity = unit = None
    text = latest_text(tracker)
    return Situation(
        customer_type=customer_type,
        capacity_kw=Decimal(str(capacity)) if capacity is not None else None,
        capacity_unit=unit if capacity is not None else None,
        dual_supply=bool(tracker.get_slot("connection_dual_supply") or DUAL_SUPPLY.search(text)),
        temporary=bool(TEMPORARY.search(text)),
    )


def region_for(tracker: Tracker) -> Tuple[Any, str]:
    """The region whose facts answer, and a caveat when the customer named a place we do not cover."""
    kb = load_knowledge()
    city = entity_value(tracker, "city")
    if city:
        try:
            return kb.region(city), ""
        except UnknownFact:
            home = kb.region()
            return home, (f"小南目前掌握的是{home.name}的报装规定，{city}的具体办法请咨询当地供电局"
                          f"（热线{replies.hotline()}）。以下是{home.name}的做法，供您参考：")
    return kb.region(), ""


class Answers:
    """One reply's sentences for one customer situation."""

    def __init__(self, facts: ConnectionFacts, situation: Situation) -> None:
        self.facts = facts
        self.situation = situation
        self.category = situation.category(facts)
        self.level = situation.level(facts)

    # -- sub-questions ---------------------------------------------------------------------
    def voltage_level(self) -> str:
        f, s = self.facts, self.situation
        threshold = number_text(f.threshold_kva)
        if s.dual_supply and self.category == "high_voltage_dual":
            return f"需要双（多）电源供电的，按{f.label('high_voltage_dual')}办理，{f.voltage('high_voltage_dual')}供电。"
        if s.capacity and self.level == "high":
            return (f"您需要{s.capacity}，超过{threshold}千伏安，要按{f.voltage('high_voltage_single')}高压供电"
                    f"（{f.label(self.category)}）。{f.basis('low_voltage_threshold_kva')}")
        if s.capacity and self.level == "low":
            voltage = f.voltage(self.category or "low_voltage_business")
            return (f"您需要{s.capacity}，在{threshold}千伏安以内，按低压（{voltage}）接入。"
                    f"{f.basis('low_voltage_threshold_kva')}")
        return (f"在{f.region.name}，用电容量{threshold}千伏安及以下的按低压接入，超过{threshold}千伏安的按"
                f"{f.voltage('high_voltage_single')}高压供电。{f.basis('low_voltage_threshold_kva')}"
                f"告诉我大概需要多少千瓦，我帮您判断。")

    def steps(self) -> str:
        lines = [self._steps_line(level) for level in self._levels()]
        return "\n".join(lines)

    def _steps_line(self, level: str) -> str:
        f = self.facts
        steps = f.steps(level)
        name = "低压" if level == "low" else "高压"
        line = f"{name}报装只要{len(steps)}步：{' → '.join(steps)}。"
        if level == "low":
            line += f"{f.region.name}低压平均接电时间不超过{f.value('process.low_voltage.average_working_days')}个工作日。"
            if self.category != "residential":
                line += f"{f.value('process.low_voltage.next_day_for_micro_business')}（具备装表条件时）。"
            line += f"低压供电方案有效期{f.value('plan_validity.low_voltage_months')}个月。"
        else:
            line += (f"供电方案有效期{f.value('plan_validity.high_voltage_months')}个月，"
                     f"{f.value('plan_validity.extension')}")
        return line

    def duration(self) -> str:
        f = self.facts
        categories = [self.category] if self.category else self._categories_for_level()
        lines = []
        for category in categories:
            plan, install = f.plan_days(category), f.install_days(category)
            if category.startswith("high"):
                lines.append(f"{f.label(category)}：供电方案答复不超过{plan}个工作日；您的受电工程竣工检验合格后，"
                             f"{install}个工作日内装表接电。")
            else:
                lines.append(f"{f.label(category)}：供电方案答复不超过{plan}个工作日，装表接电不超过{install}个工作日。")
        text = "\n".join(lines) + f.basis("commitments.supply_plan_reply_working_days")
        if self.level == "low":
            text += (f"\n实际上{f.region.name}低压平均不超过{f.value('process.low_voltage.average_working_days')}"
                     f"个工作日就能接电。")
        return text

    def documents(self) -> str:
        f = self.facts
        kinds = {"residential": ["residential"], None: ["residential", "business"]}.get(
            self.situation.customer_type, ["business"])
        titles = {"residential": "居民报装", "business": "企业、商铺报装"}
        lines = []
        for kind in kinds:
            items = "；".join(f"{n}. {item}" for n, item in enumerate(f.value(f"documents.{kind}"), start=1))
            lines.append(f"{titles[kind]}需要：{items}。")
        lines.append(f"{f.value('documents.one_certificate')}{f.hedge('documents.one_certificate')}")
        return "\n".join(lines)

    def cost(self) -> str:
        f = self.facts
        lines = []
        for level in self._levels():
            if level == "low":
                zero = f.value("reforms.three_zero")
                lines.append(f"低压接电不用您出钱，享受“{'、'.join(zero['items'])}”：{f.value('costs.low_voltage')}"
                             f"{f.basis('costs.low_voltage')}")
            else:
                save = f.value("reforms.three_save")
                lines.append(f"高压报装享受“{'、'.join(save['items'])}”：{f.value('costs.high_voltage')}"
                             f"{f.basis('costs.high_voltage')}")
        return "\n".join(lines)

    def how_to_apply(self) -> str:
        f = self.facts
        channels = "、".join(f.value("channels"))
        text = (f"可以通过{channels}申请，也可以现在就让小南帮您在线提交。"
                f"{f.value('documents.one_certificate')}")
        if self.level != "high":
            text += f"{f.value('process.low_voltage.online_contract')}。"
        return text

    def presence(self) -> str:
        f = self.facts
        wording = {"not_required": "不需要本人到场", "required": "需要本人到场",
                   "recommended": "建议您本人或委托的电气负责人到场"}
        lines = []
        for level in self._levels():
            key = f"site_survey_presence.{level}_voltage"
            fact = f.region.fact(f"connection.{key}")
            name = "低压" if level == "low" else "高压"
            line = f"{name}报装的现场勘查{wording.get(fact.value, fact.value)}。"
            if fact.verified and fact.note:
                line += fact.note
            lines.append(line + f.hedge(key))
        return "\n".join(lines)

    def capacity_increase(self) -> str:
        f = self.facts
        steps = "；".join(f"{n}. {step}" for n, step in enumerate(f.value("capacity_increase.steps"), start=1))
        text = (f"增容按新装的流程办理：{steps}。\n{f.value('capacity_increase.cost')}"
                f"增容后总容量超过{number_text(f.threshold_kva)}千伏安的，要改为高压供电。"
                f"{f.hedge('capacity_increase.steps')}")
        return text

    def temporary(self) -> str:
        months = self.facts.value("temporary_supply.max_months")
        return (f"临时用电（如施工工地）和正式用电一样申请，期限一般不超过{months}个月，到期要办理延期或转为正式用电。"
                f"{self.facts.hedge('temporary_supply.max_months')}")

    def overview(self) -> str:
        """No specific sub-question: the voltage level, steps, time limit and cost in short."""
        parts = [self.voltage_level()]
        if self.level:
            parts += [self.steps(), self.duration(), self.cost()]
        return "\n".join(parts)

    # -- helpers ---------------------------------------------------------------------------
    def _levels(self) -> List[str]:
        return [self.level] if self.level else ["low", "high"]

    def _categories_for_level(self) -> List[str]:
        if self.level == "low":
            return ["residential", "low_voltage_business"]
        return ["residential", "low_voltage_business", "high_voltage_single", "high_voltage_dual"]


def intro_for(situation: Situation, facts: ConnectionFacts) -> str:
    """Repeat back what we understood, so a wrong guess is easy to spot and correct."""
    known = []
    if situation.customer_type:
        known.append(TYPE_LABELS[situation.customer_type])
    if situation.capacity:
        known.append(situation.capacity)
    category = situation.category(facts)
    if category:
        return f"按您说的（{'，'.join(known)}），属于{facts.label(category)}。"
    return ""


class ActionConnectionEnquiry(Action):
    """Answers 用电报装 questions, or starts the application when the customer asks to apply."""

    def name(self) -> Text:
        return "action_connection_enquiry"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List:
        aspects = list(dict.fromkeys(tracker.get_latest_entity_values("aspect")))
        form_active = (tracker.active_loop or {}).get("name") == FORM
        region, caveat = region_for(tracker)
        facts = ConnectionFacts(region)
        situation = situation_from(tracker)
        answers = Answers(facts, situation)
        questions = [a for a in aspects if a in SUB_QUESTIONS]

        if form_active:
            # A side question in the middle of the application: answer it, then the form resumes.
            if questions:
                dispatcher.utter_message(text="\n".join(getattr(answers, a)() for a in questions)
                                         + "\n我们接着填写申请。")
            return [SlotSet(APPLY_SLOT, False)]

        capacity = entity_value(tracker, "capacity_kw")
        if capacity is None and HUNDRED_MILLIONS.search(latest_text(tracker)):
            capacity = TOO_LARGE
        problem = capacity_problem(capacity) if capacity is not None else None
        if problem:
            dispatcher.utter_message(text=problem)
            return [SlotSet(APPLY_SLOT, False)]

        texts = [caveat] if caveat else []
        if questions:
            texts.append(intro_for(situation, facts) + "\n".join(getattr(answers, a)() for a in questions))
        elif "apply" not in aspects:
            texts.append(self._overview(answers, situation, facts))
        if situation.temporary:
            texts.append(answers.temporary())
        if "price" in aspects:
            texts.append("电价和电费的问题，可以点“阶梯电价/电费计算”问小南。")

        if "apply" in aspects:
            if texts:
                dispatcher.utter_message(text="\n".join(t for t in texts if t))
            dispatcher.utter_message(text=self._apply_intro(situation, facts))
            return [SlotSet(APPLY_SLOT, True)]

        buttons = menu_buttons(questions)
        if not situation.customer_type and not situation.capacity and not questions:
            buttons = replies.buttons(
                (TYPE_LABELS[t], '/connection_enquiry{"customer_type": "%s"}' % t) for t in CUSTOMER_TYPES)
        if "price" in aspects:
            buttons = replies.buttons([("阶梯电价/电费计算", "/tiered_tariff")]) + buttons
        dispatcher.utter_message(text="\n".join(t for t in texts if t), buttons=buttons)
        return [SlotSet(APPLY_SLOT, False)]

    @staticmethod
    def _overview(answers: Answers, situation: Situation, facts: ConnectionFacts) -> str:
        if answers.level:
            return intro_for(situation, facts) + answers.overview()
        question = ("您是家庭用电、店铺/小微企业，还是厂房等大容量用电？大概需要多少千瓦？"
                    if not situation.customer_type else "您大概需要多少千瓦（或千伏安）？")
        return f"新装用电分低压和高压两种办法。{answers.voltage_level()}\n{question}"

    @staticmethod
    def _apply_intro(situation: Situation, facts: ConnectionFacts) -> str:
        known = [TYPE_LABELS[situation.customer_type]] if situation.customer_type else []
        if situation.capacity:
            known.append(situation.capacity)
        noted = f"已记下：{'，'.join(known)}。" if known else ""
        return f"好的，小南帮您在线申请用电报装，只需要几项信息。{noted}中途想改可以直接说，比如“容量改成100千瓦”；不办了说“算了”就行。"
