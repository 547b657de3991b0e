"""OpenAPI 3 description of the back end, served at /api/v1/openapi.json.

Written by hand next to the routes; tests/backend/test_openapi.py fails when a route is added
without being described here (or described without existing).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from backend.one_time_codes import PURPOSES
from backend.work_order_types import PREFIXES


def _ref(name: str) -> Dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: Dict[str, Any], description: str) -> Dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> Dict[str, Any]:
    return _json(_ref("Error"), description)


def _param(name: str, where: str, description: str, schema: Optional[Dict[str, Any]] = None, required=False):
    return {"name": name, "in": where, "required": where == "path" or required, "description": description,
            "schema": schema or {"type": "string"}}


def _op(summary: str, responses: Dict[str, Any], parameters: Optional[List] = None, body: Optional[str] = None):
    operation: Dict[str, Any] = {"summary": summary, "responses": responses}
    if parameters:
        operation["parameters"] = parameters
    if body:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
    return operation


STRING = {"type": "string"}
NULLABLE_STRING = {"type": "string", "nullable": True}
DATE_TIME = {"type": "string", "format": "date-time", "description": "ISO 8601, +08:00"}
NULLABLE_DATE_TIME = {**DATE_TIME, "nullable": True}
ACCOUNT_NO = {"type": "string", "pattern": "^03\\d{8}$"}
PHONE = {"type": "string", "pattern": "^1[3-9]\\d{9}$"}
MONEY = {"type": "number", "description": "元, 2 decimal places"}

SCHEMAS: Dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "example": "INVALID_PHONE"},
                    "message": {"type": "string", "description": "中文说明"},
                    "field": {"type": "string", "description": "the offending input field, for validation errors"},
                    "attempts_left": {"type": "integer", "description": "CODE_INVALID only"},
                    "retry_after_seconds": {"type": "integer", "description": "RATE_LIMITED only"},
                    "allowed": {"type": "array", "items": STRING, "description": "valid values, when enumerable"},
                    "order_no": {"type": "string", "description": "REQUEST_ID_CONFLICT: the order holding the id"},
                },
            }
        },
    },
    "VerifyRequest": {
        "type": "object",
        "required": ["account_no", "phone_last4"],
        "additionalProperties": False,
        "properties": {"account_no": ACCOUNT_NO, "phone_last4": {"type": "string", "pattern": "^\\d{4}$"}},
    },
    "SmsCodeRequest": {
        "type": "object",
        "required": ["phone", "purpose"],
        "additionalProperties": False,
        "properties": {"phone": PHONE, "purpose": {"type": "string", "enum": list(PURPOSES)}},
    },
    "SmsVerifyRequest": {
        "type": "object",
        "required": ["phone", "purpose", "code"],
        "additionalProperties": False,
        "properties": {"phone": PHONE, "purpose": {"type": "string", "enum": list(PURPOSES)},
                       "code": {"type": "string", "pattern": "^[0-9]{6}$"}},
    },
    "Account": {
        "type": "object",
        "properties": {
            "account_no": ACCOUNT_NO, "holder_name": STRING, "address": STRING, "district": STRING,
            "street": STRING, "phone": PHONE, "household_size": {"type": "integer"},
            "tariff_type": {"type": "string", "enum": ["residential", "shared_meter", "business"]},
            "tariff_type_text": STRING,
            "area_type": {"type": "string", "enum": ["urban", "rural", "remote"]},
            "prepaid": {"type": "boolean", "description": "card meter (预付费卡表)"},
            "meter_type": {"type": "string", "enum": ["card", "postpaid"]},
            "multi_resident": {"type": "boolean", "description": "多人口 tier extension granted"},
            "balance": {**MONEY, "description": "card balance (prepaid) or prepaid credit (预存)"},
            "arrears": {**MONEY, "description": "unpaid bills past their due date"},
            "arrears_periods": {"type": "array", "items": STRING},
            "arrears_due_date": {"type": "string", "format": "date", "nullable": True},
            "unpaid_amount": {**MONEY, "description": "all unpaid bills, due or not"},
            "next_due_date": {"type": "string", "format": "date", "nullable": True},
            "opened_on": {"type": "string", "format": "date"},
        },
    },
    "Bill": {
        "type": "object",
        "properties": {
            "period": {"type": "string", "example": "2026-10"}, "kwh": {"type": "integer"}, "amount": MONEY,
            "due_date": {"type": "string", "format": "date"}, "paid": {"type": "boolean"},
            "paid_at": NULLABLE_DATE_TIME, "overdue": {"type": "boolean"},
        },
    },
    "Outage": {
        "type": "object",
        "properties": {
            "outage_id": STRING, "kind": {"type": "string", "enum": ["planned", "fault"]}, "kind_text": STRING,
            "status": {"type": "string", "enum": ["ongoing", "upcoming", "ended"]}, "status_text": STRING,
            "district": STRING, "streets": {"type": "array", "items": STRING}, "area_desc": STRING,
            "start": DATE_TIME, "end": NULLABLE_DATE_TIME, "affected_households": {"type": "integer"},
            "reason": {**STRING, "description": "planned only"},
            "notice_date": {"type": "string", "format": "date", "description": "planned only"},
            "cause": {**STRING, "description": "fault only"},
            "repair_status": {"type": "string", "enum": ["dispatched", "on_site", "repairing", "restored"]},
            "repair_status_text": STRING,
            "estimated_restoration": NULLABLE_DATE_TIME,
            "affects_account": {"type": "boolean", "description": "only when queried by account_no"},
        },
    },
    "WorkOrderRequest": {
        "type": "object",
        "required": ["type", "request_id", "contact_name", "phone", "address", "district"],
        "additionalProperties": False,
        "properties": {
            "type": {"type": "string", "enum": list(PREFIXES)},
            "request_id": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._:\\-]{0,63}$",
                           "description": "idempotency key: a retry returns the same order"},
            "contact_name": {"type": "string", "maxLength": 50},
            "phone": PHONE,
            "address": {"type": "string", "maxLength": 200},
            "district": {"type": "string", "description": "name or alias (南山 -> 南山区)"},
            "account_no": ACCOUNT_NO,
            "channel": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,19}$"},
            "details": {"type": "object", "description": "type-specific; at most 4 KB; variant types need "
                        "details[variant_field] (connection: category, repair: area_type, account_transfer: kind)"},
        },
    },
    "WorkOrderStep": {
        "type": "object",
        "properties": {
            "name": STRING, "time_limit_days": {"type": "integer", "nullable": True, "description": "working days"},
            "time_limit_hours": {"type": "number", "nullable": True}, "deadline": DATE_TIME,
            "done_at": NULLABLE_DATE_TIME, "status": {"type": "string", "enum": ["done", "in_progress", "pending"]},
            "overdue": {"type": "boolean"},
        },
    },
    "WorkOrder": {
        "type": "object",
        "properties": {
            "order_no": {"type": "string", "pattern": "^[A-Z]{2}\\d{14}$"}, "type": STRING, "type_name": STRING,
            "status": {"type": "string", "enum": ["in_progress", "completed"]}, "status_text": STRING,
            "created_at": DATE_TIME, "completed_at": NULLABLE_DATE_TIME, "responsible_unit": STRING,
            "current_step": NULLABLE_STRING, "current_step_deadline": NULLABLE_DATE_TIME,
            "overdue": {"type": "boolean"},
            "steps": {"type": "array", "items": _ref("WorkOrderStep")},
            "timeline": {"type": "array", "items": {"type": "object", "properties": {
                "at": DATE_TIME, "status": STRING, "note": STRING}}},
            "contact_name": {**STRING, "description": "masked when no phone was given"},
            "phone": {**STRING, "description": "masked when no phone was given"},
            "address": NULLABLE_STRING, "district": STRING, "account_no": NULLABLE_STRING,
            "channel": NULLABLE_STRING, "details": {"type": "object"},
        },
    },
    "SubscriptionRequest": {
        "type": "object",
        "required": ["account_no", "channel", "recipient_id"],
        "additionalProperties": False,
        "properties": {
            "account_no": ACCOUNT_NO,
            "channel": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,19}$", "example": "wechat"},
            "recipient_id": {"type": "string", "pattern": "^[A-Za-z0-9_\\-.:@+=]{1,128}$",
                             "description": "e.g. a WeChat openid"},
        },
    },
    "Subscription": {
        "type": "object",
        "properties": {
            "subscription_id": {"type": "integer"}, "account_no": ACCOUNT_NO, "channel": STRING,
            "recipient_id": STRING, "active": {"type": "boolean"}, "since": DATE_TIME,
        },
    },
}

_BAD = {"400": _error("invalid input")}
_ACCOUNT_PATH = _param("account_no", "path", "户号", ACCOUNT_NO)

PATHS: Dict[str, Dict[str, Any]] = {
    "/api/v1/health": {"get": _op("Liveness", {"200": _json({"type": "object"}, '{"status": "ok"}')})},
    "/api/v1/openapi.json": {"get": _op("This document", {"200": _json({"type": "object"}, "OpenAPI 3")})},
    "/api/v1/accounts/verify": {
        "post": _op(
            "Verify a customer: account number + last 4 digits of the phone on file",
            {
                "200": _json(
                    {"type": "object", "properties": {"verified": {"type": "boolean"}, "account_no": ACCOUNT_NO}},
                    "verified; earlier failures are forgotten",
                ),
                **_BAD,
                "403": _error("VERIFICATION_FAILED (no lock-out: the action server slows guessing down)"),
                "404": _error("ACCOUNT_NOT_FOUND"),
            },
            body="VerifyRequest",
        )
    },
    "/api/v1/accounts/{account_no}": {
        "get": _op("Account details with arrears", {"200": _json(_ref("Account"), "the account"), **_BAD,
                                                    "404": _error("ACCOUNT_NOT_FOUND")}, [_ACCOUNT_PATH])
    },
    "/api/v1/accounts/{account_no}/bills": {
        "get": _op(
            "Monthly bills, newest first",
            {"200": _json({"type": "object", "properties": {
                "account_no": ACCOUNT_NO, "bills": {"type": "array", "items": _ref("Bill")}}}, "bills"),
             **_BAD, "404": _error("ACCOUNT_NOT_FOUND")},
            [_ACCOUNT_PATH,
             _param("months", "query", "1–24, default 12", {"type": "integer", "minimum": 1, "maximum": 24})],
        )
    },
    "/api/v1/outages": {
        "get": _op(
            "Outages by place, date and kind; sorted: the account's street first, then ongoing, upcoming, ended",
            {
                "200": _json({"type": "object", "properties": {
                    "outages": {"type": "array", "items": _ref("Outage")},
                    "query": {"type": "object", "description": "the filters as understood; matched=false when "
                              "the place could not be recognised or the filters contradict each other"}}},
                    "possibly empty list"),
                **_BAD,
                "404": _error("ACCOUNT_NOT_FOUND"),
            },
            [
                _param("account_no", "query", "the account's district; its street listed first", ACCOUNT_NO),
                _param("district", "query", "district name or alias (400 UNKNOWN_DISTRICT when unknown)"),
                _param("street", "query", "street (街道) name, short form accepted"),
                _param("address", "query", "free text; district and street names in it are used"),
                _param("date_from", "query", "YYYY-MM-DD; default today", {"type": "string", "format": "date"}),
                _param("date_to", "query", "YYYY-MM-DD; range at most 366 days", {"type": "string", "format": "date"}),
                _param("kind", "query", "planned | fault", {"type": "string", "enum": ["planned", "fault"]}),
            ],
        )
    },
    "/api/v1/outages/{outage_id}": {
        "get": _op("One outage",
                   {"200": _json(_ref("Outage"), "the outage"), **_BAD, "404": _error("OUTAGE_NOT_FOUND")},
                   [_param("outage_id", "path", "JH0001, GZ0001, ...")])
    },
    "/api/v1/work-orders": {
        "post": _op(
            "Create a work order (idempotent on request_id)",
            {
                "201": _json(_ref("WorkOrder"), "created"),
                "200": _json(_ref("WorkOrder"), "request_id seen before with the same content: that order"),
                **_BAD,
                "404": _error("ACCOUNT_NOT_FOUND"),
                "409": _error("REQUEST_ID_CONFLICT: request_id reused with different content"),
                "413": _error("PAYLOAD_TOO_LARGE"),
            },
            body="WorkOrderRequest",
        ),
        "get": _op(
            "Orders registered with a phone number, newest first (summaries); needs an SMS-code grant for the phone",
            {"200": _json({"type": "object", "properties": {"orders": {"type": "array", "items": _ref("WorkOrder")}}},
                          "summaries: order_no, type, status, created_at, current_step, overdue, ..."), **_BAD,
             "403": _error("PHONE_NOT_VERIFIED: grant missing, wrong, expired or for another phone/purpose; "
                           "nothing about the orders is revealed")},
            [_param("phone", "query", "mobile number on the orders", PHONE, required=True),
             _param("grant", "query", "token from POST /api/v1/sms/codes/verify (purpose work_orders) for this phone",
                    required=True),
             _param("limit", "query", "1–50, default 20", {"type": "integer", "minimum": 1, "maximum": 50})],
        ),
    },
    "/api/v1/work-orders/{order_no}": {
        "get": _op(
            "Progress of one order",
            {"200": _json(_ref("WorkOrder"), "the order (contact masked without phone)"), **_BAD,
             "403": _error("PHONE_MISMATCH"), "404": _error("ORDER_NOT_FOUND")},
            [_param("order_no", "path", "e.g. BZ20260318000001", {"type": "string", "pattern": "^[A-Z]{2}\\d{14}$"}),
             _param("phone", "query", "must match the order's phone when given", PHONE)],
        )
    },
    "/api/v1/sms/codes": {
        "post": _op(
            "Send a 6-digit one-time code by SMS (valid 5 minutes; voids the previous code for the phone and purpose)",
            {
                "201": _json({"type": "object", "properties": {"sent": {"type": "boolean"},
                                                               "expires_in": {"type": "integer", "example": 300}}},
                             "sent (the code itself is never returned)"),
                **_BAD,
                "429": _error("RATE_LIMITED: at most 1 SMS per phone per 60 s and 5 per hour; Retry-After header"),
            },
            body="SmsCodeRequest",
        )
    },
    "/api/v1/sms/codes/verify": {
        "post": _op(
            "Check a one-time code; a right one (single use) buys a grant for the phone and purpose",
            {
                "200": _json({"type": "object", "properties": {
                    "verified": {"type": "boolean"}, "grant": {"type": "string", "description": "opaque token"},
                    "expires_in": {"type": "integer", "example": 600}}}, "verified"),
                **_BAD,
                "403": _error("CODE_INVALID (with attempts_left; void after 5 wrong tries) or CODE_EXPIRED "
                              "(expired, used, void, replaced by a newer code, or none sent)"),
            },
            body="SmsVerifyRequest",
        )
    },
    "/api/v1/sms/outbox": {
        "get": _op(
            "SMS gateway stub: the messages that would have been sent to a phone, newest first",
            {"200": _json({"type": "object", "properties": {"messages": {"type": "array", "items": {
                "type": "object", "properties": {"id": {"type": "integer"}, "phone": PHONE, "purpose": STRING,
                                                 "text": STRING, "created_at": DATE_TIME}}}}}, "messages"), **_BAD},
            [_param("phone", "query", "mobile number", PHONE, required=True),
             _param("limit", "query", "1–50, default 20", {"type": "integer", "minimum": 1, "maximum": 50})],
        )
    },
    "/api/v1/outage-subscriptions": {
        "post": _op("Subscribe an account's planned-outage notices to a channel recipient (idempotent)",
                    {"201": _json(_ref("Subscription"), "subscribed now"),
                     "200": _json(_ref("Subscription"), "was already subscribed"), **_BAD,
                     "404": _error("ACCOUNT_NOT_FOUND")}, body="SubscriptionRequest"),
        "delete": _op("Unsubscribe (idempotent); the same fields may be given as query parameters",
                      {"200": _json({"type": "object", "properties": {"active": {"type": "boolean"},
                                                                      "removed": {"type": "boolean"}}}, "unsubscribed"),
                       **_BAD, "404": _error("ACCOUNT_NOT_FOUND")}, body="SubscriptionRequest"),
        "get": _op("Active subscriptions of an account",
                   {"200": _json({"type": "object", "properties": {
                       "subscriptions": {"type": "array", "items": _ref("Subscription")}}}, "list"), **_BAD},
                   [_param("account_no", "query", "户号", ACCOUNT_NO, required=True)]),
    },
    "/api/v1/outage-notices/pending": {
        "get": _op(
            "Planned-outage notices not yet delivered, for the notice job",
            {"200": _json({"type": "object", "properties": {"notices": {"type": "array", "items": {
                "type": "object", "properties": {"notice_id": {"type": "integer"}, "channel": STRING,
                                                 "recipient_id": STRING, "account_no": ACCOUNT_NO,
                                                 "outage": _ref("Outage")}}}}}, "pending notices"), **_BAD},
            [_param("channel", "query", "e.g. wechat", required=True),
             _param("limit", "query", "1–500, default 100", {"type": "integer", "minimum": 1, "maximum": 500})],
        )
    },
    "/api/v1/outage-notices/{notice_id}/delivered": {
        "post": _op(
            "Confirm a notice was sent: it is never listed again (confirming twice is harmless)",
            {"200": _json({"type": "object", "properties": {"notice_id": {"type": "integer"},
                                                            "delivered_at": DATE_TIME,
                                                            "already_delivered": {"type": "boolean"}}}, "confirmed"),
             **_BAD, "404": _error("NOTICE_NOT_FOUND")},
            [_param("notice_id", "path", "from the pending list", {"type": "integer"})],
        )
    },
}


def openapi_document() -> Dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "95598 assistant stub back end",
            "version": "1.0.0",
            "description": "Stub marketing/CRM, outage-management and work-order systems. Every error is "
                           '{"error": {"code", "message"}} with a Chinese message. Times are China local (+08:00).',
        },
        "servers": [{"url": "/"}],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS},
    }
