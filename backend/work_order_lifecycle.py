"""Building a work order and moving it along its steps (used by the API and the seed alike)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Optional

from backend.clock import to_db
from backend.models import WorkOrder, WorkOrderEvent, WorkOrderStep
from backend.work_order_types import Plan, type_name
from backend.working_days import step_deadline

IN_PROGRESS = "in_progress"
COMPLETED = "completed"


def new_order(
    *,
    order_type: str,
    plan: Plan,
    created_at: datetime,
    request_id: str,
    fingerprint: str,
    contact_name: Optional[str],
    phone: Optional[str],
    address: Optional[str],
    district: Optional[str],
    account_no: Optional[str],
    channel: Optional[str],
    details: Dict[str, Any],
) -> WorkOrder:
    """A transient order (no number yet) with projected deadlines: each step's limit counts from
    the previous step's deadline until the previous step is really done."""
    created_at = to_db(created_at)
    order = WorkOrder(
        type=order_type,
        request_id=request_id,
        request_fingerprint=fingerprint,
        status=IN_PROGRESS,
        contact_name=contact_name,
        phone=phone,
        address=address,
        district=district,
        account_no=account_no,
        channel=channel,
        details=details,
        responsible_unit=plan.responsible_unit,
        created_at=created_at,
    )
    order.steps = [
        WorkOrderStep(
            seq=index,
            name=step.name,
            time_limit_working_days=step.working_days,
            time_limit_hours=step.hours,
            deadline=created_at,  # replaced by _reschedule below
        )
        for index, step in enumerate(plan.steps, start=1)
    ]
    _reschedule(order, first_index=0, start=created_at)
    # The name the customer sees elsewhere: an account_transfer order for 更名 says 更名工单.
    note = f"{type_name(order_type, details)}工单已受理，由{plan.responsible_unit}办理"
    order.events = [WorkOrderEvent(at=created_at, status="accepted", note=note[:200])]
    if not order.steps:  # a procedure without steps is done on acceptance
        _complete(order, created_at)
    return order


def _reschedule(order: WorkOrder, first_index: int, start: datetime) -> None:
    for step in order.steps[first_index:]:
        step.deadline = step_deadline(start, step.time_limit_working_days, step.time_limit_hours)
        start = step.deadline


def current_step(order: WorkOrder) -> Optional[WorkOrderStep]:
    return next((step for step in order.steps if step.done_at is None), None)


def complete_current_step(order: WorkOrder, at: datetime) -> None:
    """Mark the current step done at `at`; the following steps' clocks restart from then."""
    at = to_db(at)
    step = current_step(order)
    if step is None:
        return
    step.done_at = at
    index = order.steps.index(step)
    _reschedule(order, first_index=index + 1, start=at)
    order.events.append(WorkOrderEvent(at=at, status="step_completed", note=f"“{step.name}”环节已完成"))
    if current_step(order) is None:
        _complete(order, at)


def _complete(order: WorkOrder, at: datetime) -> None:
    order.status = COMPLETED
    order.completed_at = at
    order.events.append(WorkOrderEvent(at=at, status="completed", note="工单已办结"))
