"""Paying (`payment`) and refunds (actions/refund.py) against the real back-end stub: channels,
withholding set-up and cancellation, paying without the 户号, prepaid card meters, reconnection
after arrears (commitment from knowledge/), double or wrong payments, and the refund work order
(verified only, created once, masked receipt, nothing half-created when the back end fails)."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client, bill_format
from actions.account_knowledge import value
from actions.payment import ActionPayment, detect_request, refund_reason
from actions.refund import AskRefundConfirmed, ActionSubmitRefund, ValidateRefundForm
from tests.actions.account_helpers import (ARREARS, HOLDER, PREPAID, TODAY, assert_masked, payloads, polite_apology,
                                           run, slot_events, verified)
from tests.conftest import entity, make_tracker, orders_for_phone, texts

ACTION = ActionPayment()
PHONE = "13812345678"


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(bill_format, "today", lambda: TODAY)


async def pay(text, account=None, entities=None, **slots):
    return await run(ACTION, text, intent="payment", entities=entities,
                     slots=verified(account, **slots) if account else slots)


# -- general answers: no verification, no back end -----------------------------------------------
async def test_channels_from_knowledge(backend_failing):
    said, events, dispatcher = await pay("电费怎么交")
    for channel in value("account_services.payment.channels"):
        assert channel in said
    assert "依据" in said
    assert '/payment{"aspect":"withholding"}' in payloads(dispatcher)
    assert slot_events(events)["service_request"] is None
    assert backend_failing.calls == []


async def test_withholding_set_up_and_cancel(backend_failing):
    said, _, dispatcher = await pay("怎么办理银行代扣")
    for step in value("account_services.payment.withholding.setup"):
        assert step in said
    assert value("account_services.payment.withholding.failed_deduction") in said
    assert '/payment{"aspect":"withholding_cancel"}' in payloads(dispatcher)
    said, _, _ = await pay("我想取消代扣")
    for step in value("account_services.payment.withholding.cancel"):
        assert step in said
    assert backend_failing.calls == []


async def test_failed_deduction_warns_about_the_late_charge(backend_failing):
    said, _, _ = await pay("银行扣款失败了怎么办")
    assert value("account_services.payment.withholding.failed_deduction") in said and "千分之" in said


async def test_paying_without_the_account_number(backend_failing):
    said, _, _ = await pay("不知道户号怎么交电费")
    assert value("account_services.payment.without_account_number") in said
    assert "03开头的10位数字" in said


async def test_prepaid_meter_general_and_lost_card(backend_failing):
    said, _, _ = await pay("插卡电表怎么充值")
    for tip in value("account_services.payment.prepaid_meter"):
        assert tip in said
    said, _, _ = await pay("电卡丢了怎么办")
    first = said.splitlines()[0]
    assert "补办" in first


async def test_reconnection_commitment_from_knowledge(backend_failing):
    said, _, _ = await pay("欠费停电了，交了钱多久来电")
    hours = value("outage.arrears_disconnection.restore_within_hours")
    assert f"确认到账后{hours}小时内恢复供电" in said and "依据" in said
    assert "outage.arrears_disconnection" not in said  # no internal knowledge paths
    # The steps' time limit is rendered from the same single fact, never a placeholder or another number.
    assert f"超过{hours}小时仍未复电" in said and "{" not in said
    assert backend_failing.calls == []


async def test_double_payment_is_kept_as_prepayment_with_a_refund_offer(backend_failing):
    said, events, dispatcher = await pay("电费交了两次怎么办")
    assert "转为预存电费" in said
    for document in value("account_services.overpayment.refund_documents"):
        assert document in said
    assert '/payment{"aspect":"refund_apply"}' in payloads(dispatcher)
    assert slot_events(events)["service_request"] is None


async def test_wrong_account_payment(backend_failing):
    said, _, _ = await pay("电费缴错户号了")
    assert value("account_services.overpayment.wrong_account") in said


def test_request_and_reason_detection():
    def detect(text, entities=()):
        return detect_request(make_tracker(text, intent="payment", entities=list(entities)))
    assert detect("我要申请退款") == "refund_apply"
    assert detect("交重复了") == "refund"
    assert detect("取消自动扣费") == "withholding_cancel"
    assert detect("代扣怎么签约") == "withholding"
    assert detect("购电卡丢了") == "prepaid"
    assert detect("忘了户号") == "no_account_no"
    assert detect("交了钱还显示欠费") == "status"
    assert detect("卡表还剩多少钱") == "prepaid_balance" and detect("电卡余额不足了") == "prepaid_balance"
    assert detect("插卡电表怎么充值") == "prepaid" and detect("银行扣款失败，余额不足") == "failed_deduction"
    assert detect("交了多久来电") == "reconnection"
    assert detect("交电费", [entity("aspect", "withholding")]) == "withholding"
    assert detect("交电费") is None
    assert refund_reason("缴错户号了") == "wrong_account" and refund_reason("扣了两次") == "duplicate"


# -- with the customer's own data ----------------------------------------------------------------
async def test_verified_prepaid_customer_sees_balance_and_days_left(backend):
    said, _, _ = await pay("卡表还有多少钱，怎么充值", PREPAID)
    assert "您是预付费（卡表）用户，当前余额" in said and "大约还够用" in said


async def test_verified_reconnection_tells_what_is_still_owed(backend):
    said, _, _ = await pay("欠费停电了，交了钱多久来电", ARREARS)
    assert "还有 299.88元 逾期电费未结清" in said


async def test_payment_status_needs_verification(backend_failing):
    said, events, dispatcher = await pay("交了钱还显示欠费")
    assert "/verify_account" in payloads(dispatcher)
    assert slot_events(events)["pending_request"] == "action_payment:status"
    said, _, _ = await run(ACTION, "1234", intent="inform",
                           slots={"pending_request": "action_payment:status"})  # still not verified
    assert "验证身份" in said


async def test_verified_payment_status_shows_arrears(backend):
    said, _, _ = await pay("交了钱还显示欠费", ARREARS)
    assert "299.88元" in said and "本期待缴 108.12元" in said


async def test_back_end_trouble_during_a_balance_question(backend_trouble):
    said, _, _ = await pay("卡表还有多少钱", PREPAID)
    polite_apology(said)


# -- refund request ------------------------------------------------------------------------------
async def test_refund_request_needs_verification(backend_failing):
    said, events, dispatcher = await pay("我要申请退款，电费交了两次")
    slots = slot_events(events)
    assert slots["service_request"] is None
    assert slots["after_verification"] == "action_payment" and slots["pending_request"] == "action_payment:refund"
    assert "/verify_account" in payloads(dispatcher) and "转为预存电费" in said


async def test_verified_refund_request_starts_the_form_with_the_reason(backend):
    said, events, _ = await pay("我要申请退款，电费交了两次", HOLDER)
    slots = slot_events(events)
    assert slots["service_request"] == "refund_form" and slots["refund_reason"] == "duplicate"
    assert "退款申请" in said


async def validate(domain, text, requested, entities=None, **slots):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, intent="inform", entities=entities or [], active_loop="refund_form",
                           slots=verified(HOLDER, requested_slot=requested, **slots))
    events = await ValidateRefundForm().run(dispatcher, tracker, domain)
    return slot_events(events), texts(dispatcher)


async def test_refund_form_answers(domain):
    slots, _ = await validate(domain, "缴错户号", "refund_reason")
    assert slots["refund_reason"] == "wrong_account"
    slots, said = await validate(domain, "是0300000002", "refund_other_account",
                                 entities=[entity("account_no", "0300000002")], refund_reason="wrong_account")
    assert slots["refund_other_account"] == "0300000002"
    slots, said = await validate(domain, HOLDER, "refund_other_account",
                                 entities=[entity("account_no", HOLDER)], refund_reason="wrong_account")
    assert slots["refund_other_account"] is None  # not the customer's own 户号
    slots, _ = await validate(domain, "多交了120元", "refund_amount", refund_reason="duplicate")
    assert slots["refund_amount"] == "120.00"
    slots, said = await validate(domain, "很多", "refund_amount", refund_reason="duplicate")
    assert slots["refund_amount"] is None and "金额" in said


async def test_refund_form_skips_the_other_account_for_a_double_payment(domain):
    tracker = make_tracker("重复缴费", intent="inform", active_loop="refund_form",
                           slots=verified(HOLDER, requested_slot="refund_reason"))
    events = await ValidateRefundForm().run(CollectingDispatcher(), tracker, domain)
    assert slot_events(events)["refund_reason"] == "duplicate"
    assert slot_events(events)["requested_slot"] == "refund_amount"


def refund_slots(**extra):
    answers = dict(refund_reason="wrong_account", refund_other_account="0300000002", refund_amount="120.00",
                   refund_payment_info="11月3日微信缴的", acct_contact_name="王先生", acct_contact_phone=PHONE,
                   refund_confirmed=True)
    return verified(HOLDER, **{**answers, **extra})


async def test_confirmation_summary_is_masked():
    dispatcher = CollectingDispatcher()
    slots = refund_slots(refund_payment_info="11月3日用13912345678的微信缴的")
    await AskRefundConfirmed().run(dispatcher, make_tracker("11月3日微信缴的", slots=slots), {})
    said = texts(dispatcher)
    assert "03******01" in said and "03******02" in said and "138****5678" in said and "120.00元" in said
    assert_masked(dispatcher)


async def orders_for(phone):
    return await orders_for_phone(None, phone)


async def test_refund_order_is_filed_once(backend):
    said, events, dispatcher = await run(ActionSubmitRefund(), "确认", intent="affirm", slots=refund_slots())
    order_no = dispatcher.messages[0]["custom"]["card"]["fields"][0][1]
    assert order_no.startswith("TK") and "退款申请已提交" in said
    assert "03******01" in said and "138****5678" in said
    assert slot_events(events)["refund_amount"] is None
    said, _, dispatcher = await run(ActionSubmitRefund(), "确认", intent="affirm", slots=refund_slots())
    assert "之前已经提交过" in said and order_no in said
    orders = await orders_for(PHONE)
    assert [o["order_no"] for o in orders if o["type"] == "refund"] == [order_no]
    order = await backend_client.get(f"/api/v1/work-orders/{order_no}", phone=PHONE)
    assert order.data["details"]["paid_into_account_no"] == "0300000002"


async def test_unconfirmed_refund_files_nothing(backend):
    said, _, _ = await run(ActionSubmitRefund(), "取消", intent="deny", slots=refund_slots(refund_confirmed=False))
    assert "没有提交任何申请" in said
    assert await orders_for(PHONE) == []


async def test_refund_is_not_filed_after_the_verification_expired(backend):
    slots = refund_slots()
    slots["verification_expires_at"] = 1.0
    said, _, _ = await run(ActionSubmitRefund(), "确认", intent="affirm", slots=slots)
    assert "验证身份" in said
    assert await orders_for(PHONE) == []


async def test_refund_with_back_end_trouble_is_an_apology_and_nothing_half_created(backend_trouble):
    said, events, _ = await run(ActionSubmitRefund(), "确认", intent="affirm", slots=refund_slots())
    polite_apology(said)
    assert "受理编号" not in said


async def test_refund_resubmit_after_a_failure_files_the_same_request(backend):
    said, _, _ = await run(ACTION, "/payment", intent="payment",
                                    entities=[entity("aspect", "refund_resubmit")], slots=refund_slots())
    assert "退款申请已提交" in said
    assert len([o for o in await orders_for(PHONE) if o["type"] == "refund"]) == 1


async def test_verifying_answers_the_kept_payment_question(backend):
    from actions.verification import ActionVerifyAccount
    said, events, _ = await run(ActionVerifyAccount(), "2345", intent="inform", slots={
        "account_no": ARREARS, "phone_last4": "2345", "after_verification": "action_payment",
        "pending_request": "action_payment:status"})
    assert "身份验证成功" in said and "03******02" in said and "299.88元" in said
    assert slot_events(events)["pending_request"] is None


# -- account-specific questions before verification: general answer, offer, kept question --------
@pytest.mark.parametrize("text, asked", [
    ("卡表还剩多少钱", "prepaid_balance"),
    ("交了多久来电", "reconnection"),
    ("欠费停电了，交了钱多久来电", "reconnection"),
])
async def test_account_specific_question_offers_verification_and_is_kept(backend_failing, text, asked):
    said, events, dispatcher = await pay(text)
    slots = slot_events(events)
    assert "/verify_account" in payloads(dispatcher) and "户号和登记手机号的后四位" in said
    assert slots["after_verification"] == "action_payment" and slots["pending_request"] == f"action_payment:{asked}"
    assert slots["service_request"] is None
    assert backend_failing.calls == []  # nothing about an account before verification


async def test_general_prepaid_question_needs_no_verification(backend_failing):
    said, events, dispatcher = await pay("插卡电表怎么充值")
    assert "/verify_account" not in payloads(dispatcher) and "after_verification" not in slot_events(events)


async def test_balance_question_after_failed_checks_still_offers_verification(backend_failing):
    # No lock-out any more: the back-off applies when the customer tries again (ActionVerifyAccount).
    said, _, dispatcher = await pay("卡表还剩多少钱", verify_failures=3.0)
    assert "暂时不能在线验证" not in said and "/verify_account" in payloads(dispatcher)
    for tip in value("account_services.payment.prepaid_meter"):
        assert tip in said  # the general answer is still given


async def test_verifying_answers_the_kept_balance_question(backend):
    from actions.verification import ActionVerifyAccount
    said, events, _ = await run(ActionVerifyAccount(), "3456", intent="inform", slots={
        "account_no": PREPAID, "phone_last4": "3456", "after_verification": "action_payment",
        "pending_request": "action_payment:prepaid_balance"})
    assert "身份验证成功" in said and "03******03" in said
    assert "您是预付费（卡表）用户，当前余额 18.60元" in said and "大约还够用" in said
    assert slot_events(events)["pending_request"] is None


async def test_verifying_answers_the_kept_reconnection_question(backend):
    from actions.verification import ActionVerifyAccount
    said, events, _ = await run(ActionVerifyAccount(), "2345", intent="inform", slots={
        "account_no": ARREARS, "phone_last4": "2345", "after_verification": "action_payment",
        "pending_request": "action_payment:reconnection"})
    hours = value("outage.arrears_disconnection.restore_within_hours")
    assert "身份验证成功" in said and "还有 299.88元 逾期电费未结清" in said
    assert f"确认到账后{hours}小时内恢复供电" in said
    assert slot_events(events)["pending_request"] is None


async def test_balance_question_from_a_post_paid_account(backend):
    said, _, _ = await pay("卡表还剩多少钱", HOLDER)
    assert "不是预付费（卡表）用户" in said and "账户预存余额" in said
