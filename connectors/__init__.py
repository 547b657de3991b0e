"""Rasa input channels for the utility assistant: WeChat official account (`wechat`), WeChat
mini-program customer service (`wechat_mp`), the 95598 hotline text gateway (`hotline`), the
service-hall kiosk page (`kiosk`) and a guarded REST channel (`rest`).

Every channel namespaces its sender ids (`wechat:<openid>`, `hotline:<call_id>`, ...) so one
channel can never address another channel's conversations. See docs/CHANNELS.md.
"""

import re

SENDER_NAMESPACES = ("wechat", "wechat_mp", "hotline", "kiosk")
# Whitespace (any width), zero-width characters and slashes before the text: Rasa takes a message
# that starts with "/" as an intent, so typed text must never reach it with one.
_LEADING_SLASHES = re.compile(r"^[\s/\u200b\u200c\u200d\u2060\ufeff]+")


def namespaced(channel: str, local_id: str) -> str:
    return f"{channel}:{local_id}"


def is_namespaced(sender_id: str) -> bool:
    """True when a sender id belongs to one of our channels (REST may not use those)."""
    prefix, sep, _ = str(sender_id).partition(":")
    return bool(sep) and prefix.strip().lower() in SENDER_NAMESPACES


def typed_text(text: str) -> str:
    """What a customer typed or said, made safe for the dialogue: never an "/intent".

    Leading whitespace and slashes are removed together (" /greet", "/ /greet"); a message of
    nothing but slashes keeps them in full width (the NLU then answers it as text)."""
    text = str(text or "")
    return _LEADING_SLASHES.sub("", text).strip() or text.strip().replace("/", "／")
