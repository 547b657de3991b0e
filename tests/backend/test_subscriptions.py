"""Planned-outage subscriptions and notices that are delivered exactly once."""
from __future__ import annotations

import asyncio

import pytest

from backend import seed
from tests.backend.conftest import error_of

SUBSCRIPTIONS = "/api/v1/outage-subscriptions"
PENDING = "/api/v1/outage-notices/pending"
SUBSCRIBER = {"account_no": seed.DEMO_HOUSEHOLD_OF_6, "channel": "wechat", "recipient_id": "oWx_demo-openid-0001"}


async def pending(client, channel="wechat"):
    response = await client.get(PENDING, params={"channel": channel})
    assert response.status == 200, await response.text()
    return (await response.json())["notices"]


async def test_subscribe_is_idempotent(client):
    first = await client.post(SUBSCRIPTIONS, json=SUBSCRIBER)
    assert first.status == 201
    body = await first.json()
    assert body["active"] is True and body["account_no"] == seed.DEMO_HOUSEHOLD_OF_6
    again = await client.post(SUBSCRIPTIONS, json=SUBSCRIBER)
    assert again.status == 200 and (await again.json())["subscription_id"] == body["subscription_id"]
    listed = await (await client.get(SUBSCRIPTIONS, params={"account_no": seed.DEMO_HOUSEHOLD_OF_6})).json()
    assert [s["recipient_id"] for s in listed["subscriptions"]] == [SUBSCRIBER["recipient_id"]]


async def test_concurrent_subscribes_make_one_subscription(client):
    responses = await asyncio.gather(*(client.post(SUBSCRIPTIONS, json=SUBSCRIBER) for _ in range(5)))
    assert sorted(r.status for r in responses) == [200, 200, 200, 200, 201]
    assert len({(await r.json())["subscription_id"] for r in responses}) == 1


async def test_notice_delivered_once(client):
    assert await pending(client) == []
    await client.post(SUBSCRIPTIONS, json=SUBSCRIBER)
    notices = await pending(client)
    assert [n["outage"]["outage_id"] for n in notices][0] == seed.DEMO_PLANNED_TOMORROW
    assert all(n["outage"]["kind"] == "planned" and n["outage"]["status"] == "upcoming" for n in notices)
    assert all("莲花街道" in n["outage"]["streets"] for n in notices)
    assert notices[0]["recipient_id"] == SUBSCRIBER["recipient_id"]
    assert await pending(client) == notices  # listing again does not duplicate anything
    assert await pending(client, channel="sms") == []

    notice_id = notices[0]["notice_id"]
    confirmed = await client.post(f"/api/v1/outage-notices/{notice_id}/delivered")
    assert confirmed.status == 200
    first = await confirmed.json()
    assert first["already_delivered"] is False and first["delivered_at"]
    assert notice_id not in [n["notice_id"] for n in await pending(client)]

    second = await (await client.post(f"/api/v1/outage-notices/{notice_id}/delivered")).json()
    assert second == {**first, "already_delivered": True}

    # Unsubscribe, subscribe again: the delivered notice is not sent a second time.
    removed = await client.delete(SUBSCRIPTIONS, json=SUBSCRIBER)
    assert (await removed.json())["removed"] is True
    assert await pending(client) == []
    assert (await client.post(SUBSCRIPTIONS, json=SUBSCRIBER)).status == 201
    assert notice_id not in [n["notice_id"] for n in await pending(client)]


async def test_concurrent_listings_create_each_notice_once(client):
    await client.post(SUBSCRIPTIONS, json=SUBSCRIBER)
    results = await asyncio.gather(*(pending(client) for _ in range(5)))
    assert all(result == results[0] for result in results)
    assert len({n["notice_id"] for n in results[0]}) == len(results[0]) >= 1


async def test_unsubscribe_is_idempotent_and_accepts_query(client):
    response = await client.delete(SUBSCRIPTIONS, params=SUBSCRIBER)
    assert response.status == 200 and (await response.json())["removed"] is False
    await client.post(SUBSCRIPTIONS, json=SUBSCRIBER)
    assert (await (await client.delete(SUBSCRIPTIONS, params=SUBSCRIBER)).json())["removed"] is True
    assert (await (await client.delete(SUBSCRIPTIONS, json=SUBSCRIBER)).json())["removed"] is False


@pytest.mark.parametrize(
    "overrides, code",
    [
        ({"account_no": "0399999999"}, "ACCOUNT_NOT_FOUND"),
        ({"account_no": "abc"}, "INVALID_ACCOUNT_NO"),
        ({"channel": "WeChat"}, "INVALID_CHANNEL"),
        ({"channel": None}, "INVALID_CHANNEL"),
        ({"recipient_id": ""}, "INVALID_RECIPIENT"),
        ({"recipient_id": "x" * 129}, "INVALID_RECIPIENT"),
        ({"recipient_id": "a'; DROP TABLE outage_subscriptions;--"}, "INVALID_RECIPIENT"),
        ({"recipient_id": 12345}, "INVALID_RECIPIENT"),
        ({"extra": 1}, "UNKNOWN_FIELD"),
    ],
)
async def test_subscription_bad_input(client, overrides, code):
    for method in (client.post, client.delete):
        response = await method(SUBSCRIPTIONS, json={**SUBSCRIBER, **overrides})
        error = await error_of(response, 404 if code == "ACCOUNT_NOT_FOUND" else 400)
        assert error["code"] == code


@pytest.mark.parametrize("notice_id, status", [("999999", 404), ("0", 400), ("-1", 400), ("abc", 400),
                                               ("99999999999999999999", 400), ("1%20OR%201=1", 400)])
async def test_delivered_bad_ids(client, notice_id, status):
    await error_of(await client.post(f"/api/v1/outage-notices/{notice_id}/delivered"), status)


async def test_pending_needs_a_channel(client):
    assert (await error_of(await client.get(PENDING), 400))["code"] == "INVALID_CHANNEL"
    await error_of(await client.get(PENDING, params={"channel": "wechat", "limit": "0"}), 400)
    await error_of(await client.get(SUBSCRIPTIONS), 400)
