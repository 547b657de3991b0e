"""The kiosk channel mounted in a real Sanic server with a scripted bot (tests/connectors/fakes.py)."""
from __future__ import annotations

import logging
from typing import Any, Dict, Optional

import aiohttp
import pytest

from connectors.kiosk import KioskInput
from connectors.kvstore import MemoryStore
from connectors.rest import RestInput
from tests.connectors.fakes import BotTurn, FakeAgent, say, serve

logging.getLogger("sanic").setLevel(logging.WARNING)

PAGE = "/webhooks/kiosk/"
WEBHOOK = "/webhooks/kiosk/webhook"
SENDER = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"  # a version-4 UUID, as the page makes them
RECEIPT_FIELDS = [["受理编号", "BX20261122000042"], ["联系电话", "138****1234"], ["处理时限", "24小时内"]]
RECEIPT_TEXT = "报修已受理。\n【故障报修受理回执】\n受理编号：BX20261122000042\n联系电话：138****1234\n处理时限：24小时内"
INJECTION = '<img src=x onerror="document.title=\'pwned\'"><b>粗体</b>'


def bot(message) -> BotTurn:
    """A small scripted assistant: enough to exercise every kind of message the page draws."""
    text = message.text
    if text in ("/outage_lookup", "停电"):
        return BotTurn([say("请问您要查询哪里的停电信息？", buttons=[("按户号查询", "/inform_account"),
                                                               ("按地址查询", "/inform_address")])],
                       intent="outage_lookup")
    if text == "/inform_account":
        return BotTurn([say("请输入您的10位户号。")], intent="inform")
    if text == "报修":
        card = {"card": {"kind": "receipt", "title": "故障报修受理回执", "fields": RECEIPT_FIELDS}}
        return BotTurn([say(RECEIPT_TEXT, custom=card)], intent="fault_repair")
    if text == "注入":
        return BotTurn([say(INJECTION)])
    if text == "/human_agent":
        return BotTurn([say("好的，正在为您转接人工客服，请稍候。")], intent="human_agent")
    if text == "崩溃":
        raise RuntimeError("the dialogue failed")
    return BotTurn([say(f"收到：{text}")])


@pytest.fixture
async def kiosk():
    """(base URL, the scripted agent) for one kiosk channel plus the REST channel."""
    agent = FakeAgent(bot)
    store = MemoryStore()
    app = await serve([KioskInput(idle_seconds=30, store=store), RestInput()], agent)
    yield app.url, agent
    await app.close()


async def post(base: str, payload: Optional[Dict[str, Any]] = None, raw: Optional[bytes] = None,
               path: str = WEBHOOK, content_type: str = "application/json"):
    import json

    data = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
    async with aiohttp.ClientSession() as session:
        async with session.post(base + path, data=data, headers={"Content-Type": content_type}) as resp:
            return resp.status, await resp.json(content_type=None), resp.headers
