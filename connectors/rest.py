"""The REST channel (`rest`, /webhooks/rest/webhook) for tests and integrations, guarded.

Rasa's REST channel trusts the body: the `sender`, the `input_channel` it reports to the
dialogue, and any `metadata`. Here:
- sender ids of the customer channels (`wechat:…`, `hotline:…`, `kiosk:…`) are refused, so no one
  can read or continue a WeChat, hotline or kiosk conversation through REST;
- the input channel is always `rest`, whatever the body says (a REST client claiming `wechat`
  could otherwise subscribe any openid to notices or claim a channel's identity);
- the client's metadata is dropped: the only metadata is what the channel itself knows, the
  client's address (the verification back-off counts per address, security/rate_limit.py);
- a message longer than MAX_MESSAGE_CHARS is refused with 413 before it reaches the dialogue
  (and the body limit applies before the body is read: connectors/body_limits.py).
Everything else behaves exactly like Rasa's channel.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic.exceptions import SanicException
from sanic.request import Request

from connectors import is_namespaced

MAX_MESSAGE_CHARS = 1000
MAX_BODY_BYTES = 16 * 1024


class RestInput(RasaRestInput):
    async def _extract_sender(self, req: Request) -> Optional[Text]:
        if not isinstance(req.json, dict):
            raise SanicException("body must be a JSON object", status_code=400)
        sender = req.json.get("sender", None)
        if sender is not None and is_namespaced(str(sender)):
            raise SanicException("this sender id belongs to another channel", status_code=403)
        return sender

    def _extract_message(self, req: Request) -> Optional[Text]:
        message = req.json.get("message", None)
        if message is not None and len(str(message)) > MAX_MESSAGE_CHARS:
            raise SanicException(f"message longer than {MAX_MESSAGE_CHARS} characters", status_code=413)
        return message

    def _extract_input_channel(self, req: Request) -> Text:
        return self.name()

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        address = request.remote_addr or request.ip
        return {"client_address": address} if address else None
