"""A tiny key-value store with expiry: in memory, or Redis when `REDIS_URL` is set.

Deduplication, remembered options, call state and the WeChat access token live here. With one
Rasa process the memory store is enough; with several workers or replicas they must share state
(a retry may land on another replica, and a new access token invalidates the others'), so the
production profile sets `REDIS_URL` (scripts/env.sh, deploy/docker-compose.yml) and a process of
that profile refuses to start without it. `REDIS_KEY_PREFIX` (default `assistant:`) separates
deployments or test runs sharing one Redis database.
"""
from __future__ import annotations

import os
import time
from typing import Callable, Dict, Optional, Tuple

Clock = Callable[[], float]


class MemoryStore:
    """Per-process store. Bounded, so a flood of unique keys cannot exhaust memory."""

    def __init__(self, clock: Clock = time.time, max_items: int = 100_000) -> None:
        self._items: Dict[str, Tuple[str, float]] = {}
        self._clock = clock
        self._max_items = max_items

    def _live(self, key: str) -> Optional[str]:
        item = self._items.get(key)
        if item is None:
            return None
        if item[1] <= self._clock():
            del self._items[key]
            return None
        return item[0]

    def _make_room(self) -> None:
        if len(self._items) < self._max_items:
            return
        now = self._clock()
        for key in [k for k, (_, expires) in self._items.items() if expires <= now]:
            del self._items[key]
        while len(self._items) >= self._max_items:  # still full: drop the oldest insertions
            del self._items[next(iter(self._items))]

    async def get(self, key: str) -> Optional[str]:
        return self._live(key)

    async def set(self, key: str, value: str, ttl: float) -> None:
        self._items.pop(key, None)
        self._make_room()
        self._items[key] = (value, self._clock() + ttl)

    async def add(self, key: str, value: str, ttl: float) -> bool:
        """Set only when absent; True when this call created the key."""
        if self._live(key) is not None:
            return False
        await self.set(key, value, ttl)
        return True

    async def delete(self, key: str) -> None:
        self._items.pop(key, None)

    async def increment(self, key: str, ttl: float) -> int:
        """Add one to a counter (0 when absent or expired) and keep it `ttl` seconds longer."""
        count = int(self._live(key) or 0) + 1
        await self.set(key, str(count), ttl)
        return count


class RedisStore:
    """Shared store for several workers or replicas (redis.asyncio, already a Rasa dependency).

    Rasa runs its models on the event loop, so under load a ready callback can wait seconds for
    its turn; a short socket timeout then fails a healthy Redis (seen at 200 concurrent
    conversations with 3 s: "Timeout connecting to server", and the kiosk answered 500). Hence a
    generous timeout, and a bounded pool that reuses its connections instead of opening one per
    concurrent request (each new connection is another chance to time out).
    """

    TIMEOUT_SECONDS = 15.0
    MAX_CONNECTIONS = 32

    def __init__(self, url: str, prefix: str = "assistant:") -> None:
        import redis.asyncio as redis_asyncio

        pool = redis_asyncio.BlockingConnectionPool.from_url(
            url, decode_responses=True, max_connections=self.MAX_CONNECTIONS, timeout=self.TIMEOUT_SECONDS,
            socket_timeout=self.TIMEOUT_SECONDS, socket_connect_timeout=self.TIMEOUT_SECONDS)
        self._redis = redis_asyncio.Redis(connection_pool=pool)
        self._prefix = prefix

    async def get(self, key: str) -> Optional[str]:
        return await self._redis.get(self._prefix + key)

    async def set(self, key: str, value: str, ttl: float) -> None:
        await self._redis.set(self._prefix + key, value, px=max(1, int(ttl * 1000)))

    async def add(self, key: str, value: str, ttl: float) -> bool:
        return bool(await self._redis.set(self._prefix + key, value, px=max(1, int(ttl * 1000)), nx=True))

    async def delete(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)

    async def increment(self, key: str, ttl: float) -> int:
        """Atomic: concurrent failures from several replicas are all counted."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(self._prefix + key)
            pipe.pexpire(self._prefix + key, max(1, int(ttl * 1000)))
            count, _ = await pipe.execute()
        return int(count)


_shared = None


def shared_store():
    """The process-wide store: Redis when `REDIS_URL` is set, otherwise memory."""
    global _shared
    if _shared is None:
        url = os.environ.get("REDIS_URL", "").strip()
        if not url and os.environ.get("ASSISTANT_PROFILE", "").strip().lower() == "production":
            # Memory would work per replica and silently break retries, options and call state.
            raise RuntimeError("REDIS_URL must be set in the production profile (channel state shared by replicas)")
        prefix = os.environ.get("REDIS_KEY_PREFIX", "").strip() or "assistant:"
        _shared = RedisStore(url, prefix=prefix) if url else MemoryStore()
    return _shared
