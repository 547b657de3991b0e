"""Outage-notice subscriptions (actions.outage_subscription) against the real back-end stub:
subscribing needs a verified account and a channel notices can be pushed to, is idempotent;
unsubscribing stops this conversation's notices only; a back end that is down, slow or failing
gets a polite answer with the hotline and never an error text or a raw account number."""
from __future__ import annotations

import time
from typing import Any, Dict, List, Optional, Tuple

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client
from actions.outage import AWAITING_SLOT
from actions.outage_subscription import PATH, ActionSubscribeOutageNotice, ActionUnsubscribeOutageNotice
from actions.replies import hotline, region
from backend import seed
from bot.text.masking import mask_account
from tests.conftest import entity, make_tracker, texts

ACCOUNT = seed.DEMO_HOUSEHOLD_OF_6  # 福田区莲花街道, a planned outage tomorrow
OTHER = seed.DEMO_IN_FAULT_AREA
OPENID = "oWx_demo-openid-0001"
UNKNOWN = "0399999999"


def tracker_on(channel: str, text: str, intent: str, account: Optional[str] = None, verified: Optional[str] = None,
               slots: Optional[Dict[str, Any]] = None, sender_id: str = OPENID) -> Tracker:
    all_slots = dict(slots or {})
    if verified:
        all_slots.update({"verified_account_no": verified, "verification_expires_at": time.time() + 600})
    tracker = make_tracker(text, intent=intent, entities=[entity("account_no", account)] if account else [],
                           slots=all_slots, sender_id=sender_id)
    tracker.events[-1]["input_channel"] = channel  # the channel the message came in on
    return tracker


async def subscribe(channel: str = "wechat", **kwargs) -> Tuple[Dict[str, Any], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    tracker = tracker_on(channel, "订阅停电通知", "subscribe_outage_notice", **kwargs)
    events = await ActionSubscribeOutageNotice().run(dispatcher, tracker, {})
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}, dispatcher


async def unsubscribe(channel: str = "wechat", text: str = "取消停电通知", intent: str = "unsubscribe_outage_notice",
                      **kwargs) -> Tuple[Dict[str, Any], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    tracker = tracker_on(channel, text, intent, **kwargs)
    events = await ActionUnsubscribeOutageNotice().run(dispatcher, tracker, {})
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}, dispatcher


async def subscribers(account: str) -> List[Tuple[str, str]]:
    result = await backend_client.get(PATH, account_no=account)
    assert result.ok, result
    return [(s["channel"], s["recipient_id"]) for s in result.data["subscriptions"]]


def assert_no_leak(said: str, account: str = ACCOUNT) -> None:
    for leak in ("INTERNAL", "内部错误", "stack", "Traceback", account):
        assert leak not in said


# -- subscribing -------------------------------------------------------------------------------------
@pytest.mark.parametrize("channel", ["wechat", "wechat_mp"])
async def test_a_verified_customer_subscribes_once(channel, backend):
    slots, dispatcher = await subscribe(channel, verified=ACCOUNT)
    said = texts(dispatcher)
    assert f"已为户号{mask_account(ACCOUNT)}开通停电通知" in said
    assert f"提前{region().value('outage.planned.notice_days_ahead')}天" in said and "取消停电通知" in said
    assert_no_leak(said)
    assert await subscribers(ACCOUNT) == [(channel, OPENID)]
    # asking again changes nothing and says so
    _, dispatcher = await subscribe(channel, verified=ACCOUNT)
    assert "已经订阅过" in texts(dispatcher)
    assert await subscribers(ACCOUNT) == [(channel, OPENID)]


async def test_subscribing_needs_verification_first(backend):
    slots, dispatcher = await subscribe()
    assert "验证身份" in texts(dispatcher)
    assert slots == {"after_verification": "action_subscribe_outage_notice"}  # runs again once verified
    assert await subscribers(ACCOUNT) == []


async def test_another_account_than_the_verified_one_is_verified_first(backend):
    slots, dispatcher = await subscribe(account=OTHER, verified=ACCOUNT)
    assert "验证身份" in texts(dispatcher) and slots["after_verification"] == "action_subscribe_outage_notice"
    assert await subscribers(OTHER) == [] and await subscribers(ACCOUNT) == []


async def test_a_channel_without_push_explains_where_notices_come_from(backend_failing):
    slots, dispatcher = await subscribe("rest", verified=ACCOUNT)
    said = texts(dispatcher)
    assert "微信" in said and "收不到推送" in said
    assert slots == {} and backend_failing.calls == []  # nothing is stored for a channel that cannot receive


async def test_subscribe_back_end_trouble_is_polite(backend_trouble):
    slots, dispatcher = await subscribe(verified=ACCOUNT)
    said = texts(dispatcher)
    assert hotline() in said and "稍后再试" in said
    assert "开通" not in said
    assert_no_leak(said)


# -- unsubscribing -----------------------------------------------------------------------------------
async def test_unsubscribe_after_subscribing(backend):
    await subscribe(verified=ACCOUNT)
    slots, dispatcher = await unsubscribe(account=ACCOUNT)
    said = texts(dispatcher)
    assert f"已取消户号{mask_account(ACCOUNT)}的停电通知" in said
    assert_no_leak(said)
    assert slots == {AWAITING_SLOT: None}
    assert await subscribers(ACCOUNT) == []
    # a second time there is nothing to stop
    _, dispatcher = await unsubscribe(account=ACCOUNT)
    assert "没有订阅停电通知" in texts(dispatcher)


async def test_unsubscribe_stops_only_this_conversations_notices(backend):
    await subscribe(verified=ACCOUNT, sender_id="oWx_someone-else")
    await subscribe(verified=ACCOUNT)
    await unsubscribe(verified=ACCOUNT)  # the verified account is enough, no 户号 needed
    assert await subscribers(ACCOUNT) == [("wechat", "oWx_someone-else")]


async def test_unsubscribe_asks_for_the_account_then_takes_the_answer(backend):
    await subscribe(verified=ACCOUNT)
    slots, dispatcher = await unsubscribe()
    assert "户号" in texts(dispatcher) and slots == {AWAITING_SLOT: "unsubscribe_account"}
    slots, dispatcher = await unsubscribe(text=ACCOUNT, intent="inform", account=ACCOUNT,
                                          slots={AWAITING_SLOT: "unsubscribe_account"})
    assert "已取消" in texts(dispatcher) and slots == {AWAITING_SLOT: None}
    assert await subscribers(ACCOUNT) == []


async def test_the_account_of_the_last_outage_lookup_is_used(backend):
    await subscribe(verified=ACCOUNT)
    _, dispatcher = await unsubscribe(slots={"outage_account_no": ACCOUNT})
    assert "已取消" in texts(dispatcher)


async def test_an_unknown_account_is_masked_and_asked_again(backend):
    slots, dispatcher = await unsubscribe(account=UNKNOWN)
    said = texts(dispatcher)
    assert f"没有找到户号{mask_account(UNKNOWN)}" in said
    assert_no_leak(said, UNKNOWN)
    assert slots == {AWAITING_SLOT: "unsubscribe_account"}


async def test_a_channel_without_push_has_nothing_to_unsubscribe(backend_failing):
    slots, dispatcher = await unsubscribe("rest", account=ACCOUNT)
    assert "无需取消" in texts(dispatcher)
    assert slots == {AWAITING_SLOT: None} and backend_failing.calls == []


async def test_unsubscribe_back_end_trouble_is_polite(backend_trouble):
    slots, dispatcher = await unsubscribe(account=ACCOUNT)
    said = texts(dispatcher)
    assert hotline() in said and "稍后再试" in said
    assert "已取消" not in said
    assert_no_leak(said)
    assert slots == {AWAITING_SLOT: None}
