"""Outages as the API shows them, with their state relative to now."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, Optional

from backend.clock import iso, iso_date
from backend.models import Outage

KIND_TEXT = {"planned": "计划停电", "fault": "故障停电"}
STATUS_TEXT = {"ongoing": "停电中", "upcoming": "尚未开始", "ended": "已恢复供电"}
REPAIR_STATUS_TEXT = {
    "dispatched": "已派单",
    "on_site": "抢修人员已到达现场",
    "repairing": "抢修中",
    "restored": "已恢复送电",
}
STATUS_RANK = {"ongoing": 0, "upcoming": 1, "ended": 2}


def effective_end(outage: Outage, now: datetime) -> datetime:
    """When the outage stops affecting customers, as far as known now (naive local times).
    An unrestored fault lasts at least until now and until its estimated restoration."""
    if outage.end_at is not None:
        return outage.end_at
    estimate = outage.estimated_restoration or now
    return max(estimate, now + timedelta(seconds=1))


def outage_status(outage: Outage, now: datetime) -> str:
    if outage.start_at > now:
        return "upcoming"
    return "ongoing" if effective_end(outage, now) > now else "ended"


def outage_json(outage: Outage, now: datetime, affects_account: Optional[bool] = None) -> Dict[str, Any]:
    status = outage_status(outage, now)
    data: Dict[str, Any] = {
        "outage_id": outage.outage_id,
        "kind": outage.kind,
        "kind_text": KIND_TEXT.get(outage.kind, outage.kind),
        "status": status,
        "status_text": STATUS_TEXT[status],
        "district": outage.district,
        "streets": list(outage.streets),
        "area_desc": outage.area_desc,
        "start": iso(outage.start_at),
        "end": iso(outage.end_at),
        "affected_households": outage.affected_households,
    }
    if outage.kind == "planned":
        data.update(reason=outage.reason, notice_date=iso_date(outage.notice_date))
    else:
        data.update(
            cause=outage.cause,
            repair_status=outage.repair_status,
            repair_status_text=REPAIR_STATUS_TEXT.get(outage.repair_status or "", outage.repair_status),
            estimated_restoration=iso(outage.estimated_restoration),
        )
    if affects_account is not None:
        data["affects_account"] = affects_account
    return data
