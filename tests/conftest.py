"""Shared fixtures: trackers from JSON, the real back end on a temporary SQLite database,
and stand-ins for a back end that is down, slow or failing. No test calls a live service."""
from __future__ import annotations

import asyncio
import copy
import json
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

DATA = Path(__file__).parent / "data"
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
