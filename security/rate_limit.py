"""Back-off for identity checks (户号 + phone digits, SMS codes): it slows guessing down without
locking the real holder out.

Failures are counted under several keys at once: the conversation (sender id), the client
address where the channel knows it (REST), every check together, and the account asked about.
Each key allows a few failures, then asks the next attempt to wait, twice as long after each
further failure, up to a cap; the count is forgotten a while after the last failure. There is no
lock: a wait always ends. Failures against an account by strangers do not make the holder wait:
a conversation that has once passed the check for an account is remembered as the holder's
channel identity (its WeChat openid, say), and the account's own key does not apply to it.

State lives in the shared store (connectors/kvstore.py): memory in `make run` (one action
server), Redis in the production profile (several action servers see the same counts).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Iterable, List, Optional, Sequence, Tuple

Clock = Callable[[], float]


@dataclass(frozen=True)
class Policy:
    free_failures: int      # failures before the next attempt must wait
    first_wait: float       # seconds, after that many failures
    max_wait: float         # the cap: no wait is longer
    forget_after: float     # seconds after the last failure the count is dropped

    def wait_after(self, failures: int) -> float:
        over = failures - self.free_failures
        if over < 0:
            return 0.0
        return min(self.max_wait, self.first_wait * 2 ** min(over, 30))


# Per conversation: the holder mistypes twice; a guesser is slowed at once after that.
SENDER = Policy(free_failures=3, first_wait=30, max_wait=15 * 60, forget_after=6 * 3600)
# Per client address: several conversations from one address (a script making new sender ids).
ADDRESS = Policy(free_failures=6, first_wait=30, max_wait=30 * 60, forget_after=6 * 3600)
# Per account: strangers guessing one account from many conversations and addresses.
ACCOUNT = Policy(free_failures=5, first_wait=60, max_wait=30 * 60, forget_after=24 * 3600)
# Everything together: a distributed guessing run; generous, and short waits.
OVERALL = Policy(free_failures=200, first_wait=5, max_wait=60, forget_after=10 * 60)
KNOWN_HOLDER_SECONDS = 180 * 86400


@dataclass(frozen=True)
class Subject:
    """Who is checking what: the keys a check is counted under."""
    kind: str                      # "verify" (户号 + digits) or "sms_code"
    sender: str
    address: Optional[str] = None
    account: Optional[str] = None  # the account or phone asked about

    def keys(self, known_holder: bool) -> List[Tuple[str, Policy]]:
        keys = [(f"rl:{self.kind}:sender:{self.sender}", SENDER), (f"rl:{self.kind}:all", OVERALL)]
        if self.address:
            keys.append((f"rl:{self.kind}:addr:{self.address}", ADDRESS))
        if self.account and not known_holder:
            keys.append((f"rl:{self.kind}:account:{self.account}", ACCOUNT))
        return keys

    def holder_key(self) -> Optional[str]:
        return f"rl:{self.kind}:holder:{self.account}:{self.sender}" if self.account else None


class BackoffLimiter:
    def __init__(self, store=None, clock: Clock = time.time) -> None:
        self._store = store
        self._clock = clock

    def _get_store(self):
        if self._store is None:
            from connectors.kvstore import shared_store

            self._store = shared_store()
        return self._store

    async def _known_holder(self, subject: Subject) -> bool:
        key = subject.holder_key()
        return bool(key and await self._get_store().get(key))

    async def wait_seconds(self, subject: Subject) -> int:
        """Seconds the next attempt must wait (0: go ahead)."""
        store = self._get_store()
        now = self._clock()
        longest = 0.0
        for key, policy in subject.keys(await self._known_holder(subject)):
            failures = int(await store.get(f"{key}:n") or 0)
            last = float(await store.get(f"{key}:t") or 0)
            longest = max(longest, last + policy.wait_after(failures) - now)
        return max(0, math.ceil(longest))

    async def failed(self, subject: Subject) -> None:
        store = self._get_store()
        now = str(self._clock())
        for key, policy in subject.keys(await self._known_holder(subject)):
            await store.increment(f"{key}:n", policy.forget_after)
            await store.set(f"{key}:t", now, policy.forget_after)

    async def succeeded(self, subject: Subject) -> None:
        """The conversation's own count is cleared and it is remembered as the holder's."""
        store = self._get_store()
        for key, _ in subject.keys(known_holder=True):
            if ":sender:" in key:
                await store.delete(f"{key}:n")
                await store.delete(f"{key}:t")
        holder = subject.holder_key()
        if holder:
            await store.set(holder, "1", KNOWN_HOLDER_SECONDS)


_limiter: Optional[BackoffLimiter] = None


def limiter() -> BackoffLimiter:
    global _limiter
    if _limiter is None:
        _limiter = BackoffLimiter()
    return _limiter


def wait_text(seconds: int) -> str:
    """'请N分钟后再试' in whole minutes (seconds under a minute)."""
    if seconds < 60:
        return f"{seconds}秒"
    return f"{math.ceil(seconds / 60)}分钟"
