"""Numbered options: the customer answers a list of choices with a digit.

Text channels (WeChat, the hotline) cannot draw buttons, so buttons become "1. 停电查询 ..."; the
connector remembers the payloads per sender and maps a later "1" (or "１", "一", "第一个") back
to the payload of the first button.
"""
from __future__ import annotations

import json
import re
from typing import List, Optional, Sequence

_CHINESE_DIGITS = {"零": 0, "〇": 0, "一": 1, "幺": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
                   "六": 6, "七": 7, "八": 8, "九": 9}
_CHOICE = re.compile(r"(?:选|选择|按|第)?\s*([0-9]|[零〇一幺二两三四五六七八九])\s*(?:个|项|号)?\s*[。.、,，!！]?")
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def choice_number(text: str) -> Optional[int]:
    """The number a short reply picks ("2", "２", "二", "选2", "第二个"), else None."""
    cleaned = (text or "").translate(_FULL_WIDTH_DIGITS).strip()
    if len(cleaned) > 6:
        return None
    match = _CHOICE.fullmatch(cleaned)
    if not match:
        return None
    token = match.group(1)
    return int(token) if token.isdigit() else _CHINESE_DIGITS[token]


class OptionMemory:
    """The last numbered options shown to each sender, kept in the shared store for a while."""

    def __init__(self, store, ttl: float = 1800.0) -> None:
        self._store = store
        self._ttl = ttl

    async def remember(self, sender_id: str, payloads: Sequence[str]) -> None:
        key = f"options:{sender_id}"
        if payloads:
            await self._store.set(key, json.dumps(list(payloads)), self._ttl)
        else:  # a reply without options: an old list must not give a later digit a stale meaning
            await self._store.delete(key)

    async def _payloads(self, sender_id: str) -> List[str]:
        raw = await self._store.get(f"options:{sender_id}")
        return json.loads(raw) if raw else []

    async def resolve(self, sender_id: str, text: str) -> Optional[str]:
        """The payload a digit reply refers to, or None when the text is not such a reply."""
        number = choice_number(text)
        if number is None:
            return None
        payloads = await self._payloads(sender_id)
        if 1 <= number <= len(payloads):
            return payloads[number - 1]
        return None

    async def resolve_payload(self, sender_id: str, payload: str) -> bool:
        """True when `payload` is one of the buttons this sender was last offered."""
        return payload in await self._payloads(sender_id)
