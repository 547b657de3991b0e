"""Work-order numbers: type prefix + YYYYMMDD + a 6-digit sequence per prefix and day."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import OrderSequence


async def next_order_no(session: AsyncSession, prefix: str, created_at: datetime) -> str:
    """Reserve the next number inside the caller's transaction.

    The UPDATE takes the row (PostgreSQL) or database (SQLite) write lock, so concurrent
    requests get distinct numbers. Two requests opening a new day at once can both INSERT; the
    loser's IntegrityError makes the caller retry its whole transaction.
    """
    day = created_at.strftime("%Y%m%d")
    bumped = await session.execute(
        update(OrderSequence)
        .where(OrderSequence.prefix == prefix, OrderSequence.day == day)
        .values(last_value=OrderSequence.last_value + 1)
        .execution_options(synchronize_session=False)
    )
    if bumped.rowcount == 0:
        await session.execute(insert(OrderSequence).values(prefix=prefix, day=day, last_value=1))
    value = (
        await session.execute(
            select(OrderSequence.last_value).where(OrderSequence.prefix == prefix, OrderSequence.day == day)
        )
    ).scalar_one()
    if value > 999_999:
        raise OverflowError(f"order sequence exhausted for {prefix}{day}")
    return f"{prefix}{day}{value:06d}"
