"""Answering retried deliveries once.

WeChat re-sends a message it got no answer to within 5 seconds (three times in total), and
gateways retry on timeouts. The first delivery claims the message key; later deliveries see the
claim and get the stored reply (or a plain acknowledgement) without running the dialogue again.
Keys always include the sender: WeChat MsgIds have been seen to collide across users.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

PROCESSING = "processing"
REPLIED = "replied"


@dataclass
class Claim:
    status: str
    reply: Optional[str] = None


class Deduplicator:
    def __init__(self, store, ttl: float = 600.0, namespace: str = "dedup") -> None:
        self._store = store
        self._ttl = ttl
        self._namespace = namespace

    def _key(self, key: str) -> str:
        return f"{self._namespace}:{key}"

    async def claim(self, key: str) -> Optional[Claim]:
        """None when this delivery is the first (and now owns the key), else the earlier claim."""
        record = json.dumps({"status": PROCESSING})
        if await self._store.add(self._key(key), record, self._ttl):
            return None
        raw = await self._store.get(self._key(key))
        if raw is None:  # expired between the two calls: treat as already handled, never run twice
            return Claim(PROCESSING)
        data = json.loads(raw)
        return Claim(data.get("status", PROCESSING), data.get("reply"))

    async def remember_reply(self, key: str, reply: Optional[str]) -> None:
        """Stores what the first delivery answered, so a retry gets the same answer."""
        await self._store.set(self._key(key), json.dumps({"status": REPLIED, "reply": reply}), self._ttl)

    async def bind_nonce(self, timestamp: str, nonce: str, message_key: str) -> bool:
        """False when this signed (timestamp, nonce) pair was already used for another message.

        In WeChat's plain mode the signature does not cover the body, so a captured query string
        could carry a forged body; binding each pair to the first message it signed stops that.
        """
        key = self._key(f"nonce:{timestamp}:{nonce}")
        if await self._store.add(key, message_key, self._ttl):
            return True
        return (await self._store.get(key)) in (None, message_key)
