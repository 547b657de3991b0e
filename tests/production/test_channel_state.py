"""Channel state lives in Redis (REDIS_URL), not in each Rasa replica: a hotline call, a kiosk
screen or a WeChat retry may reach the other replica at any turn and must find what the first
one remembered (docs/CHANNELS.md: required with more than one Rasa process)."""
from __future__ import annotations

import random
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.connectors import wechat_payloads as wx
from tests.production.conftest import WECHAT_TOKEN, http, wait_until

# Not what a customer of a power utility says: the assistant cannot make sense of it.
# Turns the bot cannot help with: plainly out of scope, so the count does not hang on how the
# classifier reads nonsense syllables (ASR noise: docs/CHANNELS.md, "Known limits").
NOT_UNDERSTOOD = ["帮我订一张去北京的机票", "推荐一部好看的电影", "红烧肉怎么做"]


def user_texts(tracker) -> list:
    return [event.get("text") for event in tracker["events"] if event["event"] == "user"]


def last_intent(tracker) -> str:
    return [event for event in tracker["events"] if event["event"] == "user"][-1]["parse_data"]["intent"]["name"]


def test_hotline_misunderstandings_are_counted_across_replicas(production):
    """Two turns not understood, one on each replica: the keypad menu; the third: a transfer."""
    a, b = production.replica_urls
    call_id = f"prodtest-{uuid.uuid4().hex[:12]}"
    status, first = production.hotline(call_id, via=a, text=NOT_UNDERSTOOD[0])
    assert status == 200 and first["action"] == "collect", first
    status, second = production.hotline(call_id, via=b, text=NOT_UNDERSTOOD[1])
    assert status == 200 and second["input"] == "speech_or_dtmf", second  # B knew about A's miss
    assert "按0，转人工" in second["speak"] and second["choices"][-1]["key"] == "0"
    status, third = production.hotline(call_id, via=a, text=NOT_UNDERSTOOD[2])
    assert status == 200 and third["action"] == "transfer", third
    assert third["transfer"]["reason"] == "not_understood" and third["transfer"]["reference"]


def test_hotline_keypad_choices_offered_by_one_replica_work_on_the_other(production):
    a, b = production.replica_urls
    call_id = f"prodtest-{uuid.uuid4().hex[:12]}"
    production.hotline(call_id, via=a, text=NOT_UNDERSTOOD[0])
    _, menu = production.hotline(call_id, via=b, text=NOT_UNDERSTOOD[1])
    first_choice = menu["choices"][0]
    status, answer = production.hotline(call_id, via=a, dtmf="1")  # A never offered this menu itself
    assert status == 200 and answer["action"] == "collect", answer
    tracker = production.tracker(f"hotline:{call_id}")
    assert user_texts(tracker)[-1].startswith("/"), "the digit was not mapped to the offered choice"
    assert last_intent(tracker) == user_texts(tracker)[-1].lstrip("/").split("{")[0], first_choice


def test_a_kiosk_button_offered_by_one_replica_is_accepted_by_the_other(production):
    a, b = production.replica_urls
    sender = str(uuid.uuid4())
    status, greeting = production.kiosk(sender, via=a, message="你好")
    assert status == 200, greeting
    offered = [button["payload"] for message in greeting["messages"] for button in message.get("buttons", [])]
    # A button of this greeting that is not one of the kiosk's home topics: accepted only because
    # this sender was offered it - which replica B can only know through the shared store.
    assert "/multi_resident_policy" in offered, offered
    status, answer = production.kiosk(sender, via=b, payload="/multi_resident_policy")
    assert status == 200 and answer["messages"] and answer["messages"][0]["text"], answer
    assert last_intent(production.tracker(f"kiosk:{sender}")) == "multi_resident_policy"
    # A payload this sender was never offered is still refused, on either replica.
    for via in (a, b):
        status, refusal = production.kiosk(sender, via=via, payload='/inform{"customer_type": "factory"}')
        assert status == 400 and "error" in refusal


def deliver_wechat(via: str, body: bytes):
    """One push as WeChat sends it (plain mode: a fresh signature on every delivery)."""
    query = urllib.parse.urlencode(wx.signed_query(token=WECHAT_TOKEN))
    return http("POST", f"{via}/webhooks/wechat/webhook?{query}", raw=body, headers={"Content-Type": "text/xml"})


def wait_for_turns(sender: str, production, texts: list) -> dict:
    """The tracker once every message in `texts` is recorded, then a pause for a late duplicate."""
    wait_until(lambda: all(t in user_texts(production.tracker(sender)) for t in texts), 60, "the turns")
    time.sleep(3)  # a second run of a message would be recorded right after the first
    return production.tracker(sender)


def test_a_wechat_retry_delivered_to_the_other_replica_is_answered_once(production):
    a, b = production.replica_urls
    openid = f"oProd{uuid.uuid4().hex[:20]}"
    sender = f"wechat:{openid}"
    msg_id = random.randrange(10**15, 10**16)

    # WeChat got no answer in time and retries; the retry reaches the other replica.
    body = wx.text_xml(openid, "你好", msg_id).encode("utf-8")
    status, first = deliver_wechat(a, body)
    assert status == 200, first
    status, retry = deliver_wechat(b, body)
    assert status == 200, retry
    if first != "success":  # A answered passively: the retry gets that same answer
        assert "<Content><![CDATA[" in first
        content = first.split("<Content><![CDATA[", 1)[1].split("]]>", 1)[0]
        assert content and f"<Content><![CDATA[{content}]]>" in retry

    # Deliveries of one message arriving at both replicas at the same moment.
    body = wx.text_xml(openid, "电费怎么算", msg_id + 1).encode("utf-8")
    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = list(pool.map(lambda via: deliver_wechat(via, body), (a, b, a)))
    assert all(status == 200 for status, _ in answers), answers

    tracker = wait_for_turns(sender, production, ["你好", "电费怎么算"])
    assert user_texts(tracker).count("你好") == 1, user_texts(tracker)
    assert user_texts(tracker).count("电费怎么算") == 1, user_texts(tracker)
