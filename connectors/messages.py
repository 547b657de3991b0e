"""One response model, rendered per channel.

Actions send channel-neutral messages (docs/ARCHITECTURE.md, "Messages"): `text` that is always
complete on its own, optional `buttons` (title, payload) and optionally a card in
`custom={"card": {"kind", "title", "fields": [[label, value], ...]}}`. Each connector turns the
bot's messages of one turn into what its channel can show:
- WeChat: plain text, buttons as numbered options, split at WeChat's length limit;
- hotline: speech (see `connectors.speech`);
- kiosk: JSON the page draws (card as a table, its duplicate text lines removed).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from rasa.core.channels.channel import OutputChannel

logger = logging.getLogger(__name__)

# WeChat drops text messages over 2048 bytes silently (passive reply and customer-service API).
WECHAT_TEXT_LIMIT_BYTES = 2048
HANDOFF_KIND = "handoff"
HANDOFF_REFERENCE_LABEL = "受理编号"


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Card:
    kind: str
    title: str
    fields: Tuple[Tuple[str, str], ...]

    def value(self, label: str) -> Optional[str]:
        return next((value for name, value in self.fields if name == label), None)

    def as_text(self) -> str:
        """The plain-text form actions put into `text` (actions.replies.card_text)."""
        return "\n".join([f"【{self.title}】"] + [f"{label}：{value}" for label, value in self.fields])

    def as_json(self) -> Dict[str, Any]:
        return {"kind": self.kind, "title": self.title, "fields": [list(f) for f in self.fields]}


@dataclass
class BotMessage:
    text: str = ""
    buttons: List[Button] = field(default_factory=list)
    card: Optional[Card] = None
    image: Optional[str] = None
    utter_action: Optional[str] = None


def _card(custom: Any) -> Optional[Card]:
    raw = custom.get("card") if isinstance(custom, dict) else None
    if not isinstance(raw, dict):
        return None
    fields = []
    for item in raw.get("fields") or []:
        if isinstance(item, (list, tuple)) and len(item) == 2:
            fields.append((str(item[0]), str(item[1])))
    return Card(str(raw.get("kind") or ""), str(raw.get("title") or ""), tuple(fields))


def _buttons(raw: Any) -> List[Button]:
    buttons = []
    for item in raw or []:
        if not isinstance(item, dict) or not item.get("title"):
            continue
        payload = item.get("payload") or item.get("url") or item.get("title")
        buttons.append(Button(str(item["title"]), str(payload)))
    return buttons


def from_rasa(message: Dict[str, Any]) -> BotMessage:
    """A message as Rasa hands it to an output channel (`BotUttered.message()`)."""
    return BotMessage(
        text=str(message.get("text") or "").strip(),
        buttons=_buttons(message.get("buttons") or message.get("quick_replies")),
        card=_card(message.get("custom")),
        image=message.get("image") or None,
        utter_action=message.get("utter_action"),
    )


class MessageCollector(OutputChannel):
    """Collects a turn's messages whole (Rasa's collector splits text from its card and buttons).

    Subclasses set `channel_name`: Rasa picks `channel:` response variations by the output
    channel's name, so each channel gets its own.
    """

    channel_name = "collector"

    def __init__(self) -> None:
        self.messages: List[BotMessage] = []

    @classmethod
    def name(cls) -> str:
        return cls.channel_name

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        self.messages.append(from_rasa(message))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.messages.append(BotMessage(text=text.strip()))


def handoff_reference(messages: Iterable[BotMessage]) -> Tuple[bool, Optional[str]]:
    """(a handoff happened, its 受理编号) from the handoff card `action_human_handoff` sends."""
    for message in messages:
        if message.card and message.card.kind == HANDOFF_KIND:
            return True, message.card.value(HANDOFF_REFERENCE_LABEL)
    return False, None


def text_without_card(message: BotMessage) -> str:
    """The text minus the lines that repeat the card, for channels that draw the card."""
    if not message.card:
        return message.text
    card_text = message.card.as_text()
    if card_text in message.text:
        return re.sub(r"\n{3,}", "\n\n", message.text.replace(card_text, "")).strip()
    return message.text


# ---------------------------------------------------------------- WeChat text


def _numbered(buttons: Sequence[Button], start: int) -> str:
    lines = [f"{start + i}. {b.title}" for i, b in enumerate(buttons)]
    return "回复数字即可选择：\n" + "\n".join(lines)


def wechat_text(messages: Sequence[BotMessage]) -> Tuple[str, List[str]]:
    """All of a turn's messages as one text, and the payloads its numbered options stand for."""
    parts: List[str] = []
    payloads: List[str] = []
    for message in messages:
        text = message.text
        if message.image:
            text = f"{text}\n图片：{message.image}".strip()
        if message.buttons:
            text = f"{text}\n{_numbered(message.buttons, len(payloads) + 1)}".strip()
            payloads.extend(b.payload for b in message.buttons)
        if text:
            parts.append(text)
    return "\n\n".join(parts), payloads


_BREAKS = re.compile(r"(?<=\n)|(?<=[。！？；!?;])")


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _hard_cut(text: str, max_bytes: int) -> List[str]:
    pieces, current = [], ""
    for char in text:
        if _utf8_len(current + char) > max_bytes:
            pieces.append(current)
            current = ""
        current += char
    return pieces + ([current] if current else [])


def split_text(text: str, max_bytes: int = WECHAT_TEXT_LIMIT_BYTES) -> List[str]:
    """Pieces of at most `max_bytes` UTF-8 bytes, cut at line or sentence ends where possible."""
    text = text.strip()
    if not text:
        return []
    chunks: List[str] = []
    current = ""
    for segment in (s for s in _BREAKS.split(text) if s):
        if _utf8_len(current + segment) <= max_bytes:
            current += segment
            continue
        if current.strip():
            chunks.append(current.strip())
        current = ""
        if _utf8_len(segment) > max_bytes:
            *whole, current = _hard_cut(segment, max_bytes)
            chunks.extend(p.strip() for p in whole if p.strip())
        else:
            current = segment
    if current.strip():
        chunks.append(current.strip())
    return chunks


def wechat_chunks(messages: Sequence[BotMessage], max_bytes: int = WECHAT_TEXT_LIMIT_BYTES,
                  max_messages: int = 5) -> Tuple[List[str], List[str]]:
    """Texts to send (at most `max_messages`, WeChat's per-turn quota) and the option payloads."""
    text, payloads = wechat_text(messages)
    chunks = split_text(text, max_bytes)
    if len(chunks) > max_messages:
        logger.warning("wechat.reply.truncated", extra={"chunks": len(chunks), "kept": max_messages})
        chunks = chunks[:max_messages]
    return chunks, payloads


# ---------------------------------------------------------------- kiosk JSON


def kiosk_json(messages: Sequence[BotMessage]) -> List[Dict[str, Any]]:
    rendered = []
    for message in messages:
        item: Dict[str, Any] = {"text": text_without_card(message)}
        if message.buttons:
            item["buttons"] = [{"title": b.title, "payload": b.payload} for b in message.buttons]
        if message.card:
            item["card"] = message.card.as_json()
        if item["text"] or len(item) > 1:
            rendered.append(item)
    return rendered
