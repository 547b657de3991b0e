"""Reading account-service facts from knowledge/ for replies: values, short citations, hedges.

Replies cite the source of a rule the customer may dispute (late-payment charge, landlord
mark-up, meter test fees). Sources in the knowledge base carry URLs and provenance notes that
belong in the file, not in a chat bubble, so only the document title part is shown.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, List, Optional, Tuple

from actions.replies import region

_SOURCE_CUT = re.compile(r"(https?://|，?转引|，?报道见|；|（经|\(经)")
HEDGE = "（以供电局最新规定为准）"


def value(path: str) -> Any:
    return region().value(path)


def fact(path: str):
    return region().fact(path)


def short_source(source: str) -> str:
    """'《供电营业规则》（1996）第九十八条，转引 https://…' -> '《供电营业规则》（1996）第九十八条'."""
    head = _SOURCE_CUT.split(source, maxsplit=1)[0]
    return head.strip(" ，,；;：:") or source


def cite(path: str) -> str:
    """'（依据：<source>）', plus a hedge when the fact is not verified."""
    found = fact(path)
    text = f"（依据：{short_source(found.source)}）"
    return text + ("" if found.verified else HEDGE)


def hotline_number(key: str = "power_service") -> str:
    return str(value(f"service.hotlines.{key}")["number"])


def hotline_label(key: str) -> str:
    entry = value(f"service.hotlines.{key}")
    return f"{entry['name']}（{entry['number']}）"


def bullet_lines(items: Iterable[str], start: int = 1) -> str:
    return "\n".join(f"{index}. {item}" for index, item in enumerate(items, start))


def order_time_limits(order_type: str) -> List[Tuple[str, str]]:
    """(step, limit text) for a work-order type from knowledge work_orders.<type>."""
    plan = value(f"work_orders.{order_type}")
    limits = []
    for step in plan.get("steps") or []:
        if step.get("time_limit_hours") is not None:
            limits.append((step["name"], f"{_number(step['time_limit_hours'])}小时内"))
        elif step.get("time_limit_working_days") is not None:
            limits.append((step["name"], f"{step['time_limit_working_days']}个工作日内"))
    return limits


def total_working_days(order_type: str) -> Optional[int]:
    plan = value(f"work_orders.{order_type}")
    days = [step.get("time_limit_working_days") for step in plan.get("steps") or []]
    return sum(days) if days and all(d is not None for d in days) else None


def districts() -> List[dict]:
    return list(value("geography.districts"))


def find_place(text: str) -> Optional[Tuple[str, str]]:
    """(words found, canonical district) for the district named in free text by name, alias or
    street, longest match first. The words let a caller cut the place out of an address."""
    best: Optional[Tuple[str, str]] = None
    for district in districts():
        surfaces = [district["name"], *(district.get("aliases") or [])]
        for street in district.get("streets") or []:
            name = street["name"] if isinstance(street, dict) else str(street)
            surfaces.append(name)
            if name.endswith("街道") and len(name) >= 4:
                surfaces.append(name[: -len("街道")])
        for surface in surfaces:
            if surface and surface in text and (best is None or len(surface) > len(best[0])):
                best = (surface, district["name"])
    return best


def find_district(text: str) -> Optional[str]:
    """The Shenzhen district named in free text (by name, alias or street), longest match first."""
    found = find_place(text)
    return found[1] if found else None


def canonical_district(name: str) -> Optional[str]:
    for district in districts():
        if name == district["name"] or name in (district.get("aliases") or []):
            return district["name"]
    return None


def _number(x: Any) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
