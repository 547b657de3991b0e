"""Every channel in bot/credentials.yml answers on its documented URL of the real Rasa server
(trained model, action server, back end), signed and authorised the way the real senders do it.
The channel secrets are the test values of tests/e2e/conftest.py (CHANNEL_ENV)."""
from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET

import pytest

from tests.e2e.conftest import CHANNEL_ENV


def request(url, data=None, headers=None, method=None, timeout=30):
    """(status, body bytes, headers) without raising on 4xx."""
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers


def signed_query(token: str, **extra) -> str:
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    return urllib.parse.urlencode({"signature": signature, "timestamp": timestamp, "nonce": nonce, **extra})


@pytest.mark.parametrize("channel, token", [("wechat", CHANNEL_ENV["WECHAT_TOKEN"]),
                                            ("wechat_mp", CHANNEL_ENV["WECHAT_MP_TOKEN"])])
def test_wechat_url_verification(stack, channel, token):
    url = f"{stack.rasa_url}/webhooks/{channel}/webhook"
    status, body, _ = request(f"{url}?{signed_query(token, echostr='e2e-echo-1234')}")
    assert (status, body) == (200, b"e2e-echo-1234")
    status, _, _ = request(f"{url}?{signed_query('not-the-token', echostr='e2e-echo-1234')}")
    assert status == 403


def test_wechat_text_message_is_answered(stack):
    openid = f"oE2E{uuid.uuid4().hex[:16]}"
    xml = (f"<xml><ToUserName><![CDATA[gh_e2e]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
           f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
           f"<Content><![CDATA[你好]]></Content><MsgId>{int(time.time() * 1000)}</MsgId></xml>").encode("utf-8")
    url = f"{stack.rasa_url}/webhooks/wechat/webhook?{signed_query(CHANNEL_ENV['WECHAT_TOKEN'])}"
    started = time.monotonic()
    status, body, _ = request(url, data=xml, headers={"Content-Type": "text/xml"}, method="POST")
    assert status == 200 and time.monotonic() - started < 5  # within WeChat's window
    if body != b"success":  # a passive reply (the turn finished within ~4 s)
        reply = ET.fromstring(body.decode("utf-8"))
        assert reply.findtext("ToUserName") == openid and reply.findtext("MsgType") == "text"
        assert "小南" in reply.findtext("Content")
    tracker = json.loads(request(f"{stack.rasa_url}/conversations/wechat:{openid}/tracker?token={stack.api_token}")[1])
    assert any(e.get("text") == "你好" for e in tracker["events"] if e["event"] == "user")


def test_hotline_turns(stack):
    url = f"{stack.rasa_url}/webhooks/hotline/webhook"
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {CHANNEL_ENV['HOTLINE_TOKEN']}"}
    call_id = f"e2e-{uuid.uuid4().hex[:12]}"
    status, body, _ = request(url, json.dumps({"call_id": call_id, "event": "call_start"}).encode(), headers)
    assert status == 200
    greeting = json.loads(body)
    assert greeting["call_id"] == call_id and greeting["action"] == "collect"
    assert "小南" in greeting["speak"] and len(greeting["speak"]) <= 300 and "http" not in greeting["speak"]
    status, body, _ = request(url, json.dumps({"call_id": call_id, "text": "转人工"}, ensure_ascii=False).encode(),
                              headers)
    transfer = json.loads(body)
    assert status == 200 and transfer["action"] == "transfer"
    assert transfer["transfer"]["reference"].startswith("RG") and len(transfer["speak"]) <= 300
    status, _, _ = request(url, json.dumps({"call_id": call_id, "text": "你好"}).encode(),
                           {"Content-Type": "application/json", "Authorization": "Bearer wrong"})
    assert status == 403


def test_kiosk_page_and_endpoint(stack):
    status, body, headers = request(f"{stack.rasa_url}/webhooks/kiosk/")
    assert status == 200 and headers["Content-Type"].startswith("text/html") and "转人工".encode() in body
    status, body, _ = request(f"{stack.rasa_url}/webhooks/kiosk/config")
    assert status == 200 and json.loads(body)["topics"]
    sender = str(uuid.uuid4())
    status, body, _ = request(f"{stack.rasa_url}/webhooks/kiosk/webhook",
                              json.dumps({"sender": sender, "message": "你好"}, ensure_ascii=False).encode(),
                              {"Content-Type": "application/json"})
    assert status == 200
    messages = json.loads(body)["messages"]
    assert "小南" in messages[0]["text"] and messages[0].get("buttons")
    status, body, _ = request(f"{stack.rasa_url}/webhooks/kiosk/webhook", b"{broken",
                              {"Content-Type": "application/json"})
    assert status == 400 and "error" in json.loads(body)
    # The REST channel cannot read or continue the kiosk conversation.
    status, _, _ = request(f"{stack.rasa_url}/webhooks/rest/webhook",
                           json.dumps({"sender": f"kiosk:{sender}", "message": "你好"}).encode(),
                           {"Content-Type": "application/json"})
    assert status == 403
