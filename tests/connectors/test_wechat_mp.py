"""The mini-program customer-service channel: JSON pushes, always `success`, replies via the API."""
from __future__ import annotations

import json

import aiohttp
import pytest

from connectors.wechat_mp import WeChatMiniProgramInput
from connectors.wechat_security import WeChatSettings
from tests.connectors import wechat_payloads as wx
from tests.connectors.conftest import settings
from tests.connectors.fakes import BotTurn, FakeAgent, say

URL = "/webhooks/wechat_mp/webhook"


def channel(store, api, aes=False, max_body=64 * 1024):
    return WeChatMiniProgramInput(settings("WECHAT_MP", aes=aes), store=store, api=api, max_body_bytes=max_body)


async def post(base, body, query):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body, ensure_ascii=False)
    async with aiohttp.ClientSession() as session:
        async with session.post(base + URL, params=query, data=data,
                                headers={"Content-Type": "application/json"}) as resp:
            return resp.status, await resp.text()


async def test_url_verification(mounted, store, wechat_api):
    base = await mounted([channel(store, wechat_api)])
    async with aiohttp.ClientSession() as session:
        async with session.get(base + URL, params=wx.signed_query(echostr="abc123")) as resp:
            assert await resp.text() == "abc123"


async def test_text_is_acknowledged_and_answered_through_the_api(mounted, store, wechat_api, fake_wechat):
    agent = FakeAgent()
    mp = channel(store, wechat_api)
    base = await mounted([mp], agent)
    status, body = await post(base, wx.mp_text("oMini1", "查电费", 9001), wx.signed_query())
    assert (status, body) == (200, "success")
    await mp.turns.drain()
    assert agent.received[0].sender_id == "wechat_mp:oMini1"
    assert agent.received[0].output_channel.name() == "wechat_mp"
    assert fake_wechat.sends == [{"token": "TOKEN-1", "touser": "oMini1", "msgtype": "text",
                                  "text": {"content": "收到：查电费"}}]


async def test_encrypted_json_push(mounted, store, wechat_api, fake_wechat):
    agent = FakeAgent()
    mp = channel(store, wechat_api, aes=True)
    base = await mounted([mp], agent)
    body, query = wx.encrypted_json(wx.mp_text("oMini2", "停电了", 9002))
    status, text = await post(base, body, query)
    assert (status, text) == (200, "success")  # plain success even in safe mode
    await mp.turns.drain()
    assert agent.texts() == ["停电了"] and fake_wechat.sent_texts() == ["收到：停电了"]


async def test_entering_the_session_starts_a_greeting(mounted, store, wechat_api, fake_wechat):
    agent = FakeAgent(lambda m: BotTurn([say("您好，我是小南。", buttons=[("电费账单", "/bill_query")])]))
    mp = channel(store, wechat_api)
    base = await mounted([mp], agent)
    await post(base, wx.mp_enter_session("oMini3", "bill_page"), wx.signed_query())
    await mp.turns.drain()
    assert agent.texts() == ["/greet"]
    assert agent.received[0].metadata["wechat_mp"]["session_from"] == "bill_page"
    assert "1. 电费账单" in fake_wechat.sent_texts()[0]


async def test_duplicates_are_processed_once(mounted, store, wechat_api, fake_wechat):
    agent = FakeAgent()
    mp = channel(store, wechat_api)
    base = await mounted([mp], agent)
    push = wx.mp_text("oMini4", "你好", 9004)
    for _ in range(3):
        assert (await post(base, push, wx.signed_query()))[1] == "success"
    await mp.turns.drain()
    assert len(agent.received) == 1 and len(fake_wechat.sends) == 1


@pytest.mark.parametrize("case,expected", [
    ("bad_signature", 403), ("not_json", 400), ("json_array", 400), ("no_msgtype", 400),
    ("nested_field", 400), ("oversized", 413), ("bad_ciphertext", 400),
])
async def test_bad_requests_never_reach_the_dialogue(mounted, store, wechat_api, case, expected):
    agent = FakeAgent()
    mp = channel(store, wechat_api, aes=case == "bad_ciphertext", max_body=4096)
    base = await mounted([mp], agent)
    query, body = wx.signed_query(), wx.mp_text("oMini5", "hi", 9005)
    if case == "bad_signature":
        query["signature"] = "1" * 40
    elif case == "not_json":
        body = "<xml>not json</xml>"
    elif case == "json_array":
        body = "[1, 2]"
    elif case == "no_msgtype":
        body = {"FromUserName": "oMini5"}
    elif case == "nested_field":
        body = dict(body, Content={"a": 1})
    elif case == "oversized":
        body = dict(body, Content="长" * 3000)
    elif case == "bad_ciphertext":
        query = wx.signed_query(encrypt_type="aes")
        query["msg_signature"] = wx.sign(wx.TOKEN, query["timestamp"], query["nonce"], "AAAA")
        body = {"ToUserName": wx.ACCOUNT, "Encrypt": "AAAA"}
    status, text = await post(base, body, query)
    assert status == expected and "Traceback" not in text
    assert agent.received == []


async def test_missing_app_secret_is_logged_not_crashed(mounted, store, caplog):
    agent = FakeAgent()
    no_secret = WeChatMiniProgramInput(WeChatSettings(prefix="WECHAT_MP", token=wx.TOKEN), store=store)
    base = await mounted([no_secret], agent)
    status, body = await post(base, wx.mp_text("oMini6", "你好", 9006), wx.signed_query())
    await no_secret.turns.drain()
    assert (status, body) == (200, "success")
    assert any("wechat.send.unconfigured" in r.getMessage() for r in caplog.records)
