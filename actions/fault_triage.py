"""First look at a fault report or an outage question, before any form question is asked.

`action_triage_fault` runs first for `fault_repair` and `outage_lookup` (data/rules/outage.yml)
and sets `fault_triage`, which the rules branch on:
- `hazard`: safety instructions at once, then the repair form collects only what an urgent
  repair order needs (where, a phone number);
- `customer_side` (fault_repair only): the symptoms point inside the home (a tripped breaker,
  one socket): the checks and the meter boundary, kindly, with a button to file a repair anyway;
- None: the normal lookup or repair form.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import entity_value, latest_text
from actions.hazards import detect_hazard, power_hotline, safety_text
from actions.outage_guidance import appliance_claim_text, ownership_text, self_check_text, utility_side_text
from actions.replies import buttons, hotline_hours

TRIAGE_SLOT = "fault_triage"
HAZARD_SLOT = "hazard_kind"

# Symptoms of a fault inside the home (after the meter). Cue words, not facts.
CUSTOMER_SIDE = re.compile(
    r"跳闸|跳匝|跳了|合不上|推不上|空开|总闸|漏电开关|漏保|插座|一半房间|只有我家|就我家|"
    r"邻居[家们]?(?:都)?有电|别人家都有|隔壁(?:都)?有电|只有我们这一户")
# The customer asks for a crew in so many words: file the repair without second-guessing.
ASKS_FOR_CREW = re.compile(r"报修|派人|派个|来修|上门|师傅|电工|抢修")
APPLIANCE_DAMAGE = re.compile(r"(?:家电|电器|冰箱|电视|空调|洗衣机|电脑|热水器|微波炉|电饭煲).{0,8}(?:烧|坏|损)")
CUSTOMER_SIDE_BUTTONS = [("检查过了，还是要报修", "/fault_repair"), ("查询附近停电", "/outage_lookup")]


def hazard_in(tracker: Tracker) -> Optional[str]:
    """The `hazard` entity (the rule extractor's, or a button's such as the fallback's), else the
    text itself. The extractor and detect_hazard are one detector (knowledge.hazards), so a
    negated mention ("电箱没冒烟") is no hazard either way."""
    return entity_value(tracker, "hazard") or detect_hazard(latest_text(tracker))


def utter_hazard_safety(dispatcher: CollectingDispatcher, kind: str) -> None:
    dispatcher.utter_message(text=safety_text(kind))
    dispatcher.utter_message(
        text=f"确认安全后，请告诉我险情的位置，我马上为您登记紧急抢修；情况紧急也可以直接拨打{power_hotline()}（{hotline_hours()}）。")


class ActionTriageFault(Action):
    def name(self) -> Text:
        return "action_triage_fault"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List:
        text = latest_text(tracker)
        kind = hazard_in(tracker)
        if kind:
            utter_hazard_safety(dispatcher, kind)
            return [SlotSet(HAZARD_SLOT, kind), SlotSet(TRIAGE_SLOT, "hazard")]
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "fault_repair" and APPLIANCE_DAMAGE.search(text):
            dispatcher.utter_message(text=appliance_claim_text())
        if intent == "fault_repair" and CUSTOMER_SIDE.search(text) and not ASKS_FOR_CREW.search(text):
            dispatcher.utter_message(text=f"听起来可能是家里（电表之后）的问题。{self_check_text()}")
            dispatcher.utter_message(text=f"{ownership_text()}\n{utility_side_text()}",
                                     buttons=buttons(CUSTOMER_SIDE_BUTTONS))
            return [SlotSet(HAZARD_SLOT, None), SlotSet(TRIAGE_SLOT, "customer_side")]
        return [SlotSet(HAZARD_SLOT, None), SlotSet(TRIAGE_SLOT, None)]
