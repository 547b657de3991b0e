"""Back end slow (over the timeout) or answering 500, then healthy again, in front of the REAL back
end: the customer gets the polite apology with the hotline, no work order is created twice or
half, and service resumes by itself (no restart, no state in the client to reset).

The nastiest case is "slow": the back end does create the order but answers after the action has
given up. The customer was told it failed; resubmitting the same answers must find that order
(request_id derived from the conversation and the answers), not create a second one.
"""
from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client
from backend.app import create_app
from knowledge import load_knowledge
from tests.actions.test_charging_pile import COMPLETE, PHONE_NO, submit
from tests.conftest import FIXED_NOW, orders_for_phone, texts


def hotline() -> str:
    return str(load_knowledge().region().value("service.hotlines.power_service")["number"])


def forwarded(request: web.Request) -> dict:
    """The headers a proxy passes on: the body's type and the caller's service token (the back end
    answers 401 without it)."""
    headers = {"Content-Type": "application/json"}
    if "X-Service-Token" in request.headers:
        headers["X-Service-Token"] = request.headers["X-Service-Token"]
    return headers


class SwitchableFront:
    """Forwards to the real back end ('ok'), forwards and then answers too late ('slow'), or
    answers 500 without forwarding ('failing')."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.mode = "ok"
        self.calls = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        if self.mode == "failing":
            return web.json_response({"error": {"code": "INTERNAL_ERROR", "message": "系统繁忙"}}, status=500)
        body = await request.read()
        async with aiohttp.ClientSession() as session:
            async with session.request(request.method, self.upstream + request.path_qs, data=body or None,
                                       headers=forwarded(request)) as response:
                status, payload = response.status, await response.read()
        if self.mode == "slow":
            await asyncio.sleep(1.5)  # the order is committed; the answer comes after the timeout
        return web.Response(status=status, body=payload, content_type="application/json")


@pytest.fixture
async def front(tmp_path, monkeypatch):
    real = TestServer(create_app(db_url=f"sqlite+aiosqlite:///{tmp_path}/backend.db", now=lambda: FIXED_NOW))
    await real.start_server()
    switch = SwitchableFront(str(real.make_url("")).rstrip("/"))
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", switch.handle)
    server = TestServer(app)
    await server.start_server()
    monkeypatch.setenv("BACKEND_URL", str(server.make_url("")).rstrip("/"))
    monkeypatch.setenv("BACKEND_TIMEOUT_SECONDS", "0.5")
    switch.real_url = switch.upstream
    yield switch
    await backend_client.close()
    await server.close()
    await real.close()


async def orders(front) -> list:
    return await orders_for_phone(front.real_url, PHONE_NO)


async def submit_and_read(sender: str = "fault-user-1") -> str:
    dispatcher = CollectingDispatcher()
    await submit(dispatcher, COMPLETE, sender=sender)
    return texts(dispatcher)


def apology(said: str) -> bool:
    return hotline() in said and "受理编号" not in said and "Traceback" not in said and "INTERNAL" not in said


async def test_slow_back_end_then_recovery_gives_one_order(front, monkeypatch):
    monkeypatch.setenv("BACKEND_RETRIES", "0")
    front.mode = "slow"
    said = await submit_and_read()
    assert apology(said), said
    await asyncio.sleep(1.5)  # the back end finished its late work meanwhile
    created_late = await orders(front)
    assert len(created_late) == 1 and created_late[0]["current_step"]  # created whole, after we gave up

    front.mode = "ok"  # service resumes by itself: the same client, no restart
    said = await submit_and_read()
    assert "受理编号" in said and created_late[0]["order_no"] in said, said  # found, not created again
    assert [o["order_no"] for o in await orders(front)] == [created_late[0]["order_no"]]


async def test_slow_back_end_with_a_retry_still_gives_one_order(front, monkeypatch):
    """The client retries the idempotent POST after the timeout: both attempts reach the back end."""
    monkeypatch.setenv("BACKEND_RETRIES", "1")
    front.mode = "slow"
    said = await submit_and_read()
    assert apology(said), said
    assert front.calls == 2
    await asyncio.sleep(1.5)
    front.mode = "ok"
    said = await submit_and_read()
    assert "受理编号" in said
    assert len(await orders(front)) == 1


async def test_failing_back_end_then_recovery(front, monkeypatch):
    monkeypatch.setenv("BACKEND_RETRIES", "1")
    front.mode = "failing"
    said = await submit_and_read()
    assert apology(said), said
    assert await orders(front) == []  # nothing half-created

    front.mode = "ok"
    first = await submit_and_read()
    again = await submit_and_read()  # the customer presses 提交 once more
    assert "受理编号" in first and "受理编号" in again
    listed = await orders(front)
    assert len(listed) == 1 and listed[0]["order_no"] in first and listed[0]["order_no"] in again
