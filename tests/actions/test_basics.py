"""The fallback (actions.basics.ActionDefaultFallback): topic suggestions for a message the NLU could
not place, but a hazard in such a message gets the hazard path's safety advice and the urgent
repair first; the button it offers leads to an urgent repair order."""
from __future__ import annotations

from typing import Any, Dict, List

import pytest
from rasa_sdk.events import UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.basics import ActionDefaultFallback
from actions.fault_triage import HAZARD_SLOT, TRIAGE_SLOT, ActionTriageFault
from actions.hazards import hazard_label, power_hotline, safety_text
from actions.repair import ValidateRepairForm
from bot.text import normalize
from tests.conftest import entity, make_tracker, texts


def extracted(text: str) -> List[Dict[str, Any]]:
    from bot.nlu.entity_extractor import extract

    return [{"entity": name, "start": start, "end": end, "value": value}
            for name, start, end, value in extract(normalize(text))]


async def fallback(text: str, ranking=None) -> CollectingDispatcher:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, intent="nlu_fallback", entities=extracted(text),
                           intent_ranking=ranking or [{"name": "nlu_fallback", "confidence": 0.4}])
    events = await ActionDefaultFallback().run(dispatcher, tracker, {})
    assert events == [UserUtteranceReverted()]
    return dispatcher


def payloads(dispatcher: CollectingDispatcher) -> List[str]:
    return [b["payload"] for m in dispatcher.messages for b in m.get("buttons") or []]


@pytest.mark.parametrize(
    "text, kind",
    [
        ("哎呀楼道那个箱子里噼里啪啦的还烧焦了", "smoke"),
        ("楼下那根线垂到地上了，还在晃", "fallen_line"),
        ("我老公碰了一下铁门，手发麻", "electric_shock"),
    ],
)
async def test_a_hazard_the_classifier_missed_gets_safety_first(text, kind):
    dispatcher = await fallback(text)
    said = texts(dispatcher)
    assert dispatcher.messages[0]["text"] == safety_text(kind)  # the hazard path's own advice
    assert power_hotline() in said
    assert "没太明白" not in said and "不太确定" not in said
    assert payloads(dispatcher)[0] == f'/fault_repair{{"hazard": "{kind}"}}'


@pytest.mark.parametrize("text", ["电箱没冒烟，就是没电", "打火机没气了", "今天天气怎么样"])
async def test_no_hazard_gets_the_usual_topics(text):
    dispatcher = await fallback(text, ranking=[{"name": "outage_lookup", "confidence": 0.3}])
    said = texts(dispatcher)
    assert "【安全提示】" not in said
    assert said.startswith("抱歉，小南")
    assert payloads(dispatcher)[0] == "/outage_lookup"


async def test_the_offered_button_starts_an_urgent_repair(domain):
    dispatcher = await fallback("楼下那根线垂到地上了")
    payload = payloads(dispatcher)[0]
    # What Rasa makes of the button: intent fault_repair with the hazard entity, the payload as text.
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(payload, intent="fault_repair", entities=[entity("hazard", "fallen_line")])
    events = await ActionTriageFault().run(dispatcher, tracker, {})
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert slots == {HAZARD_SLOT: "fallen_line", TRIAGE_SLOT: "hazard"}
    assert texts(dispatcher).startswith("【安全提示】")
    # The repair form then describes the fault by the hazard, not by the button's payload.
    tracker = make_tracker(payload, intent="fault_repair", entities=[entity("hazard", "fallen_line")],
                           slots={HAZARD_SLOT: "fallen_line", "requested_slot": None}, active_loop="repair_form")
    found = await ValidateRepairForm().extract_repair_description(CollectingDispatcher(), tracker, domain)
    assert found == {"repair_description": hazard_label("fallen_line")}
