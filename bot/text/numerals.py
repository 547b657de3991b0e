"""Chinese numerals and quantities (kWh, kW/kVA) -> numbers.

This is the only module that turns numerals into numbers. cn2an does the arithmetic of a
numeral run; this module decides *which* runs are numbers. cn2an's own `transform` is too eager
for customer text: it turns 一户多人口 into 1户多人口, 了解一下 into 了解1下, and reads the 千 of
千瓦/千伏安 as a thousand. So units that start with a numeral character are protected first, and a
run is converted only when it is clearly a quantity.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Optional

import cn2an

# Units whose first character is also a numeral character: hidden from the numeral scanner.
_PROTECTED_UNITS = ("千瓦时", "千瓦小时", "千伏安", "千瓦", "千伏", "兆瓦", "万伏")
_PLACEHOLDERS = {unit: chr(0xE000 + i) for i, unit in enumerate(_PROTECTED_UNITS)}

_DIGIT_CHARS = "零〇一二两三四五六七八九幺"
_MAGNITUDE_CHARS = "十百千万亿"
_RUN = re.compile(rf"[{_DIGIT_CHARS}{_MAGNITUDE_CHARS}]+(?:点[{_DIGIT_CHARS}]+)?")
# What may follow a numeral for it to count as a quantity (after an optional 多/来/余).
_UNIT_AFTER = re.compile(
    r"^(?:[多来余])?(?:度|块|元|毛|角|分钱|月|号|日|人|口|个|位|岁|年|天|小时|分钟|点|kw|kva|kwh|w\b|瓦|米|平|层|栋|楼|室|户|次|期|倍|%|"
    + "|".join(map(re.escape, _PLACEHOLDERS.values()))
    + ")",
    re.IGNORECASE,
)
# Weekday names (周一, 星期三, 礼拜天) are dates, not numbers: the date parser reads them.
_WEEKDAY_BEFORE = re.compile(r"(?:周|星期|礼拜)$")
# Units after which a lone 一 is the number one, not an article.
_LONE_ONE_UNITS = ("度", "块", "元", "月", "号", "日", "点") + tuple(_PLACEHOLDERS.values())
_DIGIT_VALUE = {c: str(i) for i, c in enumerate("零一二三四五六七八九")}
_DIGIT_VALUE.update({"〇": "0", "两": "2", "幺": "1"})


def _protect(text: str) -> str:
    for unit, mark in _PLACEHOLDERS.items():
        text = text.replace(unit, mark)
    return text


def _unprotect(text: str) -> str:
    for unit, mark in _PLACEHOLDERS.items():
        text = text.replace(mark, unit)
    return text


def _run_to_digits(run: str) -> Optional[str]:
    """A numeral run as a digit string, or None when cn2an cannot read it."""
    if not any(c in _MAGNITUDE_CHARS or c == "点" for c in run):
        # Spelled digits (一三八…, 二零二六) read digit by digit.
        return "".join(_DIGIT_VALUE[c] for c in run)
    try:
        value = cn2an.cn2an(run.replace("两", "二").replace("幺", "一"), "smart")
    except (ValueError, KeyError, IndexError):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def chinese_to_digits(text: str) -> str:
    """Replace Chinese numerals that denote quantities, dates or digit strings with Arabic digits."""
    protected = _protect(text)
    out = []
    pos = 0
    for match in _RUN.finditer(protected):
        run = match.group(0)
        before = protected[: match.start()]
        after = protected[match.end():]
        is_quantity = bool(_UNIT_AFTER.match(after))
        has_magnitude = any(c in _MAGNITUDE_CHARS for c in run)
        is_digit_string = len(run) >= 3 and not has_magnitude
        convert = (
            not _WEEKDAY_BEFORE.search(before)
            and (is_quantity or (has_magnitude and len(run) >= 2) or is_digit_string)
            # 一 alone before a unit is usually an article (一个月, 一户): keep words like 一户多人口.
            # Before 千瓦/千伏安/兆瓦… (protected units) it is the number: 一千瓦 = 1 kW.
            and not (run == "一" and after[:1] not in _LONE_ONE_UNITS)
        )
        digits = _run_to_digits(run) if convert else None
        out.append(protected[pos: match.start()])
        out.append(digits if digits is not None else run)
        pos = match.end()
    out.append(protected[pos:])
    return _unprotect("".join(out))


def parse_number(text: str) -> Optional[Decimal]:
    """The first number in a short answer ("两百五", "80", "1.5万"), or None."""
    converted = chinese_to_digits(text.strip())
    # "两百五" has no unit after it; cn2an reads it as 250 when it is the whole answer.
    if not re.search(r"\d", converted):
        try:
            value = cn2an.cn2an(converted.replace("两", "二"), "smart")
            return Decimal(str(value))
        except (ValueError, KeyError, IndexError):
            return None
    match = re.search(r"(\d+(?:\.\d+)?)\s*(万)?", converted.replace(",", ""))
    if not match:
        return None
    try:
        number = Decimal(match.group(1))
    except InvalidOperation:
        return None
    return number * 10000 if match.group(2) else number


@dataclass(frozen=True)
class Quantity:
    value: Decimal
    unit: str  # canonical unit: "kW", "kVA" or "kWh"
    text: str  # the matched text
    start: int
    end: int


# "200多度" reads as 200: the customer gave an approximate figure.
_NUMBER = r"(\d+(?:\.\d+)?)\s*(万)?\s*(?:多|来|左右)?\s*"
_CAPACITY = re.compile(
    _NUMBER + r"(千伏安|kva|千瓦(?!时|小时)|kw(?!h|·h)|兆瓦|mw(?!h)|瓦(?!时)|w(?!h|·h))", re.IGNORECASE
)
_KWH = re.compile(_NUMBER + r"(度电|度|千瓦时|千瓦小时|kwh|kw·h|kw\.h)", re.IGNORECASE)
_CAPACITY_UNITS = {
    "千伏安": ("kVA", 1), "kva": ("kVA", 1), "千瓦": ("kW", 1), "kw": ("kW", 1),
    "兆瓦": ("kW", 1000), "mw": ("kW", 1000), "瓦": ("kW", Decimal("0.001")), "w": ("kW", Decimal("0.001")),
}


def _amount(match: re.Match) -> Decimal:
    number = Decimal(match.group(1))
    return number * 10000 if match.group(2) else number


def parse_capacity(text: str) -> Optional[Quantity]:
    """A power capacity in kW or kVA from text that went through `normalize` (digits already)."""
    match = _CAPACITY.search(text)
    if not match:
        return None
    unit, factor = _CAPACITY_UNITS[match.group(3).lower()]
    return Quantity(_amount(match) * Decimal(str(factor)), unit, match.group(0), match.start(), match.end())


def parse_kwh(text: str) -> Optional[Quantity]:
    """An energy quantity in kWh (度) from normalised text."""
    match = _KWH.search(text)
    if not match:
        return None
    return Quantity(_amount(match), "kWh", match.group(0), match.start(), match.end())
