"""WeChat pushes (XML or JSON) as one small inbound record, and what each means for the dialogue.

Parsing uses wechatpy's message and event classes (XML through `wechatpy.parser.parse_message`,
JSON through the same classes), so both formats and both channels read fields the same way.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from wechatpy.events import EVENT_TYPES
from wechatpy.messages import MESSAGE_TYPES, UnknownMessage
from wechatpy.parser import parse_message

from connectors import typed_text
from connectors.wechat_security import Rejected

MAX_TEXT_CHARS = 500
_OPENID = re.compile(r"[A-Za-z0-9_\-]{1,64}")
_MENU_KEY = re.compile(r"/?([a-z][a-z0-9_]{0,39})")
GREETING_EVENTS = {"subscribe", "subscribe_scan", "scan", "user_enter_tempsession"}
UNSUPPORTED_REPLY = "小南目前只能看懂文字消息，请用文字描述您的问题，例如“查询停电”或“转人工”。"


@dataclass
class Inbound:
    openid: str
    account: str
    msg_type: str
    text: str = ""
    event: str = ""
    event_key: str = ""
    msg_id: str = ""
    create_time: str = ""
    session_from: str = ""
    message: Any = field(default=None, repr=False)  # the wechatpy object, for passive replies

    def dedup_key(self, channel: str) -> str:
        """MsgId for messages, FromUserName+CreateTime(+event) for events; always with the sender."""
        if self.msg_id and self.msg_id != "0":
            return f"{channel}:{self.openid}:msg:{self.msg_id}"
        return f"{channel}:{self.openid}:event:{self.create_time}:{self.event}:{self.event_key}"

    @property
    def is_supported(self) -> bool:
        return self.msg_type in ("text", "event") or (self.msg_type == "voice" and bool(self.text))

    def dialogue_text(self) -> Optional[str]:
        """What the dialogue receives; None for pushes that need no answer (unsubscribe, VIEW...)."""
        if self.msg_type in ("text", "voice"):
            # Typed text is never taken as an intent: only our own mappings send "/intent".
            return typed_text(self.text)[:MAX_TEXT_CHARS] or None
        if self.msg_type != "event":
            return None
        if self.event in GREETING_EVENTS:
            return "/greet"
        if self.event == "click":
            match = _MENU_KEY.fullmatch(self.event_key or "")
            return f"/{match.group(1)}" if match else None
        return None

    def metadata(self) -> Dict[str, str]:
        data = {"msg_type": self.msg_type, "event": self.event, "event_key": self.event_key,
                "session_from": self.session_from, "account": self.account}
        return {k: v for k, v in data.items() if v}


def _field(message: Any, name: str) -> str:
    value = message._data.get(name)
    if isinstance(value, (dict, list)):  # nested XML or JSON where WeChat sends a scalar
        raise Rejected(400, "malformed message fields")
    return "" if value is None else str(value)


def _inbound(message: Any) -> Inbound:
    if isinstance(message, UnknownMessage) and "MsgType" not in message._data:
        raise Rejected(400, "not a WeChat message")
    openid = _field(message, "FromUserName")
    create_time = _field(message, "CreateTime")
    msg_id = _field(message, "MsgId")
    if not _OPENID.fullmatch(openid) or not create_time.isdigit() or (msg_id and not msg_id.isdigit()):
        raise Rejected(400, "malformed message fields")
    msg_type = _field(message, "MsgType").lower()
    text = _field(message, "Content") if msg_type == "text" else _field(message, "Recognition")
    return Inbound(
        openid=openid,
        account=_field(message, "ToUserName"),
        msg_type=msg_type,
        text=text,
        event=_field(message, "Event").lower(),
        event_key=_field(message, "EventKey"),
        msg_id=msg_id,
        create_time=create_time,
        session_from=_field(message, "SessionFrom")[:64],
        message=message,
    )


def from_xml(xml: bytes) -> Inbound:
    try:
        message = parse_message(xml.decode("utf-8"))
    except Exception:  # expat errors, missing <xml> root or MsgType, bad encoding
        raise Rejected(400, "malformed XML")
    if message is None:
        raise Rejected(400, "empty message")
    return _inbound(message)


def from_fields(fields: Dict[str, Any]) -> Inbound:
    """A JSON push: the same field names as XML, typed with wechatpy's classes."""
    if not isinstance(fields, dict) or not isinstance(fields.get("MsgType"), str):
        raise Rejected(400, "not a WeChat message")
    msg_type = fields["MsgType"].lower()
    if msg_type == "event":
        cls = EVENT_TYPES.get(str(fields.get("Event", "")).lower(), UnknownMessage)
    else:
        cls = MESSAGE_TYPES.get(msg_type, UnknownMessage)
    return _inbound(cls(dict(fields)))


def metadata_for(inbound: Inbound, channel: str) -> Dict[str, Any]:
    return {channel: inbound.metadata()}
