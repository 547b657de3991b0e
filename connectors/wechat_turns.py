"""Running one WeChat dialogue turn: once per message, off the request, within the 5-second rule.

WeChat waits 5 seconds for the HTTP answer, then disconnects and retries (three times in all).
Sanic cancels a handler whose client went away, so the turn never runs inside the handler: it
runs as a background task (as Rasa's Slack channel does) and the handler only waits a little
under the deadline. If the turn finishes in time with one short text, that text is the passive
reply; otherwise the handler answers `success` and the turn's own task delivers the reply through
the customer-service message API. Exactly one of the two delivers, decided without a gap between
check and set (both sides run on the event loop without awaiting in between).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set

from rasa.core.channels.channel import UserMessage

from connectors import namespaced
from connectors.dedup import Deduplicator
from connectors.messages import WECHAT_TEXT_LIMIT_BYTES, BotMessage, MessageCollector, wechat_chunks
from connectors.options import OptionMemory
from connectors.wechat_api import CustomerServiceAPI, WeChatAPIError
from connectors.wechat_inbound import UNSUPPORTED_REPLY, Inbound

logger = logging.getLogger(__name__)

APOLOGY = "抱歉，系统暂时繁忙，请稍后再试，或拨打供电服务热线95598。"
# 45015: outside the 48-hour window / unsubscribed; 45047: per-message quota used up.
STOP_SENDING = {45015, 45047}


@dataclass
class _Turn:
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    passive: bool = True  # False once the handler has answered without the reply
    reply: Optional[str] = None


class WeChatTurns:
    def __init__(self, channel: str, collector_class: type, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                 store, api: Callable[[], Optional[CustomerServiceAPI]], passive_wait: Optional[float],
                 max_sends: int = 5, max_event_sends: int = 3) -> None:
        self.channel = channel
        self._collector_class = collector_class
        self._on_new_message = on_new_message
        self.dedup = Deduplicator(store)
        self.options = OptionMemory(store)
        self._api = api
        self._passive_wait = passive_wait  # None: the channel has no passive reply (mini-program)
        self._max_sends = max_sends
        self._max_event_sends = max_event_sends
        self._tasks: Set[asyncio.Task] = set()

    def _start(self, coro) -> None:
        # A strong reference keeps the task alive; asyncio only keeps weak ones.
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Waits for running turns (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def handle(self, inbound: Inbound) -> Optional[str]:
        """The passive reply text to answer with, or None for a bare `success`."""
        key = inbound.dedup_key(self.channel)
        earlier = await self.dedup.claim(key)
        if earlier is not None:
            logger.info("wechat.retry.ignored", extra={"channel": self.channel, "status": earlier.status})
            return earlier.reply if self._passive_wait is not None else None
        if not inbound.is_supported:
            return await self._fixed_reply(inbound, key, UNSUPPORTED_REPLY)
        text = await self._dialogue_text(inbound)
        if text is None:
            await self.dedup.remember_reply(key, None)
            return None
        turn = _Turn()
        self._start(self._run(turn, inbound, text))
        if self._passive_wait is None:
            turn.passive = False
            await self.dedup.remember_reply(key, None)
            return None
        try:
            await asyncio.wait_for(turn.finished.wait(), self._passive_wait)
        except asyncio.TimeoutError:
            pass
        except asyncio.CancelledError:  # WeChat hung up: the turn must deliver by itself
            if not turn.finished.is_set():
                turn.passive = False
            raise
        if not turn.finished.is_set():
            turn.passive = False
        await self.dedup.remember_reply(key, turn.reply)
        return turn.reply

    async def _fixed_reply(self, inbound: Inbound, key: str, text: str) -> Optional[str]:
        if self._passive_wait is not None:
            await self.dedup.remember_reply(key, text)
            return text
        await self.dedup.remember_reply(key, None)
        self._start(self._push(inbound, [text]))
        return None

    async def _dialogue_text(self, inbound: Inbound) -> Optional[str]:
        text = inbound.dialogue_text()
        if text and inbound.msg_type in ("text", "voice"):
            sender = namespaced(self.channel, inbound.openid)
            return await self.options.resolve(sender, text) or text
        return text

    async def _run(self, turn: _Turn, inbound: Inbound, text: str) -> None:
        sender = namespaced(self.channel, inbound.openid)
        collector: MessageCollector = self._collector_class()
        try:
            await self._on_new_message(
                UserMessage(text, collector, sender, input_channel=self.channel,
                            metadata={self.channel: inbound.metadata()})
            )
            messages = collector.messages
        except Exception:
            logger.exception("wechat.turn.failed", extra={"channel": self.channel})
            messages = [BotMessage(text=APOLOGY)]
        budget = self._max_sends if inbound.msg_type != "event" else self._max_event_sends
        chunks, payloads = wechat_chunks(messages, WECHAT_TEXT_LIMIT_BYTES, budget)
        try:
            await self.options.remember(sender, payloads)
        except Exception:
            logger.exception("wechat.options.store_failed")
        if turn.passive and len(chunks) <= 1:
            turn.reply = chunks[0] if chunks else None
            turn.finished.set()
            return
        turn.passive = False
        turn.finished.set()
        await self._push(inbound, chunks)

    async def _push(self, inbound: Inbound, chunks: List[str]) -> None:
        await push_texts(self._api(), self.channel, inbound.openid, chunks)


async def push_texts(api: Optional[CustomerServiceAPI], channel: str, openid: str, chunks: List[str]) -> int:
    """Sends texts through the customer-service API; returns how many were accepted."""
    if not chunks:
        return 0
    if api is None:
        logger.error("wechat.send.unconfigured", extra={"channel": channel, "hint": "set APPID and APPSECRET"})
        return 0
    sent = 0
    for chunk in chunks:
        try:
            await api.send_text(openid, chunk)
            sent += 1
        except WeChatAPIError as error:
            logger.warning("wechat.send.failed", extra={"channel": channel, "errcode": error.errcode})
            if error.errcode in STOP_SENDING:
                break
        except Exception:  # network trouble: log without the message text
            logger.exception("wechat.send.error", extra={"channel": channel})
            break
    return sent


class PushingOutput(MessageCollector):
    """Output for bot-initiated messages (reminders, /trigger_intent): sends each at once."""

    def __init__(self, channel: str, api: Optional[CustomerServiceAPI]) -> None:
        super().__init__()
        self._channel = channel
        self._api = api

    def name(self) -> str:  # type: ignore[override]
        return self._channel

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        await super().send_response(recipient_id, message)
        openid = recipient_id.split(":", 1)[1] if ":" in recipient_id else recipient_id
        chunks, _ = wechat_chunks(self.messages[-1:], WECHAT_TEXT_LIMIT_BYTES)
        await push_texts(self._api, self._channel, openid, chunks)
