"""Planned-outage notice subscriptions, and the pending-notice feed for the notice job."""
from __future__ import annotations

import re
from typing import Tuple

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend import context
from backend import validation as v
from backend.clock import iso, to_db
from backend.errors import ApiError, bad_request, not_found
from backend.models import Account, OutageSubscription
from backend.outage_notices import mark_delivered, pending_notices
from backend.outage_view import outage_json
from backend.responses import json_response

routes = web.RouteTableDef()

CHANNEL_RE = re.compile(r"[a-z][a-z0-9_]{0,19}")
RECIPIENT_RE = re.compile(r"[A-Za-z0-9_\-.:@+=]{1,128}")
NOTICE_ID_RE = re.compile(r"[1-9]\d{0,9}")


def _channel(value) -> str:
    if not isinstance(value, str) or not CHANNEL_RE.fullmatch(value):
        raise bad_request("INVALID_CHANNEL", "channel 必须是不超过20位的小写字母、数字或下划线，如 wechat", field="channel")
    return value


async def _subscription_body(request: web.Request) -> Tuple[str, str, str]:
    # DELETE bodies are dropped by some clients and proxies: the same fields may come as a query.
    if request.method == "DELETE" and not request.can_read_body:
        body = dict(request.query)
    else:
        body = await v.read_json_object(request)
    v.reject_unknown_fields(body, ("account_no", "channel", "recipient_id"))
    account_no = v.account_no(body.get("account_no"))
    channel = _channel(body.get("channel"))
    recipient = body.get("recipient_id")
    if not isinstance(recipient, str) or not RECIPIENT_RE.fullmatch(recipient):
        raise bad_request("INVALID_RECIPIENT", "recipient_id 必须是1到128位的字母、数字或 _-.:@+= 字符", field="recipient_id")
    return account_no, channel, recipient


def _subscription_json(subscription: OutageSubscription) -> dict:
    return {
        "subscription_id": subscription.id,
        "account_no": subscription.account_no,
        "channel": subscription.channel,
        "recipient_id": subscription.recipient_id,
        "active": subscription.active,
        "since": iso(subscription.updated_at),
    }


async def _find(session, account_no: str, channel: str, recipient: str):
    query = select(OutageSubscription).where(
        OutageSubscription.account_no == account_no,
        OutageSubscription.channel == channel,
        OutageSubscription.recipient_id == recipient,
    )
    return (await session.execute(query)).scalar_one_or_none()


@routes.post("/api/v1/outage-subscriptions")
async def subscribe(request: web.Request) -> web.Response:
    account_no, channel, recipient = await _subscription_body(request)
    now = to_db(context.now(request))
    sessions = context.sessions(request)
    for _ in range(2):  # the second pass finds the row a concurrent identical request created
        try:
            async with sessions() as session, session.begin():
                if await session.get(Account, account_no) is None:
                    raise not_found("ACCOUNT_NOT_FOUND", "未找到该户号")
                subscription = await _find(session, account_no, channel, recipient)
                created = subscription is None or not subscription.active
                if subscription is None:
                    subscription = OutageSubscription(
                        account_no=account_no, channel=channel, recipient_id=recipient, created_at=now
                    )
                    session.add(subscription)
                if created:
                    subscription.active, subscription.updated_at = True, now
                await session.flush()
            return json_response(_subscription_json(subscription), status=201 if created else 200)
        except IntegrityError:
            continue
    raise ApiError(503, "BUSY", "系统繁忙，请稍后重试")


@routes.delete("/api/v1/outage-subscriptions")
async def unsubscribe(request: web.Request) -> web.Response:
    account_no, channel, recipient = await _subscription_body(request)
    now = to_db(context.now(request))
    async with context.sessions(request)() as session, session.begin():
        if await session.get(Account, account_no) is None:
            raise not_found("ACCOUNT_NOT_FOUND", "未找到该户号")
        subscription = await _find(session, account_no, channel, recipient)
        was_active = subscription is not None and subscription.active
        if was_active:
            subscription.active, subscription.updated_at = False, now
    return json_response(
        {
            "account_no": account_no,
            "channel": channel,
            "recipient_id": recipient,
            "active": False,
            "removed": was_active,
        }
    )


@routes.get("/api/v1/outage-subscriptions")
async def list_subscriptions(request: web.Request) -> web.Response:
    account_no = v.account_no(request.query.get("account_no"))
    async with context.sessions(request)() as session, session.begin():
        query = (
            select(OutageSubscription)
            .where(OutageSubscription.account_no == account_no, OutageSubscription.active.is_(True))
            .order_by(OutageSubscription.id)
        )
        subscriptions = list((await session.execute(query)).scalars())
    return json_response({"subscriptions": [_subscription_json(s) for s in subscriptions]})


@routes.get("/api/v1/outage-notices/pending")
async def list_pending_notices(request: web.Request) -> web.Response:
    channel = _channel(request.query.get("channel"))
    limit = v.int_param(request.query.get("limit"), "limit", 1, 500, 100)
    now = to_db(context.now(request))
    pending = await pending_notices(context.sessions(request), channel, now, limit)
    return json_response(
        {
            "notices": [
                {
                    "notice_id": notice.id,
                    "channel": subscription.channel,
                    "recipient_id": subscription.recipient_id,
                    "account_no": subscription.account_no,
                    "outage": outage_json(outage, now),
                }
                for notice, subscription, outage in pending
            ]
        }
    )


@routes.post("/api/v1/outage-notices/{notice_id}/delivered")
async def confirm_delivered(request: web.Request) -> web.Response:
    raw_id = request.match_info["notice_id"]
    if not NOTICE_ID_RE.fullmatch(raw_id) or int(raw_id) > 2**31 - 1:
        raise bad_request("INVALID_NOTICE_ID", "notice_id 必须是正整数", field="notice_id")
    notice, newly = await mark_delivered(context.sessions(request), int(raw_id), to_db(context.now(request)))
    if notice is None:
        raise not_found("NOTICE_NOT_FOUND", "未找到该通知")
    return json_response(
        {"notice_id": notice.id, "delivered_at": iso(notice.delivered_at), "already_delivered": not newly}
    )
