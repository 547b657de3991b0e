"""Work orders in the database: idempotent creation, lookup by number or phone."""
from __future__ import annotations

from datetime import datetime
from typing import List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload, sessionmaker

from backend.errors import ApiError, not_found
from backend.models import Account, WorkOrder
from backend.order_numbers import next_order_no
from backend.work_order_lifecycle import new_order
from backend.work_order_requests import OrderRequest
from backend.work_order_types import PREFIXES

_CREATE_ATTEMPTS = 3
_WITH_STEPS = (selectinload(WorkOrder.steps), selectinload(WorkOrder.events))


async def _by_request_id(session: AsyncSession, request_id: str) -> Optional[WorkOrder]:
    query = select(WorkOrder).where(WorkOrder.request_id == request_id).options(*_WITH_STEPS)
    return (await session.execute(query)).scalar_one_or_none()


def _same_request(existing: WorkOrder, request: OrderRequest) -> WorkOrder:
    if existing.request_fingerprint != request.fingerprint:
        raise ApiError(
            409,
            "REQUEST_ID_CONFLICT",
            "该 request_id 已用于内容不同的工单，请使用新的 request_id",
            order_no=existing.order_no,
        )
    return existing


async def _insert(session: AsyncSession, request: OrderRequest, now: datetime) -> WorkOrder:
    if request.account_no is not None and await session.get(Account, request.account_no) is None:
        raise not_found("ACCOUNT_NOT_FOUND", "未找到该户号", field="account_no")
    order = new_order(
        order_type=request.order_type,
        plan=request.plan,
        created_at=now,
        request_id=request.request_id,
        fingerprint=request.fingerprint,
        contact_name=request.contact_name,
        phone=request.phone,
        address=request.address,
        district=request.district,
        account_no=request.account_no,
        channel=request.channel,
        details=request.details,
    )
    order.order_no = await next_order_no(session, PREFIXES[request.order_type], order.created_at)
    session.add(order)
    await session.flush()
    return order


async def create_or_replay(sessions: sessionmaker, request: OrderRequest, now: datetime) -> Tuple[WorkOrder, bool]:
    """(order, created). A request_id seen before returns that order (or 409 when the content
    differs). Concurrent identical requests race on the unique request_id: the losers' inserts
    fail with IntegrityError and they return the winner's order instead."""
    for _ in range(_CREATE_ATTEMPTS):
        try:
            async with sessions() as session, session.begin():
                existing = await _by_request_id(session, request.request_id)
                if existing is not None:
                    return _same_request(existing, request), False
                return await _insert(session, request, now), True
        except IntegrityError:
            # Either another request with this request_id won (found on the next pass) or two
            # requests opened the same day's sequence at once (the next pass simply retries).
            continue
    raise ApiError(503, "BUSY", "系统繁忙，请稍后重试")


async def get_order(sessions: sessionmaker, order_no: str) -> WorkOrder:
    async with sessions() as session, session.begin():
        query = select(WorkOrder).where(WorkOrder.order_no == order_no).options(*_WITH_STEPS)
        order = (await session.execute(query)).scalar_one_or_none()
    if order is None:
        raise not_found("ORDER_NOT_FOUND", "未找到该工单")
    return order


async def orders_for_phone(sessions: sessionmaker, phone: str, limit: int) -> List[WorkOrder]:
    async with sessions() as session, session.begin():
        query = (
            select(WorkOrder)
            .where(WorkOrder.phone == phone)
            .order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc())
            .limit(limit)
            .options(*_WITH_STEPS)
        )
        return list((await session.execute(query)).scalars())
