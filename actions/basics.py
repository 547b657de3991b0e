"""Fallback with topic suggestions, and handing the conversation over to a human agent."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Text

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client
from actions.conversation import TOPIC_INTENTS, summary
from actions.forms import latest_text
from actions.hazards import detect_hazard, power_hotline, safety_text
from actions.replies import apology_unavailable, buttons, hotline, hotline_hours, utter_card

DESCRIPTIONS = yaml.safe_load(Path(__file__).with_name("intent_descriptions.yml").read_text(encoding="utf-8"))
MAIN_TOPICS = ["outage_lookup", "connection_enquiry", "tiered_tariff", "charging_pile", "bill_query", "human_agent"]
# Intents never offered as a topic suggestion: they say nothing about which business is meant.
NOT_SUGGESTED = {"out_of_scope", "nlu_fallback", "chitchat", "greet", "goodbye", "affirm", "deny", "thanks", "inform",
                 "human_agent"}


def likely_topics(tracker: Tracker, limit: int = 3, within: Optional[int] = None,
                  min_confidence: float = 0.0) -> List[str]:
    """The business topics the NLU ranked highest for the latest message, best first: at most
    ``limit`` of them, looking at the first ``within`` entries of the ranking only (all if None)."""
    ranking = tracker.latest_message.get("intent_ranking") or []
    found = [r.get("name") for r in ranking[:within]
             if r.get("name") in TOPIC_INTENTS and r.get("name") in DESCRIPTIONS
             and r.get("name") not in NOT_SUGGESTED and (r.get("confidence") or 0) >= min_confidence]
    return list(dict.fromkeys(found))[:limit]


def topic_buttons(topics: Iterable[str]) -> List[Dict[str, str]]:
    """Buttons for topic intents: the titles of intent_descriptions.yml, the intent as payload."""
    return buttons((DESCRIPTIONS[t], f"/{t}") for t in topics)


class ActionDefaultFallback(Action):
    """Says what the assistant can do; offers the likeliest topics first ("您是不是想问")."""

    def name(self) -> Text:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List:
        kind = detect_hazard(latest_text(tracker))
        if kind:
            # A hazard the classifier could not place still gets the safety advice, never the menu.
            self._hazard(dispatcher, kind)
            return [UserUtteranceReverted()]
        likely = likely_topics(tracker, limit=3, within=3, min_confidence=0.1)
        options = likely + [t for t in MAIN_TOPICS if t not in likely]
        intro = "抱歉，小南没太明白您的意思。" if not likely else "抱歉，小南不太确定您想办理哪项业务，您是不是想问："
        dispatcher.utter_message(
            text=f"{intro}我可以帮您办理用电报装、停电查询与故障报修、阶梯电价和电费计算、一户多人口、"
            f"充电桩报装、电费账单与缴费、过户和投诉，也可以转人工客服。请点选或换个说法告诉我。",
            buttons=topic_buttons(options[:6]),
        )
        # Forget the misunderstood message so it does not steer the next prediction.
        return [UserUtteranceReverted()]

    @staticmethod
    def _hazard(dispatcher: CollectingDispatcher, kind: str, again: bool = False) -> None:
        """The hazard path's safety advice, then the urgent repair: the button carries the kind,
        so action_triage_fault treats it as the hazard it is and the form asks only where and
        which phone. ``again``: the follow-up's second wording, for a reply that would otherwise
        repeat the previous one word for word."""
        dispatcher.utter_message(text=safety_text(kind))
        dispatcher.utter_message(text=hazard_follow_up(again), buttons=hazard_buttons(kind))


def hazard_follow_up(again: bool = False) -> str:
    if again:
        return (f"如果险情还在，请先远离现场，再点“登记紧急抢修”，我马上为您派人处理；"
                f"也可以直接拨打{power_hotline()}（{hotline_hours()}）。")
    return f"确认安全后，点“登记紧急抢修”，我马上为您派人处理；情况紧急也可以直接拨打{power_hotline()}（{hotline_hours()}）。"


def hazard_buttons(kind: str) -> List[Dict[str, str]]:
    return buttons([("登记紧急抢修", f'/fault_repair{{"hazard": "{kind}"}}'), ("转人工客服", "/human_agent")])


class ActionHumanHandoff(Action):
    """Creates a handoff work order carrying a masked summary, then tells the customer what happens."""

    def name(self) -> Text:
        return "action_human_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List:
        context = summary(tracker)
        message_id = tracker.latest_message.get("message_id") or str(len(tracker.events))
        request_id = hashlib.sha256(f"{tracker.sender_id}|handoff|{message_id}".encode()).hexdigest()[:32]
        result = await backend_client.post(
            "/api/v1/work-orders",
            {"type": "handoff", "request_id": request_id, "details": {"summary": context}},
        )
        if not result.ok:
            if result.unavailable:
                dispatcher.utter_message(
                    text=f"抱歉，人工转接系统暂时繁忙。请直接拨打供电服务热线 {hotline()}，人工客服{hotline_hours()}在线。"
                )
            else:
                apology_unavailable(dispatcher, "转人工")
            return []
        order = result.data
        utter_card(
            dispatcher,
            "handoff",
            "转人工受理回执",
            [("受理编号", order["order_no"]), ("当前状态", order.get("current_step") or "排队等待人工客服")],
            intro="好的，正在为您转接人工客服，刚才的对话内容会一并转给客服，您不用重复说明。",
        )
        dispatcher.utter_message(
            text=f"人工客服接入后会称呼受理编号与您核对。若等待较久，也可拨打 {hotline()} 并报上受理编号。"
        )
        return [SlotSet("handoff_order_no", order["order_no"])]
