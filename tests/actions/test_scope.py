"""Out of scope, narrowly (actions.scope.ActionOutOfScope, issue 18): a message the NLU calls
out_of_scope is only declined when it has nothing to do with electricity; a gas smell and an
electrical hazard get safety advice first; no reply repeats the previous one word for word."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.basics import DESCRIPTIONS
from actions.hazards import power_hotline, safety_text
from actions.replies import region
from actions.scope import ELECTRICITY_INTROS, REFUSALS, ActionOutOfScope, gas_safety_text, mentions_electricity, smells_gas
from bot.text import normalize
from tests.conftest import make_tracker, texts

REFUSED = "不在小南的服务范围"
RANKING = [
    {"name": "out_of_scope", "confidence": 0.71},
    {"name": "greet", "confidence": 0.09},
    {"name": "bill_query", "confidence": 0.07},
    {"name": "nlu_fallback", "confidence": 0.05},
    {"name": "tiered_tariff", "confidence": 0.04},
    {"name": "chitchat", "confidence": 0.02},
    {"name": "outage_lookup", "confidence": 0.01},
    {"name": "payment", "confidence": 0.005},
]


async def out_of_scope(text: str, ranking: Optional[List[Dict[str, Any]]] = None,
                       previous: Optional[str] = None) -> CollectingDispatcher:
    events = [{"event": "bot", "text": previous}] if previous else []
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, intent="out_of_scope", intent_ranking=ranking or RANKING, events=events)
    assert await ActionOutOfScope().run(dispatcher, tracker, {}) == []
    return dispatcher


def payloads(dispatcher: CollectingDispatcher) -> List[str]:
    return [b["payload"] for m in dispatcher.messages for b in m.get("buttons") or []]


@pytest.mark.parametrize("text", [
    "你们南网的员工工资高不高", "国网的app怎么注册", "95598是哪个公司的电话", "电线杆上有个鸟窝能帮忙弄走吗",
    "变压器的噪音好吵", "电压不稳灯一闪一闪的", "一度电多少钱", "kWh是什么意思", "跳闸是什么原因", "充电桩哪个牌子好",
    "电网是谁建的", "供电局食堂好吃吗", "power cut again?", "線路老化了怎麼辦",
])
async def test_a_message_about_electricity_is_never_declined(text):
    dispatcher = await out_of_scope(normalize(text))
    said = texts(dispatcher)
    assert REFUSED not in said and "帮不上忙" not in said
    assert dispatcher.messages[0]["text"] == ELECTRICITY_INTROS[0]
    # The closest topics of the NLU's ranking (greet, nlu_fallback, chitchat skipped), then 转人工.
    assert payloads(dispatcher) == ["/bill_query", "/tiered_tariff", "/outage_lookup", "/human_agent"]
    titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
    assert titles == [DESCRIPTIONS[p[1:]] for p in payloads(dispatcher)]


async def test_two_topics_at_least_even_when_the_ranking_has_none():
    dispatcher = await out_of_scope("电表是哪里生产的", ranking=[{"name": "out_of_scope", "confidence": 1.0}])
    assert len(payloads(dispatcher)) == 3 and payloads(dispatcher)[-1] == "/human_agent"
    assert REFUSED not in texts(dispatcher)


@pytest.mark.parametrize("text", ["明天深圳天气怎么样", "给我讲个笑话", "电影票怎么买", "电视机坏了找谁修", "手机没电了怎么办"])
async def test_anything_else_is_declined_as_before(text):
    dispatcher = await out_of_scope(text)
    assert dispatcher.messages[0]["text"] == REFUSALS[0]
    assert REFUSED in REFUSALS[0]
    assert payloads(dispatcher) == ["/outage_lookup", "/connection_enquiry", "/tiered_tariff", "/human_agent"]


@pytest.mark.parametrize("text, kind", [("楼下那根线垂到地上了还在冒烟", "fallen_line"), ("我老公碰了一下铁门手发麻", "electric_shock")])
async def test_a_hazard_gets_the_safety_advice_first(text, kind):
    dispatcher = await out_of_scope(text)
    assert dispatcher.messages[0]["text"] == safety_text(kind)  # the fallback's own advice
    assert power_hotline() in texts(dispatcher)
    assert payloads(dispatcher)[0] == f'/fault_repair{{"hazard": "{kind}"}}'
    assert REFUSED not in texts(dispatcher)


@pytest.mark.parametrize("text", ["厨房里有煤气味", "家里闻到煤气了怎么办", "好像天然气泄漏了", "楼道里一股燃气味，要不要拉电闸"])
async def test_a_gas_smell_gets_the_gas_safety_steps_first(text):
    dispatcher = await out_of_scope(normalize(text))
    first = dispatcher.messages[0]["text"]
    assert first == gas_safety_text()
    assert "明火" in first and "通风" in first and "119" in first and "不要开关任何电器" in first
    # Nothing that tells the customer to touch a switch: that could ignite the gas.
    for advice in ("断开电源", "先断电", "拉闸", "断开总开关", "【安全提示】"):
        assert advice not in texts(dispatcher)
    assert dispatcher.messages[1]["text"] == region().value("service.scope.gas_smell.not_our_business")
    assert REFUSED not in texts(dispatcher)
    assert len(dispatcher.messages) == 2


@pytest.mark.parametrize("text, first", [
    ("明天深圳天气怎么样", REFUSALS[0]),
    ("国网的app怎么注册", ELECTRICITY_INTROS[0]),
])
async def test_the_same_reply_is_never_given_twice_in_a_row(text, first):
    again = await out_of_scope(text, previous=first)
    assert again.messages[0]["text"] != first
    assert again.messages[0]["text"] in (REFUSALS[1], ELECTRICITY_INTROS[1])
    # The second wording says the same kind of thing: the electricity one still declines nothing.
    if first == ELECTRICITY_INTROS[0]:
        assert REFUSED not in texts(again) and payloads(again)[-1] == "/human_agent"
    # And after the second wording, the first one again.
    assert (await out_of_scope(text, previous=again.messages[0]["text"])).messages[0]["text"] == first


async def test_repeated_safety_advice_changes_its_last_message():
    first = await out_of_scope("楼下那根线垂到地上了")
    again = await out_of_scope("楼下那根线垂到地上了", previous=first.messages[-1]["text"])
    assert again.messages[0]["text"] == first.messages[0]["text"]  # the safety advice is said again
    assert again.messages[-1]["text"] != first.messages[-1]["text"]
    gas = await out_of_scope("厨房里有煤气味")
    gas_again = await out_of_scope("厨房里有煤气味", previous=gas.messages[-1]["text"])
    assert [m["text"] for m in gas_again.messages] != [m["text"] for m in gas.messages]
    assert gas_again.messages[-1]["text"] != gas.messages[-1]["text"]
    assert gas_again.messages[0]["text"] == gas_safety_text(again=True)


def test_the_word_lists_are_facts_of_the_knowledge_base():
    assert "停电" in region().value("service.scope.electricity_words")
    assert "煤气味" in region().value("service.scope.gas_smell.keywords")
    assert mentions_electricity("我家停电了") and not mentions_electricity("电话打不通")
    assert smells_gas("闻到煤气味") and not smells_gas("天然气费怎么交")
