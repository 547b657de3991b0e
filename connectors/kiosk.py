"""Service-hall kiosk channel `kiosk`: the page at /webhooks/kiosk/ and its endpoint under it.

    GET  /webhooks/kiosk/           the page (plain HTML/CSS/JS from connectors/kiosk_static/)
    GET  /webhooks/kiosk/config     idle timeout and the home-screen topic buttons
    POST /webhooks/kiosk/webhook    {"sender": "<uuid>", "message": "..."} or {"sender", "payload"}

The page makes a fresh random sender id for every customer and forgets it on idle reset, so the
next person never sees the previous one's conversation; the server only accepts UUIDs and
namespaces them (`kiosk:<uuid>`). Button payloads are accepted only when this sender was offered
them (or they are home-screen topics), so the page cannot be used to inject arbitrary intents.
"""
from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors import namespaced, typed_text
from connectors.kvstore import shared_store
from connectors.messages import BotMessage, MessageCollector, kiosk_json
from connectors.options import OptionMemory

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).with_name("kiosk_static")
STATIC_FILES = {
    "index.html": "text/html; charset=utf-8",
    "kiosk.css": "text/css; charset=utf-8",
    "kiosk.js": "text/javascript; charset=utf-8",
}
MAX_BODY_BYTES = 8 * 1024
MAX_MESSAGE_CHARS = 300
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
DEFAULT_TOPICS = [
    {"title": "停电查询", "payload": "/outage_lookup"},
    {"title": "故障报修", "payload": "/fault_repair"},
    {"title": "电费账单", "payload": "/bill_query"},
    {"title": "阶梯电价", "payload": "/tiered_tariff"},
    {"title": "用电报装", "payload": "/connection_enquiry"},
    {"title": "充电桩报装", "payload": "/charging_pile"},
]
HANDOFF_PAYLOAD = "/human_agent"
APOLOGY = "抱歉，系统暂时繁忙，请稍后再试，或点击“转人工”请工作人员帮助您。"
# The page talks only to its own origin; nothing else may load or run.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class KioskCollector(MessageCollector):
    channel_name = "kiosk"


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status, headers=SECURITY_HEADERS)


class KioskInput(InputChannel):
    def __init__(self, idle_seconds: int = 90, topics: Optional[List[Dict[str, str]]] = None, store=None) -> None:
        self.idle_seconds = max(5, int(idle_seconds))
        self.topics = topics or DEFAULT_TOPICS
        self.options = OptionMemory(store if store is not None else shared_store(), ttl=3600)

    @classmethod
    def name(cls) -> str:
        return "kiosk"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> "KioskInput":
        credentials = credentials or {}
        idle = os.environ.get("KIOSK_IDLE_SECONDS") or credentials.get("idle_seconds") or 90
        return cls(idle_seconds=int(idle), topics=credentials.get("topics"))

    def _allowed_payloads(self) -> List[str]:
        return [t["payload"] for t in self.topics] + [HANDOFF_PAYLOAD]

    async def _text_for(self, sender: str, data: Dict[str, Any]) -> str:
        payload = data.get("payload")
        if payload is not None:
            if not isinstance(payload, str):
                raise ValueError("payload must be a string")
            if payload in self._allowed_payloads():
                return payload
            try:
                offered = await self.options.resolve_payload(sender, payload)
            except Exception:  # the shared store is down: only the home buttons stay usable
                logger.exception("kiosk.options.lookup_failed")
                offered = False
            if offered:
                return payload
            raise ValueError("payload not offered")
        message = data.get("message")
        if not isinstance(message, str) or not message.strip() or len(message) > MAX_MESSAGE_CHARS:
            raise ValueError(f"message must be 1-{MAX_MESSAGE_CHARS} characters")
        return typed_text(message)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("kiosk_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):  # relative asset URLs need the trailing slash
                return response.redirect(request.path + "/", status=301)
            return self._static("index.html")

        @bp.route("/kiosk.css", methods=["GET"])
        async def stylesheet(request: Request) -> HTTPResponse:
            return self._static("kiosk.css")

        @bp.route("/kiosk.js", methods=["GET"])
        async def script(request: Request) -> HTTPResponse:
            return self._static("kiosk.js")

        @bp.route("/health", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/config", methods=["GET"])
        async def config(request: Request) -> HTTPResponse:
            topics = [{"title": t["title"], "payload": t["payload"]} for t in self.topics]
            return response.json({"idle_seconds": self.idle_seconds, "topics": topics,
                                  "handoff_payload": HANDOFF_PAYLOAD}, headers=SECURITY_HEADERS)

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if len(request.body or b"") > MAX_BODY_BYTES:
                return _error(413, "请求过大")
            try:
                data = json.loads((request.body or b"").decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                return _error(400, "请求格式不正确")
            if not isinstance(data, dict):
                return _error(400, "请求格式不正确")
            local_id = data.get("sender")
            if not isinstance(local_id, str) or not _UUID.fullmatch(local_id):
                return _error(400, "会话标识不正确，请刷新页面")
            sender = namespaced(self.name(), local_id)
            try:
                text = await self._text_for(sender, data)
            except ValueError:
                return _error(400, "请输入1到300个字的问题")
            collector = KioskCollector()
            try:
                await on_new_message(UserMessage(text, collector, sender, input_channel=self.name()))
                messages = collector.messages
            except Exception:
                logger.exception("kiosk.turn.failed")
                messages = [BotMessage(text=APOLOGY)]
            rendered = kiosk_json(messages)
            try:
                await self.options.remember(sender, [b["payload"] for m in rendered for b in m.get("buttons", [])])
            except Exception:  # the reply still goes out; its buttons then fall back to typed text
                logger.exception("kiosk.options.store_failed")
            return response.json({"messages": rendered}, headers=SECURITY_HEADERS)

        return bp

    def _static(self, filename: str) -> HTTPResponse:
        content = (STATIC_DIR / filename).read_bytes()
        return response.raw(content, content_type=STATIC_FILES[filename], headers=SECURITY_HEADERS)
