"""Shared behaviour of every form (報装, 报修, 充电桩, 一户多人口, 过户, 投诉 ...).

After MAX_FAILURES unusable answers to the same question the customer gets an explanation of
what is asked and why, and buttons to continue or cancel (the pattern of Rasa's financial-demo).
Validation methods must stay free of side effects (Rasa may validate twice, rasa#11595): work
orders are created only by the submit action, after an explicit confirmation.
"""
from __future__ import annotations

import abc
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from bot.text import normalize

MAX_FAILURES = 2
FAILURES_SLOT = "form_failures"
# What ends a form from any question. Checked on the normalised text of the latest message.
CANCEL_PATTERN = re.compile(r"(算了|不办了|不要办了|不申请了|取消|不弄了|不搞了|退出|不报了|先不)")
CONTINUE_CANCEL_BUTTONS = [
    {"title": "继续填写", "payload": "继续"},
    {"title": "取消办理", "payload": "/deny"},
]


def latest_text(tracker: Tracker) -> str:
    return normalize(tracker.latest_message.get("text") or "")


def wants_cancel(tracker: Tracker) -> bool:
    return bool(CANCEL_PATTERN.search(latest_text(tracker)))


def entity_value(tracker: Tracker, entity: str) -> Optional[Any]:
    return next(tracker.get_latest_entity_values(entity), None)


class ServiceFormValidation(FormValidationAction):
    """Base class: subclasses implement name(), validate_<slot> and `explain(slot) -> text`.
    name() stays abstract so that the action server does not register this base class."""

    @abc.abstractmethod
    def name(self) -> Text:
        """validate_<form>"""

    def explain(self, slot: str) -> str:
        return "请按提示填写这一项。"

    def ok(self, slot: str, value: Any) -> Dict[Text, Any]:
        return {slot: value, FAILURES_SLOT: 0.0}

    def fail(self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> Dict[Text, Any]:
        """An unusable answer: say why; after MAX_FAILURES explain the question and offer to stop."""
        failures = int(tracker.get_slot(FAILURES_SLOT) or 0) + 1
        if failures >= MAX_FAILURES:
            dispatcher.utter_message(
                text=f"{reason}{self.explain(slot)}您可以继续填写，也可以取消办理（不会提交任何信息）。",
                buttons=CONTINUE_CANCEL_BUTTONS,
            )
            failures = 0
        else:
            dispatcher.utter_message(text=reason)
        return {slot: None, FAILURES_SLOT: float(failures)}


class ActionCancelForm(Action):
    """Ends the active form and forgets its answers: nothing has been submitted yet."""

    def name(self) -> Text:
        return "action_cancel_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List:
        form = tracker.active_loop.get("name") if tracker.active_loop else None
        events: List[Dict[Text, Any]] = [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet(FAILURES_SLOT, 0.0)]
        if form:
            form_slots = domain.get("forms", {}).get(form, {}).get("required_slots", [])
            events += [SlotSet(slot, None) for slot in form_slots]
        dispatcher.utter_message(text="好的，已为您取消本次办理，没有提交任何申请。还有其他需要吗？")
        return events
