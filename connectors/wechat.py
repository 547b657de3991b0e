"""WeChat official account (公众号) channel `wechat`: /webhooks/wechat/webhook.

XML pushes in plain, compatible or safe (AES) mode; text, voice with recognition, and events
(subscribe greets, menu CLICK keys are intent names). A passive XML reply when the bot answers
within ~4 s with one text, otherwise `success` and the customer-service message API.

Environment: WECHAT_TOKEN (required), WECHAT_APPID, WECHAT_APPSECRET (sending slow replies),
WECHAT_ENCODING_AES_KEY (safe mode), WECHAT_ALLOW_PLAINTEXT. See docs/CHANNELS.md.
"""
from __future__ import annotations

import time
from typing import Optional, Tuple

import xmltodict
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy.replies import TextReply

from connectors.wechat_channel import WeChatChannelBase
from connectors.wechat_inbound import Inbound, from_xml
from connectors.wechat_security import Rejected, check_xml, decrypt, encrypt_reply


class WeChatInput(WeChatChannelBase):
    env_prefix = "WECHAT"
    passive_reply = True
    max_event_sends = 3  # WeChat's quota after a follow or menu click

    @classmethod
    def name(cls) -> str:
        return "wechat"

    def read(self, request: Request, body: bytes) -> Tuple[Inbound, bool]:
        document = check_xml(body)
        if request.args.get("encrypt_type", "").lower() != "aes":
            if self.settings.require_encryption:
                raise Rejected(403, "plaintext push refused in safe mode")
            return from_xml(document), False
        try:
            envelope = xmltodict.parse(document.decode("utf-8")).get("xml") or {}
        except Exception:  # expat errors, bad encoding
            raise Rejected(400, "malformed XML")
        if not isinstance(envelope, dict):
            raise Rejected(400, "malformed XML")
        plaintext = decrypt(self.settings, envelope.get("Encrypt"), request.args.get("msg_signature"),
                            request.args.get("timestamp"), request.args.get("nonce"))
        return from_xml(check_xml(plaintext)), True

    def answer(self, request: Request, inbound: Inbound, reply: Optional[str], encrypted: bool) -> HTTPResponse:
        if not reply:
            # Plain "success" even in safe mode: an encrypted acknowledgement is shown as a fault.
            return response.text("success")
        # "]]>" would end wechatpy's CDATA section early and break the reply XML.
        content = reply.replace("]]>", "]] >")
        document = TextReply(message=inbound.message, content=content, time=int(time.time())).render()
        if encrypted:
            document = encrypt_reply(self.settings, document, request.args.get("nonce"), request.args.get("timestamp"))
        return response.text(document, content_type="application/xml; charset=utf-8")
