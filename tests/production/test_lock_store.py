"""The Redis lock store of the production profile (bot/redis_lock_store.py) on the real Redis:
tickets stay unique and the lock exclusive when two stores (two Rasa replicas) share one
conversation. Skipped without Redis (failing when CI is set)."""
from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from rasa.utils.endpoints import EndpointConfig

from bot.redis_lock_store import AtomicRedisLockStore
from tests.production.conftest import REDIS_HOST, REDIS_PORT, require_services


@pytest.fixture
def stores():
    require_services()
    prefix = f"locktest{uuid.uuid4().hex[:8]}"
    config = EndpointConfig(url=REDIS_HOST, type="bot.redis_lock_store.AtomicRedisLockStore",
                            port=str(REDIS_PORT), db="1", key_prefix=prefix)
    pair = [AtomicRedisLockStore(endpoint_config=config) for _ in range(2)]
    yield pair
    for key in pair[0].red.scan_iter(f"{prefix}:*"):
        pair[0].red.delete(key)


def test_tickets_issued_at_once_by_two_replicas_are_unique(stores):
    conversation = f"c-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=16) as pool:
        tickets = list(pool.map(lambda n: stores[n % 2].issue_ticket(conversation, 60), range(200)))
    assert sorted(tickets) == list(range(min(tickets), min(tickets) + 200))  # unique, no gaps
    for number in tickets:
        stores[number % 2].cleanup(conversation, number)
    assert stores[0].get_lock(conversation) is None  # the last one out deletes the queue


async def test_the_lock_is_exclusive_and_first_come_first_served(stores):
    conversation = f"c-{uuid.uuid4().hex[:8]}"
    holders, order = [], []

    async def turn(n: int) -> None:
        async with stores[n % 2].lock(conversation, lock_lifetime=30, wait_time_in_seconds=0.01):
            holders.append(n)
            assert len(holders) == 1, "two replicas held the lock at once"
            order.append(n)
            await asyncio.sleep(0.005)
            holders.remove(n)

    async def staggered(n: int) -> None:
        await asyncio.sleep(n * 0.002)
        await turn(n)

    await asyncio.gather(*(staggered(n) for n in range(30)))
    assert sorted(order) == list(range(30))
    assert stores[1].get_lock(conversation) is None
