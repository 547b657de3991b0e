"""The kiosk page in headless Chromium against the real kiosk connector (scripted bot behind it):
load, tap a topic, tap an offered option, type and send, see the replies, markup stays text,
nothing stored, large targets, then the idle reset clears the screen and starts a new sender.

Skipped when Chromium is missing (install it with `make browser`); fails instead when CI is set.
"""
from __future__ import annotations

import os

import pytest

from connectors.kiosk import KioskInput
from connectors.kvstore import MemoryStore
from tests.connectors.fakes import FakeAgent, serve
from tests.kiosk.browser import Browser, find_chromium
from tests.kiosk.conftest import INJECTION, PAGE, bot

IDLE_SECONDS = 5  # the shortest the connector allows

CHROMIUM = find_chromium()
if CHROMIUM is None and os.environ.get("CI"):
    raise RuntimeError("CI is set but Chromium is missing: run `make browser` (apt-get install chromium)")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed: run `make browser`")


@pytest.fixture
async def page():
    agent = FakeAgent(bot)
    app = await serve([KioskInput(idle_seconds=IDLE_SECONDS, store=MemoryStore())], agent)
    browser = await Browser(CHROMIUM).start()
    try:
        await browser.navigate(app.url + PAGE)
        yield browser, agent, app.url
    finally:
        await browser.close()
        await app.close()


async def bot_texts(browser):
    return await browser.evaluate("[...document.querySelectorAll('#log .msg.bot .text')].map(e => e.textContent)")


async def test_a_customer_session_from_topic_to_idle_reset(page):
    browser, agent, base = page
    # Home screen: the topic buttons from /config and the visible 转人工 button.
    topics = await browser.evaluate("[...document.querySelectorAll('.topic')].map(e => e.textContent)")
    assert "停电查询" in topics and len(topics) >= 4
    assert await browser.evaluate("getComputedStyle(document.getElementById('handoff')).display !== 'none'")

    # Tap a topic: the bot's question and its two options appear as buttons.
    await browser.tap(".topic")
    await browser.wait_for("document.querySelectorAll('#log .choice').length === 2")
    assert await bot_texts(browser) == ["请问您要查询哪里的停电信息？"]
    assert await browser.evaluate("document.getElementById('home').hidden")

    # Tap the first option, then type and send a message.
    await browser.tap("#log .choice")
    await browser.wait_for("document.querySelectorAll('#log .msg.bot').length === 2")
    await browser.wait_for("!document.getElementById('input').disabled")
    await browser.type_text("#input", "注入")
    await browser.tap("#send")
    await browser.wait_for("document.querySelectorAll('#log .msg.bot').length === 3")
    texts = await bot_texts(browser)
    assert texts[1] == "请输入您的10位户号。"
    # Markup from the bot is shown as characters, never parsed: no element, no script ran.
    assert texts[2] == INJECTION
    assert await browser.evaluate("document.querySelectorAll('#log img, #log b').length") == 0
    assert await browser.evaluate("document.title") == "供电营业厅 · 智能客服小南"
    user_lines = await browser.evaluate("[...document.querySelectorAll('#log .msg.user')].map(e => e.textContent)")
    assert user_lines == ["停电查询", "按户号查询", "注入"]
    assert [m.text for m in agent.received] == ["/outage_lookup", "/inform_account", "注入"]
    first_sender = agent.received[0].sender_id
    assert first_sender.startswith("kiosk:") and {m.sender_id for m in agent.received} == {first_sender}

    # Nothing kept on the device, no pop-ups, no request outside the page's own origin.
    assert await browser.evaluate("localStorage.length + sessionStorage.length") == 0
    assert await browser.evaluate("document.cookie") == ""
    assert browser.dialogs() == []
    assert all(url.startswith(base) for url in browser.requested_urls()), browser.requested_urls()

    # Senior-friendly layout: every button at least 44x44 CSS px, text line spacing >= 1.3.
    sizes = await browser.evaluate(
        "[...document.querySelectorAll('button')].filter(b => b.offsetParent)"
        ".map(b => { const r = b.getBoundingClientRect(); return [b.textContent, r.width, r.height]; })")
    assert sizes and all(w >= 44 and h >= 44 for _, w, h in sizes), sizes
    spacing = await browser.evaluate(
        "[...document.querySelectorAll('#log .msg .text, .welcome')].map(e => {"
        " const s = getComputedStyle(e); return parseFloat(s.lineHeight) / parseFloat(s.fontSize); })")
    assert spacing and min(spacing) >= 1.3, spacing

    # Idle: the screen clears, the home screen returns, and the next customer is a new sender.
    await browser.wait_for("document.querySelectorAll('#log .msg').length === 0", timeout=IDLE_SECONDS + 10)
    assert not await browser.evaluate("document.getElementById('home').hidden")
    assert await browser.evaluate("document.getElementById('input').value") == ""
    await browser.type_text("#input", "你好")
    await browser.tap("#send")
    await browser.wait_for("document.querySelectorAll('#log .msg.bot').length === 1")
    assert await bot_texts(browser) == ["收到：你好"]
    assert agent.received[-1].sender_id.startswith("kiosk:") and agent.received[-1].sender_id != first_sender


async def test_the_handoff_button_and_a_polite_error(page):
    browser, agent, _ = page
    await browser.tap("#handoff")
    await browser.wait_for("document.querySelectorAll('#log .msg.bot').length === 1")
    assert "人工" in (await bot_texts(browser))[0]
    assert [m.text for m in agent.received] == ["/human_agent"]
    # The dialogue failing shows the connector's apology, not an error page.
    await browser.wait_for("!document.getElementById('input').disabled")
    await browser.type_text("#input", "崩溃")
    await browser.tap("#send")
    await browser.wait_for("document.querySelectorAll('#log .msg.bot').length === 2")
    assert (await bot_texts(browser))[1].startswith("抱歉")
    assert browser.dialogs() == []
