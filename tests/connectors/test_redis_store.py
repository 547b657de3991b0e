"""The shared store the production profile uses (REDIS_URL): two replicas of a connector see one
deduplication record and one WeChat access token. Against the local Redis (the one the production
tests use); skipped when it is unreachable, failing instead when CI is set."""
from __future__ import annotations

import asyncio
import os
import uuid

import pytest

from connectors.dedup import Deduplicator
from connectors.kvstore import RedisStore
from connectors.wechat_api import AccessTokenService
from tests.connectors import wechat_payloads as wx

REDIS_URL = os.environ.get("CONNECTORS_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def _reachable() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
        return ""
    except Exception as error:  # connection refused, timeout, auth
        return f"Redis at {REDIS_URL} unreachable ({type(error).__name__})"


_problem = _reachable()
if _problem and os.environ.get("CI"):
    raise RuntimeError(f"CI is set, so the Redis store must be testable: {_problem}")
pytestmark = pytest.mark.skipif(bool(_problem), reason=_problem)


@pytest.fixture
async def replicas():
    """Two stores as two replicas would open them (same URL and prefix); keys removed afterwards."""
    prefix = f"test-connectors-{uuid.uuid4().hex[:8]}:"
    stores = [RedisStore(REDIS_URL, prefix=prefix), RedisStore(REDIS_URL, prefix=prefix)]
    yield stores
    client = stores[0]._redis
    keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
    if keys:
        await client.delete(*keys)
    for store in stores:
        await store._redis.aclose() if hasattr(store._redis, "aclose") else await store._redis.close()


async def test_set_add_get_delete_and_expiry(replicas):
    one, two = replicas
    assert await one.add("k", "first", 10) is True
    assert await two.add("k", "second", 10) is False
    assert await two.get("k") == "first"
    await two.set("k", "replaced", 0.2)
    assert await one.get("k") == "replaced"
    await asyncio.sleep(0.4)
    assert await one.get("k") is None
    await one.set("gone", "x", 10)
    await two.delete("gone")
    assert await one.get("gone") is None


async def test_a_retry_landing_on_another_replica_is_not_processed_again(replicas):
    first, second = (Deduplicator(store) for store in replicas)
    key = "wechat:oUser1:msg:1234567890"
    claims = await asyncio.gather(first.claim(key), second.claim(key))
    assert sorted(c is None for c in claims) == [False, True]  # exactly one replica runs the turn
    await first.remember_reply(key, "您好")
    later = await second.claim(key)
    assert later.status == "replied" and later.reply == "您好"


async def test_replicas_share_one_access_token(replicas, fake_wechat):
    services = [AccessTokenService(wx.APPID, wx.SECRET, store, base_url=fake_wechat.url) for store in replicas]
    tokens = [await service.token() for service in services]
    assert tokens[0] == tokens[1] and len(fake_wechat.token_requests) == 1
    await services[1].invalidate(tokens[1])  # WeChat rejected it: both replicas fetch the new one
    services[0]._cached = None  # replica 1 learns of the rejection from its own failed call
    renewed = await services[0].token()
    assert renewed != tokens[0] and len(fake_wechat.token_requests) == 2
    assert await services[1].token() == renewed and len(fake_wechat.token_requests) == 2
