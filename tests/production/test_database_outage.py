"""The back end on PostgreSQL when the database goes away and comes back.

The real server cannot be restarted from a test (other databases live on it), so the back end
reaches it through a TCP proxy the test can cut: every open connection dies and new ones are
refused, exactly what the back end sees during a database restart. Afterwards the back end must
serve again by itself, with every order written before the outage and none written twice.
"""
from __future__ import annotations

import asyncio
import uuid
from typing import List, Optional

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import create_engine, text

from actions import backend_client
from backend.app import create_app
from tests.backend.conftest import NOW
from tests.conftest import SERVICE_HEADERS
from tests.production.conftest import PG_HOST, PG_PORT, postgres_admin_url, require_services


class CuttableProxy:
    """Forwards 127.0.0.1:<port> to PostgreSQL until cut(); restore() listens again."""

    def __init__(self) -> None:
        self.port = 0
        self._server: Optional[asyncio.AbstractServer] = None
        self._writers: List[asyncio.StreamWriter] = []

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(PG_HOST, PG_PORT)
        self._writers += [writer, upstream_writer]
        await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer))

    async def restore(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        self._server.close()
        await self._server.wait_closed()
        for writer in self._writers:
            writer.close()
        self._writers.clear()


@pytest.fixture
def scratch_database():
    require_services()
    name = f"prodtest_outage_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def order(request_id: str) -> dict:
    return {
        "type": "repair", "request_id": request_id, "contact_name": "黄海涛", "phone": "18600006789",
        "address": "南山区粤海街道科苑路18号", "district": "南山", "details": {"area_type": "urban"},
    }


async def test_database_down_and_back(scratch_database, monkeypatch):
    proxy = CuttableProxy()
    await proxy.restore()
    url = postgres_admin_url(scratch_database).replace("psycopg2", "asyncpg").replace(
        f"{PG_HOST}:{PG_PORT}", f"127.0.0.1:{proxy.port}")
    async with TestClient(TestServer(create_app(url, now=NOW)), headers=SERVICE_HEADERS) as client:
        before = await client.post("/api/v1/work-orders", json=order("outage-1"))
        assert before.status == 201
        kept_order_no = (await before.json())["order_no"]

        await proxy.cut()
        during = await client.post("/api/v1/work-orders", json=order("outage-2"))
        assert during.status >= 500
        error = (await during.json())["error"]
        assert any("\u4e00" <= char <= "\u9fff" for char in error["message"])
        assert "Traceback" not in error["message"] and "asyncpg" not in error["message"]
        # What an action sees: "unavailable", which every action answers with the hotline.
        monkeypatch.setenv("BACKEND_URL", str(client.make_url("")).rstrip("/"))
        result = await backend_client.post("/api/v1/work-orders", order("outage-2"))
        await backend_client.close()
        assert result.unavailable

        await proxy.restore()  # the database is back: no restart of the back end needed
        after = await client.post("/api/v1/work-orders", json=order("outage-2"))
        assert after.status == 201, await after.text()
        again = await client.post("/api/v1/work-orders", json=order("outage-2"))
        assert again.status == 200 and (await again.json())["order_no"] == (await after.json())["order_no"]
        kept = await client.get(f"/api/v1/work-orders/{kept_order_no}")
        assert kept.status == 200
    await proxy.cut()

    engine = create_engine(postgres_admin_url(scratch_database))
    with engine.connect() as connection:
        counts = dict(connection.execute(text(
            "SELECT request_id, count(*) FROM work_orders WHERE request_id LIKE 'outage-%' GROUP BY request_id"
        )).all())
    engine.dispose()
    assert counts == {"outage-1": 1, "outage-2": 1}
