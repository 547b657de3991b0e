"""Stand-ins for the parts of Rasa and WeChat the connectors talk to.

- FakeAgent: what `rasa.core.channels.channel.register` calls (`handle_message`), with a scripted
  bot that sends channel-neutral messages and records real Rasa events in a tracker store, so the
  hotline can read whether a turn was understood, exactly as against the real agent.
- FakeWeChat: a local aiohttp server with the stable-token, customer-service and template APIs.
- serve(): mounts input channels in a real Sanic server (real HTTP, real disconnects).
"""
from __future__ import annotations

import asyncio
import json
import socket
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Awaitable, Callable, Dict, List, Optional

from aiohttp import web
from aiohttp.test_utils import TestServer
from rasa.core.channels.channel import UserMessage, register
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from sanic import Sanic


@dataclass
class BotTurn:
    """What the scripted bot does for one message."""

    messages: List[Dict[str, Any]] = field(default_factory=list)
    intent: str = "greet"
    actions: List[str] = field(default_factory=list)
    delay: float = 0.0


def say(text: str, buttons=None, custom=None, utter_action=None) -> Dict[str, Any]:
    message: Dict[str, Any] = {"text": text}
    if buttons:
        message["buttons"] = [{"title": t, "payload": p} for t, p in buttons]
    if custom:
        message["custom"] = custom
    if utter_action:
        message["utter_action"] = utter_action
    return message


def handoff_card(reference: str = "RG20261122000123") -> Dict[str, Any]:
    fields = [["受理编号", reference], ["当前状态", "排队等待人工客服"]]
    text = "好的，正在为您转接人工客服。\n【转人工受理回执】\n受理编号：" + reference + "\n当前状态：排队等待人工客服"
    return say(text, custom={"card": {"kind": "handoff", "title": "转人工受理回执", "fields": fields}})


class FakeTrackerStore:
    def __init__(self) -> None:
        self.trackers: Dict[str, SimpleNamespace] = {}

    async def retrieve(self, sender_id: str):
        return self.trackers.get(sender_id)

    def append(self, sender_id: str, events) -> None:
        self.trackers.setdefault(sender_id, SimpleNamespace(sender_id=sender_id, events=[])).events.extend(events)


class FakeAgent:
    def __init__(self, script: Optional[Callable[[UserMessage], BotTurn]] = None) -> None:
        self.script = script or (lambda message: BotTurn([say(f"收到：{message.text}")]))
        self.tracker_store = FakeTrackerStore()
        self.received: List[UserMessage] = []
        self.completed: List[UserMessage] = []

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        turn = self.script(message)
        if isinstance(turn, Awaitable):
            turn = await turn
        if turn.delay:
            await asyncio.sleep(turn.delay)
        events = [UserUttered(message.text, intent={"name": turn.intent, "confidence": 1.0})]
        events += [ActionExecuted(name) for name in turn.actions]
        for bot_message in turn.messages:
            events.append(BotUttered(bot_message.get("text"), data={}))
            await message.output_channel.send_response(message.sender_id, dict(bot_message))
        events.append(ActionExecuted("action_listen"))
        self.tracker_store.append(message.sender_id, events)
        self.completed.append(message)

    def texts(self) -> List[str]:
        return [m.text for m in self.received]


class FakeWeChat:
    """The WeChat API server: tokens, customer-service sends, template sends."""

    def __init__(self, expires_in: int = 7200) -> None:
        self.expires_in = expires_in
        self.token_requests: List[Dict[str, Any]] = []
        self.sends: List[Dict[str, Any]] = []
        self.templates: List[Dict[str, Any]] = []
        self.revoked: set = set()
        self.fail_sends_with: Optional[int] = None
        self.server: Optional[TestServer] = None

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def _token(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.token_requests.append(body)
        if body.get("secret") != "test-secret":
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        return web.json_response({"access_token": f"TOKEN-{len(self.token_requests)}", "expires_in": self.expires_in})

    def _check_token(self, request: web.Request) -> Optional[web.Response]:
        token = request.query.get("access_token", "")
        if not token.startswith("TOKEN-") or token in self.revoked:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        return None

    async def _send(self, request: web.Request) -> web.Response:
        rejected = self._check_token(request)
        if rejected is not None:  # an aiohttp Response is an empty mapping, hence falsy
            return rejected
        body = json.loads(await request.read())
        if self.fail_sends_with:
            return web.json_response({"errcode": self.fail_sends_with, "errmsg": "refused"})
        self.sends.append({"token": request.query["access_token"], **body})
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _template(self, request: web.Request) -> web.Response:
        rejected = self._check_token(request)
        if rejected is not None:  # an aiohttp Response is an empty mapping, hence falsy
            return rejected
        self.templates.append(json.loads(await request.read()))
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": 1})

    async def start(self) -> "FakeWeChat":
        app = web.Application()
        app.router.add_post("/cgi-bin/stable_token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._send)
        app.router.add_post("/cgi-bin/message/template/send", self._template)
        self.server = TestServer(app)
        await self.server.start_server()
        return self

    async def close(self) -> None:
        await self.server.close()

    def sent_texts(self) -> List[str]:
        return [s["text"]["content"] for s in self.sends if s.get("msgtype") == "text"]


class RunningApp:
    def __init__(self, server, url: str) -> None:
        self.server = server
        self.url = url

    async def close(self) -> None:
        self.server.close()
        await self.server.wait_closed()


async def serve(channels: List[Any], agent: FakeAgent) -> RunningApp:
    """The channels mounted the way `rasa run` mounts them, on a real Sanic server."""
    # Several apps in one process: Sanic's test mode (as sanic-testing sets it) allows that.
    Sanic.test_mode = True
    app = Sanic(f"connectors_test_{uuid.uuid4().hex}", configure_logging=False)
    app.ctx.agent = agent
    register(channels, app, route="/webhooks/")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    await server.startup()
    return RunningApp(server, f"http://127.0.0.1:{port}")
