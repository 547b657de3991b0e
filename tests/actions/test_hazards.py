"""Hazard detection (actions.hazards.detect_hazard) and the safety advice given first."""
from __future__ import annotations

import pytest

from actions.hazards import _CUES, detect_hazard, hazard_label, power_hotline, safety_instructions, safety_text
from bot.text import normalize
from knowledge import load_knowledge

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
    assert {kind for kind, _ in _CUES} <= set(ORDER)


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
