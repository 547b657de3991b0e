from __future__ import annotations

import logging

import pytest

from connectors.kvstore import MemoryStore
from connectors.wechat_api import AccessTokenService, CustomerServiceAPI
from connectors.wechat_security import WeChatSettings
from tests.connectors import wechat_payloads as wx
from tests.connectors.fakes import FakeAgent, FakeWeChat, serve

logging.getLogger("sanic").setLevel(logging.WARNING)


@pytest.fixture
async def fake_wechat():
    server = await FakeWeChat().start()
    yield server
    await server.close()


@pytest.fixture
def store():
    return MemoryStore()


@pytest.fixture
def wechat_api(fake_wechat, store):
    tokens = AccessTokenService(wx.APPID, wx.SECRET, store, base_url=fake_wechat.url)
    return CustomerServiceAPI(tokens, base_url=fake_wechat.url)


def settings(prefix: str = "WECHAT", aes: bool = False, allow_plain: bool = False) -> WeChatSettings:
    return WeChatSettings(prefix=prefix, token=wx.TOKEN, appid=wx.APPID, secret=wx.SECRET,
                          aes_key=wx.AES_KEY if aes else "", require_encryption=aes and not allow_plain)


@pytest.fixture
async def mounted():
    """mounted(channels, agent) -> base URL; every server is closed after the test."""
    apps = []

    async def start(channels, agent=None):
        app = await serve(channels, agent or FakeAgent())
        apps.append(app)
        return app.url

    yield start
    for app in apps:
        await app.close()
