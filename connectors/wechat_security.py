"""Checks every WeChat push passes before anything is parsed or reaches the dialogue.

Signatures and AES use wechatpy's code (WeChatSigner, PrpCrypto, WeChatCrypto); only the
comparison is ours, made constant-time. Order matters: signature first (403), then size (413),
then parsing (400), so a forged or oversized request is never parsed.
"""
from __future__ import annotations

import base64
import binascii
import hmac
import os
import re
import time
from dataclasses import dataclass
from typing import Callable, List, Optional

from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException
from wechatpy.utils import WeChatSigner

DEFAULT_MAX_BODY_BYTES = 64 * 1024  # real pushes are a few KB; encrypted ones about three times that
DEFAULT_MAX_CLOCK_SKEW = 300  # seconds between WeChat's timestamp and ours
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_ECHOSTR = re.compile(r"[A-Za-z0-9_\-+=/.]{1,256}")


class Rejected(Exception):
    """A request refused with an HTTP status and a short reason (never the details)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class WeChatSettings:
    """Secrets from the environment: `<PREFIX>_TOKEN`, `_APPID`, `_APPSECRET`, `_ENCODING_AES_KEY`."""

    prefix: str
    token: str = ""
    appid: str = ""
    secret: str = ""
    aes_key: str = ""
    require_encryption: bool = False

    @classmethod
    def from_env(cls, prefix: str) -> "WeChatSettings":
        env = os.environ
        aes_key = env.get(f"{prefix}_ENCODING_AES_KEY", "").strip()
        # With a key configured, plaintext pushes are refused unless explicitly allowed: in plain
        # mode the signature does not cover the body.
        allow_plain = env.get(f"{prefix}_ALLOW_PLAINTEXT", "").strip().lower() in ("1", "true", "yes")
        return cls(
            prefix=prefix,
            token=env.get(f"{prefix}_TOKEN", "").strip(),
            appid=env.get(f"{prefix}_APPID", "").strip(),
            secret=env.get(f"{prefix}_APPSECRET", "").strip(),
            aes_key=aes_key,
            require_encryption=bool(aes_key) and not allow_plain,
        )

    def missing(self, encrypted: bool = False) -> List[str]:
        names = [] if self.token else [f"{self.prefix}_TOKEN"]
        if encrypted:
            names += [] if self.aes_key else [f"{self.prefix}_ENCODING_AES_KEY"]
            names += [] if self.appid else [f"{self.prefix}_APPID"]
        return names

    @property
    def can_send(self) -> bool:
        return bool(self.appid and self.secret)

    def key_problem(self) -> Optional[str]:
        if not self.aes_key:
            return None
        try:
            if len(base64.b64decode(self.aes_key + "=")) == 32:
                return None
        except (binascii.Error, ValueError):
            pass
        return f"{self.prefix}_ENCODING_AES_KEY must be the 43-character EncodingAESKey"


def _signature(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("ascii"), (given or "").encode("ascii", "ignore"))


def check_signature(token: str, signature: Optional[str], timestamp: Optional[str], nonce: Optional[str]) -> None:
    if not (signature and timestamp and nonce):
        raise Rejected(403, "missing signature")
    if not _same(_signature(token, timestamp, nonce), signature):
        raise Rejected(403, "bad signature")


def check_fresh(timestamp: str, max_skew: float, clock: Callable[[], float] = time.time) -> None:
    """Old signed query strings cannot be replayed later."""
    if not timestamp.isdigit() or abs(clock() - int(timestamp)) > max_skew:
        raise Rejected(403, "stale timestamp")


def check_echostr(echostr: Optional[str]) -> str:
    if not echostr or not _ECHOSTR.fullmatch(echostr):
        raise Rejected(400, "bad echostr")
    return echostr


def check_body(body: Optional[bytes], max_bytes: int) -> bytes:
    if not body:
        raise Rejected(400, "empty body")
    if len(body) > max_bytes:
        raise Rejected(413, "body too large")
    return body


def check_xml(xml: bytes) -> bytes:
    """Refuses DTDs and entity declarations (entity expansion bombs) before any XML parser runs."""
    if _DTD.search(xml):
        raise Rejected(400, "DTD not allowed")
    return xml


def decrypt(settings: WeChatSettings, encrypt: Optional[str], msg_signature: Optional[str],
            timestamp: str, nonce: str) -> bytes:
    """The plaintext of a safe-mode push, after checking msg_signature over the ciphertext."""
    if not isinstance(encrypt, str) or not encrypt or not msg_signature:
        raise Rejected(400, "missing Encrypt or msg_signature")
    if not encrypt.isascii():  # base64 ciphertext; a lone surrogate (JSON "\ud800") cannot even be hashed
        raise Rejected(400, "malformed Encrypt")
    if not _same(_signature(settings.token, timestamp, nonce, encrypt), msg_signature):
        raise Rejected(403, "bad msg_signature")
    key = base64.b64decode(settings.aes_key + "=")
    try:
        plaintext = PrpCrypto(key).decrypt(encrypt, settings.appid)
    except InvalidAppIdException:
        raise Rejected(403, "message for another AppID")
    except Exception:  # bad base64, padding or length: the ciphertext is malformed
        raise Rejected(400, "cannot decrypt")
    return plaintext.encode("utf-8")


def encrypt_reply(settings: WeChatSettings, xml: str, nonce: str, timestamp: str) -> str:
    return WeChatCrypto(settings.token, settings.aes_key, settings.appid).encrypt_message(xml, nonce, timestamp)
