"""Outage search: where (account, district, street, free address text), when, and what kind."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import List, Optional

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Outage
from backend.outage_view import STATUS_RANK, effective_end, outage_status

MAX_RANGE_DAYS = 366


@dataclass
class OutageQuery:
    district: Optional[str] = None
    street: Optional[str] = None  # only outages covering this street
    home_street: Optional[str] = None  # the account's street: listed first, not a filter
    kind: Optional[str] = None
    date_from: Optional[date] = None
    date_to: Optional[date] = None


async def search_outages(session: AsyncSession, query: OutageQuery, now: datetime) -> List[Outage]:
    """Outages overlapping [date_from 00:00, date_to 24:00) (date_from None: today).
    Sorted: the account's street first, then ongoing, upcoming, ended; by start time within."""
    window_start = datetime.combine(query.date_from or now.date(), time.min)
    window_end = datetime.combine(query.date_to, time.min) + timedelta(days=1) if query.date_to else None
    statement = select(Outage)
    if query.kind:
        statement = statement.where(Outage.kind == query.kind)
    if query.district:
        statement = statement.where(Outage.district == query.district)
    if window_end is not None:
        statement = statement.where(Outage.start_at < window_end)
    outages = [
        outage
        for outage in (await session.execute(statement)).scalars()
        if effective_end(outage, now) > window_start
        and (query.street is None or query.street in outage.streets)
    ]

    def order(outage: Outage):
        status = outage_status(outage, now)
        own_street = 0 if query.home_street and query.home_street in outage.streets else 1
        start = (outage.start_at - datetime.min).total_seconds()
        return (own_street, STATUS_RANK[status], -start if status == "ended" else start, outage.outage_id)

    return sorted(outages, key=order)
