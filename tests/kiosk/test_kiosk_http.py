"""The kiosk channel over HTTP: the page and its assets, the message endpoint, how buttons and
cards come out, and bad input (polite JSON errors that never reach the dialogue)."""
from __future__ import annotations

import json
import re

import aiohttp
import pytest

from connectors.kiosk import STATIC_DIR, KioskInput
from connectors.kvstore import MemoryStore
from tests.connectors.fakes import FakeAgent, serve
from tests.kiosk.conftest import INJECTION, PAGE, RECEIPT_FIELDS, SENDER, WEBHOOK, bot, post

CJK = re.compile(r"[\u4e00-\u9fff]")


async def get(base: str, path: str, allow_redirects: bool = True):
    async with aiohttp.ClientSession() as session:
        async with session.get(base + path, allow_redirects=allow_redirects) as resp:
            return resp.status, await resp.read(), resp.headers


# ------------------------------------------------------------------ the page


async def test_the_page_and_its_assets_are_served(kiosk):
    base, _ = kiosk
    status, body, headers = await get(base, PAGE)
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    html = body.decode("utf-8")
    assert '<html lang="zh-CN">' in html
    assert 'id="handoff"' in html and "转人工" in html  # the visible 转人工 button
    assert 'id="topics"' in html and 'id="input"' in html
    for asset, kind in (("kiosk.css", "text/css"), ("kiosk.js", "text/javascript")):
        assert f'"{asset}"' in html
        status, content, asset_headers = await get(base, PAGE + asset)
        assert status == 200 and asset_headers["Content-Type"].startswith(kind)
        assert content == (STATIC_DIR / asset).read_bytes()


async def test_the_page_without_trailing_slash_redirects_so_relative_urls_work(kiosk):
    base, _ = kiosk
    status, _, headers = await get(base, PAGE.rstrip("/"), allow_redirects=False)
    assert status == 301 and headers["Location"].endswith(PAGE)


async def test_the_page_may_load_nothing_from_elsewhere(kiosk):
    base, _ = kiosk
    _, _, headers = await get(base, PAGE)
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp and "script-src 'self'" in csp
    assert headers["Cache-Control"] == "no-store"
    for name in ("index.html", "kiosk.css", "kiosk.js"):
        text = (STATIC_DIR / name).read_text(encoding="utf-8")
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.IGNORECASE), name
        assert "@import" not in text and "<iframe" not in text


def test_the_script_renders_bot_text_as_text_and_keeps_nothing():
    """Static half of the guarantee; the browser test checks the same things in Chromium."""
    script = (STATIC_DIR / "kiosk.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script, sink
    for storage in ("localStorage", "sessionStorage", "document.cookie", "indexedDB"):
        assert storage not in script.replace("nothing in localStorage/sessionStorage/cookies", ""), storage
    for popup in ("alert(", "confirm(", "prompt(", "window.open"):
        assert popup not in script, popup
    assert "textContent" in script


def test_the_stylesheet_keeps_touch_targets_large_and_lines_airy():
    css = (STATIC_DIR / "kiosk.css").read_text(encoding="utf-8")
    button = re.search(r"\nbutton \{([^}]*)\}", css).group(1)
    assert int(re.search(r"min-height:\s*(\d+)px", button).group(1)) >= 44
    assert int(re.search(r"min-width:\s*(\d+)px", button).group(1)) >= 44
    for value in re.findall(r"line-height:\s*([\d.]+)", css):
        assert float(value) >= 1.3
    assert int(re.search(r"font-size:\s*(\d+)px", css).group(1)) >= 20  # the root size


async def test_config_gives_the_idle_time_and_home_topics(kiosk):
    base, _ = kiosk
    status, body, _ = await get(base, PAGE + "config")
    config = json.loads(body)
    assert status == 200 and config["idle_seconds"] == 30
    assert config["handoff_payload"] == "/human_agent"
    assert {"title": "停电查询", "payload": "/outage_lookup"} in config["topics"]


def test_idle_time_comes_from_credentials_or_the_environment(monkeypatch):
    monkeypatch.delenv("KIOSK_IDLE_SECONDS", raising=False)
    assert KioskInput.from_credentials({"idle_seconds": 120}).idle_seconds == 120
    monkeypatch.setenv("KIOSK_IDLE_SECONDS", "45")
    assert KioskInput.from_credentials({"idle_seconds": 120}).idle_seconds == 45
    assert KioskInput(idle_seconds=1).idle_seconds == 5  # never a reset in the middle of typing


# ------------------------------------------------------------------ the message endpoint


async def test_a_message_gets_the_bots_reply_under_a_kiosk_sender(kiosk):
    base, agent = kiosk
    status, body, headers = await post(base, {"sender": SENDER, "message": "  你好  "})
    assert status == 200
    assert body == {"messages": [{"text": "收到：你好"}]}
    assert headers["Cache-Control"] == "no-store"
    (message,) = agent.received
    assert message.sender_id == f"kiosk:{SENDER}" and message.input_channel == "kiosk"


async def test_typed_slash_commands_are_not_intents(kiosk):
    base, agent = kiosk
    await post(base, {"sender": SENDER, "message": "/restart"})
    assert agent.texts() == ["restart"]


async def test_buttons_come_as_title_and_payload_and_only_offered_ones_are_accepted(kiosk):
    base, agent = kiosk
    status, body, _ = await post(base, {"sender": SENDER, "payload": "/outage_lookup"})  # a home topic
    assert status == 200
    (message,) = body["messages"]
    assert message["buttons"] == [{"title": "按户号查询", "payload": "/inform_account"},
                                  {"title": "按地址查询", "payload": "/inform_address"}]
    status, body, _ = await post(base, {"sender": SENDER, "payload": "/inform_account"})
    assert status == 200 and body["messages"][0]["text"] == "请输入您的10位户号。"
    # Not offered to this sender (and not a home topic): refused before the dialogue.
    other = "2c5ea4c0-4067-41d2-9b5e-0016d3cca427"
    status, body, _ = await post(base, {"sender": other, "payload": "/inform_account"})
    assert status == 400 and CJK.search(body["error"])
    status, _, _ = await post(base, {"sender": SENDER, "payload": "/restart"})
    assert status == 400
    assert agent.texts() == ["/outage_lookup", "/inform_account"]


async def test_the_handoff_button_is_always_accepted(kiosk):
    base, agent = kiosk
    status, body, _ = await post(base, {"sender": SENDER, "payload": "/human_agent"})
    assert status == 200 and "人工" in body["messages"][0]["text"]
    assert agent.texts() == ["/human_agent"]


async def test_a_card_is_drawn_once_not_repeated_in_the_text(kiosk):
    base, _ = kiosk
    status, body, _ = await post(base, {"sender": SENDER, "message": "报修"})
    assert status == 200
    (message,) = body["messages"]
    assert message["card"] == {"kind": "receipt", "title": "故障报修受理回执", "fields": RECEIPT_FIELDS}
    assert message["text"] == "报修已受理。"


async def test_markup_in_bot_text_stays_text(kiosk):
    base, _ = kiosk
    _, body, headers = await post(base, {"sender": SENDER, "message": "注入"})
    assert body["messages"][0]["text"] == INJECTION  # data for textContent, never HTML
    assert headers["Content-Type"].startswith("application/json")


async def test_a_failing_dialogue_gets_a_polite_apology(kiosk):
    base, _ = kiosk
    status, body, _ = await post(base, {"sender": SENDER, "message": "崩溃"})
    assert status == 200
    text = body["messages"][0]["text"]
    assert "抱歉" in text and "转人工" in text and "Error" not in text and "Traceback" not in text


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("raw, status", [
    (b"{not json", 400),
    (b"\xff\xfe\x00", 400),
    (b"", 400),
    (b"[]", 400),
    (b'"text"', 400),
    (b"null", 400),
    (json.dumps({"message": "你好"}).encode(), 400),                                   # no sender
    (json.dumps({"sender": "kiosk-1", "message": "你好"}).encode(), 400),             # not a UUID
    (json.dumps({"sender": "wechat:oABC", "message": "你好"}).encode(), 400),          # another channel
    (json.dumps({"sender": SENDER.upper(), "message": "你好"}).encode(), 400),
    (json.dumps({"sender": SENDER}).encode(), 400),                                    # nothing said
    (json.dumps({"sender": SENDER, "message": "   "}).encode(), 400),
    (json.dumps({"sender": SENDER, "message": 42}).encode(), 400),
    (json.dumps({"sender": SENDER, "message": "长" * 301}, ensure_ascii=False).encode(), 400),
    (json.dumps({"sender": SENDER, "payload": ["/greet"]}).encode(), 400),
    (json.dumps({"sender": SENDER, "message": "x" * 9000}).encode(), 413),
    (b"{" + b" " * 20000 + b"}", 413),
])
async def test_bad_requests_get_a_polite_error_and_never_reach_the_dialogue(kiosk, raw, status):
    base, agent = kiosk
    got, body, headers = await post(base, raw=raw)
    assert got == status
    assert set(body) == {"error"} and CJK.search(body["error"])  # Chinese, for the screen
    assert "Traceback" not in body["error"] and "Exception" not in body["error"]
    assert agent.received == []
    # ...and the endpoint still works afterwards.
    got, body, _ = await post(base, {"sender": SENDER, "message": "还在吗"})
    assert got == 200 and body["messages"][0]["text"] == "收到：还在吗"


async def test_wrong_content_type_is_still_read_as_json_or_refused_politely(kiosk):
    base, agent = kiosk
    got, body, _ = await post(base, raw=b"sender=x&message=y", content_type="application/x-www-form-urlencoded")
    assert got == 400 and CJK.search(body["error"])
    assert agent.received == []


async def test_only_post_reaches_the_endpoint(kiosk):
    base, agent = kiosk
    status, _, _ = await get(base, WEBHOOK)
    assert status == 405
    assert agent.received == []


async def test_rest_cannot_read_or_continue_a_kiosk_conversation(kiosk):
    base, agent = kiosk
    got, _, _ = await post(base, {"sender": f"kiosk:{SENDER}", "message": "我的户号是多少"},
                           path="/webhooks/rest/webhook")
    assert got == 403
    assert agent.received == []


class BrokenStore(MemoryStore):
    """The shared store (Redis in production) is down: every call fails."""

    async def get(self, *args, **kwargs):
        raise ConnectionError("store down")

    async def set(self, *args, **kwargs):
        raise ConnectionError("store down")


async def test_a_failing_option_store_never_costs_the_customer_a_reply():
    agent = FakeAgent(bot)
    app = await serve([KioskInput(idle_seconds=30, store=BrokenStore())], agent)
    try:
        status, body, _ = await post(app.url, {"sender": SENDER, "payload": "/outage_lookup"})  # home topic
        assert status == 200 and body["messages"][0]["buttons"]
        status, body, _ = await post(app.url, {"sender": SENDER, "message": "你好"})
        assert status == 200 and body["messages"] == [{"text": "收到：你好"}]
        # A button we cannot check any more is refused politely, not with a 500.
        status, body, _ = await post(app.url, {"sender": SENDER, "payload": "/inform_account"})
        assert status == 400 and CJK.search(body["error"])
    finally:
        await app.close()
