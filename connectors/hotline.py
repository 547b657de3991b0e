"""95598 hotline text channel `hotline`: POST /webhooks/hotline/webhook.

The hotline's speech gateway sends what the caller said (recognised text, or keypad digits) with
the call id; the answer says what to speak and what to do next: collect input, transfer the
call to an agent (with the handoff reference and a masked summary) or hang up. The contract is
documented in docs/CHANNELS.md.

Speech rules: short plain sentences (connectors.speech), at most 300 characters per reply.
After two turns the bot could not understand, the caller gets keypad choices; after a third,
the call is transferred.

The gateway authenticates with `Authorization: Bearer <HOTLINE_TOKEN>`. Without a token the
endpoint answers only callers on this machine, and only in the embedded profile: the production
profile refuses to start without one (behind its balancer every request comes from loopback).
"""
from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
import os
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Tuple

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.text.masking import mask_text
from connectors import namespaced, typed_text
from connectors.dedup import Deduplicator
from connectors.kvstore import shared_store
from connectors.messages import BotMessage, MessageCollector, handoff_reference
from connectors.options import choice_number
from connectors.speech import SPEECH_LIMIT, fit, options_prompt, speakable

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 8 * 1024
MAX_TEXT_CHARS = 500
CALL_STATE_TTL = 4 * 3600
EVENTS = {"speech", "dtmf", "call_start", "no_input", "call_end"}
NOT_UNDERSTOOD_INTENTS = {"nlu_fallback", "out_of_scope"}
FALLBACK_ACTION = "action_default_fallback"
HANDOFF_INTENT = "human_agent"
GOODBYE_RESPONSES = {"utter_goodbye"}
_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")
# A proxy in front of the server adds one of these: the peer is then the proxy, not the caller.
FORWARDING_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")
_DTMF = re.compile(r"[0-9*#]{1,8}")
# Keypad menu when nothing else is on offer (payloads are the topic intents of the domain).
DEFAULT_CHOICES = [("停电查询", "/outage_lookup"), ("故障报修", "/fault_repair"),
                   ("电费账单", "/bill_query"), ("用电报装", "/connection_enquiry")]
STALL = "抱歉，系统查询较慢，请您稍后再说一遍，或按0转人工。"
EMPTY_REPLY = "请问还有什么可以帮您？"
TRANSFERRING = "正在为您转接人工客服，请稍候。"


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class HotlineCollector(MessageCollector):
    channel_name = "hotline"


@dataclass
class Turn:
    call_id: str
    text: str
    event: str
    dtmf: str
    turn_id: str


def parse_turn(body: bytes) -> Turn:
    if len(body or b"") > MAX_BODY_BYTES:
        raise BadRequest(413, "body too large")
    try:
        data = json.loads((body or b"").decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadRequest(400, "body must be a JSON object")
    if not isinstance(data, dict):
        raise BadRequest(400, "body must be a JSON object")
    call_id, text = data.get("call_id"), data.get("text", "")
    if not isinstance(call_id, str) or not _ID.fullmatch(call_id):
        raise BadRequest(400, "call_id must be 1-64 letters, digits or _.:-")
    if text is None:
        text = ""
    if not isinstance(text, str) or len(text) > MAX_TEXT_CHARS:
        raise BadRequest(400, f"text must be a string of at most {MAX_TEXT_CHARS} characters")
    dtmf = data.get("dtmf") or ""
    if not isinstance(dtmf, str) or (dtmf and not _DTMF.fullmatch(dtmf)):
        raise BadRequest(400, "dtmf must be keypad digits")
    event = data.get("event") or ("dtmf" if dtmf else "speech")
    if event not in EVENTS:
        raise BadRequest(400, f"event must be one of {sorted(EVENTS)}")
    turn_id = data.get("turn_id") or ""
    if not isinstance(turn_id, str) or (turn_id and not _ID.fullmatch(turn_id)):
        raise BadRequest(400, "turn_id must be 1-64 letters, digits or _.:-")
    return Turn(call_id, text.strip(), event, dtmf, turn_id)


def reply(call_id: str, speak: str, action: str = "collect", input_mode: str = "speech",
          choices: Optional[List[Dict[str, str]]] = None, transfer: Optional[Dict[str, Any]] = None) -> Dict:
    body: Dict[str, Any] = {"call_id": call_id, "speak": speak[:SPEECH_LIMIT], "action": action}
    if action == "collect":
        body["input"] = input_mode
        body["choices"] = [{"key": c["key"], "label": c["label"]} for c in choices or []]
    if transfer is not None:
        body["transfer"] = transfer
    return body


class CallState:
    """Per call: consecutive not-understood turns, the choices on offer, what the caller said."""

    def __init__(self, store, call_id: str) -> None:
        self._store = store
        self._key = f"hotline:call:{call_id}"
        self.misses = 0
        self.choices: List[Dict[str, str]] = []
        self.heard: List[str] = []

    async def load(self) -> "CallState":
        raw = await self._store.get(self._key)
        if raw:
            data = json.loads(raw)
            self.misses, self.choices, self.heard = data["misses"], data["choices"], data["heard"]
        return self

    async def save(self) -> None:
        data = {"misses": self.misses, "choices": self.choices, "heard": self.heard[-5:]}
        await self._store.set(self._key, json.dumps(data, ensure_ascii=False), CALL_STATE_TTL)

    async def forget(self) -> None:
        await self._store.delete(self._key)

    def choice_payload(self, text: str) -> Optional[str]:
        number = choice_number(text)
        if number is None:
            return None
        if number == 0:  # the hotline convention: 0 is always the human agent
            return f"/{HANDOFF_INTENT}"
        return next((c["payload"] for c in self.choices if c["key"] == str(number)), None)


async def dialogue_verdict(request: Request, sender_id: str) -> Tuple[bool, Optional[str]]:
    """(understood, intent) of the latest turn, read from the tracker the agent just updated."""
    agent = getattr(request.app.ctx, "agent", None)
    store = getattr(agent, "tracker_store", None)
    if store is None:
        return True, None
    try:
        tracker = await store.retrieve(sender_id)
    except Exception:
        logger.exception("hotline.tracker.unavailable")
        return True, None
    if tracker is None:
        return True, None
    intent, actions = None, []
    for event in reversed(list(tracker.events)):
        if event.type_name == "user":
            intent = (event.intent or {}).get("name")
            break
        if event.type_name == "action":
            actions.append(event.action_name)
    understood = intent not in NOT_UNDERSTOOD_INTENTS and FALLBACK_ACTION not in actions
    return understood, intent


def production_profile() -> bool:
    """True under the production profile (`ASSISTANT_PROFILE=production`, set by run_production.sh
    through scripts/env.sh and by deploy/docker-compose.yml)."""
    return os.environ.get("ASSISTANT_PROFILE", "").strip().lower() == "production"


def from_loopback(request: Request) -> bool:
    """True when the caller itself is on this machine: a loopback peer that no proxy forwarded for."""
    if any(request.headers.get(name) for name in FORWARDING_HEADERS):
        return False
    try:
        address = ipaddress.ip_address((request.ip or "").split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


class HotlineInput(InputChannel):
    def __init__(self, token: str = "", reply_timeout_seconds: float = 8.0, store=None) -> None:
        self._token = token
        self.reply_timeout_seconds = float(reply_timeout_seconds)
        self.store = store if store is not None else shared_store()
        self.dedup = Deduplicator(self.store, ttl=600, namespace="hotline-turn")
        self._tasks: Set[asyncio.Task] = set()

    @classmethod
    def name(cls) -> str:
        return "hotline"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> "HotlineInput":
        credentials = credentials or {}
        # `token: ${HOTLINE_TOKEN}` in bot/credentials.yml; without the key, the variable itself.
        token = credentials.get("token")
        token = os.environ.get("HOTLINE_TOKEN", "") if token is None else str(token)
        if not token.strip():
            if production_profile():
                # Behind the balancer every request comes from loopback: without a token anyone
                # who reaches the balancer could speak for any call. Refuse to start instead.
                raise ValueError("HOTLINE_TOKEN must be set in the production profile "
                                 "(the hotline gateway sends it as 'Authorization: Bearer <token>')")
            logger.warning("hotline channel loaded without HOTLINE_TOKEN: it answers only requests from "
                           "this machine (loopback, not forwarded); set HOTLINE_TOKEN for the gateway")
        return cls(token=token.strip(),
                   reply_timeout_seconds=float(credentials.get("reply_timeout_seconds", 8.0)))

    def _authorised(self, request: Request) -> bool:
        if not self._token:
            # The embedded profile's convenience: local tools may call without a token, nobody else.
            return from_loopback(request)
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {self._token}".encode())

    async def _run(self, on_new_message, sender: str, text: str, turn: Turn) -> Optional[List[BotMessage]]:
        """The bot's messages, or None when the turn takes longer than the gateway can wait."""
        collector = HotlineCollector()
        message = UserMessage(text, collector, sender, input_channel=self.name(),
                              metadata={"hotline": {"event": turn.event, "turn_id": turn.turn_id}})
        task = asyncio.create_task(on_new_message(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        try:
            # shield: a gateway that hangs up must not cancel the turn halfway through.
            await asyncio.wait_for(asyncio.shield(task), self.reply_timeout_seconds)
        except asyncio.TimeoutError:
            logger.warning("hotline.turn.slow", extra={"call_id": turn.call_id})
            return None
        except Exception:
            logger.exception("hotline.turn.failed")
            return [BotMessage(text="抱歉，系统暂时繁忙。")]
        return collector.messages

    def _summary(self, state: CallState, reason: str, reference: Optional[str]) -> str:
        parts = ["热线来电转人工"]
        if reason == "not_understood":
            parts.append("智能客服多次未能理解客户诉求")
        if reference:
            parts.append(f"受理编号{reference}")
        if state.heard:
            parts.append("客户说：" + "，".join(f"“{h}”" for h in state.heard[-3:]))
        return mask_text("；".join(parts))[:200]

    def _transfer(self, turn: Turn, state: CallState, messages: List[BotMessage], reason: str) -> Dict:
        _, reference = handoff_reference(messages)
        spoken = speakable("\n".join(m.text for m in messages if m.text)) if reference else ""
        transfer = {"reference": reference, "reason": reason, "summary": self._summary(state, reason, reference)}
        return reply(turn.call_id, fit(spoken or TRANSFERRING), action="transfer", transfer=transfer)

    def _speak(self, turn: Turn, state: CallState, messages: List[BotMessage]) -> Dict:
        buttons = next((m.buttons for m in reversed(messages) if m.buttons), [])
        state.choices = [{"key": str(i), "label": b.title, "payload": b.payload}
                         for i, b in enumerate(buttons[:6], start=1)]
        body = speakable("\n".join(m.text for m in messages if m.text))
        tail = options_prompt([c["label"] for c in state.choices]) if state.choices else ""
        return reply(turn.call_id, fit(body, tail) or EMPTY_REPLY, choices=state.choices)

    def _keypad_menu(self, turn: Turn, state: CallState, messages: List[BotMessage]) -> Dict:
        buttons = next((m.buttons for m in reversed(messages) if m.buttons), [])
        offered = [(b.title, b.payload) for b in buttons if b.payload != f"/{HANDOFF_INTENT}"] or DEFAULT_CHOICES
        state.choices = [{"key": str(i), "label": title, "payload": payload}
                         for i, (title, payload) in enumerate(offered[:5], start=1)]
        prompt = options_prompt([c["label"] for c in state.choices], dtmf=True, operator_key=True)
        return reply(turn.call_id, fit("抱歉，我还是没能听明白。", prompt), input_mode="speech_or_dtmf",
                     choices=state.choices + [{"key": "0", "label": "转人工", "payload": f"/{HANDOFF_INTENT}"}])

    async def _not_understood(self, on_new_message, request, turn, state, messages) -> Dict:
        state.misses += 1
        if state.misses >= 3:
            sender = namespaced(self.name(), turn.call_id)
            handoff = await self._run(on_new_message, sender, f"/{HANDOFF_INTENT}", turn) or []
            return self._transfer(turn, state, handoff, "not_understood")
        if state.misses == 2:
            return self._keypad_menu(turn, state, messages)
        if not messages:  # silence on the line: ask again
            return reply(turn.call_id, "抱歉，我没有听清，请您再说一遍。", choices=state.choices)
        return self._speak(turn, state, messages)

    async def handle(self, on_new_message, request: Request, turn: Turn) -> Dict:
        state = await CallState(self.store, turn.call_id).load()
        sender = namespaced(self.name(), turn.call_id)
        if turn.event == "call_end":
            await state.forget()
            return reply(turn.call_id, "", action="hangup")
        heard = turn.dtmf or turn.text
        if turn.event == "call_start":
            text = "/greet"
        elif turn.event == "no_input" or not heard:
            result = await self._not_understood(on_new_message, request, turn, state, [])
            await state.save()
            return result
        else:
            # Spoken text is never taken as an intent: only our own choices send "/intent".
            text = state.choice_payload(heard) or typed_text(heard)
            if not turn.dtmf:
                state.heard.append(mask_text(heard)[:60])
        messages = await self._run(on_new_message, sender, text, turn)
        if messages is None:
            result = reply(turn.call_id, STALL, input_mode="speech_or_dtmf", choices=state.choices)
        else:
            result = await self._outcome(on_new_message, request, turn, state, messages, sender)
        await state.save()
        return result

    async def _outcome(self, on_new_message, request, turn, state, messages, sender) -> Dict:
        handed_off, _ = handoff_reference(messages)
        understood, intent = await dialogue_verdict(request, sender)
        if handed_off or intent == HANDOFF_INTENT:
            return self._transfer(turn, state, messages, "customer_request")
        if any(m.utter_action in GOODBYE_RESPONSES for m in messages):
            return reply(turn.call_id, fit(speakable("\n".join(m.text for m in messages))), action="hangup")
        if not understood:
            return await self._not_understood(on_new_message, request, turn, state, messages)
        state.misses = 0
        return self._speak(turn, state, messages)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("hotline_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authorised(request):
                return response.json({"error": "forbidden"}, status=403)
            try:
                turn = parse_turn(request.body)
            except BadRequest as bad:
                return response.json({"error": bad.message}, status=bad.status)
            key = f"{turn.call_id}:{turn.turn_id}"
            if turn.turn_id:
                earlier = await self.dedup.claim(key)
                if earlier is not None:  # the gateway retried a turn: same answer, no second run
                    cached = json.loads(earlier.reply) if earlier.reply else reply(turn.call_id, "请稍候。")
                    return response.json(cached)
            try:
                result = await self.handle(on_new_message, request, turn)
            except Exception:
                logger.exception("hotline.handle.failed")
                result = reply(turn.call_id, "抱歉，系统暂时繁忙，正在为您转接人工客服。", action="transfer",
                               transfer={"reference": None, "reason": "system_error", "summary": "热线来电，系统异常转人工"})
            if turn.turn_id:
                await self.dedup.remember_reply(key, json.dumps(result, ensure_ascii=False))
            return response.json(result)

        return bp
