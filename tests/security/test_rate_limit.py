"""The verification back-off: waits grow, always end, count per key, spare the holder's identity."""
from __future__ import annotations

import os
import uuid

import pytest

from connectors.kvstore import MemoryStore, RedisStore
from security.rate_limit import ACCOUNT, OVERALL, SENDER, BackoffLimiter, Policy, Subject, wait_text


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_policy_waits_double_and_are_capped():
    policy = Policy(free_failures=3, first_wait=30, max_wait=100, forget_after=600)
    assert [policy.wait_after(n) for n in range(7)] == [0, 0, 0, 30, 60, 100, 100]


async def test_a_conversation_waits_after_its_free_failures_and_the_wait_ends():
    clock = Clock()
    limiter = BackoffLimiter(MemoryStore(clock=clock), clock=clock)
    subject = Subject("verify", "conv-1", None, "0300000001")
    for _ in range(SENDER.free_failures - 1):
        await limiter.failed(subject)
        assert await limiter.wait_seconds(subject) == 0
    await limiter.failed(subject)
    assert await limiter.wait_seconds(subject) == SENDER.first_wait
    clock.now += SENDER.first_wait
    assert await limiter.wait_seconds(subject) == 0  # a back-off, not a lock
    await limiter.failed(subject)
    assert await limiter.wait_seconds(subject) == 2 * SENDER.first_wait


async def test_counts_are_forgotten_after_a_quiet_period():
    clock = Clock()
    limiter = BackoffLimiter(MemoryStore(clock=clock), clock=clock)
    subject = Subject("verify", "conv-1")
    for _ in range(SENDER.free_failures):
        await limiter.failed(subject)
    clock.now += SENDER.forget_after + 1
    assert await limiter.wait_seconds(subject) == 0


async def test_the_account_key_spares_the_holders_identity_only():
    clock = Clock()
    limiter = BackoffLimiter(MemoryStore(clock=clock), clock=clock)
    holder = Subject("verify", "wechat:holder", None, "0300000002")
    await limiter.succeeded(holder)
    for n in range(ACCOUNT.free_failures):
        await limiter.failed(Subject("verify", f"stranger-{n}", None, "0300000002"))
    assert await limiter.wait_seconds(Subject("verify", "stranger-new", None, "0300000002")) > 0
    assert await limiter.wait_seconds(holder) == 0
    # Another account is not affected.
    assert await limiter.wait_seconds(Subject("verify", "stranger-new", None, "0300000003")) == 0


async def test_success_clears_the_conversations_own_count_not_the_overall_one():
    clock = Clock()
    store = MemoryStore(clock=clock)
    limiter = BackoffLimiter(store, clock=clock)
    subject = Subject("verify", "conv-9", "198.51.100.7", "0300000004")
    for _ in range(2):
        await limiter.failed(subject)
    await limiter.succeeded(subject)
    assert await store.get("rl:verify:sender:conv-9:n") is None
    assert await store.get("rl:verify:all:n") == "2"
    assert await store.get("rl:verify:addr:198.51.100.7:n") == "2"


async def test_the_overall_key_slows_a_distributed_run():
    clock = Clock()
    limiter = BackoffLimiter(MemoryStore(clock=clock), clock=clock)
    for n in range(OVERALL.free_failures):
        await limiter.failed(Subject("verify", f"bot-{n}", f"203.0.113.{n % 250}", f"03{n:08d}"))
    assert await limiter.wait_seconds(Subject("verify", "anyone", None, "0312345678")) > 0


def test_wait_text():
    assert wait_text(30) == "30秒" and wait_text(61) == "2分钟"


async def test_counts_are_shared_through_redis():
    try:
        import redis

        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except Exception:
        if os.environ.get("CI"):
            raise
        pytest.skip("Redis not reachable on 127.0.0.1:6379")
    prefix = f"ratetest{uuid.uuid4().hex[:8]}:"
    first = BackoffLimiter(RedisStore("redis://127.0.0.1:6379/2", prefix=prefix))
    second = BackoffLimiter(RedisStore("redis://127.0.0.1:6379/2", prefix=prefix))  # another action server
    subject = Subject("verify", "conv-r", None, "0300000009")
    for _ in range(SENDER.free_failures):
        await (first if _ % 2 else second).failed(subject)
    assert await first.wait_seconds(subject) > 0 and await second.wait_seconds(subject) > 0
    client = redis.Redis(host="127.0.0.1", port=6379, db=2)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
