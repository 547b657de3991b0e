"""Account verification against the real back-end stub (demo accounts in backend/seed.py)."""
from __future__ import annotations

import time

from rasa_sdk.executor import CollectingDispatcher

import actions.bills  # noqa: F401  (registers action_bill_query to run after verification)
from actions.verification import (
    MAX_FAILURES_PER_CONVERSATION,
    ActionVerifyAccount,
    ValidateVerificationForm,
    channel_identity,
    offer_verification,
    requested_topic,
    verified_account,
)
from tests.conftest import entity, make_tracker, texts

HOLDER = "0300000001"  # phone 13800001234
ARREARS = "0300000002"  # phone 13900002345


def slots_of(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def verify(account_no, last4, sender="test-user-0001", **slots):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("1234", intent="inform", sender_id=sender,
                           slots={"account_no": account_no, "phone_last4": last4, **slots})
    events = await ActionVerifyAccount().run(dispatcher, tracker, {})
    return dispatcher, events


async def test_success_unlocks_the_account_for_a_limited_time(backend):
    dispatcher, events = await verify(HOLDER, "1234")
    slots = slots_of(events)
    assert slots["verified_account_no"] == HOLDER
    assert slots["verification_expires_at"] > time.time() + 60
    assert slots["verify_failures"] == 0.0
    assert slots["phone_last4"] is None  # the digits are not kept
    said = texts(dispatcher)
    assert "身份验证成功" in said and "03******01" in said
    assert HOLDER not in said


async def test_wrong_digits_are_refused_and_counted(backend):
    dispatcher, events = await verify(HOLDER, "9999")
    slots = slots_of(events)
    assert "verified_account_no" not in slots
    assert slots["verify_failures"] == 1.0
    assert slots["account_no"] is None
    said = texts(dispatcher)
    assert "验证未通过" in said and f"还可尝试{MAX_FAILURES_PER_CONVERSATION - 1}次" in said
    assert dispatcher.messages[-1]["buttons"][0]["payload"] == "/verify_account"


async def test_unknown_account_gets_the_same_answer_as_wrong_digits(backend):
    dispatcher, events = await verify("0399999999", "1234")
    assert "验证未通过" in texts(dispatcher)
    assert "未找到" not in texts(dispatcher)  # whether a 户号 exists is not told
    assert slots_of(events)["verify_failures"] == 1.0


async def test_back_off_per_conversation_not_a_lock(backend, fresh_rate_limits):
    for _ in range(MAX_FAILURES_PER_CONVERSATION - 1):
        await verify(HOLDER, "9999")
    dispatcher, events = await verify(HOLDER, "9999")
    said = texts(dispatcher)
    assert "验证未通过" in said and "秒后再试" in said and "95598" in said
    # While it waits, even the right digits are not sent to the back end...
    dispatcher, events = await verify(HOLDER, "1234")
    assert "后再试" in texts(dispatcher) and "verified_account_no" not in slots_of(events)
    # ...and once the wait is over, the holder gets in: a back-off, not a lock-out.
    fresh_rate_limits._clock = lambda: time.time() + 31
    dispatcher, events = await verify(HOLDER, "1234")
    assert slots_of(events)["verified_account_no"] == HOLDER


async def test_waiting_conversation_does_not_even_ask_the_back_end(backend_failing, fresh_rate_limits):
    from security.rate_limit import Subject

    subject = Subject("verify", "test-user-0001", None, HOLDER)
    for _ in range(MAX_FAILURES_PER_CONVERSATION):
        await fresh_rate_limits.failed(subject)
    dispatcher, events = await verify(HOLDER, "1234")
    assert "后再试" in texts(dispatcher)
    assert backend_failing.calls == []
    assert "verified_account_no" not in slots_of(events)


async def test_strangers_slow_each_other_but_not_the_holder(backend):
    # The holder has verified from this conversation (their WeChat identity) before.
    await verify(ARREARS, "2345", sender="wechat:holder-openid")
    # Guessers from many fresh conversations: the account's own count makes them wait...
    for attempt in range(6):
        await verify(ARREARS, "0000", sender=f"guesser-{attempt}")
    dispatcher, events = await verify(ARREARS, "2345", sender="guesser-new")
    assert "后再试" in texts(dispatcher) and "verified_account_no" not in slots_of(events)
    # ...but the holder's own channel identity is not held back.
    dispatcher, events = await verify(ARREARS, "2345", sender="wechat:holder-openid")
    assert slots_of(events)["verified_account_no"] == ARREARS


async def test_one_address_making_new_conversations_is_slowed(backend):
    for attempt in range(6):
        dispatcher = CollectingDispatcher()
        tracker = make_tracker("1234", intent="inform", sender_id=f"script-{attempt}",
                               slots={"account_no": f"030000000{attempt % 5 + 1}", "phone_last4": "0000"})
        tracker.latest_message["metadata"] = {"client_address": "203.0.113.9"}
        await ActionVerifyAccount().run(dispatcher, tracker, {})
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("1234", intent="inform", sender_id="script-new",
                           slots={"account_no": HOLDER, "phone_last4": "1234"})
    tracker.latest_message["metadata"] = {"client_address": "203.0.113.9"}
    events = await ActionVerifyAccount().run(dispatcher, tracker, {})
    assert "后再试" in texts(dispatcher) and "verified_account_no" not in slots_of(events)


async def test_verification_expires():
    now = time.time()
    tracker = make_tracker("查电费", slots={"verified_account_no": HOLDER, "verification_expires_at": now + 60})
    assert verified_account(tracker, now=now) == HOLDER
    assert verified_account(tracker, now=now + 61) is None
    expired = make_tracker("查电费", slots={"verified_account_no": HOLDER, "verification_expires_at": now - 1})
    assert verified_account(expired) is None
    assert verified_account(make_tracker("查电费")) is None


def _with_channel(tracker, channel, metadata):
    tracker.events[-1]["input_channel"] = channel
    tracker.latest_message["metadata"] = metadata
    return tracker


def test_channel_identity_only_from_trusted_channels(monkeypatch):
    metadata = {"verified_account_no": HOLDER}
    monkeypatch.delenv("IDENTITY_TRUSTED_CHANNELS", raising=False)
    assert channel_identity(_with_channel(make_tracker("查电费"), "wechat", metadata)) is None
    monkeypatch.setenv("IDENTITY_TRUSTED_CHANNELS", "wechat,miniprogram")
    assert verified_account(_with_channel(make_tracker("查电费"), "wechat", metadata)) == HOLDER
    # Anyone can put metadata on a REST message: never trusted, not even when configured.
    assert verified_account(_with_channel(make_tracker("查电费"), "rest", metadata)) is None
    monkeypatch.setenv("IDENTITY_TRUSTED_CHANNELS", "rest,kiosk,hotline,wechat")
    for unsigned in ("rest", "kiosk", "hotline"):
        assert verified_account(_with_channel(make_tracker("查电费"), unsigned, metadata)) is None
    assert channel_identity(_with_channel(make_tracker("查电费"), "wechat", {"verified_account_no": "12345"})) is None


async def test_success_answers_the_pending_question_in_the_same_turn(backend):
    dispatcher, events = await verify(HOLDER, "1234", after_verification="action_bill_query",
                                      pending_request="action_bill_query:history_12")
    said = texts(dispatcher)
    assert "身份验证成功" in said and "近12个月" in said
    slots = slots_of(events)
    assert slots["after_verification"] is None and slots["pending_request"] is None
    assert not any(e.get("event") == "followup" for e in events)


async def test_an_unregistered_pending_action_runs_as_a_follow_up(backend):
    _, events = await verify(HOLDER, "1234", after_verification="action_outage_lookup")
    assert {"event": "followup", "timestamp": None, "name": "action_outage_lookup"} in events


def test_pending_question_is_used_only_by_its_own_action():
    detect = lambda tracker: "detected"  # noqa: E731
    after = make_tracker("1234", intent="inform", slots={"pending_request": "action_bill_query:history_12"})
    assert requested_topic(after, "action_bill_query", "bill_query", detect) == "history_12"
    assert requested_topic(after, "action_payment", "payment", detect) == "detected"
    fresh = make_tracker("查电费", intent="bill_query", slots={"pending_request": "action_bill_query:history_12"})
    assert requested_topic(fresh, "action_bill_query", "bill_query", detect) == "detected"


async def _apology_checks():
    dispatcher, events = await verify(HOLDER, "1234")
    said = texts(dispatcher)
    assert "95598" in said and "稍后再试" in said
    assert "stack trace" not in said and "INTERNAL" not in said
    assert "verified_account_no" not in slots_of(events)
    assert "verify_failures" not in slots_of(events)  # the customer's attempt is not held against them


async def test_back_end_down_is_a_polite_apology(backend_down):
    await _apology_checks()


async def test_back_end_slow_is_a_polite_apology(backend_slow):
    await _apology_checks()


async def test_back_end_error_is_a_polite_apology(backend_failing):
    await _apology_checks()


def test_offer_has_the_verify_button():
    dispatcher = CollectingDispatcher()
    offer_verification(dispatcher, "查询账单")
    assert dispatcher.messages[0]["buttons"][0]["payload"] == "/verify_account"


async def test_form_explains_a_malformed_account_number_after_two_tries(domain):
    form = ValidateVerificationForm()
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("12345", slots={"requested_slot": "account_no"})
    events = await form.run(dispatcher, tracker, domain)
    assert slots_of(events)["account_no"] is None
    assert "格式不对" in texts(dispatcher)
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("54321", slots={"requested_slot": "account_no", "form_failures": 1.0})
    await form.run(dispatcher, tracker, domain)
    assert "03开头" in texts(dispatcher)
    assert [b["title"] for b in dispatcher.messages[-1]["buttons"]] == ["继续填写", "取消办理"]


async def test_form_takes_the_last_four_digits_from_a_full_phone(domain):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("13800001234", entities=[entity("phone", "13800001234")],
                           slots={"requested_slot": "phone_last4", "account_no": HOLDER})
    events = await ValidateVerificationForm().run(dispatcher, tracker, domain)
    assert slots_of(events)["phone_last4"] == "1234"
