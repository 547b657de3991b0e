"""Marketing/CRM system: identity check, account details, bills."""
from __future__ import annotations

import re

from aiohttp import web
from sqlalchemy import select

from backend import context
from backend import validation as v
from backend.account_verification import verify
from backend.account_view import account_json, bill_json
from backend.clock import to_db
from backend.errors import bad_request, not_found
from backend.models import Account, Bill
from backend.responses import json_response

routes = web.RouteTableDef()

LAST4_RE = re.compile(r"\d{4}")


@routes.post("/api/v1/accounts/verify")
async def verify_account(request: web.Request) -> web.Response:
    body = await v.read_json_object(request)
    v.reject_unknown_fields(body, ("account_no", "phone_last4"))
    account_no = v.account_no(body.get("account_no"))
    last4 = body.get("phone_last4")
    if not isinstance(last4, str) or not LAST4_RE.fullmatch(last4):
        raise bad_request("INVALID_PHONE_LAST4", "请提供手机号后四位数字", field="phone_last4")
    await verify(context.sessions(request), account_no, last4, context.now(request))
    return json_response({"verified": True, "account_no": account_no})


async def _account_and_bills(request: web.Request, account_no: str):
    async with context.sessions(request)() as session, session.begin():
        account = await session.get(Account, account_no)
        if account is None:
            raise not_found("ACCOUNT_NOT_FOUND", "未找到该户号")
        query = select(Bill).where(Bill.account_no == account_no).order_by(Bill.period.desc())
        bills = list((await session.execute(query)).scalars())
    return account, bills


@routes.get("/api/v1/accounts/{account_no}")
async def get_account(request: web.Request) -> web.Response:
    account_no = v.account_no(request.match_info["account_no"])
    account, bills = await _account_and_bills(request, account_no)
    return json_response(account_json(account, bills, context.now(request)))


@routes.get("/api/v1/accounts/{account_no}/bills")
async def get_bills(request: web.Request) -> web.Response:
    account_no = v.account_no(request.match_info["account_no"])
    months = v.int_param(request.query.get("months"), "months", 1, 24, 12)
    _account, bills = await _account_and_bills(request, account_no)
    today = to_db(context.now(request)).date()
    return json_response({"account_no": account_no, "bills": [bill_json(bill, today) for bill in bills[:months]]})
