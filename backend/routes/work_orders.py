"""Work-order system: create (idempotent on request_id), progress by number, list by phone.

Listing by phone needs a grant from POST /api/v1/sms/codes/verify for that phone (purpose
work_orders): a phone number alone reveals nothing, not even whether orders exist.
"""
from __future__ import annotations

from aiohttp import web

from backend import context
from backend import one_time_codes as codes
from backend import validation as v
from backend.errors import ApiError
from backend.responses import json_response
from backend.work_order_requests import parse_order_request
from backend.work_order_store import create_or_replay, get_order, orders_for_phone
from backend.work_order_view import order_json, order_summary

routes = web.RouteTableDef()


@routes.post("/api/v1/work-orders")
async def create_work_order(request: web.Request) -> web.Response:
    body = await v.read_json_object(request)
    order_request = parse_order_request(body, context.geography(request), context.facts(request))
    now = context.now(request)
    order, created = await create_or_replay(context.sessions(request), order_request, now)
    return json_response(order_json(order, now), status=201 if created else 200)


@routes.get("/api/v1/work-orders/{order_no}")
async def get_work_order(request: web.Request) -> web.Response:
    order_no = v.order_no(request.match_info["order_no"])
    phone = request.query.get("phone")
    if phone is not None:
        phone = v.phone(phone)
    order = await get_order(context.sessions(request), order_no)
    if phone is not None and phone != order.phone:
        raise ApiError(403, "PHONE_MISMATCH", "手机号与工单登记的联系电话不一致")
    return json_response(order_json(order, context.now(request), reveal_contact=phone is not None))


@routes.get("/api/v1/work-orders")
async def list_work_orders(request: web.Request) -> web.Response:
    phone = request.query.get("phone")
    if phone is None:
        raise v.invalid("phone", "请提供 phone 参数", code="MISSING_FIELD")
    phone = v.phone(phone)
    limit = v.int_param(request.query.get("limit"), "limit", 1, 50, 20)
    now = context.now(request)
    if not await codes.grant_is_valid(context.sessions(request), request.query.get("grant"), phone,
                                      codes.WORK_ORDERS, now):
        raise ApiError(403, "PHONE_NOT_VERIFIED", "请先通过短信验证码验证该手机号，再查询其登记的工单")
    orders = await orders_for_phone(context.sessions(request), phone, limit)
    return json_response({"orders": [order_summary(order, now) for order in orders]})
