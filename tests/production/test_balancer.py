"""The load balancer of the production profile (scripts/balancer.py), in process: round robin,
skipping replicas that refuse connections, never repeating a request that reached a replica,
and answering for the action servers when none can be reached. Needs no PostgreSQL or Redis."""
from __future__ import annotations

import asyncio
import importlib.util
import socket
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from knowledge import load_knowledge

SPEC = importlib.util.spec_from_file_location(
    "balancer", Path(__file__).resolve().parents[2] / "scripts" / "balancer.py")
balancer = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(balancer)

ACTION_CALL = {"next_action": "action_x", "tracker": {"sender_id": "s"}, "domain": {}}


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


async def replica(name: str, seen: list, delay: float = 0.0) -> TestServer:
    async def handle(request: web.Request) -> web.Response:
        seen.append((name, await request.text()))
        await asyncio.sleep(delay)
        return web.json_response({"replica": name, "path": request.path_qs})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    server = TestServer(app)
    await server.start_server()
    return server


async def test_round_robin_and_refused_replicas_are_skipped():
    seen = []
    a, b = await replica("a", seen), await replica("b", seen)
    upstreams = [str(a.make_url("")).rstrip("/"), closed_port_url(), str(b.make_url("")).rstrip("/")]
    async with TestClient(TestServer(balancer.make_app(upstreams, 5))) as client:
        names = []
        for n in range(6):
            response = await client.post(f"/webhooks/rest/webhook?n={n}", json={"message": n})
            assert response.status == 200
            names.append((await response.json())["replica"])
    assert set(names) == {"a", "b"}
    assert len(seen) == 6  # each request reached exactly one replica
    await a.close()
    await b.close()


async def test_a_request_that_reached_a_replica_is_not_repeated():
    seen = []
    slow = await replica("slow", seen, delay=2)
    spare = await replica("spare", seen)
    upstreams = [str(slow.make_url("")).rstrip("/"), str(spare.make_url("")).rstrip("/")]
    async with TestClient(TestServer(balancer.make_app(upstreams, 0.5))) as client:
        statuses = [(await client.post("/webhooks/rest/webhook", json={"m": n})).status for n in range(2)]
    assert 502 in statuses
    assert len(seen) == 2  # the timed-out request was not sent to the spare as well
    await slow.close()
    await spare.close()


async def test_no_action_server_reachable_gives_the_hotline_apology():
    hotline = str(load_knowledge().region().value("service.hotlines.power_service")["number"])
    app = balancer.make_app([closed_port_url(), closed_port_url()], 5, actions_fallback=True)
    async with TestClient(TestServer(app)) as client:
        response = await client.post("/webhook", json=ACTION_CALL)
        assert response.status == 200
        body = await response.json()
        assert body["events"] == [] and hotline in body["responses"][0]["text"]
        for bad in (b"", b"[]", b"{not json", b"\xff\xfe", b'{"next_action": 1, "tracker": {}}'):
            assert (await client.post("/webhook", data=bad)).status == 400
        assert (await client.get("/health")).status == 503  # not an action call: no pretending


def test_is_action_call():
    import json

    assert balancer.is_action_call(json.dumps(ACTION_CALL).encode())
    assert not balancer.is_action_call(b'{"next_action": "x"}')
    assert not balancer.is_action_call(b"\x00\xff")
