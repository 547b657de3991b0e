"""The access-token service and customer-service API against a local fake WeChat server."""
from __future__ import annotations

import pytest

from connectors.kvstore import MemoryStore
from connectors.wechat_api import AccessTokenService, CustomerServiceAPI, WeChatAPIError
from tests.connectors import wechat_payloads as wx


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_api(fake, store, clock, secret=wx.SECRET):
    tokens = AccessTokenService(wx.APPID, secret, store, base_url=fake.url, clock=clock)
    return CustomerServiceAPI(tokens, base_url=fake.url)


async def test_stable_token_is_fetched_once_and_cached(fake_wechat):
    clock = Clock()
    api = make_api(fake_wechat, MemoryStore(clock=clock), clock)
    await api.send_text("oA", "一")
    await api.send_text("oA", "二")
    assert fake_wechat.token_requests == [
        {"grant_type": "client_credential", "appid": wx.APPID, "secret": wx.SECRET, "force_refresh": False}
    ]
    assert [s["token"] for s in fake_wechat.sends] == ["TOKEN-1", "TOKEN-1"]
    assert fake_wechat.sends[0] == {"token": "TOKEN-1", "touser": "oA", "msgtype": "text", "text": {"content": "一"}}


async def test_token_is_refreshed_before_it_expires(fake_wechat):
    clock = Clock()
    api = make_api(fake_wechat, MemoryStore(clock=clock), clock)
    await api.send_text("oA", "早上")
    clock.now += 7200 - 299  # inside the 5-minute safety margin
    await api.send_text("oA", "下午")
    assert [s["token"] for s in fake_wechat.sends] == ["TOKEN-1", "TOKEN-2"]


async def test_replicas_share_the_token_through_the_store(fake_wechat):
    clock = Clock()
    shared = MemoryStore(clock=clock)  # stands in for Redis
    first, second = make_api(fake_wechat, shared, clock), make_api(fake_wechat, shared, clock)
    await first.send_text("oA", "1")
    await second.send_text("oB", "2")
    assert len(fake_wechat.token_requests) == 1


async def test_rejected_token_is_dropped_and_the_call_retried_once(fake_wechat):
    clock = Clock()
    api = make_api(fake_wechat, MemoryStore(clock=clock), clock)
    await api.send_text("oA", "1")
    fake_wechat.revoked.add("TOKEN-1")
    await api.send_text("oA", "2")
    assert [s["token"] for s in fake_wechat.sends] == ["TOKEN-1", "TOKEN-2"]


async def test_api_errors_are_raised_with_their_code(fake_wechat):
    clock = Clock()
    api = make_api(fake_wechat, MemoryStore(clock=clock), clock)
    fake_wechat.fail_sends_with = 45015
    with pytest.raises(WeChatAPIError) as raised:
        await api.send_text("oA", "过期")
    assert raised.value.errcode == 45015
    bad_secret = make_api(fake_wechat, MemoryStore(clock=clock), clock, secret="wrong")
    with pytest.raises(WeChatAPIError) as raised:
        await bad_secret.send_text("oA", "x")
    assert raised.value.errcode == 40125


async def test_other_message_kinds(fake_wechat):
    clock = Clock()
    api = make_api(fake_wechat, MemoryStore(clock=clock), clock)
    await api.send_link("oA", "停电公告", "本周计划停电", "https://example.invalid/n", "")
    await api.send_miniprogram_page("oA", "缴费", "pages/pay/index", "MEDIA")
    await api.send_template("oA", "TPL", {"first": "通知"})
    assert [s["msgtype"] for s in fake_wechat.sends] == ["link", "miniprogrampage"]
    assert fake_wechat.templates == [{"touser": "oA", "template_id": "TPL", "data": {"first": {"value": "通知"}}}]


async def test_unreachable_api_times_out(monkeypatch):
    tokens = AccessTokenService(wx.APPID, wx.SECRET, MemoryStore(), base_url="http://127.0.0.1:9", timeout=1)
    with pytest.raises(Exception):
        await tokens.token()
