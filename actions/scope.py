"""Out of scope, narrowly (issue 18): what the NLU calls `out_of_scope` is only declined when it
has nothing to do with electricity.

In order: a gas smell gets the gas safety steps (nothing about switches: touching one can ignite
the gas), then one sentence that gas is not the power company's business; an electrical hazard
gets the hazard path's safety advice (actions.basics' fallback's, reused); a message that names
electricity is never told it is out of scope, it gets the closest topics from the NLU's ranking
and 转人工; anything else the refusal. The word lists are facts (`service.scope.*` in
knowledge/). A reply never repeats the previous bot message word for word: a second wording is
used instead.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.basics import DESCRIPTIONS, MAIN_TOPICS, ActionDefaultFallback, hazard_follow_up, likely_topics, topic_buttons
from actions.forms import latest_text
from actions.hazards import detect_hazard, safety_text
from actions.replies import buttons, region

ELECTRICITY_INTROS = (
    "这个问题我可能没完全理解，您是想问以下哪一项？",
    "抱歉，我还是没能确定您想问的是什么。请点选下面最接近的一项，或换个说法告诉我，也可以转人工客服。",
)
REFUSALS = (
    "抱歉，这个问题不在小南的服务范围内。我是供电服务助手，可以帮您办理用电报装、停电查询与报修、电价电费、"
    "一户多人口、充电桩报装、缴费过户和投诉。",
    "这个问题小南帮不上忙，抱歉。我只办理供电业务：用电报装、停电查询与报修、电价电费、一户多人口、"
    "充电桩报装、缴费过户和投诉，请点选或直接告诉我。",
)
# The refusal's buttons, as the domain's utter_out_of_scope had them.
REFUSAL_BUTTONS = (("停电查询/故障报修", "/outage_lookup"), ("用电报装", "/connection_enquiry"),
                   ("阶梯电价/电费计算", "/tiered_tariff"), ("转人工", "/human_agent"))
GAS_INTROS = ("【燃气安全提示】闻到燃气味很危险，请立即：", "【燃气安全提示】请务必先确保安全，再提醒您一次：")
_BLANK = "_"


def _words(path: str) -> List[str]:
    return sorted((str(word).lower() for word in region().value(path)), key=len, reverse=True)


def _searched(text: str) -> str:
    """The text, lower-cased, with the compounds that contain 电 without meaning power blanked."""
    text = (text or "").lower()
    for word in _words("service.scope.not_electricity"):
        text = text.replace(word, _BLANK * len(word))
    return text


def mentions_electricity(normalised_text: str) -> bool:
    searched = _searched(normalised_text)
    return any(word in searched for word in _words("service.scope.electricity_words"))


def smells_gas(normalised_text: str) -> bool:
    text = (normalised_text or "").lower()
    return any(word in text for word in _words("service.scope.gas_smell.keywords"))


def gas_safety_text(again: bool = False) -> str:
    steps = region().value("service.scope.gas_smell.safety_steps")
    lines = [GAS_INTROS[1 if again else 0]]
    lines += [f"{number}. {step}" for number, step in enumerate(steps, start=1)]
    return "\n".join(lines)


def previous_bot_text(tracker: Tracker) -> Optional[str]:
    """What the bot said last (the text of its latest message), if anything."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot" and event.get("text"):
            return event["text"]
    return None


def closest_topics(tracker: Tracker) -> List[str]:
    """Two or three topics for "您是想问以下哪一项": the NLU's ranking first, the main topics to fill."""
    likely = likely_topics(tracker, limit=3)
    if len(likely) < 2:
        likely += [t for t in MAIN_TOPICS if t not in likely and t != "human_agent"][: 2 - len(likely)]
    return likely


class ActionOutOfScope(Action):
    """Declines only what has nothing to do with electricity; safety first."""

    def name(self) -> Text:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List:
        text = latest_text(tracker)
        previous = previous_bot_text(tracker)
        if smells_gas(text):
            self._gas(dispatcher, previous)
            return []
        kind = detect_hazard(text)
        if kind:
            again = previous in (safety_text(kind), hazard_follow_up(False))
            ActionDefaultFallback._hazard(dispatcher, kind, again=again)
            return []
        if mentions_electricity(text):
            topics = closest_topics(tracker) + ["human_agent"]
            intro = ELECTRICITY_INTROS[1] if previous == ELECTRICITY_INTROS[0] else ELECTRICITY_INTROS[0]
            dispatcher.utter_message(text=intro, buttons=topic_buttons(topics))
            return []
        refusal = REFUSALS[1] if previous == REFUSALS[0] else REFUSALS[0]
        dispatcher.utter_message(text=refusal, buttons=buttons(REFUSAL_BUTTONS))
        return []

    @staticmethod
    def _gas(dispatcher: CollectingDispatcher, previous: Optional[str]) -> None:
        not_ours = region().value("service.scope.gas_smell.not_our_business")
        again = previous in (gas_safety_text(False), not_ours)
        dispatcher.utter_message(text=gas_safety_text(again))
        dispatcher.utter_message(
            text=not_ours if not again else f"再说明一下：{not_ours}",
            buttons=buttons([(DESCRIPTIONS["human_agent"], "/human_agent")]),
        )
