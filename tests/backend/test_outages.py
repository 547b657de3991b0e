"""Outage search by account, district, alias, street, free text, date range and kind."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from backend import seed
from backend.context import SESSIONS
from backend.models import Outage
from tests.backend.conftest import NOW, error_of

URL = "/api/v1/outages"
STATUS_ORDER = {"ongoing": 0, "upcoming": 1, "ended": 2}


async def outages(client, **params):
    response = await client.get(URL, params=params)
    assert response.status == 200, await response.text()
    return await response.json()


def ids(body):
    return [outage["outage_id"] for outage in body["outages"]]


async def test_by_account_own_street_first(client):
    body = await outages(client, account_no=seed.DEMO_HOUSEHOLD_OF_6)
    first = body["outages"][0]
    assert first["outage_id"] == seed.DEMO_PLANNED_TOMORROW
    assert first["affects_account"] is True and first["status"] == "upcoming"
    assert first["kind"] == "planned" and first["reason"] and first["notice_date"]
    assert first["start"].startswith((NOW.date() + timedelta(days=1)).isoformat())
    assert all(outage["district"] == "福田区" for outage in body["outages"])
    flags = [outage["affects_account"] for outage in body["outages"]]
    assert flags == sorted(flags, reverse=True)


async def test_by_account_in_current_fault_area(client):
    body = await outages(client, account_no=seed.DEMO_IN_FAULT_AREA)
    fault = body["outages"][0]
    assert fault["outage_id"] == seed.DEMO_CURRENT_FAULT
    assert fault["kind"] == "fault" and fault["status"] == "ongoing" and fault["affects_account"]
    assert fault["cause"] and fault["repair_status"] == "repairing" and fault["end"] is None
    assert fault["estimated_restoration"] > NOW.isoformat()


async def test_own_street_beats_an_ongoing_outage_elsewhere(client):
    async with client.server.app[SESSIONS]() as session, session.begin():
        session.add(Outage(
            outage_id="GZ9999", kind="fault", district="福田区", streets=["华富街道"], area_desc="华富街道测试",
            start_at=datetime(2026, 3, 18, 9, 0), end_at=None, affected_households=10, cause="测试故障",
            repair_status="dispatched", estimated_restoration=datetime(2026, 3, 18, 13, 0),
        ))
    body = await outages(client, account_no=seed.DEMO_HOUSEHOLD_OF_6)
    assert ids(body)[:2] == [seed.DEMO_PLANNED_TOMORROW, "GZ9999"]


async def test_by_district_name_and_alias_agree(client):
    by_name = await outages(client, district="福田区")
    by_alias = await outages(client, district="福田")
    assert ids(by_name) == ids(by_alias) and seed.DEMO_PLANNED_TOMORROW in ids(by_name)
    assert by_alias["query"]["district"] == "福田区"
    statuses = [STATUS_ORDER[outage["status"]] for outage in by_name["outages"]]
    assert statuses == sorted(statuses)


async def test_current_before_future_before_ended(client):
    body = await outages(client, date_from=(NOW.date() - timedelta(days=7)).isoformat())
    statuses = [STATUS_ORDER[outage["status"]] for outage in body["outages"]]
    assert statuses == sorted(statuses) and statuses[0] == 0 and 2 in statuses
    upcoming = [o["start"] for o in body["outages"] if o["status"] == "upcoming"]
    assert upcoming == sorted(upcoming)


@pytest.mark.parametrize("street", ["莲花街道", "莲花"])
async def test_by_street_full_and_short_name(client, street):
    body = await outages(client, street=street)
    assert seed.DEMO_PLANNED_TOMORROW in ids(body)
    assert all("莲花街道" in outage["streets"] for outage in body["outages"])
    assert body["query"]["street"] == "莲花街道" and body["query"]["district"] == "福田区"


@pytest.mark.parametrize(
    "text",
    ["深圳市福田区莲花街道景田北路12号", "我住在福田莲花街道那边", "莲花街道景田花园5栋"],
)
async def test_by_address_text(client, text):
    body = await outages(client, address=text)
    assert body["query"]["matched"] is True
    assert body["query"]["district"] == "福田区" and body["query"]["street"] == "莲花街道"
    assert ids(body)[0] == seed.DEMO_PLANNED_TOMORROW


async def test_address_with_district_only(client):
    body = await outages(client, address="南山区科技园附近")
    assert body["query"] == {**body["query"], "district": "南山区", "street": None, "matched": True}
    assert seed.DEMO_CURRENT_FAULT in ids(body)


@pytest.mark.parametrize("text", ["北京市朝阳区建国路", "'; DROP TABLE outages; --", "我家", "🙂🙂"])
async def test_unrecognised_address_is_empty_200(client, text):
    body = await outages(client, address=text)
    assert body["outages"] == [] and body["query"]["matched"] is False


async def test_date_range(client):
    tomorrow = (NOW.date() + timedelta(days=1)).isoformat()
    body = await outages(client, date_from=tomorrow, date_to=tomorrow)
    assert seed.DEMO_PLANNED_TOMORROW in ids(body)
    for outage in body["outages"]:
        assert outage["start"][:10] <= tomorrow
        assert outage["end"] is None or outage["end"][:10] >= tomorrow


async def test_past_date_range_and_kind(client):
    day = (NOW.date() - timedelta(days=3)).isoformat()
    week_ago = (NOW.date() - timedelta(days=7)).isoformat()
    faults = await outages(client, kind="fault", date_from=week_ago, date_to=day)
    assert faults["outages"] and all(o["kind"] == "fault" and o["status"] == "ended" for o in faults["outages"])
    assert all(o["repair_status"] == "restored" for o in faults["outages"])
    planned = await outages(client, kind="planned")
    assert planned["outages"] and all(o["kind"] == "planned" for o in planned["outages"])
    for outage in planned["outages"]:
        notice = datetime.fromisoformat(outage["notice_date"])
        assert datetime.fromisoformat(outage["start"][:10]) - notice >= timedelta(days=7)


async def test_date_to_in_the_past_without_date_from(client):
    yesterday = (NOW.date() - timedelta(days=1)).isoformat()
    body = await outages(client, date_to=yesterday)
    assert body["query"]["date_from"] == yesterday
    assert body["outages"] and all(o["status"] == "ended" for o in body["outages"])


async def test_nothing_found_is_empty_200(client):
    body = await outages(client, district="福田区", date_from="2027-06-01", date_to="2027-06-30")
    assert body["outages"] == [] and body["query"]["matched"] is True


async def test_contradicting_filters_are_empty(client):
    body = await outages(client, account_no=seed.DEMO_HOUSEHOLD_OF_6, district="南山区")
    assert body["outages"] == [] and body["query"]["matched"] is False


@pytest.mark.parametrize(
    "params, code",
    [
        ({"district": "火星区"}, "UNKNOWN_DISTRICT"),
        ({"district": "福田区' OR 1=1 --"}, "UNKNOWN_DISTRICT"),
        ({"kind": "everything"}, "INVALID_FIELD"),
        ({"date_from": "2026-13-01"}, "INVALID_PARAMETER"),
        ({"date_from": "2026-02-30"}, "INVALID_PARAMETER"),
        ({"date_from": "2026-3-1"}, "INVALID_PARAMETER"),
        ({"date_from": "99999-01-01"}, "INVALID_PARAMETER"),
        ({"date_from": "2026-03-20", "date_to": "2026-03-19"}, "INVALID_DATE_RANGE"),
        ({"date_from": "2020-01-01", "date_to": "2026-01-01"}, "INVALID_DATE_RANGE"),
        ({"account_no": "12345"}, "INVALID_ACCOUNT_NO"),
        ({"address": "x" * 201}, "INVALID_FIELD"),
        ({"address": "福田\x00区"}, "INVALID_FIELD"),
    ],
)
async def test_bad_parameters_are_400(client, params, code):
    assert (await error_of(await client.get(URL, params=params), 400))["code"] == code


async def test_unknown_account_is_404(client):
    error = await error_of(await client.get(URL, params={"account_no": "0399999999"}), 404)
    assert error["code"] == "ACCOUNT_NOT_FOUND"


async def test_single_outage(client):
    response = await client.get(f"{URL}/{seed.DEMO_PLANNED_TOMORROW}")
    assert (await response.json())["streets"] == ["莲花街道"]
    await error_of(await client.get(f"{URL}/JH9999"), 404)
    await error_of(await client.get(f"{URL}/{'X' * 40}"), 400)
