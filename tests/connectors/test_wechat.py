"""The official-account channel against real signed XML pushes, plain and encrypted."""
from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
import xmltodict

from connectors.wechat import WeChatInput
from tests.connectors import wechat_payloads as wx
from tests.connectors.conftest import settings
from tests.connectors.fakes import BotTurn, FakeAgent, handoff_card, say

URL = "/webhooks/wechat/webhook"


def channel(store, api=None, aes=False, allow_plain=False, wait=2.0, max_body=64 * 1024):
    return WeChatInput(settings(aes=aes, allow_plain=allow_plain), reply_wait_seconds=wait, store=store,
                       api=api, max_body_bytes=max_body)


async def post(base, body, query, timeout=10):
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        async with session.post(base + URL, params=query, data=body.encode("utf-8") if isinstance(body, str) else body,
                                headers={"Content-Type": "text/xml"}) as resp:
            return resp.status, await resp.text()


def reply_content(reply_xml):
    return xmltodict.parse(reply_xml)["xml"]


async def test_url_verification_echoes_echostr(mounted, store):
    base = await mounted([channel(store)])
    async with aiohttp.ClientSession() as session:
        async with session.get(base + URL, params=wx.signed_query(echostr="4375120948345356249")) as resp:
            assert resp.status == 200 and await resp.text() == "4375120948345356249"
        bad = wx.signed_query(echostr="123")
        bad["signature"] = "0" * 40
        async with session.get(base + URL, params=bad) as resp:
            assert resp.status == 403


def test_known_signature_vector():
    # From WeChat's message-push guide: token AAAAA.
    assert wx.sign("AAAAA", "1714036504", "1514711492") == "f464b24fc39322e44b38aa78f5edd27bd1441696"


async def test_plain_text_gets_passive_reply(mounted, store):
    agent = FakeAgent()
    base = await mounted([channel(store)], agent)
    status, body = await post(base, wx.text_xml("oUser1", "我家停电了", 1001), wx.signed_query())
    assert status == 200
    reply = reply_content(body)
    assert reply["MsgType"] == "text" and reply["Content"] == "收到：我家停电了"
    assert reply["ToUserName"] == "oUser1" and reply["FromUserName"] == wx.ACCOUNT
    assert agent.received[0].sender_id == "wechat:oUser1"
    assert agent.received[0].output_channel.name() == "wechat"


async def test_encrypted_push_gets_encrypted_reply(mounted, store):
    agent = FakeAgent()
    base = await mounted([channel(store, aes=True)], agent)
    body, query = wx.encrypted_xml(wx.text_xml("oUser2", "电费多少", 1002))
    status, reply = await post(base, body, query)
    assert status == 200
    plain = reply_content(wx.decrypt_reply(reply, query))
    assert plain["Content"] == "收到：电费多少"
    assert agent.texts() == ["电费多少"]


async def test_safe_mode_refuses_plaintext_and_foreign_appid(mounted, store):
    agent = FakeAgent()
    base = await mounted([channel(store, aes=True)], agent)
    status, _ = await post(base, wx.text_xml("oUser3", "hi", 1003), wx.signed_query())
    assert status == 403
    body, query = wx.encrypted_xml(wx.text_xml("oUser3", "hi", 1004), appid="wxSomeoneElse0000")
    status, _ = await post(base, body, query)
    assert status == 403
    body, query = wx.encrypted_xml(wx.text_xml("oUser3", "hi", 1005))
    query["msg_signature"] = "f" * 40
    status, _ = await post(base, body, query)
    assert status == 403
    assert agent.received == []


@pytest.mark.parametrize("tamper", ["signature", "missing", "stale", "wrong_token"])
async def test_forged_requests_get_403(mounted, store, tamper):
    agent = FakeAgent()
    base = await mounted([channel(store)], agent)
    query = wx.signed_query()
    if tamper == "signature":
        query["signature"] = "0" * 40
    elif tamper == "missing":
        del query["signature"]
    elif tamper == "stale":
        query = wx.signed_query(timestamp=str(int(time.time()) - 3600))
    else:
        query = wx.signed_query(token="not-our-token")
    status, body = await post(base, wx.text_xml("oUser4", "hi", 1006), query)
    assert status == 403 and "Traceback" not in body
    assert agent.received == []


@pytest.mark.parametrize("body", [
    "not xml at all",
    "<xml><FromUserName>oUser5</FromUserName></xml>",
    "<xml><ToUserName>x</ToUserName><FromUserName>o/../x</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>",
    "<xml><FromUserName>oUser5</FromUserName><CreateTime>soon</CreateTime><MsgType>text</MsgType></xml>",
])
async def test_malformed_bodies_get_400(mounted, store, body):
    agent = FakeAgent()
    base = await mounted([channel(store)], agent)
    status, text = await post(base, body, wx.signed_query())
    assert status == 400 and "Traceback" not in text
    assert agent.received == []


async def test_dtd_and_entities_are_refused(mounted, store):
    agent = FakeAgent()
    base = await mounted([channel(store)], agent)
    bomb = ('<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            + wx.text_xml("oUser6", "&b;", 1007))
    status, _ = await post(base, bomb, wx.signed_query())
    assert status == 400
    external = '<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + wx.text_xml("oUser6", "&xxe;", 1008)
    status, _ = await post(base, external, wx.signed_query())
    assert status == 400
    assert agent.received == []


async def test_oversized_body_gets_413(mounted, store):
    agent = FakeAgent()
    base = await mounted([channel(store, max_body=2048)], agent)
    status, _ = await post(base, wx.text_xml("oUser7", "长" * 2000, 1009), wx.signed_query())
    assert status == 413
    assert agent.received == []


async def test_unconfigured_channel_answers_503_with_the_variable_to_set(mounted, store, monkeypatch):
    for name in ("WECHAT_TOKEN", "WECHAT_APPID", "WECHAT_APPSECRET", "WECHAT_ENCODING_AES_KEY"):
        monkeypatch.delenv(name, raising=False)
    unconfigured = WeChatInput.from_credentials(None)
    base = await mounted([unconfigured])
    status, body = await post(base, wx.text_xml("oUser8", "hi", 1010), wx.signed_query())
    assert status == 503 and "WECHAT_TOKEN" in body


def test_credentials_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("WECHAT_TOKEN", "t")
    monkeypatch.setenv("WECHAT_APPID", "wxapp")
    monkeypatch.setenv("WECHAT_APPSECRET", "s")
    monkeypatch.setenv("WECHAT_ENCODING_AES_KEY", wx.AES_KEY)
    built = WeChatInput.from_credentials({"reply_wait_seconds": 3})
    assert built.settings.token == "t" and built.settings.require_encryption
    assert built.reply_wait_seconds == 3
    assert WeChatInput.from_credentials(None).reply_wait_seconds < 5  # WeChat's deadline
    monkeypatch.setenv("WECHAT_ENCODING_AES_KEY", "short")
    with pytest.raises(ValueError, match="EncodingAESKey"):
        WeChatInput.from_credentials(None)


async def test_retries_are_answered_once_with_the_same_reply(mounted, store):
    agent = FakeAgent()
    base = await mounted([channel(store)], agent)
    xml = wx.text_xml("oUser9", "查停电", 2001)
    replies = [await post(base, xml, wx.signed_query()) for _ in range(3)]
    assert [status for status, _ in replies] == [200, 200, 200]
    assert len({reply_content(body)["Content"] for _, body in replies}) == 1
    assert agent.texts() == ["查停电"]


async def test_same_msgid_from_two_users_is_two_messages(mounted, store):
    agent = FakeAgent()
    base = await mounted([channel(store)], agent)
    await post(base, wx.text_xml("oAlice", "你好", 3001), wx.signed_query())
    await post(base, wx.text_xml("oBob", "你好", 3001), wx.signed_query())
    assert sorted(m.sender_id for m in agent.received) == ["wechat:oAlice", "wechat:oBob"]


async def test_replayed_signature_with_another_body_is_refused(mounted, store):
    agent = FakeAgent()
    base = await mounted([channel(store)], agent)
    query = wx.signed_query()
    assert (await post(base, wx.text_xml("oUser10", "原始消息", 4001), query))[0] == 200
    status, _ = await post(base, wx.text_xml("oUser10", "伪造消息", 4002), query)
    assert status == 403
    assert agent.texts() == ["原始消息"]


async def test_event_retries_dedupe_on_sender_and_create_time(mounted, store):
    agent = FakeAgent()
    base = await mounted([channel(store)], agent)
    created = int(time.time())
    for _ in range(2):
        await post(base, wx.event_xml("oUser11", "subscribe", create_time=created), wx.signed_query())
    await post(base, wx.event_xml("oUser11", "CLICK", "outage_lookup", create_time=created + 1), wx.signed_query())
    await post(base, wx.event_xml("oUser11", "unsubscribe", create_time=created + 2), wx.signed_query())
    await post(base, wx.event_xml("oUser11", "VIEW", "https://example.invalid", create_time=created + 3),
               wx.signed_query())
    assert agent.texts() == ["/greet", "/outage_lookup"]


async def test_non_text_message_gets_a_polite_reply_without_dialogue(mounted, store):
    agent = FakeAgent()
    base = await mounted([channel(store)], agent)
    status, body = await post(base, wx.image_xml("oUser12", 5001), wx.signed_query())
    assert status == 200 and "文字" in reply_content(body)["Content"]
    assert agent.received == []


async def test_typed_slash_commands_do_not_become_intents(mounted, store):
    agent = FakeAgent()
    base = await mounted([channel(store)], agent)
    await post(base, wx.text_xml("oUser13", "/restart", 5101), wx.signed_query())
    assert agent.texts() == ["restart"]


async def test_buttons_become_numbered_options_answered_with_a_digit(mounted, store):
    def script(message):
        if message.text.startswith("/"):
            return BotTurn([say(f"好的，{message.text}")])
        return BotTurn([say("请问您要办理哪项业务？", buttons=[("停电查询", "/outage_lookup"), ("转人工", "/human_agent")])])

    agent = FakeAgent(script)
    base = await mounted([channel(store)], agent)
    _, body = await post(base, wx.text_xml("oUser14", "你好", 6001), wx.signed_query())
    content = reply_content(body)["Content"]
    assert "1. 停电查询" in content and "2. 转人工" in content and "回复数字" in content
    _, body = await post(base, wx.text_xml("oUser14", "２", 6002), wx.signed_query())
    assert agent.texts()[-1] == "/human_agent"
    # The options belong to this user only.
    await post(base, wx.text_xml("oOther", "2", 6003), wx.signed_query())
    assert agent.texts()[-1] == "2"


async def test_slow_turn_acknowledges_at_once_then_uses_customer_service_api(mounted, store, wechat_api, fake_wechat):
    """The 5-second pattern, scaled down: the handler answers `success` before the turn ends."""
    agent = FakeAgent(lambda m: BotTurn([say("查询结果：明天9点到12点计划停电。")], delay=1.0))
    wechat = channel(store, api=wechat_api, wait=0.3)
    base = await mounted([wechat], agent)
    started = time.monotonic()
    status, body = await post(base, wx.text_xml("oSlow", "明天停电吗", 7001), wx.signed_query())
    assert status == 200 and body == "success"
    assert time.monotonic() - started < 0.9
    assert fake_wechat.sends == []
    await wechat.turns.drain()
    assert fake_wechat.sent_texts() == ["查询结果：明天9点到12点计划停电。"]
    assert fake_wechat.sends[0]["touser"] == "oSlow"
    # WeChat's retry of the same message: no second turn, no second send.
    status, body = await post(base, wx.text_xml("oSlow", "明天停电吗", 7001), wx.signed_query())
    await wechat.turns.drain()
    assert body == "success" and len(agent.received) == 1 and len(fake_wechat.sends) == 1


async def test_turn_survives_wechat_hanging_up(mounted, store, wechat_api, fake_wechat):
    agent = FakeAgent(lambda m: BotTurn([say("处理完成。")], delay=0.6))
    wechat = channel(store, api=wechat_api, wait=3.0)
    base = await mounted([wechat], agent)
    with pytest.raises(asyncio.TimeoutError):
        await post(base, wx.text_xml("oHangup", "报修", 7101), wx.signed_query(), timeout=0.2)
    await asyncio.sleep(0.1)
    await wechat.turns.drain()
    assert agent.completed and fake_wechat.sent_texts() == ["处理完成。"]


async def test_long_reply_is_split_and_sent_through_the_api(mounted, store, wechat_api, fake_wechat):
    long_text = "\n".join(f"第{i}条：" + "说明" * 150 for i in range(1, 6))
    agent = FakeAgent(lambda m: BotTurn([say(long_text)]))
    wechat = channel(store, api=wechat_api)
    base = await mounted([wechat], agent)
    status, body = await post(base, wx.text_xml("oLong", "详细说明", 7201), wx.signed_query())
    assert body == "success"
    await wechat.turns.drain()
    sent = fake_wechat.sent_texts()
    assert 1 < len(sent) <= 5
    assert all(len(t.encode("utf-8")) <= 2048 for t in sent)
    assert "".join(sent).replace("\n", "") == long_text.replace("\n", "")


async def test_handoff_card_text_reaches_the_customer(mounted, store):
    agent = FakeAgent(lambda m: BotTurn([handoff_card()], intent="human_agent"))
    base = await mounted([channel(store)], agent)
    _, body = await post(base, wx.text_xml("oUser15", "转人工", 7301), wx.signed_query())
    assert "RG20261122000123" in reply_content(body)["Content"]


async def test_dialogue_failure_gets_a_polite_reply(mounted, store):
    def broken(message):
        raise RuntimeError("action server down")

    base = await mounted([channel(store)], FakeAgent(broken))
    status, body = await post(base, wx.text_xml("oUser16", "你好", 7401), wx.signed_query())
    assert status == 200 and "95598" in reply_content(body)["Content"]
    assert "RuntimeError" not in body
