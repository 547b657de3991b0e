"""Planned-outage notices for subscribers, each delivered at most once.

The notice job asks for pending notices, sends them, and confirms each one. A notice row is
created the first time a (subscription, outage) pair is listed; the unique constraint on that
pair means concurrent listings cannot create two rows, and delivered_at means a confirmed
notice is never listed again.
"""
from __future__ import annotations

from datetime import datetime
from typing import List, Tuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from backend.models import Account, Outage, OutageNotice, OutageSubscription

Pending = Tuple[OutageNotice, OutageSubscription, Outage]


async def _affected_pairs(session, channel: str, now: datetime) -> List[Tuple[OutageSubscription, Outage]]:
    """Active subscriptions on `channel` x planned outages not yet started on the account's street."""
    subscriptions = (
        await session.execute(
            select(OutageSubscription, Account)
            .join(Account, Account.account_no == OutageSubscription.account_no)
            .where(OutageSubscription.channel == channel, OutageSubscription.active.is_(True))
            .order_by(OutageSubscription.id)
        )
    ).all()
    districts = sorted({account.district for _subscription, account in subscriptions})
    if not districts:
        return []
    outages = list(
        (
            await session.execute(
                select(Outage)
                .where(Outage.kind == "planned", Outage.start_at > now, Outage.district.in_(districts))
                .order_by(Outage.start_at, Outage.outage_id)
            )
        ).scalars()
    )
    return [
        (subscription, outage)
        for subscription, account in subscriptions
        for outage in outages
        if outage.district == account.district and account.street in outage.streets
    ]


async def _create_notices(sessions: sessionmaker, missing, now: datetime) -> None:
    try:
        async with sessions() as session, session.begin():
            session.add_all(
                OutageNotice(subscription_id=s.id, outage_id=o.outage_id, created_at=now) for s, o in missing
            )
        return
    except IntegrityError:
        pass  # a concurrent listing created some of them: add the rest one by one
    for subscription, outage in missing:
        try:
            async with sessions() as session, session.begin():
                session.add(OutageNotice(subscription_id=subscription.id, outage_id=outage.outage_id, created_at=now))
        except IntegrityError:
            continue


async def pending_notices(sessions: sessionmaker, channel: str, now: datetime, limit: int) -> List[Pending]:
    async with sessions() as session, session.begin():
        pairs = await _affected_pairs(session, channel, now)
        known = {
            (notice.subscription_id, notice.outage_id): notice
            for notice in (
                await session.execute(
                    select(OutageNotice).where(
                        OutageNotice.subscription_id.in_(sorted({s.id for s, _ in pairs}) or [-1])
                    )
                )
            ).scalars()
        }
        missing = [(s, o) for s, o in pairs if (s.id, o.outage_id) not in known]
    if missing:
        await _create_notices(sessions, missing, now)
    async with sessions() as session, session.begin():
        rows = (
            await session.execute(
                select(OutageNotice, OutageSubscription, Outage)
                .join(OutageSubscription, OutageSubscription.id == OutageNotice.subscription_id)
                .join(Outage, Outage.outage_id == OutageNotice.outage_id)
                .where(
                    OutageNotice.delivered_at.is_(None),
                    OutageSubscription.channel == channel,
                    OutageSubscription.active.is_(True),
                    Outage.start_at > now,
                )
                .order_by(Outage.start_at, OutageNotice.id)
                .limit(limit)
            )
        ).all()
    return [tuple(row) for row in rows]


async def mark_delivered(sessions: sessionmaker, notice_id: int, now: datetime):
    """(notice, newly_marked). Confirming twice is harmless and keeps the first time."""
    async with sessions() as session, session.begin():
        notice = (
            await session.execute(select(OutageNotice).where(OutageNotice.id == notice_id).with_for_update())
        ).scalar_one_or_none()
        if notice is None:
            return None, False
        if notice.delivered_at is not None:
            return notice, False
        notice.delivered_at = now
        return notice, True
