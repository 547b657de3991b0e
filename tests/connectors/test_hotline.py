"""The 95598 hotline text channel: speech-ready replies, keypad fallback, transfer signal."""
from __future__ import annotations

import ipaddress
import json
import re
import socket
import uuid

import aiohttp
import pytest
from rasa.core.channels.channel import register
from sanic import Sanic

from connectors.hotline import HotlineInput
from tests.connectors.fakes import BotTurn, FakeAgent, RunningApp, handoff_card, say

URL = "/webhooks/hotline/webhook"
EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF]")
FALLBACK_BUTTONS = [("停电查询", "/outage_lookup"), ("用电报装", "/connection_enquiry"), ("转人工", "/human_agent")]


async def call(base, payload, headers=None, raw=None):
    async with aiohttp.ClientSession() as session:
        async with session.post(base + URL, data=raw if raw is not None else json.dumps(payload, ensure_ascii=False),
                                headers={"Content-Type": "application/json", **(headers or {})}) as resp:
            return resp.status, await resp.json(content_type=None)


def assert_speakable(reply):
    speak = reply["speak"]
    assert len(speak) <= 300
    assert "http" not in speak and "www." not in speak and "**" not in speak and "#" not in speak
    assert not EMOJI.search(speak)


def bot(message):
    """A small scripted assistant: understands a few things, falls back on anything else."""
    text = message.text
    if text in ("/human_agent", "转人工"):
        return BotTurn([handoff_card(), say("人工客服接入后会与您核对受理编号。")], intent="human_agent",
                       actions=["action_human_handoff"])
    if text == "/greet":
        return BotTurn([say("您好，我是小南😀。请问有什么可以帮您？", buttons=FALLBACK_BUTTONS[:2])])
    if text in ("/outage_lookup", "停电"):
        return BotTurn([say("**停电查询**：请告诉我您的户号，例如03******67。详情见 https://www.95598.cn/outage 。"
                            "停电时间2026-11-25 08:00-12:00。")], intent="outage_lookup")
    if text == "再见":
        return BotTurn([say("感谢您的来电，再见！", utter_action="utter_goodbye")], intent="goodbye")
    return BotTurn([say("抱歉，小南没太明白您的意思。请换个说法。", buttons=FALLBACK_BUTTONS)],
                   intent="nlu_fallback", actions=["action_default_fallback"])


@pytest.fixture
async def hotline(mounted, store):
    agent = FakeAgent(bot)
    base = await mounted([HotlineInput(store=store)], agent)
    return base, agent


async def test_call_start_greets_with_spoken_options(hotline):
    base, agent = hotline
    status, reply = await call(base, {"call_id": "c1", "text": "", "event": "call_start"})
    assert status == 200
    assert reply["action"] == "collect" and reply["input"] == "speech"
    assert reply["speak"].endswith("请说一或二。")
    assert [c["key"] for c in reply["choices"]] == ["1", "2"]
    assert_speakable(reply)
    assert agent.received[0].sender_id == "hotline:c1"
    assert agent.received[0].output_channel.name() == "hotline"


async def test_replies_are_plain_speech(hotline):
    base, _ = hotline
    _, reply = await call(base, {"call_id": "c2", "text": "停电"})
    assert_speakable(reply)
    assert "尾号六七" in reply["speak"]
    assert "2026年11月25日8点到12点" in reply["speak"]


async def test_a_spoken_or_keyed_choice_selects_the_option(hotline):
    base, agent = hotline
    await call(base, {"call_id": "c3", "event": "call_start"})
    await call(base, {"call_id": "c3", "text": "一"})
    assert agent.texts()[-1] == "/outage_lookup"
    await call(base, {"call_id": "c3", "event": "call_start"})
    await call(base, {"call_id": "c3", "dtmf": "2"})
    assert agent.texts()[-1] == "/connection_enquiry"


async def test_handoff_becomes_a_transfer_with_reference_and_masked_summary(hotline):
    base, _ = hotline
    await call(base, {"call_id": "c4", "text": "我的手机13812345678户号0301234567停电了"})
    _, reply = await call(base, {"call_id": "c4", "text": "转人工"})
    assert reply["action"] == "transfer"
    assert reply["transfer"]["reference"] == "RG20261122000123"
    assert reply["transfer"]["reason"] == "customer_request"
    summary = reply["transfer"]["summary"]
    assert "13812345678" not in summary and "138****5678" in summary and "03******67" in summary
    assert "R G" in reply["speak"] and "RG2026" not in reply["speak"]
    assert_speakable(reply)


async def test_two_misunderstandings_bring_keypad_choices_and_a_third_transfers(hotline):
    base, agent = hotline
    _, first = await call(base, {"call_id": "c5", "text": "嗯那个啥"})
    assert first["action"] == "collect" and "请说一、二或三" in first["speak"]
    _, second = await call(base, {"call_id": "c5", "text": "我也不知道"})
    assert second["action"] == "collect" and second["input"] == "speech_or_dtmf"
    assert "按1，停电查询" in second["speak"] and "按0，转人工" in second["speak"]
    assert [c["key"] for c in second["choices"]] == ["1", "2", "0"]
    _, third = await call(base, {"call_id": "c5", "text": "随便吧"})
    assert third["action"] == "transfer"
    assert third["transfer"]["reason"] == "not_understood"
    assert third["transfer"]["reference"] == "RG20261122000123"
    assert agent.texts()[-1] == "/human_agent"
    for reply in (first, second, third):
        assert_speakable(reply)


async def test_a_keypad_choice_after_misunderstandings_resets_the_count(hotline):
    base, agent = hotline
    await call(base, {"call_id": "c6", "text": "嗯"})
    await call(base, {"call_id": "c6", "text": "啊"})
    _, reply = await call(base, {"call_id": "c6", "dtmf": "1"})
    assert agent.texts()[-1] == "/outage_lookup" and reply["action"] == "collect"
    _, reply = await call(base, {"call_id": "c6", "text": "嗯嗯"})
    assert reply["action"] == "collect"  # counting starts again


async def test_zero_always_reaches_an_agent(hotline):
    base, agent = hotline
    _, reply = await call(base, {"call_id": "c7", "dtmf": "0"})
    assert agent.texts() == ["/human_agent"] and reply["action"] == "transfer"


async def test_silence_is_reprompted_then_counted(hotline):
    base, agent = hotline
    _, reply = await call(base, {"call_id": "c8", "event": "no_input"})
    assert reply["action"] == "collect" and "再说一遍" in reply["speak"]
    assert agent.received == []


async def test_goodbye_hangs_up_and_call_end_clears_state(hotline, store):
    base, _ = hotline
    _, reply = await call(base, {"call_id": "c9", "text": "再见"})
    assert reply["action"] == "hangup"
    _, reply = await call(base, {"call_id": "c9", "event": "call_end"})
    assert reply == {"call_id": "c9", "speak": "", "action": "hangup"}
    assert await store.get("hotline:call:c9") is None


async def test_gateway_retries_of_a_turn_run_once(hotline):
    base, agent = hotline
    payload = {"call_id": "c10", "text": "停电", "turn_id": "t-1"}
    _, first = await call(base, payload)
    _, again = await call(base, payload)
    assert first == again and agent.texts() == ["停电"]


@pytest.mark.parametrize("raw,status", [
    ("not json", 400), ("[]", 400), ('{"text": "hi"}', 400), ('{"call_id": "../etc", "text": "hi"}', 400),
    ('{"call_id": "c11", "text": 5}', 400), ('{"call_id": "c11", "event": "dance"}', 400),
    ('{"call_id": "c11", "dtmf": "12a"}', 400), ('{"call_id": "c11", "text": "' + "长" * 501 + '"}', 400),
    ('{"call_id": "c11", "text": "' + "x" * 9000 + '"}', 413),
])
async def test_bad_requests_get_4xx_and_never_reach_the_dialogue(hotline, raw, status):
    base, agent = hotline
    got, body = await call(base, None, raw=raw)
    assert got == status and "error" in body
    assert agent.received == []


async def test_shared_token_is_required_when_configured(mounted, store, monkeypatch):
    monkeypatch.setenv("HOTLINE_TOKEN", "gateway-secret")
    agent = FakeAgent(bot)
    base = await mounted([HotlineInput.from_credentials({"reply_timeout_seconds": 5})], agent)
    status, _ = await call(base, {"call_id": "c12", "text": "停电"})
    assert status == 403
    status, _ = await call(base, {"call_id": "c12", "text": "停电"}, {"Authorization": "Bearer wrong"})
    assert status == 403
    status, reply = await call(base, {"call_id": "c12", "text": "停电"}, {"Authorization": "Bearer gateway-secret"})
    assert status == 200 and reply["action"] == "collect"
    assert agent.texts() == ["停电"]


async def test_a_slow_turn_gets_a_stall_prompt(mounted, store):
    agent = FakeAgent(lambda m: BotTurn([say("好了")], delay=0.5))
    base = await mounted([HotlineInput(store=store, reply_timeout_seconds=0.1)], agent)
    _, reply = await call(base, {"call_id": "c13", "text": "查电费"})
    assert reply["action"] == "collect" and "稍后" in reply["speak"]


async def test_long_replies_stay_within_300_characters(mounted, store):
    long_text = "。".join(["这是一段很长的政策说明，包含许多细节"] * 40) + "。"
    agent = FakeAgent(lambda m: BotTurn([say(long_text, buttons=[("是", "/affirm"), ("否", "/deny")])],
                                        intent="tiered_tariff"))
    base = await mounted([HotlineInput(store=store)], agent)
    _, reply = await call(base, {"call_id": "c14", "text": "电价"})
    assert len(reply["speak"]) <= 300 and reply["speak"].endswith("请说一或二。")


# --- who may call without HOTLINE_TOKEN -------------------------------------------------------

def non_loopback_address():
    """This machine's address on its outward interface (no packet is sent), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only selects the outgoing interface
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if ipaddress.ip_address(address).is_loopback else address


async def serve_on(host, channels, agent):
    """Like fakes.serve, but listening on `host`, so the peer address is not loopback."""
    Sanic.test_mode = True
    app = Sanic(f"hotline_test_{uuid.uuid4().hex}", configure_logging=False)
    app.ctx.agent = agent
    register(channels, app, route="/webhooks/")
    sock = socket.socket()
    sock.bind((host, 0))
    sock.listen(16)
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    await server.startup()
    return RunningApp(server, f"http://{host}:{sock.getsockname()[1]}")


@pytest.fixture
def embedded(monkeypatch):
    monkeypatch.delenv("ASSISTANT_PROFILE", raising=False)
    monkeypatch.setenv("HOTLINE_TOKEN", "")


async def test_without_a_token_a_local_caller_is_served(mounted, embedded):
    agent = FakeAgent(bot)
    base = await mounted([HotlineInput.from_credentials({})], agent)
    status, reply = await call(base, {"call_id": "c15", "text": "停电"})
    assert status == 200 and reply["action"] == "collect"


@pytest.mark.parametrize("header", [{"X-Forwarded-For": "203.0.113.7"}, {"X-Real-IP": "203.0.113.7"},
                                    {"Forwarded": "for=203.0.113.7"}])
async def test_without_a_token_a_forwarded_caller_is_refused(mounted, embedded, header):
    """A proxy on this machine (our balancer, nginx) makes every caller look local."""
    agent = FakeAgent(bot)
    base = await mounted([HotlineInput.from_credentials({})], agent)
    status, body = await call(base, {"call_id": "c16", "text": "停电"}, header)
    assert status == 403 and body == {"error": "forbidden"}
    assert agent.received == []


async def test_without_a_token_a_caller_from_another_machine_is_refused(embedded):
    host = non_loopback_address()
    if host is None:
        pytest.skip("no non-loopback IPv4 address on this machine")
    agent = FakeAgent(bot)
    app = await serve_on(host, [HotlineInput.from_credentials({})], agent)
    try:
        status, body = await call(app.url, {"call_id": "c17", "text": "停电"})
    finally:
        await app.close()
    assert status == 403 and body == {"error": "forbidden"}
    assert agent.received == []


@pytest.mark.parametrize("credentials", [{}, {"token": ""}, {"token": "   "}])
def test_the_production_profile_refuses_to_start_without_a_token(monkeypatch, credentials):
    monkeypatch.setenv("ASSISTANT_PROFILE", "production")
    monkeypatch.setenv("HOTLINE_TOKEN", "")
    with pytest.raises(ValueError, match="HOTLINE_TOKEN"):
        HotlineInput.from_credentials(credentials)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer forged"}, {"Authorization": "gateway-secret"},
                                     {"Authorization": "Bearer gateway-secret2"}, {"Authorization": "Basic gateway-secret"}])
async def test_the_production_profile_refuses_missing_and_forged_tokens_even_from_loopback(
        mounted, store, monkeypatch, headers):
    monkeypatch.setenv("ASSISTANT_PROFILE", "production")
    monkeypatch.setenv("HOTLINE_TOKEN", "gateway-secret")
    monkeypatch.setattr("connectors.hotline.shared_store", lambda: store)  # the profile's Redis, here memory
    agent = FakeAgent(bot)
    base = await mounted([HotlineInput.from_credentials({"token": "gateway-secret"})], agent)
    status, body = await call(base, {"call_id": "c18", "text": "停电"}, headers)
    assert status == 403 and body == {"error": "forbidden"}
    assert agent.received == []
    status, _ = await call(base, {"call_id": "c18", "text": "停电"}, {"Authorization": "Bearer gateway-secret"})
    assert status == 200 and agent.texts() == ["停电"]
