"""Dates customers say (明天, 周六, 下周一, 3月5号, 这周) as a date range relative to today."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Optional

_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
             "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_RELATIVE_DAYS = {"今天": 0, "今日": 0, "今晚": 0, "明天": 1, "明日": 1, "明早": 1, "后天": 2,
                  "大后天": 3, "昨天": -1, "昨晚": -1}
_WEEKDAY = re.compile(r"(下下|下个?|这个?|本)?(?:周|星期|礼拜)([一二三四五六日天1-7])")
_WEEK = re.compile(r"(下个?|这个?|本)(?:周|星期|礼拜)(?![一二三四五六日天1-7])")
_MONTH_DAY = re.compile(r"(?<!\d)(\d{1,2})月(\d{1,2})[号日]?")
# A bare "18号" is a day of this month, unless it is a house number ("科苑路18号", "18号楼").
_DAY_ONLY = re.compile(r"(?<![\d月路街道巷弄村栋座楼])(\d{1,2})[号日](?![\d楼栋座院室铺房])")
_ISO = re.compile(r"(?<!\d)(20\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date
    text: str
    start_index: int
    end_index: int


def _safe_date(year: int, month: int, day: int) -> Optional[date]:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date_range(text: str, today: date) -> Optional[DateRange]:
    """The first date expression in normalised text, or None. Past month-days roll to next year."""
    for word in sorted(_RELATIVE_DAYS, key=len, reverse=True):
        idx = text.find(word)
        if idx >= 0:
            day = today + timedelta(days=_RELATIVE_DAYS[word])
            return DateRange(day, day, word, idx, idx + len(word))
    match = _ISO.search(text)
    if match:
        day = _safe_date(*map(int, match.groups()))
        if day:
            return DateRange(day, day, match.group(0), match.start(), match.end())
    match = _MONTH_DAY.search(text)
    if match:
        month, dom = int(match.group(1)), int(match.group(2))
        day = _safe_date(today.year, month, dom)
        if day and day < today - timedelta(days=30):
            day = _safe_date(today.year + 1, month, dom)
        if day:
            return DateRange(day, day, match.group(0), match.start(), match.end())
    match = _WEEKDAY.search(text)
    if match:
        prefix, name = match.group(1) or "", match.group(2)
        monday = today - timedelta(days=today.weekday())
        weeks_ahead = 2 if prefix.startswith("下下") else 1 if prefix.startswith("下") else 0
        day = monday + timedelta(weeks=weeks_ahead, days=_WEEKDAYS[name])
        if not prefix and day < today:
            day += timedelta(weeks=1)  # a bare 周六 that has passed means the coming one
        return DateRange(day, day, match.group(0), match.start(), match.end())
    match = _WEEK.search(text)
    if match:
        monday = today - timedelta(days=today.weekday())
        if match.group(1).startswith("下"):
            start = monday + timedelta(weeks=1)
        else:
            start = today
        return DateRange(start, monday + timedelta(days=6, weeks=1 if match.group(1).startswith("下") else 0),
                         match.group(0), match.start(), match.end())
    match = _DAY_ONLY.search(text)
    if match:
        dom = int(match.group(1))
        day = _safe_date(today.year, today.month, dom)
        if day and day < today:
            nxt = today.replace(day=1) + timedelta(days=32)
            day = _safe_date(nxt.year, nxt.month, dom)
        if day:
            return DateRange(day, day, match.group(0), match.start(), match.end())
    return None
