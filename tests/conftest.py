"""Shared fixtures: trackers from JSON, the real back end on a temporary SQLite database,
and stand-ins for a back end that is down, slow or failing. No test calls a live service."""
from __future__ import annotations

import asyncio
import copy
import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Generator, List, Optional, Tuple

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

DATA = Path(__file__).parent / "data"
# The secrets the parts require (security/service_secrets.py); the same values reach the back end
# under test and the clients that call it.
TEST_SECRETS = {
    "BACKEND_SERVICE_TOKEN": "test-backend-service-token-0123456789",
    "ACTION_SERVER_TOKEN": "test-action-server-token-0123456789",
    "RASA_API_TOKEN": "test-rasa-api-token-0123456789abcdef",
}
for _name, _value in TEST_SECRETS.items():
    os.environ.setdefault(_name, _value)
SERVICE_HEADERS = {"X-Service-Token": os.environ["BACKEND_SERVICE_TOKEN"]}
FIXED_NOW = datetime(2026, 11, 22, 10, 0, 0)


def make_tracker(
    text: str = "",
    intent: Optional[str] = None,
    entities: Optional[List[Dict[str, Any]]] = None,
    slots: Optional[Dict[str, Any]] = None,
    events: Optional[List[Dict[str, Any]]] = None,
    active_loop: Optional[str] = None,
    sender_id: str = "test-user-0001",
    intent_ranking: Optional[List[Dict[str, Any]]] = None,
) -> Tracker:
    """A tracker built from tests/data/empty_tracker.json with the given latest message."""
    state = json.loads((DATA / "empty_tracker.json").read_text(encoding="utf-8"))
    state["sender_id"] = sender_id
    state["slots"] = copy.deepcopy(slots or {})
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0} if intent else {},
        "entities": entities or [],
        "intent_ranking": intent_ranking or ([{"name": intent, "confidence": 1.0}] if intent else []),
        "message_id": f"msg-{len(events or [])}",
    }
    state["latest_message"] = latest
    user_event = {"event": "user", "text": text, "parse_data": latest, "input_channel": "rest"}
    state["events"] = list(events or []) + ([user_event] if text else [])
    state["active_loop"] = {"name": active_loop} if active_loop else {}
    return Tracker.from_dict(state)


@pytest.fixture(autouse=True)
def fresh_rate_limits(monkeypatch):
    """Every test starts with no failures counted (the limiter keeps them per process)."""
    from connectors.kvstore import MemoryStore
    from security import rate_limit

    limiter = rate_limit.BackoffLimiter(MemoryStore())
    monkeypatch.setattr(rate_limit, "_limiter", limiter)
    return limiter


def entity(name: str, value: Any) -> Dict[str, Any]:
    return {"entity": name, "value": value, "start": 0, "end": 0, "confidence_entity": 1.0}


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture
def domain() -> Dict[str, Any]:
    from rasa.shared.core.domain import Domain

    return Domain.load(str(Path(__file__).parent.parent / "bot" / "domain")).as_dict()


async def _serve(app: web.Application, monkeypatch) -> TestServer:
    server = TestServer(app)
    await server.start_server()
    monkeypatch.setenv("BACKEND_URL", str(server.make_url("")).rstrip("/"))
    return server


@pytest.fixture
async def backend(tmp_path, monkeypatch):
    """The real back end (stub systems) on a fresh seeded SQLite database, clock fixed."""
    from actions import backend_client
    from backend.app import create_app

    app = create_app(db_url=f"sqlite+aiosqlite:///{tmp_path}/backend.db", now=lambda: FIXED_NOW)
    server = await _serve(app, monkeypatch)
    yield server
    await backend_client.close()
    await server.close()


@pytest.fixture
async def backend_down(monkeypatch):
    """Nothing listens on the back end's address."""
    from actions import backend_client

    monkeypatch.setenv("BACKEND_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("BACKEND_RETRIES", "0")
    yield
    await backend_client.close()


@pytest.fixture
async def backend_failing(monkeypatch):
    """A back end that answers 500 to everything and counts the calls it got."""
    from actions import backend_client

    calls: List[str] = []

    async def fail(request: web.Request) -> web.Response:
        calls.append(f"{request.method} {request.path}")
        return web.json_response({"error": {"code": "INTERNAL", "message": "内部错误 stack trace"}}, status=500)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fail)
    server = await _serve(app, monkeypatch)
    server.calls = calls
    yield server
    await backend_client.close()
    await server.close()


@pytest.fixture
async def backend_slow(monkeypatch):
    """A back end that takes longer than the client's timeout."""
    from actions import backend_client

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({})

    monkeypatch.setenv("BACKEND_TIMEOUT_SECONDS", "0.3")
    monkeypatch.setenv("BACKEND_RETRIES", "0")
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", slow)
    server = await _serve(app, monkeypatch)
    yield server
    await backend_client.close()
    await server.close()


@pytest.fixture(params=["down", "slow", "failing"])
async def backend_trouble(request, monkeypatch):
    """Each way the back end can let a customer down: not listening, too slow, answering 500."""
    from actions import backend_client

    if request.param == "down":
        monkeypatch.setenv("BACKEND_URL", "http://127.0.0.1:9")
        monkeypatch.setenv("BACKEND_RETRIES", "0")
        yield None
        await backend_client.close()
        return

    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({})

    async def fail(_: web.Request) -> web.Response:
        return web.json_response({"error": {"code": "INTERNAL", "message": "内部错误 stack trace"}}, status=500)

    if request.param == "slow":
        monkeypatch.setenv("BACKEND_TIMEOUT_SECONDS", "0.3")
        monkeypatch.setenv("BACKEND_RETRIES", "0")
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", slow if request.param == "slow" else fail)
    server = await _serve(app, monkeypatch)
    yield server
    await backend_client.close()
    await server.close()


def texts(dispatcher: CollectingDispatcher) -> str:
    """Everything the bot said, joined, for assertions."""
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


# -- listing work orders by phone: an SMS code first, then the grant ------------------------------
# GET /api/v1/work-orders?phone= answers 403 PHONE_NOT_VERIFIED without a grant for that phone
# (backend/one_time_codes.py). The back end sends at most one SMS per phone a minute and the tests
# run on a fixed clock, so a grant is fetched once per (back-end URL, phone) and kept; a stale one
# (a new back end on a reused port, an expired grant) is answered PHONE_NOT_VERIFIED and replaced.
WORK_ORDERS_PATH = "/api/v1/work-orders"
SMS_PURPOSE = "work_orders"
_GRANTS: Dict[Tuple[str, str], str] = {}
_SMS_CODE = re.compile(r"验证码为(\d{6})")

# (method, path, query, JSON body) asked of the back end; (status, parsed JSON) answered
_Request = Tuple[str, str, Optional[Dict[str, Any]], Optional[Dict[str, Any]]]
_Response = Tuple[int, Any]


def _error_code(body: Any) -> Optional[str]:
    return ((body or {}).get("error") or {}).get("code") if isinstance(body, dict) else None


def _orders_flow(backend_url: str, phone: str, limit: Optional[int]) -> Generator[_Request, _Response, List[dict]]:
    """The steps, without the I/O: the async and the sync helpers below run the same requests."""
    key = (backend_url.rstrip("/"), phone)
    query: Dict[str, Any] = {"phone": phone}
    if limit is not None:
        query["limit"] = str(limit)
    for _ in range(2):
        grant = _GRANTS.get(key)
        if grant is None:
            status, body = yield ("POST", "/api/v1/sms/codes", None, {"phone": phone, "purpose": SMS_PURPOSE})
            assert status == 201, f"sending the SMS code for {phone}: {status} {body}"
            status, body = yield ("GET", "/api/v1/sms/outbox", {"phone": phone, "limit": "1"}, None)
            assert status == 200 and body["messages"], f"reading the SMS outbox for {phone}: {status} {body}"
            found = _SMS_CODE.search(body["messages"][0]["text"])  # newest message first
            assert found, body["messages"][0]
            status, body = yield ("POST", "/api/v1/sms/codes/verify", None,
                                  {"phone": phone, "purpose": SMS_PURPOSE, "code": found.group(1)})
            assert status == 200, f"verifying the SMS code for {phone}: {status} {body}"
            grant = _GRANTS[key] = body["grant"]
        status, body = yield ("GET", WORK_ORDERS_PATH, {**query, "grant": grant}, None)
        if status == 403 and _error_code(body) == "PHONE_NOT_VERIFIED":
            _GRANTS.pop(key, None)  # stale: get a new one (once)
            continue
        assert status == 200, f"listing the work orders of {phone}: {status} {body}"
        return body["orders"]
    raise AssertionError(f"a fresh grant for {phone} was refused: {status} {body}")


async def orders_for_phone(backend_url: Optional[str], phone: str, limit: Optional[int] = None) -> List[dict]:
    """The work orders registered with `phone`, listed the way a client must now do it.
    backend_url None: the back end the actions use (BACKEND_URL, set by the backend fixture)."""
    import aiohttp

    base = (backend_url or os.environ["BACKEND_URL"]).rstrip("/")
    flow = _orders_flow(base, phone, limit)
    request = next(flow)
    async with aiohttp.ClientSession(headers=SERVICE_HEADERS) as session:
        while True:
            method, path, params, payload = request
            async with session.request(method, base + path, params=params, json=payload) as response:
                answer = (response.status, await response.json(content_type=None))
            try:
                request = flow.send(answer)
            except StopIteration as done:
                return done.value


def orders_for_phone_sync(backend_url: str, phone: str, limit: Optional[int] = None,
                          timeout: float = 60) -> List[dict]:
    """orders_for_phone for synchronous tests (tests/production), over urllib."""
    import urllib.error
    import urllib.parse
    import urllib.request

    base = backend_url.rstrip("/")
    flow = _orders_flow(base, phone, limit)
    request = next(flow)
    while True:
        method, path, params, payload = request
        url = base + path + (f"?{urllib.parse.urlencode(params)}" if params else "")
        data = json.dumps(payload).encode() if payload is not None else None
        call = urllib.request.Request(url, data=data, method=method,
                                      headers={"Content-Type": "application/json", **SERVICE_HEADERS})
        try:
            with urllib.request.urlopen(call, timeout=timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            body = json.loads(raw.decode("utf-8", "replace"))
        except ValueError:
            body = raw.decode("utf-8", "replace")
        try:
            request = flow.send((status, body))
        except StopIteration as done:
            return done.value


# -- running stacks, shared by the suites that talk to them over HTTP -------------------------
# Defined here (not in tests/e2e or tests/production) so that tests/security/stack uses the same
# session's stack as the suite it runs with, instead of starting a second one.
@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The embedded profile (make run): back end, action server, Rasa, on spare ports."""
    from tests.e2e.conftest import MODEL, Stack

    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it)")
    running = Stack(tmp_path_factory.mktemp("stack"))
    try:
        running.start()
    except RuntimeError:
        running.stop()
        for name, text in running.logs().items():
            print(f"----- {name} -----\n{text}")
        raise
    yield running
    running.stop()


@pytest.fixture(scope="session")
def production(tmp_path_factory):
    """The production profile (scripts/run_production.sh) on the local PostgreSQL and Redis."""
    from tests.production.conftest import ProductionProfile, require_model, require_services

    require_services()
    require_model()
    profile = ProductionProfile(tmp_path_factory.mktemp("production"))
    try:
        profile.start()
        yield profile
    finally:
        profile.stop()
        profile.drop_state()
