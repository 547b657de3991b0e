"""When the Rasa server is busy, it finishes the messages it started before starting new ones.

Rasa handles each message as a task on one event loop. Each time a message waits for the action
server (a form turn waits three times), it goes to the back of the loop's queue, behind every
other message ready to run. With 50 conversations sending back to back, a form turn waited three
full rounds: p95 latency 2.2 s for a median of 0.75 s (benchmarks/README.md).

Here at most `RASA_MESSAGES_IN_PROGRESS` messages (default 4) are being worked on at once; the
others wait their turn in order of arrival (measured: p95 within 10-20 % of the median). A message
whose action-server call takes longer than PATIENCE_SECONDS gives its place up until the answer
comes, so a slow action server or back end holds up no other conversation, and when the answer
comes the message goes before those not yet started. Every message still gets the same
processing; only the order in which the loop serves them changes.

Waiting for the conversation's lock (two messages of one conversation) happens before a place is
taken, so it cannot hold a place. Only the action-server calls made while handling a message give
the place up: channels that send replies over the network while a message is handled would keep
it (ours collect replies and answer in the HTTP response, or push outside message handling).
"""
from __future__ import annotations

import asyncio
import functools
import os
import weakref
from collections import deque
from contextvars import ContextVar
from typing import Any, Awaitable, Callable, Deque, Dict, Optional

from rasa.core.processor import MessageProcessor
from rasa.utils.endpoints import EndpointConfig

LIMIT_VARIABLE = "RASA_MESSAGES_IN_PROGRESS"
DEFAULT_LIMIT = 4
# An action-server answer usually takes a few milliseconds; one ten times slower than that is
# waiting for something (the back end, a timeout), and the others should not wait with it.
PATIENCE_SECONDS = 0.1


class Admission:
    """At most `limit` holders at a time; those coming back from a wait go first, then the others
    in order of arrival."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"{LIMIT_VARIABLE} must be at least 1, not {limit}")
        self.limit = limit
        self.holders = 0
        self._waiting: Dict[bool, Deque[asyncio.Future]] = {True: deque(), False: deque()}

    @property
    def waiting(self) -> int:
        return sum(not place.done() for queue in self._waiting.values() for place in queue)

    async def enter(self, returning: bool = False) -> None:
        if self.holders < self.limit:
            self.holders += 1
            return
        place = asyncio.get_running_loop().create_future()
        queue = self._waiting[returning]
        queue.append(place)
        try:
            await place
        except asyncio.CancelledError:
            if place.done() and not place.cancelled():
                self.leave()  # handed the place just as the wait was cancelled: pass it on
            elif place in queue:
                queue.remove(place)
            raise

    def leave(self) -> None:
        for queue in (self._waiting[True], self._waiting[False]):
            while queue:
                place = queue.popleft()
                if not place.done():
                    place.set_result(None)  # the place goes to this waiter: holders stays the same
                    return
        self.holders -= 1


class _Hold:
    def __init__(self, admission: Admission) -> None:
        self.admission = admission
        self.held = True


_HOLD: ContextVar[Optional[_Hold]] = ContextVar("bot_runtime_admission_hold", default=None)
_BY_LOOP: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Admission]" = weakref.WeakKeyDictionary()


def limit_from_environment() -> int:
    value = os.environ.get(LIMIT_VARIABLE, "").strip()
    try:
        return int(value) if value else DEFAULT_LIMIT
    except ValueError:
        raise ValueError(f"{LIMIT_VARIABLE} must be a whole number, not {value!r}") from None


def admission_for_this_loop() -> Admission:
    loop = asyncio.get_running_loop()
    admission = _BY_LOOP.get(loop)
    if admission is None:
        admission = _BY_LOOP[loop] = Admission(limit_from_environment())
    return admission


def admitted(handle: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Wraps the handling of one message: it starts when a place is free."""

    @functools.wraps(handle)
    async def handle_when_admitted(*args: Any, **kwargs: Any) -> Any:
        admission = admission_for_this_loop()
        await admission.enter()
        hold = _Hold(admission)
        token = _HOLD.set(hold)
        try:
            return await handle(*args, **kwargs)
        finally:
            _HOLD.reset(token)
            if hold.held:
                admission.leave()

    return handle_when_admitted


def giving_way(call: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Wraps a network call: a message whose call takes longer than PATIENCE_SECONDS gives its place
    up until the answer comes, then goes before the messages not started yet."""

    @functools.wraps(call)
    async def call_giving_way(*args: Any, **kwargs: Any) -> Any:
        hold = _HOLD.get()
        if hold is None or not hold.held:
            return await call(*args, **kwargs)
        answer = asyncio.ensure_future(call(*args, **kwargs))
        try:
            await asyncio.wait({answer}, timeout=PATIENCE_SECONDS)
        except asyncio.CancelledError:
            answer.cancel()
            raise
        if answer.done():
            return answer.result()
        hold.held = False
        hold.admission.leave()
        try:
            return await answer
        finally:
            await hold.admission.enter(returning=True)
            hold.held = True

    return call_giving_way


def install() -> None:
    limit_from_environment()  # a malformed setting stops start-up, naming the variable
    if not getattr(MessageProcessor.handle_message, "__wrapped__", None):
        MessageProcessor.handle_message = admitted(MessageProcessor.handle_message)
        EndpointConfig.request = giving_way(EndpointConfig.request)
