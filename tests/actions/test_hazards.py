"""Hazard detection (actions.hazards.detect_hazard over knowledge.hazards.match_hazards, the one
detector the NLU's entity extractor shares) and the safety advice given first."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.fault_triage import HAZARD_SLOT, TRIAGE_SLOT, ActionTriageFault
from actions.hazards import detect_hazard, hazard_label, power_hotline, safety_instructions, safety_text
from bot.text import normalize
from knowledge import load_knowledge
from knowledge.hazards import _CUES, _NEAR_CUES, match_hazards
from tests.conftest import make_tracker, texts

KINDS = load_knowledge().region().value("outage.hazards.kinds")
ORDER = [entry["kind"] for entry in KINDS]


def detect(text: str):
    return detect_hazard(normalize(text))


@pytest.mark.parametrize(
    "text, kind",
    [
        # wordings from the issue that are not in the NLU training data
        ("楼下那根电线断了掉在地上", "fallen_line"),
        ("电箱在冒烟还有焦味", "smoke"),
        ("小孩被电了", "electric_shock"),
        # more unseen wordings, dialect and traditional characters
        ("我们楼后面有条线垂到地上了，还在晃", "fallen_line"),
        ("暴雨把我们村的线刮断了", "fallen_line"),
        ("工地挖断了高压电缆", "fallen_line"),
        ("大树倒了压在电线上", "fallen_line"),
        ("電線杆倒咗", "pole_down"),
        ("门口那根水泥电杆被车撞歪了", "pole_down"),
        ("我屋企个电表烧咗", "meter_burning"),
        ("表箱里面噼里啪啦的，还烧焦了", "smoke"),
        ("刚才嘭的一声变压器炸了", "transformer_explosion"),
        ("配电房那边起火了快来人", "fire"),
        ("插座一插就冒火花", "sparking"),
        ("有电线挂在树上，冒着火星", "sparking"),
        ("我老公碰了一下铁门，手发麻", "electric_shock"),
        ("有个工人被电倒了", "electric_shock"),
        ("一个老人触电了倒在地上", "electric_shock"),
        ("電錶箱著火了", "fire"),
    ],
)
def test_hazards_in_many_wordings(text, kind):
    assert detect(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "我家停电了",
        "什么时候来电",
        "明天粤海街道停电吗",
        "家里跳闸了合不上去",
        "电线老化破皮了，会不会漏电",  # a worry, not a hazard now
        "怎么防止触电",
        "电箱没冒烟，就是没电",
        "电费被电力公司多扣了",
        "手机充电到了80%",
        "网线断了",
        "打火机没气了",
        "停电倒是没事，就是热",
        # negated or hypothetical, by keyword and by thing + state
        "电箱没冒烟，就是没电",
        "没有着火，就是整栋楼没电",
        "不是有人触电，是我家跳闸了",
        "还好没有人触电",
        "电线没断，就是没电",
        "电线杆没倒，是灯不亮",
        "电表没烧，就是不走字",
        "用打火机点蜡烛",
        "",
    ],
)
def test_no_hazard(text):
    assert detect(text) is None


def test_people_and_fire_come_before_equipment():
    # One message, two hazards: the most urgent kind (knowledge order) wins.
    assert detect("电线掉下来了，有人触电了") == "electric_shock"
    assert detect("电表箱着火了") == "fire"
    assert detect("电线杆倒了，电线也断了") == "fallen_line"


def test_every_knowledge_keyword_is_recognised_as_its_kind_or_a_more_urgent_one():
    for entry in KINDS:
        for word in entry["keywords"]:
            found = detect(word)
            assert found is not None, word
            assert ORDER.index(found) <= ORDER.index(entry["kind"]), (word, found)


def test_cue_kinds_exist_in_the_knowledge_base():
    assert {cue[0] for cue in _CUES + _NEAR_CUES} <= set(ORDER)


@pytest.mark.parametrize(
    "text, kind",
    [
        ("电箱刚才没冒烟，现在冒烟了", "smoke"),  # the second mention is not negated
        ("电线没断但是掉下来了", "fallen_line"),
        ("电线掉了，没断", "fallen_line"),
        ("没有人触电，就是电线掉下来了", "fallen_line"),
        ("打火机旁边的插座在打火", "sparking"),
        ("不小心触电了", "electric_shock"),
        ("机房着火了", "fire"),
    ],
)
def test_a_negation_drops_only_what_it_negates(text, kind):
    assert detect(text) == kind


@pytest.mark.parametrize(
    "text",
    ["楼下那根电线断了掉在地上", "电箱没冒烟，就是没电", "打火机没气了", "有电线挂在树上，冒着火星",
     "电表箱着火了", "会不会触电", "电线杆倒了，电线也断了"],
)
def test_actions_and_the_nlu_use_one_detector(text):
    normalised = normalize(text)
    found = match_hazards(normalised)
    assert detect_hazard(normalised) == (found[0].kind if found else None)


def test_matches_point_at_the_words_in_the_text():
    text = normalize("我们楼下那根电线断了")
    [found] = match_hazards(text)
    assert found.kind == "fallen_line" and found.label == hazard_label("fallen_line")
    assert text[found.start:found.end] == found.keywords[0] and found.keywords[0].startswith("电线断")
    # a negated mention earlier in the text is not the one pointed at
    text = normalize("刚才没冒烟，现在冒烟了")
    [found] = match_hazards(text)
    assert found.start == text.rindex("冒烟")


def test_detection_is_pure_and_copes_with_long_text():
    text = "停电了" * 1000 + "电线断了"
    assert detect_hazard(text) == detect_hazard(text) == "fallen_line"


def test_safety_text_gives_every_instruction_with_the_relevant_ones_first():
    instructions = load_knowledge().region().value("outage.hazards.safety.instructions")
    text = safety_text("electric_shock")
    assert text.startswith("【安全提示】" + hazard_label("electric_shock"))
    for item in instructions:
        assert item in text
    assert "触电" in safety_instructions("electric_shock")[0]
    assert "断落" in safety_instructions("fallen_line")[0]
    assert "着火" in safety_instructions("fire")[0] or "火灾" in safety_instructions("fire")[0]


def test_hotline_comes_from_the_knowledge_base():
    numbers = load_knowledge().region().value("outage.hazards.safety.emergency_numbers")
    assert power_hotline() == numbers["power"]


# -- triage driven by the NLU's entities ---------------------------------------------------------------
def extracted(text: str):
    """The entities the rule extractor gives (what the tracker carries to the actions)."""
    from bot.nlu.entity_extractor import extract

    return [{"entity": name, "start": start, "end": end, "value": value}
            for name, start, end, value in extract(normalize(text))]


@pytest.mark.parametrize(
    "text, intent, kind",
    [
        ("电箱没冒烟，就是没电", "fault_repair", None),
        ("电箱没冒烟，就是没电", "outage_lookup", None),
        ("打火机没气了，家里也没电", "fault_repair", None),
        ("还好没有人触电，电线也没断", "fault_repair", None),
        ("楼下那根电线断了掉在地上", "outage_lookup", "fallen_line"),
        ("没有人触电，就是电线掉下来了", "fault_repair", "fallen_line"),
        ("电表箱着火了", "fault_repair", "fire"),
    ],
)
async def test_triage_follows_the_extractors_entities(text, intent, kind):
    entities = extracted(text)
    assert [e["value"] for e in entities if e["entity"] == "hazard"][:1] == ([kind] if kind else [])
    dispatcher = CollectingDispatcher()
    events = await ActionTriageFault().run(dispatcher, make_tracker(text, intent=intent, entities=entities), {})
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert slots[HAZARD_SLOT] == kind
    if kind:
        assert slots[TRIAGE_SLOT] == "hazard" and texts(dispatcher).startswith(safety_text(kind))
    else:
        assert slots[TRIAGE_SLOT] != "hazard" and "【安全提示】" not in texts(dispatcher)
