"""Real WeChat push payloads for tests: signed query strings, XML and JSON bodies, and
safe-mode envelopes encrypted with wechatpy's own crypto."""
from __future__ import annotations

import json
import time
import uuid
from typing import Dict, Optional, Tuple

from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

TOKEN = "test-token"
APPID = "wx0123456789abcdef"
SECRET = "test-secret"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as WeChat issues them
ACCOUNT = "gh_0123456789ab"


def sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def signed_query(token: str = TOKEN, timestamp: Optional[str] = None, nonce: Optional[str] = None,
                 **extra: str) -> Dict[str, str]:
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or uuid.uuid4().hex[:10]
    return {"signature": sign(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, **extra}


def text_xml(openid: str, content: str, msg_id: int, create_time: Optional[int] = None) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
        f"<MsgId>{msg_id}</MsgId></xml>"
    )


def event_xml(openid: str, event: str, key: str = "", create_time: Optional[int] = None) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>"
        f"<EventKey><![CDATA[{key}]]></EventKey></xml>"
    )


def image_xml(openid: str, msg_id: int) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[image]]></MsgType>"
        f"<PicUrl><![CDATA[http://example.invalid/p.jpg]]></PicUrl><MediaId><![CDATA[m1]]></MediaId>"
        f"<MsgId>{msg_id}</MsgId></xml>"
    )


def mp_text(openid: str, content: str, msg_id: int) -> Dict:
    return {"ToUserName": ACCOUNT, "FromUserName": openid, "CreateTime": int(time.time()),
            "MsgType": "text", "Content": content, "MsgId": msg_id}


def mp_enter_session(openid: str, session_from: str = "bill_page") -> Dict:
    return {"ToUserName": ACCOUNT, "FromUserName": openid, "CreateTime": int(time.time()),
            "MsgType": "event", "Event": "user_enter_tempsession", "SessionFrom": session_from}


def _ciphertext(plaintext: str, appid: str) -> str:
    envelope = WeChatCrypto(TOKEN, AES_KEY, appid).encrypt_message(plaintext, "n0nce", "1")
    start = envelope.index("<Encrypt><![CDATA[") + len("<Encrypt><![CDATA[")
    return envelope[start:envelope.index("]]></Encrypt>")]


def encrypted_xml(plain_xml: str, appid: str = APPID, timestamp: Optional[str] = None,
                  nonce: Optional[str] = None) -> Tuple[str, Dict[str, str]]:
    """(safe-mode body, query) as WeChat sends them: msg_signature over the ciphertext."""
    encrypt = _ciphertext(plain_xml, appid)
    query = signed_query(timestamp=timestamp, nonce=nonce, encrypt_type="aes")
    query["msg_signature"] = sign(TOKEN, query["timestamp"], query["nonce"], encrypt)
    body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    return body, query


def encrypted_json(fields: Dict, appid: str = APPID) -> Tuple[str, Dict[str, str]]:
    encrypt = _ciphertext(json.dumps(fields, ensure_ascii=False), appid)
    query = signed_query(encrypt_type="aes")
    query["msg_signature"] = sign(TOKEN, query["timestamp"], query["nonce"], encrypt)
    return json.dumps({"ToUserName": ACCOUNT, "Encrypt": encrypt}), query


def decrypt_reply(reply_xml: str, query: Dict[str, str]) -> str:
    """The plaintext of an encrypted passive reply, checking its MsgSignature as WeChat would."""
    import xmltodict

    data = xmltodict.parse(reply_xml)["xml"]
    crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
    return crypto.decrypt_message(reply_xml, data["MsgSignature"], data["TimeStamp"], data["Nonce"])
