"""Deadlines for work-order steps.

Working-day limits skip Saturdays and Sundays only. Public holidays (and the make-up working
weekends around them) are not modelled: the stub has no holiday calendar, so a deadline over a
holiday comes out earlier than the utility's real one.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

SATURDAY = 5


def is_working_day(moment: datetime) -> bool:
    return moment.weekday() < SATURDAY


def add_working_days(start: datetime, days: int) -> datetime:
    """The same time of day `days` working days later (Fri 15:00 + 1 -> Mon 15:00)."""
    moment = start
    remaining = days
    while remaining > 0:
        moment += timedelta(days=1)
        if is_working_day(moment):
            remaining -= 1
    return moment


def step_deadline(start: datetime, working_days: Optional[int], hours: Optional[float]) -> datetime:
    """Hour limits (repairs) run round the clock; day limits count working days."""
    if hours is not None:
        return start + timedelta(hours=hours)
    return add_working_days(start, working_days or 0)
