"""Outage-management system: planned and fault outages by account, place, date and kind."""
from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from backend import context
from backend import validation as v
from backend.clock import iso_date, to_db
from backend.errors import bad_request, not_found
from backend.models import Account, Outage
from backend.outage_search import MAX_RANGE_DAYS, OutageQuery, search_outages
from backend.outage_view import outage_json
from backend.responses import json_response

routes = web.RouteTableDef()


def _when_and_kind(params, now) -> OutageQuery:
    query = OutageQuery(
        kind=v.choice(params["kind"], "kind", ("planned", "fault")) if params.get("kind") else None,
        date_from=v.date_param(params.get("date_from"), "date_from"),
        date_to=v.date_param(params.get("date_to"), "date_to"),
    )
    if query.date_from is None:
        # Without a start date: from today on, or the day asked about when that is in the past.
        query.date_from = min(now.date(), query.date_to or now.date())
    if query.date_to is not None:
        if query.date_to < query.date_from:
            raise bad_request("INVALID_DATE_RANGE", "date_to 不能早于 date_from", field="date_to")
        if query.date_to - query.date_from > timedelta(days=MAX_RANGE_DAYS):
            raise bad_request("INVALID_DATE_RANGE", f"查询范围不能超过{MAX_RANGE_DAYS}天", field="date_to")
    return query


def _narrow(current, wanted):
    """Combine two place constraints: (combined, consistent)."""
    if current is None or wanted is None or current == wanted:
        return current or wanted, True
    return current, False


def _apply_place(query: OutageQuery, params, geography) -> bool:
    """Fill district/street from district, street and address; False when nothing can match
    (a street or address naming no known place, or places that contradict each other)."""
    district_text = v.text(params.get("district"), "district", required=False, max_chars=20)
    if district_text:
        district = geography.district(district_text)
        if district is None:
            raise bad_request("UNKNOWN_DISTRICT", f"未知的行政区：{district_text}", field="district")
        query.district = district.name
    matched = True
    texts = (
        v.text(params.get("street"), "street", required=False, max_chars=50),
        v.text(params.get("address"), "address", required=False),
    )
    for text in filter(None, texts):
        place = geography.find_place(text)
        if place.district is None:
            matched = False
            continue
        query.district, same_district = _narrow(query.district, place.district)
        query.street, same_street = _narrow(query.street, place.street)
        matched = matched and same_district and same_street
    return matched


async def _apply_account(request: web.Request, query: OutageQuery, account_no: str) -> bool:
    async with context.sessions(request)() as session, session.begin():
        account = await session.get(Account, account_no)
    if account is None:
        raise not_found("ACCOUNT_NOT_FOUND", "未找到该户号")
    query.home_street = account.street
    query.district, consistent = _narrow(query.district, account.district)
    return consistent


@routes.get("/api/v1/outages")
async def list_outages(request: web.Request) -> web.Response:
    params = request.query
    now = to_db(context.now(request))
    query = _when_and_kind(params, now)
    account_no = v.account_no(params["account_no"]) if params.get("account_no") else None
    matched = _apply_place(query, params, context.geography(request))
    if account_no:
        matched = await _apply_account(request, query, account_no) and matched
    echo = {
        "account_no": account_no,
        "district": query.district,
        "street": query.street,
        "kind": query.kind,
        "date_from": iso_date(query.date_from),
        "date_to": iso_date(query.date_to),
        "matched": matched,
    }
    if not matched:
        return json_response({"outages": [], "query": echo})
    async with context.sessions(request)() as session, session.begin():
        outages = await search_outages(session, query, now)
    home = query.home_street
    return json_response(
        {
            "outages": [
                outage_json(outage, now, affects_account=(home in outage.streets) if account_no else None)
                for outage in outages
            ],
            "query": echo,
        }
    )


@routes.get("/api/v1/outages/{outage_id}")
async def get_outage(request: web.Request) -> web.Response:
    outage_id = v.text(request.match_info["outage_id"], "outage_id", max_chars=12)
    async with context.sessions(request)() as session, session.begin():
        outage = await session.get(Outage, outage_id)
    if outage is None:
        raise not_found("OUTAGE_NOT_FOUND", "未找到该停电信息")
    return json_response(outage_json(outage, to_db(context.now(request))))
