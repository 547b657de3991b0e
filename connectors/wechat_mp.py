"""WeChat mini-program customer-service channel `wechat_mp`: /webhooks/wechat_mp/webhook.

Message push in JSON mode (plain or safe mode). The mini-program has no passive reply: every
push is answered `success` at once and the bot's reply goes out through the customer-service
message API (text only from us; link and mini-program cards are available in `wechat_api`).
`user_enter_tempsession` (the customer opened the contact button) starts a greeting.

Environment: WECHAT_MP_TOKEN, WECHAT_MP_APPID, WECHAT_MP_APPSECRET (all required for replies),
WECHAT_MP_ENCODING_AES_KEY (safe mode), WECHAT_MP_ALLOW_PLAINTEXT. See docs/CHANNELS.md.
"""
from __future__ import annotations

import json
from typing import Optional, Tuple

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors.wechat_channel import WeChatChannelBase
from connectors.wechat_inbound import Inbound, from_fields
from connectors.wechat_security import Rejected, decrypt


def _json_object(raw: bytes) -> dict:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Rejected(400, "malformed JSON")
    if not isinstance(data, dict):
        raise Rejected(400, "malformed JSON")
    return data


class WeChatMiniProgramInput(WeChatChannelBase):
    env_prefix = "WECHAT_MP"
    passive_reply = False
    max_event_sends = 2  # quota after entering the customer-service session

    @classmethod
    def name(cls) -> str:
        return "wechat_mp"

    def read(self, request: Request, body: bytes) -> Tuple[Inbound, bool]:
        data = _json_object(body)
        if request.args.get("encrypt_type", "").lower() != "aes":
            if self.settings.require_encryption:
                raise Rejected(403, "plaintext push refused in safe mode")
            return from_fields(data), False
        plaintext = decrypt(self.settings, data.get("Encrypt"), request.args.get("msg_signature"),
                            request.args.get("timestamp"), request.args.get("nonce"))
        return from_fields(_json_object(plaintext)), True

    def answer(self, request: Request, inbound: Inbound, reply: Optional[str], encrypted: bool) -> HTTPResponse:
        # Always the plain word: an encrypted "success" makes WeChat report a service fault.
        return response.text("success")
