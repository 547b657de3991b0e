"""Work orders as the API shows them: steps with deadlines and status, overdue flag, timeline."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Dict, Optional

from backend.clock import iso, to_db
from bot.text.masking import mask_name, mask_phone
from backend.models import WorkOrder
from backend.work_order_lifecycle import COMPLETED, current_step
from backend.work_order_types import type_name

STATUS_TEXT = {"in_progress": "处理中", "completed": "已办结"}


def _shown(value: Optional[str], mask: Callable[[str], str], reveal: bool) -> Optional[str]:
    return value if reveal or value is None else mask(value)


def order_json(order: WorkOrder, now: datetime, reveal_contact: bool = True) -> Dict[str, Any]:
    """reveal_contact=False (no phone given with the query) masks the customer's name and phone."""
    now = to_db(now)
    current = current_step(order)
    steps = []
    for step in order.steps:
        if step.done_at is not None:
            status, overdue = "done", step.done_at > step.deadline
        elif step is current:
            status, overdue = "in_progress", now > step.deadline
        else:
            status, overdue = "pending", False
        steps.append(
            {
                "name": step.name,
                "time_limit_days": step.time_limit_working_days,
                "time_limit_hours": step.time_limit_hours,
                "deadline": iso(step.deadline),
                "done_at": iso(step.done_at),
                "status": status,
                "overdue": overdue,
            }
        )
    overdue = order.status != COMPLETED and current is not None and now > current.deadline
    return {
        "order_no": order.order_no,
        "type": order.type,
        "type_name": type_name(order.type, order.details),
        "status": order.status,
        "status_text": STATUS_TEXT.get(order.status, order.status),
        "created_at": iso(order.created_at),
        "completed_at": iso(order.completed_at),
        "responsible_unit": order.responsible_unit,
        "current_step": current.name if current else None,
        "current_step_deadline": iso(current.deadline) if current else None,
        "overdue": overdue,
        "steps": steps,
        "timeline": [{"at": iso(event.at), "status": event.status, "note": event.note} for event in order.events],
        "contact_name": _shown(order.contact_name, mask_name, reveal_contact),
        "phone": _shown(order.phone, mask_phone, reveal_contact),
        "address": order.address if reveal_contact else None,
        "district": order.district,
        "account_no": order.account_no if reveal_contact else None,
        "channel": order.channel,
        "details": order.details if reveal_contact else {},
    }


def order_summary(order: WorkOrder, now: datetime) -> Dict[str, Any]:
    full = order_json(order, now)
    keys = ("order_no", "type", "type_name", "status", "status_text", "created_at", "current_step",
            "current_step_deadline", "overdue", "responsible_unit")
    return {key: full[key] for key in keys}
