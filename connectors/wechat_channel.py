"""What the official-account and mini-program channels share: configuration, URL verification,
request checks and the hand-over to `WeChatTurns`. Subclasses read the body format and answer.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors.kvstore import shared_store
from connectors.messages import MessageCollector
from connectors.wechat_api import CustomerServiceAPI, shared_token_service
from connectors.wechat_inbound import Inbound
from connectors.wechat_security import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_CLOCK_SKEW,
    Rejected,
    WeChatSettings,
    check_body,
    check_echostr,
    check_fresh,
    check_signature,
)
from connectors.wechat_turns import PushingOutput, WeChatTurns

logger = logging.getLogger(__name__)


class WeChatChannelBase(InputChannel):
    env_prefix = "WECHAT"
    passive_reply = True
    max_event_sends = 3

    def __init__(self, settings: WeChatSettings, reply_wait_seconds: float = 4.0,
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, max_clock_skew: float = DEFAULT_MAX_CLOCK_SKEW,
                 store=None, api: Optional[CustomerServiceAPI] = None) -> None:
        self.settings = settings
        # Under WeChat's 5 s, leaving time for the network and the answer itself.
        self.reply_wait_seconds = min(float(reply_wait_seconds), 4.5)
        self.max_body_bytes = int(max_body_bytes)
        self.max_clock_skew = float(max_clock_skew)
        self.store = store if store is not None else shared_store()
        self._api = api
        self.turns: Optional[WeChatTurns] = None
        problem = settings.key_problem()
        if problem:
            raise ValueError(problem)

    @classmethod
    def settings_from(cls, credentials: Dict[str, Any]) -> WeChatSettings:
        """Secrets from bot/credentials.yml, where they are `${VAR}` references Rasa expands from
        the environment (`token`, `appid`, `secret`, `encoding_aes_key`); a key left out of the
        file falls back to the `<PREFIX>_...` variable itself."""
        env = WeChatSettings.from_env(cls.env_prefix)

        def pick(key: str, default: str) -> str:
            value = credentials.get(key)
            return default if value is None else str(value).strip()

        aes_key = pick("encoding_aes_key", env.aes_key)
        # With a key, plaintext pushes are refused unless allowed (the signature does not cover them).
        allow_plain = any(str(value).strip().lower() in ("1", "true", "yes") for value in (
            credentials.get("allow_plaintext", ""), os.environ.get(f"{cls.env_prefix}_ALLOW_PLAINTEXT", "")))
        return WeChatSettings(prefix=cls.env_prefix, token=pick("token", env.token), appid=pick("appid", env.appid),
                              secret=pick("secret", env.secret), aes_key=aes_key,
                              require_encryption=bool(aes_key) and not allow_plain)

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> "WeChatChannelBase":
        credentials = credentials or {}
        settings = cls.settings_from(credentials)
        if settings.missing():
            logger.warning("%s channel loaded without %s: its webhook answers 503 until it is set",
                           cls.name(), ", ".join(settings.missing()))
        return cls(
            settings,
            reply_wait_seconds=float(credentials.get("reply_wait_seconds", 4.0)),
            max_body_bytes=int(credentials.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)),
            max_clock_skew=float(credentials.get("max_clock_skew_seconds", DEFAULT_MAX_CLOCK_SKEW)),
        )

    def api(self) -> Optional[CustomerServiceAPI]:
        if self._api is None and self.settings.can_send:
            tokens = shared_token_service(self.settings.appid, self.settings.secret, self.store)
            self._api = CustomerServiceAPI(tokens)
        return self._api

    def collector_class(self) -> type:
        return type(f"{self.name()}Collector", (MessageCollector,), {"channel_name": self.name()})

    def get_output_channel(self) -> Optional[PushingOutput]:
        return PushingOutput(self.name(), self.api()) if self.api() else None

    # ------------------------------------------------------------ per-format parts

    def read(self, request: Request, body: bytes) -> Tuple[Inbound, bool]:
        """(the message, whether it came encrypted)."""
        raise NotImplementedError

    def answer(self, request: Request, inbound: Inbound, reply: Optional[str], encrypted: bool) -> HTTPResponse:
        return response.text("success")

    # ------------------------------------------------------------ shared checks

    def _check_configured(self, encrypted: bool) -> None:
        missing = self.settings.missing(encrypted)
        if missing:
            logger.error("%s webhook called but %s not set", self.name(), ", ".join(missing))
            raise Rejected(503, f"channel not configured: set {', '.join(missing)}")

    def _check_query(self, request: Request) -> Tuple[str, str]:
        args = request.args
        timestamp, nonce = args.get("timestamp"), args.get("nonce")
        check_signature(self.settings.token, args.get("signature"), timestamp, nonce)
        check_fresh(timestamp, self.max_clock_skew)
        return timestamp, nonce

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint(f"{self.name()}_webhook", __name__)
        self.turns = WeChatTurns(
            self.name(), self.collector_class(), on_new_message, self.store, self.api,
            self.reply_wait_seconds if self.passive_reply else None,
            max_event_sends=self.max_event_sends,
        )

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": not self.settings.missing()})

        @bp.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            try:
                self._check_configured(False)
                check_signature(self.settings.token, request.args.get("signature"),
                                request.args.get("timestamp"), request.args.get("nonce"))
                return response.text(check_echostr(request.args.get("echostr")))
            except Rejected as rejected:
                return response.text(rejected.reason, status=rejected.status)

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            encrypted = request.args.get("encrypt_type", "").lower() == "aes"
            try:
                self._check_configured(encrypted)
                timestamp, nonce = self._check_query(request)
                body = check_body(request.body, self.max_body_bytes)
                inbound, encrypted = self.read(request, body)
                if not await self.turns.dedup.bind_nonce(timestamp, nonce, inbound.dedup_key(self.name())):
                    raise Rejected(403, "replayed signature")
            except Rejected as rejected:
                if rejected.status >= 500:
                    return response.text(rejected.reason, status=rejected.status)
                logger.warning("%s.rejected", self.name(), extra={"status": rejected.status, "reason": rejected.reason})
                return response.text(rejected.reason, status=rejected.status)
            try:
                reply = await self.turns.handle(inbound)
            except Exception:
                # The store or the loop failed: answer so WeChat shows no error, log for us.
                logger.exception("%s.handle.failed", self.name())
                reply = None
            return self.answer(request, inbound, reply, encrypted)

        return bp
