"""Rasa input channels for the utility assistant: WeChat official account (`wechat`), WeChat
mini-program customer service (`wechat_mp`), the 95598 hotline text gateway (`hotline`), the
service-hall kiosk page (`kiosk`) and a guarded REST channel (`rest`).

Every channel namespaces its sender ids (`wechat:<openid>`, `hotline:<call_id>`, ...) so one
channel can never address another channel's conversations. See docs/CHANNELS.md.
"""

SENDER_NAMESPACES = ("wechat", "wechat_mp", "hotline", "kiosk")


def namespaced(channel: str, local_id: str) -> str:
    return f"{channel}:{local_id}"


def is_namespaced(sender_id: str) -> bool:
    """True when a sender id belongs to one of our channels (REST may not use those)."""
    prefix, sep, _ = str(sender_id).partition(":")
    return bool(sep) and prefix.strip().lower() in SENDER_NAMESPACES
