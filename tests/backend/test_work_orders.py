"""Work orders: creation, idempotency (sequential and concurrent), validation, progress."""
from __future__ import annotations

import asyncio
import re
from datetime import datetime

import pytest

from backend import seed
from backend.clock import CHINA_TZ
from tests.backend.conftest import NOW, error_of

URL = "/api/v1/work-orders"


def order_request(**overrides):
    body = {
        "type": "charging_pile",
        "request_id": "req-0001",
        "contact_name": "王建国",
        "phone": "13800001234",
        "address": "福田区莲花街道景田北路12号景田花园地下车库B2-018",
        "district": "福田",
        "account_no": "0300000001",
        "details": {"capacity_kw": 7, "parking": "自有产权车位"},
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


async def listed_by_phone(client, phone: str) -> dict:
    """GET /work-orders?phone= the way a client must do it now: SMS code first, then the grant."""
    sent = await client.post("/api/v1/sms/codes", json={"phone": phone, "purpose": "work_orders"})
    assert sent.status == 201, await sent.text()
    outbox = await (await client.get("/api/v1/sms/outbox", params={"phone": phone})).json()
    code = re.search(r"验证码为(\d{6})", outbox["messages"][0]["text"]).group(1)
    verified = await client.post("/api/v1/sms/codes/verify",
                                 json={"phone": phone, "purpose": "work_orders", "code": code})
    assert verified.status == 200, await verified.text()
    response = await client.get(URL, params={"phone": phone, "grant": (await verified.json())["grant"]})
    assert response.status == 200, await response.text()
    return await response.json()


async def create(client, status=201, **overrides):
    response = await client.post(URL, json=order_request(**overrides))
    assert response.status == status, await response.text()
    return await response.json()


async def test_create_work_order(client):
    order = await create(client)
    assert re.fullmatch(r"CD20260318\d{6}", order["order_no"])
    assert order["type"] == "charging_pile" and order["status"] == "in_progress"
    assert order["district"] == "福田区"  # alias normalised
    assert order["created_at"] == NOW.isoformat()
    assert order["responsible_unit"]
    assert order["overdue"] is False
    steps = order["steps"]
    assert [step["status"] for step in steps] == ["in_progress"] + ["pending"] * (len(steps) - 1)
    assert order["current_step"] == steps[0]["name"]
    assert order["timeline"][0]["status"] == "accepted"
    # Working-day deadlines, each from the previous one: Wed 10:00 + 1 -> Thu, + 2 -> Mon, + 2 -> Wed.
    assert [step["deadline"][:10] for step in steps] == ["2026-03-19", "2026-03-23", "2026-03-25"]
    assert all(step["time_limit_days"] for step in steps)


async def test_sequence_numbers_increase_per_type_and_day(client):
    first = await create(client, request_id="seq-1")
    second = await create(client, request_id="seq-2")
    assert int(second["order_no"][-6:]) == int(first["order_no"][-6:]) + 1
    other = await create(client, request_id="seq-3", type="meter_test", details={"reason": "电表不准"})
    assert other["order_no"].startswith("JY20260318")


async def test_retry_with_same_request_id_returns_same_order(client):
    first = await create(client)
    again = await create(client, status=200)
    assert again["order_no"] == first["order_no"] and again == first
    listed = await listed_by_phone(client, "13800001234")
    assert [o["order_no"] for o in listed["orders"]].count(first["order_no"]) == 1


async def test_concurrent_identical_requests_create_one_order(client):
    responses = await asyncio.gather(*(client.post(URL, json=order_request(request_id="race-1")) for _ in range(8)))
    statuses = sorted(response.status for response in responses)
    numbers = {(await response.json())["order_no"] for response in responses}
    assert statuses == [200] * 7 + [201]
    assert len(numbers) == 1


async def test_concurrent_different_requests_get_distinct_numbers(client):
    responses = await asyncio.gather(*(client.post(URL, json=order_request(request_id=f"many-{n}")) for n in range(8)))
    assert all(response.status == 201 for response in responses)
    numbers = {(await response.json())["order_no"] for response in responses}
    assert len(numbers) == 8


async def test_reused_request_id_with_other_content_is_409(client):
    first = await create(client)
    response = await client.post(URL, json=order_request(address="另一个地址"))
    error = await error_of(response, 409)
    assert error["code"] == "REQUEST_ID_CONFLICT" and error["order_no"] == first["order_no"]


async def test_seeded_request_id_reuse_is_409(client):
    body = order_request(request_id="demo-connection_in_progress")
    assert (await error_of(await client.post(URL, json=body), 409))["code"] == "REQUEST_ID_CONFLICT"


async def test_variant_type_needs_its_variant(client):
    connection = dict(type="connection", request_id="bz-1")
    error = await error_of(await client.post(URL, json=order_request(**connection, details={"capacity_kw": 8})), 400)
    assert error["code"] == "INVALID_DETAILS" and error["field"] == "details.category"
    assert "residential" in error["allowed"]
    bad = order_request(**connection, details={"category": "spaceship"})
    assert (await error_of(await client.post(URL, json=bad), 400))["code"] == "INVALID_DETAILS"
    order = await create(client, **connection, details={"category": "low_voltage_business", "capacity_kw": 30})
    assert order["order_no"].startswith("BZ") and [s["time_limit_days"] for s in order["steps"]] == [1, 5, 3]


@pytest.mark.parametrize("capacity", [0, -5, "80", True, 10 ** 9])
async def test_connection_capacity_must_be_a_plausible_number(client, capacity):
    details = {"category": "low_voltage_business", "capacity_kw": capacity}
    body = order_request(type="connection", request_id=f"bz-cap-{capacity}", details=details)
    error = await error_of(await client.post(URL, json=body), 400)
    assert error["code"] == "INVALID_DETAILS" and error["field"] == "details.capacity_kw"


async def test_repair_uses_hour_limits(client):
    order = await create(client, type="repair", request_id="bx-1", details={"area_type": "urban", "hazard": False})
    first = order["steps"][0]
    assert first["time_limit_hours"] == 0.75 and first["time_limit_days"] is None
    assert first["deadline"] == datetime(2026, 3, 18, 10, 45, tzinfo=CHINA_TZ).isoformat()


LONG = "长" * 201


@pytest.mark.parametrize(
    "overrides, code, field",
    [
        ({"type": "teleport"}, "INVALID_TYPE", "type"),
        ({"type": None}, "INVALID_TYPE", "type"),
        ({"type": ["repair"]}, "INVALID_TYPE", "type"),
        ({"request_id": None}, "INVALID_REQUEST_ID", "request_id"),
        ({"request_id": ""}, "INVALID_REQUEST_ID", "request_id"),
        ({"request_id": "x" * 65}, "INVALID_REQUEST_ID", "request_id"),
        ({"request_id": "a b"}, "INVALID_REQUEST_ID", "request_id"),
        ({"request_id": 12345}, "INVALID_REQUEST_ID", "request_id"),
        ({"contact_name": None}, "MISSING_FIELD", "contact_name"),
        ({"contact_name": "   "}, "MISSING_FIELD", "contact_name"),
        ({"contact_name": 42}, "INVALID_FIELD", "contact_name"),
        ({"contact_name": "名" * 51}, "INVALID_FIELD", "contact_name"),
        ({"contact_name": "王\x00五"}, "INVALID_FIELD", "contact_name"),
        ({"contact_name": "王\ud800五"}, "INVALID_FIELD", "contact_name"),
        ({"phone": "12800001234"}, "INVALID_PHONE", "phone"),
        ({"phone": "1380000123"}, "INVALID_PHONE", "phone"),
        ({"phone": 13800001234}, "INVALID_PHONE", "phone"),
        ({"phone": "138-0000-1234"}, "INVALID_PHONE", "phone"),
        ({"phone": None}, "INVALID_PHONE", "phone"),
        ({"address": None}, "MISSING_FIELD", "address"),
        ({"address": LONG}, "INVALID_FIELD", "address"),
        ({"address": "第一行\n第二行"}, "INVALID_FIELD", "address"),
        ({"district": "火星区"}, "UNKNOWN_DISTRICT", "district"),
        ({"district": "福田' OR 1=1--"}, "UNKNOWN_DISTRICT", "district"),
        ({"district": "福田区'; DROP TABLE work_orders; --"}, "INVALID_FIELD", "district"),
        ({"district": None}, "MISSING_FIELD", "district"),
        ({"district": {"name": "福田区"}}, "INVALID_FIELD", "district"),
        ({"account_no": "123"}, "INVALID_ACCOUNT_NO", "account_no"),
        ({"account_no": 300000001}, "INVALID_ACCOUNT_NO", "account_no"),
        ({"details": "7kW"}, "INVALID_DETAILS", "details"),
        ({"details": ["a"]}, "INVALID_DETAILS", "details"),
        ({"details": {"note": "x" * 5000}}, "INVALID_DETAILS", "details"),
        ({"details": {"a": {"b": {"c": {"d": {"e": 1}}}}}}, "INVALID_DETAILS", "details"),
        ({"details": {"n": 10 ** 30}}, "INVALID_DETAILS", "details"),
        ({"details": {"bad": "nul\x00"}}, "INVALID_DETAILS", "details"),
        ({"channel": "WeChat!"}, "INVALID_FIELD", "channel"),
    ],
)
async def test_validation_errors(client, overrides, code, field):
    error = await error_of(await client.post(URL, json=order_request(**overrides)), 400)
    assert (error["code"], error.get("field")) == (code, field)


async def test_unknown_fields_are_rejected(client):
    body = {**order_request(), "status": "completed"}
    error = await error_of(await client.post(URL, json=body), 400)
    assert error["code"] == "UNKNOWN_FIELD" and error["fields"] == ["status"]


async def test_unknown_account_is_404(client):
    error = await error_of(await client.post(URL, json=order_request(account_no="0399999999")), 404)
    assert error["code"] == "ACCOUNT_NOT_FOUND"


async def test_order_without_account(client):
    order = await create(client, account_no=None, request_id="no-account")
    assert order["account_no"] is None


async def test_sql_injection_strings_are_stored_as_text(client):
    name = "Robert'); DROP TABLE work_orders;--"
    order = await create(client, request_id="bobby", contact_name=name, details={"x": "' OR '1'='1"})
    fetched = await (await client.get(f"{URL}/{order['order_no']}", params={"phone": "13800001234"})).json()
    assert fetched["contact_name"] == name and fetched["details"] == {"x": "' OR '1'='1"}


async def test_progress_with_phone_check(client):
    order = await create(client)
    path = f"{URL}/{order['order_no']}"
    response = await client.get(path, params={"phone": "13800001234"})
    assert response.status == 200 and (await response.json())["phone"] == "13800001234"
    error = await error_of(await client.get(path, params={"phone": "13900009999"}), 403)
    assert error["code"] == "PHONE_MISMATCH"
    assert (await error_of(await client.get(path, params={"phone": "abc"}), 400))["code"] == "INVALID_PHONE"
    anonymous = await (await client.get(path)).json()
    assert anonymous["phone"] == "138****1234" and anonymous["contact_name"] == "王**"
    assert anonymous["address"] is None and anonymous["account_no"] is None and anonymous["details"] == {}
    assert anonymous["steps"] == (await response.json())["steps"]


@pytest.mark.parametrize("number", ["BZ2026031800000", "bz20260318000001", "BZ20260318000001'--", "X" * 300])
async def test_malformed_order_number_is_400(client, number):
    assert (await error_of(await client.get(f"{URL}/{number}"), 400))["code"] == "INVALID_ORDER_NO"


async def test_unknown_order_is_404(client):
    assert (await error_of(await client.get(f"{URL}/BZ20000101999999"), 404))["code"] == "ORDER_NOT_FOUND"


async def test_demo_overdue_order(client):
    number = seed.demo_order_no("meter_test_overdue", NOW)
    order = await (await client.get(f"{URL}/{number}", params={"phone": "15800005678"})).json()
    assert order["overdue"] is True and order["status"] == "in_progress"
    assert order["steps"][0]["status"] == "done"
    assert order["steps"][1]["status"] == "in_progress" and order["steps"][1]["overdue"] is True
    assert order["current_step_deadline"] < NOW.isoformat()


async def test_demo_orders_in_every_state(client):
    expected = {
        "connection_in_progress": ("13800001234", "in_progress", False),
        "repair_in_progress": ("18600006789", "in_progress", False),
        "multi_resident_completed": ("13500007890", "completed", False),
        "complaint_accepted": ("13900002345", "in_progress", False),
    }
    for key, (phone, status, overdue) in expected.items():
        response = await client.get(f"{URL}/{seed.demo_order_no(key, NOW)}", params={"phone": phone})
        order = await response.json()
        assert (order["status"], order["overdue"]) == (status, overdue), key
    completed = await (await client.get(f"{URL}/{seed.demo_order_no('multi_resident_completed', NOW)}")).json()
    assert completed["current_step"] is None and completed["completed_at"]
    assert [event["status"] for event in completed["timeline"]] == [
        "accepted", "step_completed", "step_completed", "completed"]


async def test_list_by_phone(client):
    await create(client)
    body = await listed_by_phone(client, "13800001234")
    numbers = [order["order_no"] for order in body["orders"]]
    assert numbers[0].startswith("CD20260318") and seed.demo_order_no("connection_in_progress", NOW) in numbers
    assert (await error_of(await client.get(URL), 400))["code"] == "MISSING_FIELD"
    assert (await error_of(await client.get(URL, params={"phone": "1"}), 400))["code"] == "INVALID_PHONE"
    empty = await listed_by_phone(client, "19999999999")
    assert empty == {"orders": []}


async def test_list_by_phone_without_a_grant_reveals_nothing(client):
    """A phone number alone used to list that person's orders: now it needs the SMS code."""
    for phone in ("13800001234", "19999999999"):
        error = await error_of(await client.get(URL, params={"phone": phone}), 403)
        assert error == {"code": "PHONE_NOT_VERIFIED", "message": error["message"]}
    # The lookup by order number and matching phone is unchanged.
    number = seed.demo_order_no("connection_in_progress", NOW)
    assert (await client.get(f"{URL}/{number}", params={"phone": "13800001234"})).status == 200


async def test_seeded_orders_include_overdue_and_completed(client):
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from backend.context import SESSIONS
    from backend.models import WorkOrder
    from backend.work_order_view import order_json

    async with client.server.app[SESSIONS]() as session, session.begin():
        orders = (await session.execute(
            select(WorkOrder).options(selectinload(WorkOrder.steps), selectinload(WorkOrder.events)))).scalars().all()
    views = [order_json(order, NOW) for order in orders]
    assert len(views) >= 40
    assert {view["type"] for view in views} == set(
        ["connection", "charging_pile", "multi_resident", "repair", "handoff", "complaint", "account_transfer",
         "meter_test", "refund"])
    assert sum(view["overdue"] for view in views) >= 1
    assert sum(view["status"] == "completed" for view in views) >= 5
    assert sum(view["status"] == "in_progress" and not view["overdue"] for view in views) >= 5
    for view in views:
        assert re.fullmatch(r"[A-Z]{2}\d{14}", view["order_no"])


async def test_handoff_needs_no_contact_details(client):
    body = {"type": "handoff", "request_id": "handoff-1", "details": {"summary": "客户询问电费，要求人工"}}
    response = await client.post(URL, json=body)
    assert response.status == 201, await response.text()
    order = await response.json()
    assert order["order_no"].startswith("RG") and order["phone"] is None and order["district"] is None
    assert (await client.post(URL, json=body)).status == 200
    anonymous = await (await client.get(f"{URL}/{order['order_no']}")).json()
    assert anonymous["phone"] is None and anonymous["contact_name"] is None
    error = await error_of(await client.get(f"{URL}/{order['order_no']}", params={"phone": "13800001234"}), 403)
    assert error["code"] == "PHONE_MISMATCH"
    bad_phone = {**body, "request_id": "handoff-2", "phone": "123"}
    assert (await error_of(await client.post(URL, json=bad_phone), 400))["code"] == "INVALID_PHONE"
    with_contact = {**body, "request_id": "handoff-3", "phone": "13800001234", "district": "南山"}
    assert (await (await client.post(URL, json=with_contact)).json())["district"] == "南山区"


async def test_other_types_need_contact_details(client):
    body = {"type": "complaint", "request_id": "ts-1", "details": {"description": "服务态度差"}}
    assert (await error_of(await client.post(URL, json=body), 400))["code"] == "MISSING_FIELD"


@pytest.mark.parametrize("kind, label", [("rename", "更名"), ("close", "销户"), ("transfer", "过户")])
async def test_account_transfer_order_is_named_by_its_kind(client, kind, label):
    order = await create(client, type="account_transfer", request_id=f"gh-{kind}",
                         details={"kind": kind, "kind_label": label})
    assert order["order_no"].startswith("GH") and order["type_name"] == label
    # The steps are the kind's own (work_orders.account_transfer varies by details.kind) and the
    # acceptance note names the kind, not the generic type.
    assert order["steps"][-1]["name"] == f"{label}办结"
    assert order["timeline"][0]["note"].startswith(f"{label}工单已受理")
    if kind != "transfer":
        assert not any("过户" in step["name"] for step in order["steps"])
        assert "过户" not in order["timeline"][0]["note"]
    listed = await listed_by_phone(client, "13800001234")
    assert next(o for o in listed["orders"] if o["order_no"] == order["order_no"])["type_name"] == label
    # Without the phone the details are hidden, but the kind name still shows.
    anonymous = await (await client.get(f"{URL}/{order['order_no']}")).json()
    assert anonymous["details"] == {} and anonymous["type_name"] == label
    assert anonymous["steps"][-1]["name"] == f"{label}办结"


@pytest.mark.parametrize("kind, label", [("rename", "更名"), ("close", "销户")])
def test_account_transfer_timeline_ends_in_the_kinds_own_step(kind, label):
    """Run a rename / close order through every step: the timeline completes 更名办结 / 销户办结."""
    from datetime import timedelta

    from backend.regional_facts import RegionalFacts
    from backend.work_order_lifecycle import COMPLETED, complete_current_step, new_order
    from backend.work_order_types import plan_for
    from backend.work_order_view import order_json

    details = {"kind": kind, "kind_label": label}
    plan = plan_for(RegionalFacts().work_order_definition("account_transfer"), details)
    order = new_order(order_type="account_transfer", plan=plan, created_at=NOW, request_id="gh-life",
                      fingerprint="x", contact_name="王建国", phone="13800001234", address="福田区景田北路12号",
                      district="福田区", account_no=None, channel="test", details=details)
    for hours in range(1, len(order.steps) + 1):
        complete_current_step(order, NOW + timedelta(hours=hours))
    view = order_json(order, NOW + timedelta(days=1))
    assert view["status"] == COMPLETED and view["type_name"] == label
    notes = [event["note"] for event in view["timeline"]]
    assert notes[0].startswith(f"{label}工单已受理") and notes[-2] == f"“{label}办结”环节已完成"
    assert notes[-1] == "工单已办结" and not any("过户" in note for note in notes)


async def test_account_transfer_order_needs_its_kind(client):
    error = await error_of(await client.post(URL, json=order_request(
        type="account_transfer", request_id="gh-none", details={"reason": "房屋买卖"})), 400)
    assert error["code"] == "INVALID_DETAILS" and error["field"] == "details.kind"
    assert set(error["allowed"]) == {"transfer", "rename", "close"}


async def test_account_transfer_order_without_a_kind_label_gets_the_generic_name(client):
    order = await create(client, type="account_transfer", request_id="gh-nolabel", details={"kind": "transfer"})
    assert order["type_name"] == "过户/更名/销户"
    assert order["timeline"][0]["note"].startswith("过户/更名/销户工单已受理")
    long_label = await create(client, type="account_transfer", request_id="gh-long",
                              details={"kind": "rename", "kind_label": "这不是业务名称而是一段很长的说明文字"})
    assert long_label["type_name"] == "过户/更名/销户" and long_label["steps"][-1]["name"] == "更名办结"


async def test_acceptance_note_names_the_type_when_there_is_no_kind(client):
    order = await create(client)
    assert order["timeline"][0]["note"].startswith("充电桩报装工单已受理，由")
