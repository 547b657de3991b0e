"""Recognise electrical hazards (险情) in a customer's words: the one detector that the NLU's
entity extractor (bot/nlu/entity_extractor.py) and the actions (actions/hazards.py) share, so
that they never disagree.

The kinds, labels and keywords are facts (``outage.hazards.kinds``); on top of the keywords, cue
patterns, "a thing" + "what happened to it" within the same clause, catch wordings no one
listed: "楼下那根电线断了掉在地上", "电箱在冒烟还有焦味", "小孩被电了". The cue words are language,
not facts, so they live here.

Safety first: every kind found is reported (over-matching costs a sentence of advice, missing a
fire costs more), ordered as the YAML lists them, most urgent first. A hit is only dropped when
it is plainly negated or hypothetical ("电箱没冒烟", "会不会触电", "电线没断").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, List, Pattern, Tuple, Union

from .loader import region_or_default
from .model import Region

# Objects customers name, as regex alternatives (longer names first where one contains another).
_LINE = r"(?<![网话光据机充])(?:高压线(?![杆塔])|电线(?![杆柱])|电缆|电力线(?!杆)|进户线|导线|线路|(?<=[根条的])线)"
_POLE = r"(?:电线杆|电线柱|电杆|线杆|电塔|铁塔|电力杆|水泥杆)"
_METER = r"(?:电表箱|电能表|电表|表箱|计量箱)"
_TRANSFORMER = r"(?:变压器|变电箱|箱变|变电站)"

# Whole-phrase cues (kind, pattern). Kinds missing from a region's knowledge are ignored.
_CUES: Tuple[Tuple[str, str], ...] = (
    ("electric_shock", r"(?:触电|被电(?:[了到倒伤晕击]|$|[，。！？,.!?\s])"
                       r"|(?<![充用来停供送有没缴交费])电(?:到人|到了|倒了|伤|晕|了一下)|麻手|手发麻)"),
    ("fire", r"(?:着火|起火|失火|火灾|明火|火苗|烧起来|烧着了|冒火(?![花星]))"),
    ("fallen_line", r"(?:断|掉|落)(?:下来)?了?的?(?:高压|低压|地下)?" + _LINE),
    ("fallen_line", r"(?:压|砸|搭)(?:在|到|断了?)" + _LINE),
    ("smoke", r"(?:冒烟|起烟|有烟|烟雾|浓烟|焦味|焦糊|烧焦|糊味|胶皮味|烧胶)"),
    ("sparking", r"(?:火花|火星|打火(?!机)|拉弧|闪火|噼里啪啦|噼啪)"),
)

# Thing + state cues (kind, thing, state): the state must follow the thing within _NEAR
# characters of the same clause, and each is negated on its own ("电线没断" is no hazard,
# "电线没断但是掉下来了" is one).
_NEAR_CUES: Tuple[Tuple[str, str, str], ...] = (
    ("transformer_explosion", _TRANSFORMER, r"(?:爆炸|爆了|炸了|巨响|爆响|嘭|砰)"),
    ("fallen_line", _LINE, r"(?:断|掉|落|垂|拖|耷拉|吊下来|挂下来|躺在地上|在地上)"),
    ("pole_down", _POLE, r"(?:倒|歪|斜|倾|折|断|塌)"),
    ("meter_burning", _METER, r"(?:烧|熔|化了|炸)"),
)
_NEAR = 8
_CLAUSE_END = re.compile(r"[，。！？,.!?；;]")

# Wordings that contain a keyword without meaning it: "冒着火星" is sparks, not fire; a lighter
# (打火机) is not a spark. Blanked out with as many filler characters, so offsets still match the
# customer's text.
_NOT_MEANT = re.compile(r"着(?=火[星花])|(?<=打)火(?=机)")
_FILLER = "_"

# A hit preceded closely by one of these is negated or hypothetical: "没冒烟", "会不会触电",
# "防止触电". "不小心触电" stays a hit: only the two characters before the hit are checked.
_NEGATION = re.compile(r"[没不未别无防免]")
_NEGATION_WINDOW = 2
# Negations that reach a little further, within the clause: "没有人触电", "不是有人触电".
_NEGATION_PHRASE = re.compile(r"没有|不是|并非|并没")
_PHRASE_WINDOW = 4

Span = Tuple[int, int]


@dataclass(frozen=True)
class HazardMatch:
    kind: str
    label: str
    keywords: Tuple[str, ...]  # the words that said it, as written in the text, first one first
    start: int  # where the first of them is in the text
    end: int


@lru_cache(maxsize=1)
def _patterns() -> Tuple[Tuple[Tuple[str, Pattern[str]], ...], Tuple[Tuple[str, Pattern[str], Pattern[str]], ...]]:
    whole = tuple((kind, re.compile(pattern)) for kind, pattern in _CUES)
    near = tuple((kind, re.compile(thing), re.compile(state)) for kind, thing, state in _NEAR_CUES)
    return whole, near


def _negated(text: str, start: int) -> bool:
    if _NEGATION.search(text[max(0, start - _NEGATION_WINDOW):start]):
        return True
    before = _CLAUSE_END.split(text[max(0, start - _PHRASE_WINDOW):start])[-1]
    return bool(_NEGATION_PHRASE.search(before))


def _blank_not_meant(text: str) -> str:
    return _NOT_MEANT.sub(lambda match: _FILLER * len(match.group(0)), text)


def _keyword_spans(text: str, keywords: List[str]) -> Iterator[Span]:
    for word in keywords:
        for match in re.finditer(re.escape(word), text):
            if not _negated(text, match.start()):
                yield match.start(), match.end()


def _cue_spans(text: str, kind: str) -> Iterator[Span]:
    whole, near = _patterns()
    for cue_kind, pattern in whole:
        if cue_kind == kind:
            yield from ((m.start(), m.end()) for m in pattern.finditer(text) if not _negated(text, m.start()))
    for cue_kind, thing, state in near:
        if cue_kind != kind:
            continue
        for found in thing.finditer(text):
            if _negated(text, found.start()):
                continue
            clause_end = _CLAUSE_END.search(text, found.end())
            for said in state.finditer(text, found.end(), clause_end.start() if clause_end else len(text)):
                if said.start() > found.end() + _NEAR:
                    break
                if not _negated(text, said.start()):
                    yield found.start(), said.end()
                    break


def match_hazards(text: str, region: Union[Region, str, None] = None) -> List[HazardMatch]:
    """Hazards mentioned in ``text`` (already normalised by bot/text), most urgent first.
    Offsets and words refer to ``text`` itself. Pure; never raises on a str."""
    if not text:
        return []
    searched = _blank_not_meant(text)
    found = []
    for entry in region_or_default(region).value("outage.hazards.kinds"):
        kind = str(entry["kind"])
        spans = sorted(set(_keyword_spans(searched, list(entry["keywords"]))) | set(_cue_spans(searched, kind)))
        if spans:
            words = tuple(dict.fromkeys(text[start:end] for start, end in spans))
            found.append(HazardMatch(kind=kind, label=str(entry["label"]), keywords=words,
                                     start=spans[0][0], end=spans[0][1]))
    return found


def safety_instructions(region: Union[Region, str, None] = None) -> List[str]:
    """The safety advice to give before anything else when a hazard is reported."""
    return region_or_default(region).value("outage.hazards.safety.instructions")
