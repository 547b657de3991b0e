"""SMS gateway stub and one-time codes: send a code, verify it for a grant, read the outbox."""
from __future__ import annotations

from aiohttp import web

from backend import context
from backend import one_time_codes as codes
from backend import validation as v
from backend.clock import iso
from backend.errors import bad_request
from backend.responses import json_response

routes = web.RouteTableDef()


def _purpose(body) -> str:
    return v.choice(body.get("purpose"), "purpose", codes.PURPOSES, code="INVALID_PURPOSE")


def _code(value) -> str:
    if not isinstance(value, str) or not codes.CODE_RE.fullmatch(value):
        raise bad_request("INVALID_CODE", "验证码应为6位数字", field="code")
    return value


@routes.post("/api/v1/sms/codes")
async def send_code(request: web.Request) -> web.Response:
    body = await v.read_json_object(request)
    v.reject_unknown_fields(body, ("phone", "purpose"))
    phone, purpose = v.phone(body.get("phone")), _purpose(body)
    expires_in = await codes.send(context.sessions(request), phone, purpose, context.now(request),
                                  context.facts(request).service_number())
    # Never the code: it reaches the customer only by SMS (here: the outbox).
    return json_response({"sent": True, "expires_in": expires_in}, status=201)


@routes.post("/api/v1/sms/codes/verify")
async def verify_code(request: web.Request) -> web.Response:
    body = await v.read_json_object(request)
    v.reject_unknown_fields(body, ("phone", "purpose", "code"))
    phone, purpose, code = v.phone(body.get("phone")), _purpose(body), _code(body.get("code"))
    grant = await codes.verify(context.sessions(request), phone, purpose, code, context.now(request))
    return json_response({"verified": True, "grant": grant, "expires_in": int(codes.GRANT_TTL.total_seconds())})


@routes.get("/api/v1/sms/outbox")
async def read_outbox(request: web.Request) -> web.Response:
    phone = request.query.get("phone")
    if phone is None:
        raise v.invalid("phone", "请提供 phone 参数", code="MISSING_FIELD")
    phone = v.phone(phone)
    limit = v.int_param(request.query.get("limit"), "limit", 1, 50, 20)
    messages = await codes.outbox(context.sessions(request), phone, limit)
    return json_response({"messages": [
        {"id": m.id, "phone": m.phone, "purpose": m.purpose, "text": m.text, "created_at": iso(m.created_at)}
        for m in messages
    ]})
