"""Meter checks ("电表走得快", `meter_check`): what affects usage, reading the meter, the home
check, the accuracy test's fee rule and time limit (knowledge/), the customer's own months when
verified, and the `meter_test` work order (verified only, created once, masked, no half order)."""
from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client
from actions.account_knowledge import value
from actions.meter_check import (ActionMeterCheck, ActionSubmitMeterTest, AskMeterTestConfirmed,
                                 ValidateMeterTestForm, detect_request)
from tests.actions.account_helpers import (HIGH_USAGE, HOLDER, assert_masked, payloads, polite_apology, run,
                                           slot_events, verified)
from tests.conftest import entity, make_tracker, orders_for_phone, texts

ACTION = ActionMeterCheck()
PHONE = "15800005678"  # HIGH_USAGE's own phone
APPLY = '/meter_check{"aspect":"apply"}'


async def check(text, account=None, entities=None, intent="meter_check", **slots):
    return await run(ACTION, text, intent=intent, entities=entities,
                     slots=verified(account, **slots) if account else slots)


def fee_rule():
    return value("account_services.meter_test.fee_rule")


# -- answers -----------------------------------------------------------------------------------------
async def test_fast_meter_general_answer(backend_failing):
    said, events, dispatcher = await check("我家电表走得太快了")
    summer = value("tariff.tiers.summer")
    assert "常见原因" in said and f"第一档上限{summer[0]}度" in said and "看电表是否还在走" in said
    assert APPLY in payloads(dispatcher)
    slots = slot_events(events)
    assert slots["service_request"] is None
    # Whether this household's meter runs fast is an account question: offer to verify, keep it.
    assert "/verify_account" in payloads(dispatcher) and "户号和登记手机号的后四位" in said
    assert slots["after_verification"] == "action_meter_check" and slots["pending_request"] == "action_meter_check:fast"
    assert backend_failing.calls == []


async def test_fast_meter_after_failed_checks_still_offers_verification(backend_failing):
    # No lock-out any more: the back-off applies when the customer tries again (ActionVerifyAccount).
    said, _, dispatcher = await check("我家电表走得太快了", verify_failures=3.0)
    assert "常见原因" in said and "暂时不能在线验证" not in said and "/verify_account" in payloads(dispatcher)


async def test_verifying_answers_the_kept_fast_meter_question(backend):
    from actions.verification import ActionVerifyAccount
    said, events, dispatcher = await run(ActionVerifyAccount(), "5678", intent="inform", slots={
        "account_no": HIGH_USAGE, "phone_last4": "5678", "after_verification": "action_meter_check",
        "pending_request": "action_meter_check:fast"})
    assert "身份验证成功" in said and "2026年10月用电771度" in said and "去年同期" in said
    assert "明显高于平时水平" in said and APPLY in payloads(dispatcher)
    assert slot_events(events)["pending_request"] is None


async def test_fast_meter_compares_the_verified_customers_months(backend):
    said, _, dispatcher = await check("我家电表走得太快了", HIGH_USAGE)
    assert "03******05" in said and "2026年10月用电771度" in said and "明显高于平时水平" in said
    assert "去年同期218度" in said  # the same judgement as the bill answers: same month last year
    assert "/verify_account" not in payloads(dispatcher)
    said, _, _ = await check("我家电表走得太快了", HOLDER)
    assert "2026年10月用电324度" in said and "与平时水平相近" in said


async def test_fast_meter_with_back_end_trouble_still_gives_the_general_answer(backend_trouble):
    said, _, _ = await check("我家电表走得太快了", HOLDER)
    polite_apology(said)
    assert "常见原因" in said


async def test_reading_the_meter_and_the_home_check(backend_failing):
    said, _, _ = await check("电表读数怎么看")
    assert "本期用电量 = 本次读数 − 上次读数" in said
    said, _, dispatcher = await check("家里电器都关了电表还在走")
    assert value("outage.ownership_boundary.rule") in said
    assert APPLY in payloads(dispatcher)


async def test_test_rules_who_pays_and_time_limit(backend_failing):
    said, _, _ = await check("电表校验要收费吗，多久出结果")
    assert fee_rule()["within_tolerance"] in said and fee_rule()["out_of_tolerance"] in said
    days = value("account_services.meter_test.result_within_working_days")
    assert f"受理后{days}个工作日内出具校验结果" in said and "以供电局最新规定为准" in said


def test_request_detection():
    def detect(text, entities=()):
        return detect_request(make_tracker(text, intent="meter_check", entities=list(entities)))
    assert detect("我要申请校验电表") == "apply"
    assert detect("怎么看电表读数") == "read_meter"
    assert detect("没人在家电表还在走") == "self_check"
    assert detect("校验谁出钱") == "test_info"
    assert detect("电表走得快") is None
    assert detect("x", [entity("aspect", "apply")]) == "apply"


# -- applying ----------------------------------------------------------------------------------------
async def test_apply_needs_verification(backend_failing):
    said, events, dispatcher = await check("我要申请校验电表")
    slots = slot_events(events)
    assert slots["service_request"] is None
    assert slots["after_verification"] == "action_meter_check"
    assert slots["pending_request"] == "action_meter_check:apply"
    assert "/verify_account" in payloads(dispatcher) and fee_rule()["within_tolerance"] in said


async def test_verified_apply_starts_the_form(backend_failing):
    said, events, _ = await check("我要申请校验电表", HIGH_USAGE)
    assert slot_events(events)["service_request"] == "meter_test_form"
    assert "申请电表校验" in said and fee_rule()["out_of_tolerance"] in said


async def test_right_after_verification_the_apply_is_offered_as_a_button(backend_failing):
    said, events, dispatcher = await check("5678", HIGH_USAGE, intent="inform",
                                           pending_request="action_meter_check:apply")
    assert APPLY in payloads(dispatcher)
    assert slot_events(events)["service_request"] is None and slot_events(events)["pending_request"] is None


async def test_form_symptom(domain):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("家里没人电表还在走", intent="inform", active_loop="meter_test_form",
                           slots=verified(HIGH_USAGE, requested_slot="meter_symptom"))
    events = await ValidateMeterTestForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["meter_symptom"] == "家里没人电表还在走"


def form_slots(**extra):
    answers = dict(meter_symptom="家里没人时电表还在走，打过15800005678", acct_contact_name="刘女士",
                   acct_contact_phone=PHONE, meter_test_confirmed=True)
    return verified(HIGH_USAGE, **{**answers, **extra})


async def test_confirmation_summary_is_masked():
    dispatcher = CollectingDispatcher()
    await AskMeterTestConfirmed().run(dispatcher, make_tracker("x", slots=form_slots()), {})
    said = texts(dispatcher)
    assert "03******05" in said and "158****5678" in said and fee_rule()["within_tolerance"] in said
    assert_masked(dispatcher)


async def meter_orders():
    return [o for o in await orders_for_phone(None, PHONE) if o["type"] == "meter_test"]


async def test_meter_test_order_is_filed_once(backend):
    before = await meter_orders()  # the seed holds an overdue meter-check order for this customer
    said, events, dispatcher = await run(ActionSubmitMeterTest(), "确认", intent="affirm", slots=form_slots())
    order_no = dispatcher.messages[0]["custom"]["card"]["fields"][0][1]
    days = value("account_services.meter_test.result_within_working_days")
    assert order_no.startswith("JY") and f"{days}个工作日内告知结果" in said
    assert slot_events(events)["meter_symptom"] is None
    said, _, _ = await run(ActionSubmitMeterTest(), "确认", intent="affirm", slots=form_slots())
    assert "之前已经提交过" in said and order_no in said
    after = await meter_orders()
    assert len(after) == len(before) + 1
    stored = (await backend_client.get(f"/api/v1/work-orders/{order_no}", phone=PHONE)).data
    assert stored["account_no"] == HIGH_USAGE and stored["district"] == "龙岗区"


async def test_meter_test_is_not_filed_without_a_valid_verification(backend):
    before = await meter_orders()
    slots = form_slots()
    slots["verification_expires_at"] = 1.0
    said, _, _ = await run(ActionSubmitMeterTest(), "确认", intent="affirm", slots=slots)
    assert "验证身份" in said and await meter_orders() == before


async def test_back_end_trouble_files_nothing(backend_trouble):
    said, _, _ = await run(ActionSubmitMeterTest(), "确认", intent="affirm", slots=form_slots())
    polite_apology(said)
    assert "受理编号" not in said


async def test_verifying_answers_the_kept_meter_test_request(backend):
    from actions.verification import ActionVerifyAccount
    said, events, dispatcher = await run(ActionVerifyAccount(), "5678", intent="inform", slots={
        "account_no": HIGH_USAGE, "phone_last4": "5678", "after_verification": "action_meter_check",
        "pending_request": "action_meter_check:apply"})
    assert "身份验证成功" in said and fee_rule()["within_tolerance"] in said
    assert APPLY in payloads(dispatcher)
    assert slot_events(events)["service_request"] is None
