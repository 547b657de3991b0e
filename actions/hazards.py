"""Hazards (险情): recognising them in any wording, and the safety advice that comes first.

`detect_hazard` is a pure function on normalised text (bot.text.normalize). It combines the
hazard keywords of the knowledge base (`outage.hazards.kinds`) with cue patterns, "a thing" +
"what happened to it" within a few characters, so that wordings no one listed still count:
"楼下那根电线断了掉在地上", "电箱在冒烟还有焦味", "小孩被电了". The cue words are language, not
facts; the kinds, labels and safety advice are facts and come from knowledge/.

Safety first: missing a real hazard costs far more than a sentence of advice too many, so a
hit is only dropped when it is plainly negated or hypothetical ("没冒烟", "会不会触电").
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Dict, List, Optional, Pattern, Tuple

from actions.replies import region

# Objects customers name, as regex alternatives (longer names first where one contains another).
_LINE = r"(?<![网话光据机充])(?:高压线(?![杆塔])|电线(?![杆柱])|电缆|电力线(?!杆)|进户线|导线|线路|(?<=[根条的])线)"
_POLE = r"(?:电线杆|电线柱|电杆|线杆|电塔|铁塔|电力杆|水泥杆)"
_METER = r"(?:电表箱|电能表|电表|表箱|计量箱)"
_TRANSFORMER = r"(?:变压器|变电箱|箱变|变电站)"
_GAP = r"[^，。！？,.!?]{0,8}"  # the state must follow within the same clause

# (kind, pattern): checked in this order within one message; the kinds' urgency order comes
# from the knowledge base.
_CUES: Tuple[Tuple[str, str], ...] = (
    ("electric_shock", r"(?:触电|被电(?:[了到倒伤晕击]|$|[，。！？,.!?\s])"
                       r"|(?<![充用来停供送有没缴交费])电(?:到人|到了|倒了|伤|晕|了一下)|麻手|手发麻)"),
    ("fire", r"(?:着火|起火|失火|火灾|明火|火苗|烧起来|烧着了|冒火(?![花星]))"),
    ("transformer_explosion", _TRANSFORMER + _GAP + r"(?:爆炸|爆了|炸了|巨响|爆响|嘭|砰)"),
    ("fallen_line", _LINE + _GAP + r"(?:断|掉|落|垂|拖|耷拉|吊下来|挂下来|躺在地上|在地上)"),
    ("fallen_line", r"(?:断|掉|落)(?:下来)?了?的?(?:高压|低压|地下)?" + _LINE),
    ("fallen_line", r"(?:压|砸|搭)(?:在|到|断了?)" + _LINE),
    ("pole_down", _POLE + _GAP + r"(?:倒|歪|斜|倾|折|断|塌)"),
    ("meter_burning", _METER + _GAP + r"(?:烧|熔|化了|炸)"),
    ("smoke", r"(?:冒烟|起烟|有烟|烟雾|浓烟|焦味|焦糊|烧焦|糊味|胶皮味|烧胶)"),
    ("sparking", r"(?:火花|火星|打火(?!机)|拉弧|闪火|噼里啪啦|噼啪)"),
)

# Wordings that contain a keyword without meaning it, rewritten before matching:
# "冒着火星" is sparks, not fire; a lighter is not a spark.
_REWRITES = (("着火星", "火星"), ("着火花", "火花"), ("打火机", "火机"))

# A hit preceded closely by one of these is negated or hypothetical: "没冒烟", "会不会触电",
# "防止触电". "不小心触电" stays a hit: only the two characters before the hit are checked.
_NEGATION = re.compile(r"[没不未别无防免]")
_NEGATION_WINDOW = 2


@lru_cache(maxsize=1)
def _kinds() -> Tuple[Dict[str, object], ...]:
    return tuple(region().value("outage.hazards.kinds"))


@lru_cache(maxsize=1)
def _cue_patterns() -> Tuple[Tuple[str, Pattern[str]], ...]:
    return tuple((kind, re.compile(pattern)) for kind, pattern in _CUES)


def _negated(text: str, start: int) -> bool:
    return bool(_NEGATION.search(text[max(0, start - _NEGATION_WINDOW):start]))


def _keyword_hits(text: str) -> List[str]:
    found = []
    for entry in _kinds():
        for word in entry["keywords"]:
            start = text.find(word)
            if start >= 0 and not _negated(text, start):
                found.append(str(entry["kind"]))
                break
    return found


def _cue_hits(text: str) -> List[str]:
    found = []
    for kind, pattern in _cue_patterns():
        if any(not _negated(text, match.start()) for match in pattern.finditer(text)):
            found.append(kind)
    return found


def detect_hazard(normalised_text: str) -> Optional[str]:
    """The most urgent hazard kind mentioned in the text, or None. Pure; never raises on str."""
    if not normalised_text:
        return None
    text = normalised_text
    for phrase, replacement in _REWRITES:
        text = text.replace(phrase, replacement)
    hits = set(_keyword_hits(text)) | set(_cue_hits(text))
    # Knowledge lists the kinds most urgent first (people and fire before equipment).
    for entry in _kinds():
        if entry["kind"] in hits:
            return str(entry["kind"])
    return None


def hazard_label(kind: Optional[str]) -> str:
    for entry in _kinds():
        if entry["kind"] == kind:
            return str(entry["label"])
    return "用电险情"


def power_hotline() -> str:
    """The 24-hour number险情 are reported to (95598), from the hazard facts."""
    return str(region().value("outage.hazards.safety.emergency_numbers")["power"])


# Which of the knowledge base's instructions matter most for a kind: those go first.
_RELEVANT_WORDS = {
    "electric_shock": ("触电", "受伤"),
    "fire": ("着火", "火灾"),
    "transformer_explosion": ("着火", "火灾", "断落"),
    "fallen_line": ("断落", "断线", "跨步"),
    "pole_down": ("倒伏", "断落", "跨步"),
    "meter_burning": ("着火", "火灾"),
    "smoke": ("着火", "火灾"),
    "sparking": ("着火", "断落"),
}


def safety_instructions(kind: Optional[str]) -> List[str]:
    """All the safety advice of the knowledge base, the items about this kind first."""
    items = list(region().value("outage.hazards.safety.instructions"))
    words = _RELEVANT_WORDS.get(kind or "", ())
    return sorted(items, key=lambda item: 0 if any(word in item for word in words) else 1)


def safety_text(kind: Optional[str]) -> str:
    lines = [f"【安全提示】{hazard_label(kind)}很危险，请先确保自己和身边人的安全："]
    lines += [f"{number}. {item}" for number, item in enumerate(safety_instructions(kind), start=1)]
    return "\n".join(lines)
