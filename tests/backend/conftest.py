"""Fixtures for the back-end tests: a seeded SQLite database per test (copied from one template
seeded once per session, which keeps the suite fast), a clock tests can move, and a client."""
from __future__ import annotations

import asyncio
import shutil
from datetime import datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from backend.app import create_app
from backend.clock import CHINA_TZ
from tests.conftest import SERVICE_HEADERS

# A Wednesday morning: "tomorrow" is a working day and summer bills are in the 24 months.
NOW = datetime(2026, 3, 18, 10, 0, tzinfo=CHINA_TZ)


class MovableClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


async def start_and_stop(db_url: str, now) -> None:
    """Run an app's start-up (migrations + seed) and shut-down without serving anything."""
    async with TestClient(TestServer(create_app(db_url, now=now))):
        pass


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "backend.db"
    asyncio.run(start_and_stop(f"sqlite+aiosqlite:///{path}", NOW))
    return path


@pytest.fixture
def db_url(tmp_path, template_db) -> str:
    target = tmp_path / "backend.db"
    shutil.copyfile(template_db, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOW)


@pytest.fixture
async def client(db_url, clock):
    async with TestClient(TestServer(create_app(db_url, now=clock)), headers=SERVICE_HEADERS) as test_client:
        yield test_client


async def error_of(response, status: int) -> dict:
    """The error object of a JSON error response with the expected status."""
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    body = await response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["code"].isupper() and error["message"]
    assert any("\u4e00" <= char <= "\u9fff" for char in error["message"]), error["message"]
    assert "Traceback" not in error["message"]
    return error
