"""Places and times for the outage and repair actions: Shenzhen's districts and streets from
knowledge/ (geography.districts), the area type behind the repair commitments, and outage times
written the way customers read them."""
from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

from actions.replies import region

AREA_TYPE_TEXT = {"urban": "城区", "rural": "农村地区", "remote": "边远地区"}
WEEKDAYS = "一二三四五六日"


def _street_name(street: Any) -> str:
    return str(street["name"] if isinstance(street, dict) else street)


@lru_cache(maxsize=1)
def _districts() -> Tuple[Dict[str, Any], ...]:
    return tuple(region().value("geography.districts"))


def district_names() -> List[str]:
    return [str(d["name"]) for d in _districts()]


def canonical_district(text: Optional[str]) -> Optional[str]:
    """南山 / 南山区 -> 南山区; a district named inside longer text counts too."""
    if not text:
        return None
    text = str(text).strip()
    best: Optional[Tuple[int, str]] = None
    for district in _districts():
        for surface in [district["name"], *district.get("aliases", [])]:
            if surface and surface in text and (best is None or len(surface) > best[0]):
                best = (len(surface), str(district["name"]))
    return best[1] if best else None


def district_of_street(street: Optional[str]) -> Optional[str]:
    if not street:
        return None
    for district in _districts():
        if any(_street_name(s) == street for s in district.get("streets", [])):
            return str(district["name"])
    return None


# Free address text customers give in a first question ("科苑路18号停电了吗", "景田花园明天停电吗"):
# a road with a house number, or a named estate. Cue words, not facts: the back end decides
# whether it can place the address.
_NAME = r"[\u4e00-\u9fff0-9A-Za-z]"
ADDRESS_TEXT = re.compile(
    rf"{_NAME}{{1,12}}?(?:路|街|大道|巷|道)[0-9]+(?:之[0-9]+)?号"
    rf"|{_NAME}{{2,12}}?(?:小区|花园|公寓|大厦|新村|家园|山庄|华庭|广场|社区)")
# What may stand before the name without being part of it ("请问明天景田花园…", "我家在…").
_LEAD = re.compile(
    r"^(?:请问|你好|您好|麻烦|帮我|帮忙|查一?下|问一?下|看一?下|今天|明天|后天|昨天|现在|刚才|这周|下周|本周|"
    r"周[一二三四五六日天]|星期[一二三四五六日天]|[0-9]+月[0-9]+[日号]|我家|我们|我住|住在|我在|就在|在|的|那|这|"
    r"那个|这个|停电|停电了|是不是|有没有)+")
# Names that only point at a place ("我们小区", "隔壁小区", "整个小区"): not an address.
_POINTING = re.compile(r"^(?:我|你|他|她|咱|这|那|哪|整|本|全|每|各|该|隔壁|附近|旁边|对面|周边|周围|换|另|别|其)")


def address_in(text: Optional[str]) -> Optional[str]:
    """The address-like part of a sentence ("请问科苑路18号停电了吗" -> "科苑路18号"), or None."""
    for found in ADDRESS_TEXT.finditer(text or ""):
        address = _LEAD.sub("", found.group(0))
        name = re.sub(r"(?:小区|花园|公寓|大厦|新村|家园|山庄|华庭|广场|社区)$", "", address)
        if len(name) >= 2 and not _POINTING.match(address):
            return address
    return None


def area_type(district: Optional[str], street: Optional[str] = None) -> str:
    """urban / rural / remote for the repair commitment: a street's own type wins over its
    district's; unknown places count as urban (the most demanding commitment)."""
    for entry in _districts():
        if district and entry["name"] != district:
            continue
        for item in entry.get("streets", []):
            if isinstance(item, dict) and _street_name(item) == street and item.get("area_type"):
                return str(item["area_type"])
        if entry["name"] == district:
            return str(entry.get("area_type") or "urban")
    return "urban"


def arrival_minutes(kind_of_area: str) -> int:
    return int(region().value(f"outage.repair.arrival_minutes.{kind_of_area}"))


def restoration_hours(kind_of_area: str) -> float:
    return float(region().value(f"outage.repair.restoration_hours_after_arrival.{kind_of_area}"))


def duration_text(minutes: int) -> str:
    """45 -> 45分钟, 90 -> 90分钟, 120 -> 2小时: how the commitments are usually said."""
    if minutes >= 120 and minutes % 60 == 0:
        return f"{minutes // 60}小时"
    return f"{minutes}分钟"


def arrival_commitment(kind_of_area: str) -> str:
    return f"{AREA_TYPE_TEXT.get(kind_of_area, '城区')}抢修人员平均{duration_text(arrival_minutes(kind_of_area))}内到达现场"


def parse_time(value: Optional[str]) -> Optional[datetime]:
    """The back end's ISO times (2026-11-23T08:00:00+08:00), kept in China local time."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def day_text(day: date) -> str:
    return f"{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"


def time_text(value: Optional[str]) -> str:
    moment = parse_time(value)
    return f"{day_text(moment.date())}{moment:%H:%M}" if moment else "待定"


def span_text(start: Optional[str], end: Optional[str]) -> str:
    """"11月23日（周一）08:00 至 18:00", the end's day repeated only when it differs."""
    first, last = parse_time(start), parse_time(end)
    if first is None:
        return "待定"
    if last is None:
        return f"{time_text(start)} 起"
    if last.date() == first.date():
        return f"{time_text(start)} 至 {last:%H:%M}"
    return f"{time_text(start)} 至 {time_text(end)}"


def range_text(date_from: Optional[str], date_to: Optional[str]) -> str:
    """The days a question was about, or "" when it was about now."""
    if not date_from:
        return ""
    first = date.fromisoformat(date_from)
    last = date.fromisoformat(date_to) if date_to else first
    if last == first:
        return day_text(first)
    return f"{first.month}月{first.day}日至{last.month}月{last.day}日"
