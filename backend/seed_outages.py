"""Seeded outages from a week ago to three weeks ahead (part of backend.seed)."""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import List

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.geography import Geography
from backend.models import Outage
from backend.seed import (
    DEMO_ACCOUNT_BY_NO,
    DEMO_CURRENT_FAULT,
    DEMO_HOUSEHOLD_OF_6,
    DEMO_IN_FAULT_AREA,
    DEMO_PLANNED_TOMORROW,
)
from backend.seed_people import ESTATE_PREFIXES, ESTATE_SUFFIXES

PLANNED_COUNT = 40
PAST_FAULT_COUNT = 14
CURRENT_FAULT_COUNT = 2  # besides the demo fault
PLANNED_REASONS = (
    "10kV线路检修", "配电变压器更换", "电缆线路迁改", "配电房设备预防性试验", "开关柜更换",
    "线路升级改造", "配合市政道路施工", "低压线路改造", "台区增容改造",
)
FAULT_CAUSES = (
    "10kV电缆故障", "配电变压器故障", "低压线路短路", "施工挖断电缆", "雷击导致线路跳闸",
    "树枝碰线", "设备老化故障", "小动物引起短路",
)
AREA_SUFFIXES = ("及周边", "部分区域", "沿线商铺及住宅", "一带")


def _area(rng: random.Random, streets: List[str]) -> str:
    estates = "、".join(rng.choice(ESTATE_PREFIXES) + rng.choice(ESTATE_SUFFIXES) for _ in range(rng.randint(1, 3)))
    return f"{'、'.join(streets)}{estates}{rng.choice(AREA_SUFFIXES)}"


def _planned(outage_id: str, district: str, streets: List[str], area: str, start: datetime, hours: float,
             reason: str, notice_days: int, households: int) -> dict:
    return {
        "outage_id": outage_id, "kind": "planned", "district": district, "streets": streets, "area_desc": area,
        "start_at": start, "end_at": start + timedelta(hours=hours), "affected_households": households,
        "reason": reason, "notice_date": start.date() - timedelta(days=notice_days),
        "cause": None, "repair_status": None, "estimated_restoration": None,
    }


def _fault(outage_id: str, district: str, streets: List[str], area: str, start: datetime, cause: str,
           status: str, estimate: datetime, end, households: int) -> dict:
    return {
        "outage_id": outage_id, "kind": "fault", "district": district, "streets": streets, "area_desc": area,
        "start_at": start, "end_at": end, "affected_households": households,
        "reason": None, "notice_date": None,
        "cause": cause, "repair_status": status, "estimated_restoration": estimate,
    }


def _demo_outages(now: datetime) -> List[dict]:
    home = DEMO_ACCOUNT_BY_NO[DEMO_HOUSEHOLD_OF_6]
    tomorrow = datetime.combine(now.date() + timedelta(days=1), time(8, 30))
    fault_home = DEMO_ACCOUNT_BY_NO[DEMO_IN_FAULT_AREA]
    fault_start = (now - timedelta(minutes=90)).replace(second=0, microsecond=0)
    return [
        _planned(DEMO_PLANNED_TOMORROW, home.district, [home.street], f"{home.street}景田花园、景田北路沿线及周边",
                 tomorrow, 9, "10kV景田线检修", notice_days=7, households=860),
        _fault(DEMO_CURRENT_FAULT, fault_home.district, [fault_home.street], f"{fault_home.street}科苑路海滨公寓一带",
               fault_start, "10kV电缆故障", "repairing", fault_start + timedelta(hours=4), None, households=420),
    ]


def _place(rng: random.Random, geography: Geography):
    district = rng.choice(geography.districts)
    streets = rng.sample(list(district.streets), k=min(len(district.streets), rng.choice((1, 1, 2))))
    return district.name, streets


async def seed_outages(session: AsyncSession, rng: random.Random, geography: Geography, now: datetime) -> None:
    rows = _demo_outages(now)
    for number in range(2, PLANNED_COUNT + 2):
        district, streets = _place(rng, geography)
        day = now.date() + timedelta(days=rng.randint(-7, 21))
        start = datetime.combine(day, time(rng.choice((7, 8, 8, 9)), rng.choice((0, 30))))
        rows.append(_planned(f"JH{number:04d}", district, streets, _area(rng, streets), start,
                             rng.choice((4, 6, 8, 9, 10)), rng.choice(PLANNED_REASONS),
                             notice_days=rng.randint(7, 10), households=rng.randint(80, 2500)))
    number = 2
    for _ in range(PAST_FAULT_COUNT):
        district, streets = _place(rng, geography)
        start = (now - timedelta(minutes=rng.randint(6 * 60, 7 * 24 * 60))).replace(second=0, microsecond=0)
        duration = timedelta(minutes=rng.randint(40, 6 * 60))
        rows.append(_fault(f"GZ{number:04d}", district, streets, _area(rng, streets), start, rng.choice(FAULT_CAUSES),
                           "restored", start + duration + timedelta(minutes=rng.randint(-30, 60)), start + duration,
                           households=rng.randint(20, 1500)))
        number += 1
    for status in ("dispatched", "on_site")[:CURRENT_FAULT_COUNT]:
        district, streets = _place(rng, geography)
        start = (now - timedelta(minutes=rng.randint(10, 100))).replace(second=0, microsecond=0)
        rows.append(_fault(f"GZ{number:04d}", district, streets, _area(rng, streets), start, rng.choice(FAULT_CAUSES),
                           status, start + timedelta(hours=rng.randint(2, 5)), None, households=rng.randint(20, 800)))
        number += 1
    await session.execute(insert(Outage), rows)
