"""One-time SMS codes: sending (outbox, rate limits), verifying (right, wrong, expired, single use,
void after 5 tries, replaced), and the grant that listing work orders by phone now needs."""
from __future__ import annotations

import asyncio
import re

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from backend import one_time_codes as codes
from backend import seed
from backend.app import create_app
from backend.context import SESSIONS
from backend.models import OneTimeCode, PhoneGrant
from tests.backend.conftest import NOW, error_of
from tests.backend.test_bad_input_everywhere import BODY_VALUES, NASTY, assert_json_4xx_or_ok
from tests.backend.test_postgres import ADMIN_URL, postgres_url  # noqa: F401 (fixture)
from tests.conftest import SERVICE_HEADERS

SEND, VERIFY, OUTBOX = "/api/v1/sms/codes", "/api/v1/sms/codes/verify", "/api/v1/sms/outbox"
ORDERS = "/api/v1/work-orders"
PHONE = "13800001234"  # demo account 0300000001, with a connection application in progress
OTHER = "13900002345"


async def send(client, phone=PHONE, status=201, purpose="work_orders"):
    response = await client.post(SEND, json={"phone": phone, "purpose": purpose})
    assert response.status == status, await response.text()
    return response


async def latest_code(client, phone=PHONE) -> str:
    body = await (await client.get(OUTBOX, params={"phone": phone})).json()
    return re.search(r"验证码为(\d{6})", body["messages"][0]["text"]).group(1)


async def verify(client, code, phone=PHONE, purpose="work_orders"):
    return await client.post(VERIFY, json={"phone": phone, "purpose": purpose, "code": code})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def grant_for(client, phone=PHONE) -> str:
    await send(client, phone)
    response = await verify(client, await latest_code(client, phone), phone=phone)
    assert response.status == 200, await response.text()
    return (await response.json())["grant"]


# -- sending ------------------------------------------------------------------------------------
async def test_send_writes_the_sms_and_never_answers_the_code(client):
    response = await send(client)
    body = await response.json()
    assert body == {"sent": True, "expires_in": 300}
    outbox = await (await client.get(OUTBOX, params={"phone": PHONE})).json()
    [message] = outbox["messages"]
    assert message["phone"] == PHONE and message["purpose"] == "work_orders"
    assert message["created_at"] == NOW.isoformat()
    text = message["text"]
    assert re.fullmatch(r"您的验证码为\d{6}，用于查询工单进度，5分钟内有效，请勿告诉他人。【95598】", text), text
    code = re.search(r"\d{6}", text).group(0)
    assert code not in await response.text()
    # Stored only as a salted HMAC.
    async with client.server.app[SESSIONS]() as session, session.begin():
        row = (await session.execute(select(OneTimeCode))).scalar_one()
    assert code not in (row.code_hash, row.salt) and len(row.code_hash) == 64 and len(row.salt) == 32
    assert row.code_hash == codes.code_hash(row.salt, PHONE, "work_orders", code)
    assert row.expires_at == row.created_at + codes.CODE_TTL and row.attempts == 0 and row.used_at is None


async def test_outbox_lists_newest_first_and_only_that_phone(client, clock):
    await send(client)
    clock.advance(seconds=61)
    await send(client)
    await send(client, OTHER)
    messages = (await (await client.get(OUTBOX, params={"phone": PHONE})).json())["messages"]
    assert len(messages) == 2 and messages[0]["created_at"] > messages[1]["created_at"]
    assert {m["phone"] for m in messages} == {PHONE}
    assert (await (await client.get(OUTBOX, params={"phone": "19912345678"})).json()) == {"messages": []}


def test_codes_are_six_random_digits():
    drawn = {codes.new_code() for _ in range(200)}
    assert all(re.fullmatch(r"\d{6}", code) for code in drawn) and len(drawn) > 150


async def test_one_sms_per_minute(client, clock):
    await send(client)
    clock.advance(seconds=20)
    response = await send(client, status=429)
    error = await error_of(response, 429)
    assert error["code"] == "RATE_LIMITED" and error["retry_after_seconds"] == 40
    assert response.headers["Retry-After"] == "40" and "40秒" in error["message"]
    # Another phone is not affected, and after the minute the same phone may ask again.
    await send(client, OTHER)
    clock.advance(seconds=40)
    await send(client)
    messages = (await (await client.get(OUTBOX, params={"phone": PHONE})).json())["messages"]
    assert len(messages) == 2  # the refused send wrote nothing


async def test_five_sms_per_hour(client, clock):
    for _ in range(5):
        await send(client)
        clock.advance(minutes=2)
    response = await send(client, status=429)
    error = await error_of(response, 429)
    # The first of the five was sent 10 minutes ago: the hour frees up in 50 minutes.
    assert error["retry_after_seconds"] == 50 * 60 and response.headers["Retry-After"] == "3000"
    assert "50分钟" in error["message"]
    clock.advance(minutes=50)
    await send(client)


# -- verifying ----------------------------------------------------------------------------------
async def test_right_code_gives_a_grant_once(client):
    await send(client)
    code = await latest_code(client)
    response = await verify(client, code)
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["verified"] is True and body["expires_in"] == 600
    assert re.fullmatch(r"[A-Za-z0-9_\-]{43}", body["grant"])
    async with client.server.app[SESSIONS]() as session, session.begin():
        grant = (await session.execute(select(PhoneGrant))).scalar_one()
        used = (await session.execute(select(OneTimeCode))).scalar_one()
    assert grant.token_hash == codes.token_hash(body["grant"]) and body["grant"] not in grant.token_hash
    assert (grant.phone, grant.purpose) == (PHONE, "work_orders") and used.used_at is not None
    # Single use.
    error = await error_of(await verify(client, code), 403)
    assert error["code"] == "CODE_EXPIRED"


async def test_wrong_code_counts_down_and_voids_the_code_after_five(client):
    await send(client)
    code = await latest_code(client)
    for left in (4, 3, 2, 1, 0):
        error = await error_of(await verify(client, wrong(code)), 403)
        assert (error["code"], error["attempts_left"]) == ("CODE_INVALID", left)
    assert "失效" in error["message"]
    # Void now, even with the right code.
    assert (await error_of(await verify(client, code), 403))["code"] == "CODE_EXPIRED"
    assert (await error_of(await verify(client, wrong(code)), 403))["code"] == "CODE_EXPIRED"


async def test_a_right_code_after_some_wrong_tries_still_works(client):
    await send(client)
    code = await latest_code(client)
    assert (await error_of(await verify(client, wrong(code)), 403))["attempts_left"] == 4
    assert (await verify(client, code)).status == 200


async def test_code_expires_after_five_minutes(client, clock):
    await send(client)
    code = await latest_code(client)
    clock.advance(minutes=4, seconds=59)
    await send(client, OTHER)  # unrelated traffic
    clock.advance(seconds=1)
    error = await error_of(await verify(client, code), 403)
    assert error["code"] == "CODE_EXPIRED" and "重新获取" in error["message"]


async def test_a_new_code_voids_the_previous_one(client, clock):
    await send(client)
    first = await latest_code(client)
    clock.advance(seconds=61)
    await send(client)
    second = await latest_code(client)
    if first == second:  # one chance in a million
        pytest.skip("the two random codes happen to be equal")
    # Checked against the newest code only: the old one is a wrong try.
    assert (await error_of(await verify(client, first), 403))["code"] == "CODE_INVALID"
    assert (await verify(client, second)).status == 200


async def test_old_code_is_refused_as_expired(client, clock):
    await send(client)
    first = await latest_code(client)
    clock.advance(seconds=61)
    await send(client)
    async with client.server.app[SESSIONS]() as session, session.begin():
        rows = (await session.execute(select(OneTimeCode).order_by(OneTimeCode.id))).scalars().all()
    assert rows[0].expires_at == rows[1].created_at  # voided when the second was issued
    assert rows[0].code_hash == codes.code_hash(rows[0].salt, PHONE, "work_orders", first)


async def test_no_code_sent_is_expired(client):
    assert (await error_of(await verify(client, "123456"), 403))["code"] == "CODE_EXPIRED"


async def test_code_is_bound_to_its_phone(client):
    await send(client)
    code = await latest_code(client)
    assert (await error_of(await verify(client, code, phone=OTHER), 403))["code"] == "CODE_EXPIRED"
    assert (await verify(client, code)).status == 200


# -- the grant ------------------------------------------------------------------------------------
async def test_listing_by_phone_needs_a_grant(client):
    for params in ({"phone": PHONE}, {"phone": PHONE, "grant": ""}, {"phone": PHONE, "grant": "x" * 43},
                   {"phone": PHONE, "grant": "' OR '1'='1"}, {"phone": "19912345678"}):
        response = await client.get(ORDERS, params=params)
        error = await error_of(response, 403)
        assert error["code"] == "PHONE_NOT_VERIFIED", params
        text = await response.text()
        assert "order" not in text.replace("PHONE_NOT_VERIFIED", "") and "BZ" not in text
    # Same answer whether the phone has orders or not: nothing is revealed.
    with_orders = await (await client.get(ORDERS, params={"phone": PHONE})).json()
    without = await (await client.get(ORDERS, params={"phone": "19912345678"})).json()
    assert with_orders == without


async def test_grant_lists_the_orders(client):
    grant = await grant_for(client)
    body = await (await client.get(ORDERS, params={"phone": PHONE, "grant": grant})).json()
    assert seed.demo_order_no("connection_in_progress", NOW) in [o["order_no"] for o in body["orders"]]


async def test_grant_for_another_phone_is_refused(client):
    grant = await grant_for(client, OTHER)
    error = await error_of(await client.get(ORDERS, params={"phone": PHONE, "grant": grant}), 403)
    assert error["code"] == "PHONE_NOT_VERIFIED"
    assert (await client.get(ORDERS, params={"phone": OTHER, "grant": grant})).status == 200


async def test_wrong_grant_is_refused(client):
    grant = await grant_for(client)
    forged = grant[:-1] + ("A" if grant[-1] != "A" else "B")
    error = await error_of(await client.get(ORDERS, params={"phone": PHONE, "grant": forged}), 403)
    assert error["code"] == "PHONE_NOT_VERIFIED"


async def test_grant_expires_after_ten_minutes(client, clock):
    grant = await grant_for(client)
    clock.advance(minutes=9, seconds=59)
    assert (await client.get(ORDERS, params={"phone": PHONE, "grant": grant})).status == 200
    clock.advance(seconds=1)
    error = await error_of(await client.get(ORDERS, params={"phone": PHONE, "grant": grant}), 403)
    assert error["code"] == "PHONE_NOT_VERIFIED"


async def test_grant_is_for_its_purpose_only(client):
    grant = await grant_for(client)
    async with client.server.app[SESSIONS]() as session, session.begin():
        row = (await session.execute(select(PhoneGrant))).scalar_one()
        row.purpose = "something_else"
    error = await error_of(await client.get(ORDERS, params={"phone": PHONE, "grant": grant}), 403)
    assert error["code"] == "PHONE_NOT_VERIFIED"


# -- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body, code, field",
    [
        ({"purpose": "work_orders"}, "INVALID_PHONE", "phone"),
        ({"phone": "1380000123", "purpose": "work_orders"}, "INVALID_PHONE", "phone"),
        ({"phone": 13800001234, "purpose": "work_orders"}, "INVALID_PHONE", "phone"),
        ({"phone": "23800001234", "purpose": "work_orders"}, "INVALID_PHONE", "phone"),
        ({"phone": PHONE}, "INVALID_PURPOSE", "purpose"),
        ({"phone": PHONE, "purpose": "bills"}, "INVALID_PURPOSE", "purpose"),
        ({"phone": PHONE, "purpose": ["work_orders"]}, "INVALID_PURPOSE", "purpose"),
    ],
)
async def test_bad_send_requests_are_400(client, body, code, field):
    error = await error_of(await client.post(SEND, json=body), 400)
    assert (error["code"], error.get("field")) == (code, field)


@pytest.mark.parametrize("value", ["12345", "1234567", "12345a", 123456, None, "", " 123456", "١٢٣٤٥٦", "12 456"])
async def test_code_must_be_six_digits(client, value):
    await send(client)
    body = {"phone": PHONE, "purpose": "work_orders", "code": value}
    error = await error_of(await client.post(VERIFY, json=body), 400)
    assert (error["code"], error["field"]) == ("INVALID_CODE", "code")
    # A malformed code is not a try: the real one still has all its attempts.
    code = await latest_code(client)
    assert (await error_of(await verify(client, wrong(code)), 403))["attempts_left"] == 4


@pytest.mark.parametrize(
    "body, code",
    [
        ({"phone": "138", "purpose": "work_orders", "code": "123456"}, "INVALID_PHONE"),
        ({"phone": PHONE, "purpose": "teleport", "code": "123456"}, "INVALID_PURPOSE"),
        ({"phone": PHONE, "purpose": "work_orders", "code": "123456", "extra": 1}, "UNKNOWN_FIELD"),
    ],
)
async def test_bad_verify_requests_are_400(client, body, code):
    assert (await error_of(await client.post(VERIFY, json=body), 400))["code"] == code


async def test_bad_bodies_and_outbox_queries_are_400(client):
    assert (await error_of(await client.post(SEND, data=b"not json"), 400))["code"] == "INVALID_JSON"
    assert (await error_of(await client.post(SEND, json=["x"]), 400))["code"] == "INVALID_BODY"
    unknown = {"phone": PHONE, "purpose": "work_orders", "code": "1"}
    assert (await error_of(await client.post(SEND, json=unknown), 400))["code"] == "UNKNOWN_FIELD"
    assert (await error_of(await client.get(OUTBOX), 400))["code"] == "MISSING_FIELD"
    assert (await error_of(await client.get(OUTBOX, params={"phone": "x"}), 400))["code"] == "INVALID_PHONE"
    assert (await error_of(await client.get(OUTBOX, params={"phone": PHONE, "limit": "0"}), 400))["code"] == \
        "INVALID_PARAMETER"
    # Listing still validates the phone before anything else.
    assert (await error_of(await client.get(ORDERS), 400))["code"] == "MISSING_FIELD"
    assert (await error_of(await client.get(ORDERS, params={"phone": "1"}), 400))["code"] == "INVALID_PHONE"


async def test_nasty_values_anywhere_get_a_json_4xx(client):
    for value in NASTY:
        for path in (f"{OUTBOX}?phone={value}", f"{OUTBOX}?phone={PHONE}&limit={value}",
                     f"{ORDERS}?phone={PHONE}&grant={value}"):
            await assert_json_4xx_or_ok(await client.get(path))
    valid = {"phone": PHONE, "purpose": "work_orders", "code": "123456"}
    for path, fields in ((SEND, ("phone", "purpose")), (VERIFY, ("phone", "purpose", "code"))):
        for field in fields:
            for value in BODY_VALUES:
                body = {name: valid[name] for name in fields}
                body[field] = value
                await assert_json_4xx_or_ok(await client.post(path, json=body))


# -- concurrency: the limits and single use hold when requests race ------------------------------
async def races(client):
    sends = await asyncio.gather(*(client.post(SEND, json={"phone": PHONE, "purpose": "work_orders"})
                                   for _ in range(6)))
    assert sorted(r.status for r in sends) == [201] + [429] * 5
    assert len((await (await client.get(OUTBOX, params={"phone": PHONE})).json())["messages"]) == 1
    code = await latest_code(client)
    checks = await asyncio.gather(*(verify(client, code) for _ in range(6)))
    assert sorted(r.status for r in checks) == [200] + [403] * 5
    await send(client, OTHER)
    other = await latest_code(client, OTHER)
    tries = await asyncio.gather(*(verify(client, wrong(other), phone=OTHER) for _ in range(8)))
    codes_seen = sorted([(await r.json())["error"]["code"] for r in tries])
    assert codes_seen == ["CODE_EXPIRED"] * 3 + ["CODE_INVALID"] * 5  # never more than 5 counted tries


async def test_racing_requests(client):
    await races(client)


@pytest.mark.skipif(not ADMIN_URL, reason="BACKEND_TEST_POSTGRES_URL not set")
async def test_racing_requests_on_postgres(postgres_url):  # noqa: F811
    async with TestClient(TestServer(create_app(postgres_url, now=NOW)), headers=SERVICE_HEADERS) as client:
        await races(client)
