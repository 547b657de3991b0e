"""A Redis lock store that is safe when several Rasa servers serve one conversation.

Rasa Open Source's RedisLockStore keeps each conversation's ticket queue as one JSON value and
changes it by read-modify-write without a transaction. Two replicas receiving messages of the
same conversation at the same moment can read the same queue, both issue ticket N, both
"hold" the lock and process at the same time; the SQL tracker store then keeps only one of the
two turns (measured: 1 message in 8 lost in tests/production/test_replicas.py). Rasa fixed this
only in its commercial edition.

Here every change of a queue (issuing a ticket, dropping expired ones, finishing a ticket and
deleting the empty queue) is one optimistic Redis transaction (WATCH/MULTI/EXEC, retried when
another replica changed the queue in between), so tickets are unique and served in order
across all replicas. Configured in bot/endpoints.production.yml as
`type: bot.redis_lock_store.AtomicRedisLockStore`, with the same settings as `type: redis`.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Callable, Optional, Text, Tuple

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

# What a change returns to leave the stored queue as it is.
UNCHANGED = object()


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        # Rasa builds custom lock stores with the endpoint config; tests may pass settings directly.
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        kwargs.pop("type", None)
        super().__init__(**kwargs)

    def _transact(self, conversation_id: Text, change: Callable[[Optional[TicketLock]], Tuple[Any, Any]]) -> Any:
        """Apply `change(lock) -> (new lock | None to delete | UNCHANGED, result)` atomically."""
        import redis

        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    new, result = change(lock)
                    if new is UNCHANGED:
                        pipe.unwatch()
                        return result
                    pipe.multi()
                    if new is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, new.dumps())
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue  # another replica changed this queue first: read it again

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: Optional[TicketLock]):
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._transact(conversation_id, issue)
        except Exception as error:  # same contract as Rasa's: a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{error}")

    def update_lock(self, conversation_id: Text) -> None:
        def drop_expired(lock: Optional[TicketLock]):
            if lock is None:
                return UNCHANGED, None
            lock.remove_expired_tickets()
            return lock, None

        self._transact(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        def finish(lock: Optional[TicketLock]):
            if lock is None:
                return UNCHANGED, None
            lock.remove_ticket_for(ticket_number)
            return lock, None

        self._transact(conversation_id, finish)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        # One transaction: checking "nobody waits" and deleting separately could delete a
        # ticket another replica issued in between.
        def finish_and_maybe_delete(lock: Optional[TicketLock]):
            if lock is None:
                return UNCHANGED, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._transact(conversation_id, finish_and_maybe_delete)
