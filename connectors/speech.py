"""Turning the bot's written replies into short text a TTS engine reads well on the phone.

No URLs, emoji or markdown; masked numbers read as "尾号…"; identifiers and long numbers read
digit by digit; dates and times written the way people say them; options as "请说一或二".
Every reply fits a short-text TTS limit (300 characters, Alibaba Cloud's, including the prompt).
"""
from __future__ import annotations

import re
from typing import List, Sequence

SPEECH_LIMIT = 300
_DIGIT_WORDS = "零一二三四五六七八九"
_NUMBER_WORDS = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]

_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", re.IGNORECASE)
_EMOJI = re.compile(
    "[\U0001F000-\U0001FAFF\U00002600-\U000027BF\U00002B00-\U00002BFF\U0001F900-\U0001F9FF"
    "\U0000FE0F\U0000200D\U000020E3\U0000E000-\U0000F8FF]"
)
_MARKDOWN = re.compile(r"(\*\*|__|`+|^\s{0,3}#{1,6}\s*|^\s*(?:[-*•·]|\d+[.)、])\s+)", re.MULTILINE)
_MASKED = re.compile(r"\d*[*＊]{2,}(\d+)")
_ORDER_NO = re.compile(r"(?<![A-Za-z])([A-Z]{2})(\d{14})(?!\d)")
_DATETIME = re.compile(
    r"(?<!\d)(20\d{2}|19\d{2})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{2})(?::\d{2}(?:[+-]\d{2}:?\d{2}|Z)?)?"
)
_DATE = re.compile(r"(?<!\d)(20\d{2}|19\d{2})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_YEAR_MONTH = re.compile(r"(?<![\d-])(20\d{2})-(\d{1,2})(?![\d-])")
_TIME = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?::\d{2})?(?![\d:])")
_RANGE = re.compile(r"(?<=[点日号分月\d])\s*(?:-|~|～|—|－|至)+\s*(?=\d)")
_LONG_NUMBER = re.compile(r"(?<![\d.])(\d{5,})(?![\d.]|\s*(?:元|度|千瓦|户|人|万|亿|%|天|个|次|年))")
_SAME_DAY_RANGE = re.compile(r"(\d{4}年\d{1,2}月\d{1,2}日)(\d{1,2}点(?:\d{1,2}分)?)到\1")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*[%％]")
_YUAN = re.compile(r"[¥￥]\s*(\d+(?:\.\d+)?)")
_PARENS = re.compile(r"[（(]([^（）()]*)[）)]")
_SLASH_BETWEEN_WORDS = re.compile(r"(?<=[\u4e00-\u9fff])\s*/\s*(?=[\u4e00-\u9fff])")
_UNITS = [("元/千瓦时", "元每千瓦时"), ("元/度", "元每度"), ("kWh", "千瓦时"), ("KWH", "千瓦时"),
          ("kwh", "千瓦时"), ("kVA", "千伏安"), ("KVA", "千伏安"), ("kW", "千瓦"), ("KW", "千瓦"),
          ("kV", "千伏"), ("KV", "千伏"), ("App", "应用"), ("APP", "应用"), ("&", "和")]
_UNSPEAKABLE = re.compile(r"[*#|<>_^\\{}\[\]【】〔〕「」『』\"“”‘’`~]")
_SENTENCE_END = "。！？；"
_SOFT_PUNCT = "，、：,;:"


def spell_digits(digits: str) -> str:
    return "".join(_DIGIT_WORDS[int(d)] for d in digits if d.isdigit())


def number_word(n: int) -> str:
    return _NUMBER_WORDS[n] if 0 <= n <= 10 else str(n)


def _spell_order_no(match: re.Match) -> str:
    letters, digits = match.group(1), match.group(2)
    groups = [spell_digits(digits[i:i + 4]) for i in range(0, len(digits), 4)]
    return f"{' '.join(letters)}，{'，'.join(groups)}"


def _datetime(match: re.Match) -> str:
    year, month, day, hour, minute = match.groups()
    return f"{year}年{int(month)}月{int(day)}日{_clock(hour, minute)}"


def _clock(hour: str, minute: str) -> str:
    return f"{int(hour)}点" if int(minute) == 0 else f"{int(hour)}点{int(minute)}分"


def _without_urls(text: str) -> str:
    """URLs removed; a clause that only led up to one ("详情见…", "请访问…") goes with it."""
    marked = _URL.sub("\0", text)
    clauses = re.split(r"([，。！？；\n])", marked)
    kept = []
    for clause in clauses:
        if "\0" in clause and len(clause.replace("\0", "").strip(" ：:")) <= 8:
            continue
        kept.append(clause.replace("\0", ""))
    return "".join(kept)


def _newlines_to_sentences(text: str) -> str:
    lines = [line.strip() for line in text.splitlines()]
    out = ""
    for line in (line for line in lines if line):
        if out and out[-1] not in _SENTENCE_END + _SOFT_PUNCT:
            out += "。"
        out += line
    return out


def _tidy_punctuation(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"(?<=[\u4e00-\u9fff，。！？；：、]) | (?=[\u4e00-\u9fff，。！？；：、])", "", text)
    text = re.sub(r"\s*([，。！？；：、])\s*", r"\1", text)
    text = re.sub(r"[，、：]+([。！？；])", r"\1", text)
    text = re.sub(r"([。！？；])[，、：。；]+", r"\1", text)
    text = re.sub(r"，{2,}", "，", text)
    return text.strip(" ，、：;,").strip()


def speakable(text: str) -> str:
    """Written reply -> text for TTS (no URLs, emoji, markdown; numbers read well)."""
    text = _MD_LINK.sub(r"\1", text or "")
    text = _without_urls(text)
    text = _EMOJI.sub("", text)
    # Masked numbers first: their asterisks would otherwise be taken for markdown emphasis.
    text = _MASKED.sub(lambda m: f"尾号{spell_digits(m.group(1))}", text)
    text = _MARKDOWN.sub("", text)
    text = re.sub(r"【([^】]*)】", r"\1\n", text)
    text = _newlines_to_sentences(text)
    text = _ORDER_NO.sub(_spell_order_no, text)
    text = _DATETIME.sub(_datetime, text)
    text = _DATE.sub(lambda m: f"{m.group(1)}年{int(m.group(2))}月{int(m.group(3))}日", text)
    text = _YEAR_MONTH.sub(lambda m: f"{m.group(1)}年{int(m.group(2))}月", text)
    text = _TIME.sub(lambda m: _clock(m.group(1), m.group(2)), text)
    text = _RANGE.sub("到", text)
    text = _SAME_DAY_RANGE.sub(r"\1\2到", text)
    text = _YUAN.sub(r"\1元", text)
    text = _PERCENT.sub(r"百分之\1", text)
    for written, spoken in _UNITS:
        text = text.replace(written, spoken)
    text = _LONG_NUMBER.sub(lambda m: spell_digits(m.group(1)), text)
    text = _PARENS.sub(r"，\1，", text)
    text = _SLASH_BETWEEN_WORDS.sub("或", text)
    text = text.replace("/", "或")
    text = _UNSPEAKABLE.sub("", text)
    return _tidy_punctuation(text)


def _or_list(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return "、".join(words[:-1]) + "或" + words[-1]


def options_prompt(labels: Sequence[str], dtmf: bool = False, operator_key: bool = False) -> str:
    """Spoken options: "一，停电查询；二，用电报装。请说一或二。" or the keypad form."""
    labels = [speakable(label) for label in labels]
    if dtmf:
        items = [f"按{i}，{label}" for i, label in enumerate(labels, start=1)]
        if operator_key:
            items.append("按0，转人工")
        return "请按电话键选择：" + "；".join(items) + "。"
    items = [f"{number_word(i)}，{label}" for i, label in enumerate(labels, start=1)]
    numbers = [number_word(i) for i in range(1, len(labels) + 1)]
    return "；".join(items) + f"。请说{_or_list(numbers)}。"


def _sentences(text: str) -> List[str]:
    return [s for s in re.split(r"(?<=[。！？；])", text) if s]


def fit(body: str, tail: str = "", limit: int = SPEECH_LIMIT) -> str:
    """Body sentences in order as long as body + tail stays within `limit` characters.

    The tail (the question or the options) always survives: it tells the caller what to do next.
    """
    if len(tail) >= limit:
        return tail[:limit]
    budget = limit - len(tail)
    kept = ""
    for sentence in _sentences(body):
        if len(kept) + len(sentence) > budget:
            if not kept:  # one long sentence: cut at the last comma that fits
                cut = sentence[:budget]
                comma = max(cut.rfind("，"), cut.rfind("、"))
                kept = (cut[:comma] if comma > 0 else cut[:-1]) + "。"
            break
        kept += sentence
    if kept and kept[-1] not in _SENTENCE_END:
        kept += "。"
    return (kept + tail)[:limit]
