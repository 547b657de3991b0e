"""The same schema and flows on PostgreSQL (the production profile). Runs only when
BACKEND_TEST_POSTGRES_URL names a server, e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres;
a scratch database is created there and dropped afterwards."""
from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from backend import seed
from backend.app import create_app
from backend.context import SESSIONS
from backend.db import sync_url
from backend.models import VerificationFailure
from tests.backend.conftest import NOW
from tests.conftest import SERVICE_HEADERS

ADMIN_URL = os.environ.get("BACKEND_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not ADMIN_URL, reason="BACKEND_TEST_POSTGRES_URL not set")


@pytest.fixture
def postgres_url():
    name = f"backend_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(sync_url(ADMIN_URL), future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


async def test_flows_on_postgres(postgres_url):
    async with TestClient(TestServer(create_app(postgres_url, now=NOW)), headers=SERVICE_HEADERS) as client:
        account = await (await client.get(f"/api/v1/accounts/{seed.DEMO_ARREARS}")).json()
        assert account["arrears"] > 0
        outages = await (await client.get("/api/v1/outages", params={"address": "福田莲花街道"})).json()
        assert outages["outages"][0]["outage_id"] == seed.DEMO_PLANNED_TOMORROW

        order = {
            "type": "repair", "request_id": "pg-1", "contact_name": "黄海涛", "phone": "18600006789",
            "address": "南山区粤海街道科苑路18号", "district": "南山", "details": {"area_type": "urban"},
        }
        responses = await asyncio.gather(*(client.post("/api/v1/work-orders", json=order) for _ in range(6)))
        assert sorted(r.status for r in responses) == [200] * 5 + [201]
        assert len({(await r.json())["order_no"] for r in responses}) == 1
        conflict = await client.post("/api/v1/work-orders", json={**order, "address": "别处"})
        assert conflict.status == 409
        for bad in ({**order, "contact_name": "nul\x00"}, {**order, "details": {"x": "\x00"}}):
            assert (await client.post("/api/v1/work-orders", json=bad)).status == 400

        subscriber = {"account_no": seed.DEMO_HOUSEHOLD_OF_6, "channel": "wechat", "recipient_id": "openid-pg"}
        assert (await client.post("/api/v1/outage-subscriptions", json=subscriber)).status == 201
        notices = (await (await client.get("/api/v1/outage-notices/pending?channel=wechat")).json())["notices"]
        assert notices
        await client.post(f"/api/v1/outage-notices/{notices[0]['notice_id']}/delivered")
        again = (await (await client.get("/api/v1/outage-notices/pending?channel=wechat")).json())["notices"]
        assert notices[0]["notice_id"] not in [n["notice_id"] for n in again]

        # No lock-out (back-off lives in the action server): the holder passes after many failures,
        # each of which is still recorded for the audit.
        for _ in range(8):
            wrong = await client.post("/api/v1/accounts/verify", json={"account_no": "0300000001", "phone_last4": "0000"})
            assert wrong.status == 403 and (await wrong.json())["error"]["code"] == "VERIFICATION_FAILED"
        holder = await client.post("/api/v1/accounts/verify", json={"account_no": "0300000001", "phone_last4": "1234"})
        assert holder.status == 200, await holder.text()
        assert (await holder.json())["verified"] is True
        async with client.server.app[SESSIONS]() as session:
            failures = (await session.execute(select(func.count()).select_from(VerificationFailure).where(
                VerificationFailure.account_no == "0300000001"))).scalar_one()
        assert failures == 8
