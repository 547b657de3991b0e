"""The REST channel (`rest`, /webhooks/rest/webhook) for tests and integrations, guarded.

Rasa's REST channel trusts the `sender` in the body. Sender ids of the customer channels
(`wechat:…`, `hotline:…`, `kiosk:…`) are refused here, so no one can read or continue a WeChat,
hotline or kiosk conversation through REST. Everything else behaves exactly like Rasa's channel.
"""
from __future__ import annotations

from typing import Optional, Text

from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic.exceptions import SanicException
from sanic.request import Request

from connectors import is_namespaced


class RestInput(RasaRestInput):
    async def _extract_sender(self, req: Request) -> Optional[Text]:
        if not isinstance(req.json, dict):
            raise SanicException("body must be a JSON object", status_code=400)
        sender = req.json.get("sender", None)
        if sender is not None and is_namespaced(str(sender)):
            raise SanicException("this sender id belongs to another channel", status_code=403)
        return sender
