"""Property-based tests of every channel connector's parser (connectors/): WeChat XML (plain and
safe/AES mode), the mini-program's JSON, the hotline gateway's JSON, the kiosk page's JSON and
the guarded REST channel.

Two levels: the parsing functions directly (any input is parsed or refused with the module's own
exception, nothing else escapes), and the real Sanic webhooks (the channels mounted as `rasa
run` mounts them, with a scripted agent): no 5xx, no stack trace, and a refused request never
reaches the dialogue; what does reach it is a bounded string in the channel's own namespace.
"""
from __future__ import annotations

import asyncio
import http.client
import json
import threading
import time
import urllib.parse
import uuid
from types import SimpleNamespace
from typing import Dict, List, Optional, Tuple

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from connectors import SENDER_NAMESPACES, is_namespaced
from connectors.hotline import MAX_TEXT_CHARS as HOTLINE_MAX_CHARS
from connectors.hotline import BadRequest, HotlineInput, parse_turn
from connectors.kiosk import MAX_MESSAGE_CHARS as KIOSK_MAX_CHARS
from connectors.kiosk import KioskInput
from connectors.kvstore import MemoryStore
from connectors.rest import RestInput
from connectors.wechat import WeChatInput
from connectors.wechat_inbound import MAX_TEXT_CHARS as WECHAT_MAX_CHARS
from connectors.wechat_inbound import Inbound, from_fields, from_xml
from connectors.wechat_mp import WeChatMiniProgramInput
from connectors.wechat_security import Rejected, WeChatSettings, check_xml
from tests.connectors import wechat_payloads as wx
from tests.connectors.fakes import FakeAgent, serve
from tests.fuzz.strategies import hostile_bytes, hostile_text, json_scalars, json_values

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
HTTP_FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))

WECHAT_FIELDS = ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "Event", "EventKey",
                 "Recognition", "SessionFrom", "MediaId", "Format"]
MSG_TYPES = st.sampled_from(["text", "event", "voice", "image", "location", "link", "TEXT", "", "miniprogrampage"])
EVENTS = st.sampled_from(["subscribe", "unsubscribe", "CLICK", "VIEW", "SCAN", "user_enter_tempsession", "", "x"])


def settings_for(prefix: str, aes: bool = False) -> WeChatSettings:
    return WeChatSettings(prefix=prefix, token=wx.TOKEN, appid=wx.APPID, secret="",
                          aes_key=wx.AES_KEY if aes else "", require_encryption=False)


def as_json(value, escaped: bool) -> bytes:
    """JSON with raw UTF-8 (a lone surrogate becomes invalid UTF-8) or with \\u escapes (it arrives)."""
    return json.dumps(value, ensure_ascii=escaped).encode("utf-8", "surrogatepass")


def json_bodies(strategy) -> st.SearchStrategy[bytes]:
    return st.builds(as_json, strategy, st.booleans())


def cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


@st.composite
def wechat_fields(draw) -> Dict[str, object]:
    """A push whose every field may be hostile, missing, or of the wrong JSON type."""
    fields: Dict[str, object] = {
        "ToUserName": wx.ACCOUNT,
        "FromUserName": draw(st.sampled_from(["oUser_1", "o-" + "a" * 62]) | hostile_text(80)),
        "CreateTime": draw(st.sampled_from([str(int(time.time())), "0"]) | hostile_text(20)),
        "MsgType": draw(MSG_TYPES | hostile_text(20)),
        "Content": draw(hostile_text()),
        "MsgId": draw(st.sampled_from(["1234567890123456", "0", ""]) | hostile_text(30)),
        "Event": draw(EVENTS),
        "EventKey": draw(st.sampled_from(["bill_query", "/outage_lookup", "BILL", ""]) | hostile_text(40)),
        "Recognition": draw(hostile_text(100)),
        "SessionFrom": draw(hostile_text(100)),
    }
    for name in draw(st.lists(st.sampled_from(WECHAT_FIELDS), max_size=3)):
        fields.pop(name, None)
    for name in draw(st.lists(st.sampled_from(WECHAT_FIELDS), max_size=2)):
        fields[name] = draw(json_values())
    return fields


def to_xml(fields: Dict[str, object]) -> str:
    parts = []
    for name, value in fields.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        parts.append(f"<{name}>{cdata(text)}</{name}>")
    return "<xml>" + "".join(parts) + "</xml>"


def check_inbound(inbound: Inbound) -> None:
    """What a parsed push may hand to the dialogue."""
    text = inbound.dialogue_text()
    assert text is None or isinstance(text, str)
    if text is not None and inbound.msg_type in ("text", "voice"):
        assert 0 < len(text) <= WECHAT_MAX_CHARS and not text.startswith("/")  # typed text is never an intent
    if text is not None and inbound.msg_type == "event":
        assert text == "/greet" or (text.startswith("/") and text[1:].replace("_", "").isalnum())
    assert isinstance(inbound.dedup_key("wechat"), str)
    assert all(isinstance(v, str) for v in inbound.metadata().values())


# ------------------------------------------------------------------ parsers, called directly


@FUZZ
@given(hostile_bytes())
def test_wechat_xml_parser_takes_any_bytes(body):
    try:
        check_inbound(from_xml(check_xml(body)))
    except Rejected as rejected:
        assert 400 <= rejected.status < 500


@FUZZ
@given(wechat_fields())
def test_wechat_xml_with_hostile_fields(fields):
    body = to_xml(fields).encode("utf-8", "surrogatepass")
    try:
        check_inbound(from_xml(check_xml(body)))
    except Rejected as rejected:
        assert 400 <= rejected.status < 500


@FUZZ
@given(st.sampled_from(["<!DOCTYPE x [<!ENTITY a 'b'>]>", "<!ENTITY e SYSTEM 'file:///etc/passwd'>", "<! doctype x>"]),
       wechat_fields())
def test_wechat_xml_refuses_dtds_before_parsing(dtd, fields):
    with pytest.raises(Rejected) as refused:
        from_xml(check_xml((dtd + to_xml(fields)).encode("utf-8", "surrogatepass")))
    assert refused.value.status == 400


@FUZZ
@given(wechat_fields() | json_values())
def test_mini_program_json_parser_takes_any_object(fields):
    try:
        check_inbound(from_fields(fields))
    except Rejected as rejected:
        assert 400 <= rejected.status < 500


def fake_request(**args: str) -> SimpleNamespace:
    return SimpleNamespace(args=args)


@FUZZ
@given(hostile_bytes(), st.booleans())
def test_channel_read_takes_any_body(body, aes):
    """WeChatInput.read / WeChatMiniProgramInput.read, plain and safe mode, on arbitrary bytes."""
    for channel in (WeChatInput(settings_for("WECHAT", aes), store=MemoryStore()),
                    WeChatMiniProgramInput(settings_for("WECHAT_MP", aes), store=MemoryStore())):
        query = wx.signed_query(encrypt_type="aes", msg_signature="x") if aes else wx.signed_query()
        try:
            inbound, _ = channel.read(fake_request(**query), body)
            check_inbound(inbound)
        except Rejected as rejected:
            assert 400 <= rejected.status < 500


@FUZZ
@given(wechat_fields(), st.sampled_from([wx.APPID, "wxOTHERAPPID00000"]))
def test_safe_mode_decrypts_or_refuses(fields, appid):
    """Correctly signed and encrypted envelopes around hostile plaintext; and foreign AppIDs."""
    plain = to_xml(fields)
    try:
        body, query = wx.encrypted_xml(plain.encode("utf-8", "replace").decode("utf-8"), appid=appid)
    except Exception:  # the test helper (wechatpy) cannot encrypt it: nothing to send
        return
    channel = WeChatInput(settings_for("WECHAT", aes=True), store=MemoryStore())
    try:
        inbound, encrypted = channel.read(fake_request(**query), body.encode("utf-8"))
        assert encrypted and appid == wx.APPID
        check_inbound(inbound)
    except Rejected as rejected:
        assert 400 <= rejected.status < 500
        if appid != wx.APPID:
            assert rejected.status == 403


@FUZZ
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=400)
       | hostile_text().filter(lambda t: not any("\ud800" <= c <= "\udfff" for c in t)), st.booleans())
def test_safe_mode_refuses_forged_ciphertext(encrypt, good_signature):
    query = wx.signed_query(encrypt_type="aes")
    query["msg_signature"] = wx.sign(wx.TOKEN, query["timestamp"], query["nonce"], encrypt) if good_signature else "0" * 40
    body = f"<xml><ToUserName>{cdata(wx.ACCOUNT)}</ToUserName><Encrypt>{cdata(encrypt)}</Encrypt></xml>"
    channel = WeChatInput(settings_for("WECHAT", aes=True), store=MemoryStore())
    with pytest.raises(Rejected) as refused:
        channel.read(fake_request(**query), body.encode("utf-8", "surrogatepass"))
    assert 400 <= refused.value.status < 500


@st.composite
def hotline_bodies(draw) -> Dict[str, object]:
    body: Dict[str, object] = {
        "call_id": draw(st.sampled_from(["call-1", "c:2.x_y"]) | hostile_text(80) | json_scalars()),
        "text": draw(hostile_text(600) | json_scalars()),
        "event": draw(st.sampled_from(["speech", "dtmf", "call_start", "no_input", "call_end", None]) | hostile_text(20)),
        "dtmf": draw(st.sampled_from(["", "1", "0", "*#", None]) | hostile_text(10) | json_scalars()),
        "turn_id": draw(st.sampled_from(["", "t1", None]) | hostile_text(80) | json_scalars()),
    }
    for name in draw(st.sets(st.sampled_from(sorted(body)), max_size=3)):
        body.pop(name)
    return body


@FUZZ
@given(hostile_bytes() | json_bodies(hotline_bodies()))
def test_hotline_parser_takes_any_body(body):
    try:
        turn = parse_turn(body)
    except BadRequest as bad:
        assert bad.status in (400, 413)
        return
    assert isinstance(turn.call_id, str) and 1 <= len(turn.call_id) <= 64
    assert isinstance(turn.text, str) and len(turn.text) <= HOTLINE_MAX_CHARS and turn.text == turn.text.strip()
    assert turn.event in ("speech", "dtmf", "call_start", "no_input", "call_end")
    assert set(turn.dtmf) <= set("0123456789*#")


# ------------------------------------------------------------------ the webhooks over HTTP


class Webhooks:
    """All channels mounted on one real Sanic server, on an event loop in a background thread,
    so hypothesis' synchronous examples can talk to it over HTTP."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.agent = FakeAgent()
        self.store = MemoryStore()
        channels = [
            # Safe mode configured, plaintext still allowed: both modes can be fuzzed.
            WeChatInput(settings_for("WECHAT", aes=True), store=self.store),
            WeChatMiniProgramInput(settings_for("WECHAT_MP", aes=True), store=self.store),
            HotlineInput(store=self.store, reply_timeout_seconds=5),
            KioskInput(store=self.store),
            RestInput(),
        ]
        self.app = self.run(serve(channels, self.agent))
        self.port = int(self.app.url.rsplit(":", 1)[1])

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def post(self, path: str, body: bytes, query: Optional[Dict[str, str]] = None,
             content_type: str = "application/json") -> Tuple[int, str]:
        url = path + ("?" + urllib.parse.urlencode(query) if query else "")
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("POST", url, body=body, headers={"Content-Type": content_type})
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            connection.close()

    def received_since(self, count: int) -> List:
        return self.agent.received[count:]

    def close(self) -> None:
        self.run(self.app.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def webhooks():
    server = Webhooks()
    yield server
    server.close()


def assert_clean(status: int, body: str) -> None:
    assert status < 500, (status, body[:300])
    assert "Traceback" not in body and "File \"" not in body, body[:300]


def assert_reached_dialogue_properly(webhooks: Webhooks, before: int, status: int, channel: str, max_chars: int) -> None:
    arrived = webhooks.received_since(before)
    if status >= 400:
        assert arrived == [], f"a refused request ({status}) reached the dialogue"
    for message in arrived:
        assert isinstance(message.text, str) and 0 < len(message.text) <= max_chars
        assert message.sender_id.startswith(channel + ":")


def settle(webhooks: Webhooks) -> None:
    """Let background turns (WeChat runs them as tasks) finish before counting."""
    webhooks.run(asyncio.sleep(0.01))


@HTTP_FUZZ
@given(wechat_fields() | st.builds(lambda text: {"FromUserName": "oFuzz", "CreateTime": str(int(time.time())),
                                                  "MsgType": "text", "Content": text,
                                                  "MsgId": str(uuid.uuid4().int % 10**16)}, hostile_text()))
def test_wechat_webhook(webhooks, fields):
    before = len(webhooks.agent.received)
    status, body = webhooks.post("/webhooks/wechat/webhook", to_xml(fields).encode("utf-8", "surrogatepass"),
                                 wx.signed_query(), "text/xml")
    assert_clean(status, body)
    settle(webhooks)
    assert_reached_dialogue_properly(webhooks, before, status, "wechat", WECHAT_MAX_CHARS)


@HTTP_FUZZ
@given(hostile_bytes(), st.booleans())
def test_wechat_webhook_raw_bytes_and_bad_signatures(webhooks, body, signed):
    before = len(webhooks.agent.received)
    query = wx.signed_query() if signed else {"signature": "0" * 40, "timestamp": str(int(time.time())), "nonce": "n"}
    for path in ("/webhooks/wechat/webhook", "/webhooks/wechat_mp/webhook"):
        status, text = webhooks.post(path, body, query)
        assert_clean(status, text)
        if not signed:
            assert status == 403
    settle(webhooks)
    assert len(webhooks.agent.received) - before <= 1  # at most the one signed push, parsed


@HTTP_FUZZ
@given(json_bodies(wechat_fields() | json_values()))
def test_mini_program_webhook(webhooks, raw):
    before = len(webhooks.agent.received)
    status, body = webhooks.post("/webhooks/wechat_mp/webhook", raw, wx.signed_query())
    assert_clean(status, body)
    settle(webhooks)
    assert_reached_dialogue_properly(webhooks, before, status, "wechat_mp", WECHAT_MAX_CHARS)


@HTTP_FUZZ
@given(hostile_bytes() | json_bodies(hotline_bodies()))
def test_hotline_webhook(webhooks, raw):
    before = len(webhooks.agent.received)
    status, body = webhooks.post("/webhooks/hotline/webhook", raw)
    assert_clean(status, body)
    assert_reached_dialogue_properly(webhooks, before, status, "hotline", HOTLINE_MAX_CHARS)
    if status == 200:
        reply = json.loads(body)
        assert len(reply["speak"]) <= 300 and reply["action"] in ("collect", "transfer", "hangup")


@HTTP_FUZZ
@given(hostile_text() | st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", max_size=300),
       st.booleans(), st.booleans())
@example(encrypt="\ud800", good_signature=False, escaped=True)  # found by this test: a 500 before the fix
def test_safe_mode_webhooks_with_hostile_ciphertext(webhooks, encrypt, good_signature, escaped):
    """Signed query, `Encrypt` of any content (JSON-escaped lone surrogates included): a 4xx."""
    before = len(webhooks.agent.received)
    query = wx.signed_query(encrypt_type="aes")
    try:
        query["msg_signature"] = wx.sign(wx.TOKEN, query["timestamp"], query["nonce"], encrypt) if good_signature else "0" * 40
    except UnicodeEncodeError:
        query["msg_signature"] = "0" * 40
    xml = f"<xml><ToUserName>{cdata(wx.ACCOUNT)}</ToUserName><Encrypt>{cdata(encrypt)}</Encrypt></xml>"
    for path, body in (("/webhooks/wechat/webhook", xml.encode("utf-8", "surrogatepass")),
                       ("/webhooks/wechat_mp/webhook", as_json({"ToUserName": wx.ACCOUNT, "Encrypt": encrypt}, escaped))):
        status, text = webhooks.post(path, body, query)
        assert_clean(status, text)
        assert 400 <= status < 500, (path, status, text)
    settle(webhooks)
    assert webhooks.received_since(before) == []


KIOSK_SENDER = "2f1c7a3e-5b6d-4e8f-9a0b-1c2d3e4f5a6b"


@st.composite
def kiosk_bodies(draw) -> Dict[str, object]:
    body: Dict[str, object] = {"sender": draw(st.just(KIOSK_SENDER) | hostile_text(60) | json_scalars())}
    if draw(st.booleans()):
        body["message"] = draw(hostile_text(400) | json_values())
    else:
        body["payload"] = draw(st.sampled_from(["/outage_lookup", "/human_agent", "/greet", '/inform{"a":1}'])
                               | hostile_text(60) | json_values())
    return body


@HTTP_FUZZ
@given(hostile_bytes() | json_bodies(kiosk_bodies()))
def test_kiosk_webhook(webhooks, raw):
    before = len(webhooks.agent.received)
    status, body = webhooks.post("/webhooks/kiosk/webhook", raw)
    assert_clean(status, body)
    assert_reached_dialogue_properly(webhooks, before, status, "kiosk", KIOSK_MAX_CHARS)
    for message in webhooks.received_since(before):
        if message.text.startswith("/"):  # an intent: only the home-screen topics or an offered button
            assert message.text in ("/outage_lookup", "/fault_repair", "/bill_query", "/tiered_tariff",
                                    "/connection_enquiry", "/charging_pile", "/human_agent"), message.text


@st.composite
def rest_bodies(draw) -> Dict[str, object]:
    namespaced = st.sampled_from(SENDER_NAMESPACES).map(lambda n: n + ":someone")
    namespaced |= st.sampled_from(SENDER_NAMESPACES).map(lambda n: " " + n.upper() + " :x")
    return {"sender": draw(st.just("rest-user") | namespaced | hostile_text(60)), "message": draw(hostile_text())}


@HTTP_FUZZ
@given(hostile_bytes() | json_bodies(rest_bodies()))
def test_rest_webhook_never_reaches_another_channels_conversation(webhooks, raw):
    before = len(webhooks.agent.received)
    status, body = webhooks.post("/webhooks/rest/webhook", raw)
    assert_clean(status, body)
    for message in webhooks.received_since(before):
        assert not is_namespaced(message.sender_id), message.sender_id

