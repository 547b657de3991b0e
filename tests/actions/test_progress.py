"""办理进度: the progress form's validation and the timeline reply, against the real back-end
stub (seeded demo orders of every kind and state, clock fixed at 2026-11-22 10:00) and against
a back end that is down, slow or failing. A lookup by phone goes through the SMS code: the code
is read from the back end's outbox (what the customer's phone would receive) and entered."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import progress
from actions.progress import FORGOTTEN, ActionApplicationProgress, ActionAskProgressSmsCode, ValidateProgressForm
from actions.replies import hotline
from backend import seed
from tests.conftest import FIXED_NOW, _serve, entity, make_tracker, texts

ORDER, PHONE, CODE = "progress_order_no", "progress_phone", "progress_sms_code"
# The seeded demo orders (backend/seed.py): key -> the mobile number on the order.
DEMO_PHONES = {
    "connection_in_progress": "13800001234",
    "meter_test_overdue": "15800005678",
    "repair_in_progress": "18600006789",
    "multi_resident_completed": "13500007890",
    "complaint_accepted": "13900002345",
}


def demo(key: str) -> str:
    return seed.demo_order_no(key, FIXED_NOW)


def slot_events(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def buttons_of(dispatcher: CollectingDispatcher) -> List[Dict[str, str]]:
    return [b for m in dispatcher.messages for b in m.get("buttons") or []]


async def ask(dispatcher: CollectingDispatcher, order_no: Optional[str], phone: Optional[str],
              grant: Optional[str] = None) -> Dict[str, Any]:
    tracker = make_tracker("查进度", intent="application_progress",
                           slots={ORDER: order_no, PHONE: phone, CODE: grant})
    return slot_events(await ActionApplicationProgress().run(dispatcher, tracker, {}))


async def stored(order_no: str, phone: str) -> Dict[str, Any]:
    from actions import backend_client

    result = await backend_client.get(f"/api/v1/work-orders/{order_no}", phone=phone)
    assert result.ok, result
    return result.data


async def validate(text: str, requested: Optional[str], entities=(), slots=None, intent="inform") -> Dict[str, Any]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, intent=intent, entities=list(entities),
                           slots={"requested_slot": requested, **(slots or {})}, active_loop="progress_form")
    events = await ValidateProgressForm().run(dispatcher, tracker, {"forms": {"progress_form": {
        "required_slots": [ORDER, PHONE]}}})
    found = slot_events(events)
    found["_said"] = texts(dispatcher)
    return found


# -- the SMS code, as the form asks for it ------------------------------------------------------
class MovableClock:
    def __init__(self) -> None:
        self.now = FIXED_NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
async def backend_clock(tmp_path, monkeypatch):
    """The real back end, like `backend`, with a clock the test can move."""
    from actions import backend_client
    from backend.app import create_app

    clock = MovableClock()
    server = await _serve(create_app(db_url=f"sqlite+aiosqlite:///{tmp_path}/backend.db", now=clock), monkeypatch)
    yield clock
    await backend_client.close()
    await server.close()


async def outbox(phone: str) -> List[Dict[str, Any]]:
    from actions import backend_client

    result = await backend_client.get("/api/v1/sms/outbox", phone=phone)
    assert result.ok, result
    return result.data["messages"]


async def code_in_sms(phone: str) -> str:
    """What the customer reads on the phone."""
    return re.search(r"验证码为(\d{6})", (await outbox(phone))[0]["text"]).group(1)


async def ask_for_code(phone: str, text: str = "", answering: bool = False, checked: bool = True) -> str:
    """action_ask_progress_sms_code as the form runs it. answering: the latest message was a reply
    to the code question (else it was the phone number); checked: and the form's validation
    handled it (else the form comes back to the question after a side question)."""
    dispatcher = CollectingDispatcher()
    asked = [{"event": "slot", "name": "requested_slot", "value": CODE if answering else PHONE}]
    tracker = make_tracker(text or phone, intent="inform", events=asked, active_loop="progress_form",
                           slots={ORDER: FORGOTTEN, PHONE: phone, "requested_slot": CODE})
    if answering and checked:  # what the validation returned in this turn
        tracker.events.append({"event": "slot", "name": CODE, "value": None})
    assert await ActionAskProgressSmsCode().run(dispatcher, tracker, {}) == []
    return texts(dispatcher)


async def enter_code(text: str, phone: str, failures: float = 0.0) -> Dict[str, Any]:
    return await validate(text, CODE, slots={ORDER: FORGOTTEN, PHONE: phone, "form_failures": failures})


async def verified(phone: str) -> str:
    """The whole verification: code sent, read from the SMS, entered. Returns the grant."""
    said = await ask_for_code(phone)
    assert f"验证码已发送到{phone[:3]}****{phone[-4:]}，请回复6位验证码" in said
    found = await enter_code(await code_in_sms(phone), phone)
    assert progress.GRANT.fullmatch(found[CODE]) and found["requested_slot"] is None, found
    return found[CODE]


def reveals_orders(said: str) -> bool:
    return bool(re.search(r"[A-Z]{2}\d{14}|工单有|没有查到|报装|办理中", said))


async def test_by_phone_the_code_comes_first_and_nothing_is_listed_before_it(backend):
    phone = DEMO_PHONES["connection_in_progress"]
    # "用13800001234查": a lookup by phone, and the form's next question is the SMS code.
    found = await validate("用13800001234查", None, entities=[entity("phone", phone)], intent="application_progress")
    assert (found[ORDER], found[PHONE], found["requested_slot"]) == (FORGOTTEN, phone, CODE)
    assert found["_said"] == "" and await outbox(phone) == []
    said = await ask_for_code(phone)
    assert "验证码已发送到138****1234，请回复6位验证码" in said and phone not in said
    assert not reveals_orders(said)
    [sms] = await outbox(phone)
    assert re.search(r"验证码为\d{6}", sms["text"]) and sms["purpose"] == "work_orders"
    # The code from the SMS, entered: the grant is kept for this lookup, still nothing is said.
    found = await enter_code(f"验证码是{await code_in_sms(phone)}", phone)
    assert progress.GRANT.fullmatch(found[CODE]) and found["requested_slot"] is None
    assert not reveals_orders(found["_said"])
    # Only now the orders, and the grant is forgotten with the lookup.
    dispatcher = CollectingDispatcher()
    slots = await ask(dispatcher, FORGOTTEN, phone, found[CODE])
    assert demo("connection_in_progress") in texts(dispatcher)
    assert slots == {ORDER: None, CODE: None}


async def test_by_order_number_no_code_is_asked(backend):
    found = await validate("13800001234", PHONE, entities=[entity("phone", "13800001234")],
                           slots={ORDER: demo("connection_in_progress")})
    # The domain's two slots only: the form (Rasa) ends here, nothing asks for a code.
    assert found[PHONE] == "13800001234" and "requested_slot" not in found and CODE not in found
    assert await outbox("13800001234") == []


async def test_without_a_verified_code_nothing_is_looked_up(backend_failing, dispatcher):
    for grant in (None, "123456"):
        slots = await ask(dispatcher, FORGOTTEN, "13800001234", grant)
        assert slots == {ORDER: None, CODE: None}
    said = texts(dispatcher)
    assert "短信验证码" in said and not reveals_orders(said) and backend_failing.calls == []


async def test_a_wrong_code_says_how_many_tries_are_left_and_keeps_the_code(backend):
    phone = DEMO_PHONES["connection_in_progress"]
    await ask_for_code(phone)
    code = await code_in_sms(phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    found = await enter_code(wrong, phone)
    assert found[CODE] is None and "验证码不正确，还可以再试4次" in found["_said"]
    assert not reveals_orders(found["_said"])
    # The form asks again without sending another SMS: the code in hand is still good.
    assert await ask_for_code(phone, wrong, answering=True) == ""
    # Back from a side question ("电费多少钱"), the question is repeated, still without an SMS.
    said = await ask_for_code(phone, "电费多少钱", answering=True, checked=False)
    assert "请回复短信里的6位验证码" in said and "已发送" not in said
    assert len(await outbox(phone)) == 1
    found = await enter_code(code, phone)
    assert progress.GRANT.fullmatch(found[CODE])


async def test_five_wrong_codes_void_it_and_a_new_one_is_offered(backend_clock, monkeypatch):
    # The back end's own limit (5 tries per code), with the action server's back-off out of the way.
    from security import rate_limit

    for name in ("SENDER", "ACCOUNT"):
        monkeypatch.setattr(rate_limit, name, rate_limit.Policy(10, 30, 60, 600))
    phone = DEMO_PHONES["repair_in_progress"]
    await ask_for_code(phone)
    code = await code_in_sms(phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        assert f"还可以再试{left}次" in (await enter_code(wrong, phone))["_said"]
    found = await enter_code(wrong, phone)
    assert "已失效（输错次数过多）" in found["_said"] and "重新发送" in found["_said"]
    # Even the right code is refused now.
    assert "已失效" in (await enter_code(code, phone))["_said"]
    backend_clock.advance(seconds=61)
    assert progress.GRANT.fullmatch(await new_code_entered(phone))


async def new_code_entered(phone: str) -> Optional[str]:
    """The customer asks for a new code ("重新发送"), gets it and enters it."""
    found = await enter_code("重新发送", phone)
    assert found[CODE] is None and found["_said"] == "" and found["requested_slot"] == CODE
    before = len(await outbox(phone))
    said = await ask_for_code(phone, "重新发送", answering=True)
    assert "验证码已发送到" in said and len(await outbox(phone)) == before + 1
    return (await enter_code(await code_in_sms(phone), phone))[CODE]


async def test_an_expired_code_offers_a_new_one(backend_clock):
    phone = DEMO_PHONES["meter_test_overdue"]
    await ask_for_code(phone)
    code = await code_in_sms(phone)
    backend_clock.advance(minutes=5)
    found = await enter_code(code, phone)
    assert found[CODE] is None and "已失效（超过5分钟或已经用过）" in found["_said"]
    assert not reveals_orders(found["_said"])
    dispatcher = CollectingDispatcher()
    grant = await new_code_entered(phone)
    await ask(dispatcher, FORGOTTEN, phone, grant)
    assert demo("meter_test_overdue") in texts(dispatcher)


async def test_asking_for_codes_too_often_says_when_to_try_again(backend):
    phone = DEMO_PHONES["complaint_accepted"]
    await ask_for_code(phone)
    said = await ask_for_code(phone, "没收到，再发一次", answering=True)
    assert "请60秒后再回复“重新发送”" in said and "直接回复短信里的6位验证码" in said
    assert len(await outbox(phone)) == 1
    found = await enter_code(await code_in_sms(phone), phone)  # the first code still works
    assert progress.GRANT.fullmatch(found[CODE])


@pytest.mark.parametrize("text", ["12345", "1234567", "验证码12 34"])
async def test_a_code_that_is_not_six_digits_is_explained(text, backend):
    await ask_for_code("13800001234")
    found = await enter_code(text, "13800001234")
    assert found[CODE] is None and "6位" in found["_said"]


async def test_a_phone_number_given_during_the_code_question_does_not_replace_the_phone(backend):
    await ask_for_code("13800001234")
    found = await validate("13912345678", CODE, entities=[entity("phone", "13912345678")],
                           slots={ORDER: FORGOTTEN, PHONE: "13800001234"})
    assert PHONE not in found and found[CODE] is None and "6位" in found["_said"]


async def test_back_end_trouble_while_sending_or_checking_the_code(backend_trouble):
    said = await ask_for_code("13800001234")
    assert hotline() in said and "稍后再试" in said and "验证码已发送" not in said
    found = await enter_code("123456", "13800001234")
    assert found[CODE] is None and hotline() in found["_said"] and "稍后再试" in found["_said"]
    for leak in ("INTERNAL", "内部错误", "Traceback", "13800001234"):
        assert leak not in said + found["_said"]


async def test_an_expired_grant_asks_to_verify_again(backend, dispatcher):
    slots = await ask(dispatcher, FORGOTTEN, "13800001234", "A" * 43)
    said = texts(dispatcher)
    assert "验证已过期" in said and not reveals_orders(said) and slots == {ORDER: None, CODE: None}


# -- the timeline -------------------------------------------------------------------------------
async def test_order_in_progress_shows_steps_done_current_and_deadline(backend, dispatcher):
    number, phone = demo("connection_in_progress"), DEMO_PHONES["connection_in_progress"]
    order = await stored(number, phone)
    slots = await ask(dispatcher, number, phone)
    said = texts(dispatcher)
    current = next(step for step in order["steps"] if step["status"] == "in_progress")
    # The answer first: the current step and when it is due.
    first_line = said.split("\n")[0]
    assert current["name"] in first_line and progress.when_text(current["deadline"]) in first_line
    assert "用电报装" in first_line and "超时" not in said
    # Then the whole timeline, every step with its state.
    for step in order["steps"]:
        assert step["name"] in said
    done = [step for step in order["steps"] if step["status"] == "done"]
    assert done and all(f"已完成（{progress.when_text(step['done_at'])}）" in said for step in done)
    assert "待办理" in said and order["responsible_unit"] in said
    card = dispatcher.messages[0]["custom"]["card"]
    assert card["kind"] == "receipt" and ["工单号", number] in card["fields"]
    # Nothing of the customer's own details is repeated, and the slots stay for a follow-up.
    assert phone not in said and slots == {}


async def test_overdue_order_is_flagged_with_ways_to_chase_it(backend, dispatcher):
    number, phone = demo("meter_test_overdue"), DEMO_PHONES["meter_test_overdue"]
    await ask(dispatcher, number, phone)
    said = texts(dispatcher)
    assert "已超时" in said and "超过承诺时限" in said
    assert {"转人工催办", "我要投诉"} <= {b["title"] for b in buttons_of(dispatcher)}
    # The regulator's line comes from knowledge/ (service.hotlines.energy_regulator).
    from actions.replies import region

    assert region().value("service.hotlines.energy_regulator")["number"] in said


async def test_completed_order_says_it_is_finished(backend, dispatcher):
    number, phone = demo("multi_resident_completed"), DEMO_PHONES["multi_resident_completed"]
    order = await stored(number, phone)
    await ask(dispatcher, number, phone)
    said = texts(dispatcher)
    assert said.startswith(f"您的{order['type_name']}工单已办结（{progress.when_text(order['completed_at'])}）")
    assert "办理中" not in said and "待办理" not in said and not buttons_of(dispatcher)


@pytest.mark.parametrize("key", sorted(DEMO_PHONES))
async def test_every_kind_of_work_order_can_be_followed(key, backend, dispatcher):
    number, phone = demo(key), DEMO_PHONES[key]
    order = await stored(number, phone)
    await ask(dispatcher, number, phone)
    said = texts(dispatcher)
    assert order["type_name"] in said and number in said


async def test_phone_not_on_the_order_shows_nothing_and_asks_again(backend, dispatcher):
    number = demo("connection_in_progress")
    order = await stored(number, DEMO_PHONES["connection_in_progress"])
    slots = await ask(dispatcher, number, "13912345678")
    said = texts(dispatcher)
    assert "不一致" in said and "139****5678" in said and "13912345678" not in said
    assert all(step["name"] not in said for step in order["steps"])
    assert slots == {PHONE: None}  # only the phone is asked again; the order number is kept
    assert buttons_of(dispatcher)[0]["payload"] == progress.PROGRESS_BUTTON % number


async def test_unknown_order_number_is_explained(backend, dispatcher):
    slots = await ask(dispatcher, "BZ20000101999999", "13800001234")
    said = texts(dispatcher)
    assert "没有找到工单 BZ20000101999999" in said and "13800001234" not in said
    assert slots == {ORDER: None}
    assert "用手机号查" in [b["title"] for b in buttons_of(dispatcher)]


async def test_a_new_application_can_be_followed_right_after_its_receipt(backend, dispatcher):
    from actions import backend_client

    created = await backend_client.post("/api/v1/work-orders", {
        "type": "connection", "request_id": "progress-test-1", "contact_name": "王小明", "phone": "13712345678",
        "address": "南山区粤海街道科技园路1号", "district": "南山区",
        "details": {"category": "low_voltage_business", "capacity_kw": 80}})
    assert created.ok
    await ask(dispatcher, created.data["order_no"], "13712345678")
    said = texts(dispatcher)
    assert created.data["current_step"] in said.split("\n")[0] and "用电报装" in said


# -- by phone, for a customer who lost the number ------------------------------------------------
async def test_forgotten_number_lists_the_orders_on_the_phone(backend, dispatcher):
    from actions import backend_client

    phone = DEMO_PHONES["connection_in_progress"]
    grant = await verified(phone)
    listed = (await backend_client.get("/api/v1/work-orders", phone=phone, grant=grant,
                                       limit=progress.MAX_LISTED)).data["orders"]
    assert len(listed) > 1  # the seed gives this demo customer several orders
    slots = await ask(dispatcher, FORGOTTEN, phone, grant)
    said = texts(dispatcher)
    assert f"用 138****1234 登记的工单有{len(listed)}张" in said and phone not in said
    assert demo("connection_in_progress") in said
    assert [b["payload"] for b in buttons_of(dispatcher)] == [
        progress.PROGRESS_BUTTON % order["order_no"] for order in listed]
    # The phone stays, so a tap on an order shows it at once (by number: no code needed); the
    # grant was for this lookup only.
    assert slots == {ORDER: None, CODE: None}


async def test_a_single_order_on_the_phone_is_shown_in_full(backend, dispatcher):
    from actions import backend_client

    created = await backend_client.post("/api/v1/work-orders", {
        "type": "meter_test", "request_id": "progress-test-2", "contact_name": "李娜", "phone": "13798765432",
        "address": "福田区莲花街道景田北路5号", "district": "福田区", "details": {"reason": "电表走得快"}})
    assert created.ok
    await ask(dispatcher, FORGOTTEN, "13798765432", await verified("13798765432"))
    said = texts(dispatcher)
    assert created.data["order_no"] in said and created.data["current_step"] in said.split("\n")[0]
    assert dispatcher.messages[0]["custom"]["card"]["title"] == "工单进度"


async def test_no_orders_on_the_phone(backend, dispatcher):
    slots = await ask(dispatcher, FORGOTTEN, "19912345678", await verified("19912345678"))
    said = texts(dispatcher)
    assert "没有查到用 199****5678 登记的工单" in said and hotline() in said and "19912345678" not in said
    assert slots == {ORDER: None, CODE: None}


async def test_without_a_phone_nothing_is_looked_up(backend_failing, dispatcher):
    await ask(dispatcher, demo("connection_in_progress"), None)
    assert "手机号" in texts(dispatcher) and backend_failing.calls == []


@pytest.mark.parametrize("order_no", ["BZ20261121000001", FORGOTTEN])
async def test_back_end_trouble_gets_a_polite_answer(order_no, backend_trouble, dispatcher):
    await ask(dispatcher, order_no, "13800001234", "A" * 43)
    said = texts(dispatcher)
    assert hotline() in said and "稍后再试" in said
    for leak in ("INTERNAL", "内部错误", "stack", "Traceback", "13800001234"):
        assert leak not in said


# -- the form ----------------------------------------------------------------------------------
async def test_order_number_from_the_first_message_and_phone_from_the_answer():
    found = await validate("工单号bz20261120000012帮我查查", None,
                           entities=[entity("order_no", "bz20261120000012")], intent="application_progress")
    assert found[ORDER] == "BZ20261120000012"
    found = await validate("13800001234", PHONE, entities=[entity("phone", "13800001234")],
                           slots={ORDER: "BZ20261120000012"})
    assert found[PHONE] == "13800001234"


@pytest.mark.parametrize("text", ["忘了", "单号不记得了", "没有单号，用手机号查"])
async def test_no_order_number_means_a_lookup_by_phone(text):
    assert (await validate(text, ORDER))[ORDER] == FORGOTTEN


async def test_a_phone_instead_of_the_number_means_a_lookup_by_phone():
    found = await validate("用13800001234查", ORDER, entities=[entity("phone", "13800001234")])
    assert found[ORDER] == FORGOTTEN and found[PHONE] == "13800001234"
    assert found["requested_slot"] == CODE and found[CODE] is None  # the SMS code comes next


async def test_number_typed_with_spaces_is_accepted():
    assert (await validate("BZ 2026 1120 000012", ORDER))[ORDER] == "BZ20261120000012"


@pytest.mark.parametrize("text", ["BZ2026112000001", "AB12", "12345678"])
async def test_malformed_order_number_is_explained(text):
    found = await validate(text, ORDER)
    assert found[ORDER] is None and "2位字母加14位数字" in found["_said"]


@pytest.mark.parametrize("text", ["1380000123", "23800001234", "138-0000-12345"])
async def test_bad_phone_is_explained(text):
    found = await validate(text, PHONE, slots={ORDER: "BZ20261120000012"})
    assert found.get(PHONE) is None and "11位" in found["_said"]


async def test_no_phone_at_hand_gets_the_other_ways_to_ask():
    found = await validate("电话忘了", PHONE, slots={ORDER: "BZ20261120000012"})
    assert found[PHONE] is None and hotline() in found["_said"] and "营业厅" in found["_said"]


async def test_second_bad_answer_explains_and_offers_to_stop():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("AB12", intent="inform", slots={"requested_slot": ORDER, "form_failures": 1.0},
                           active_loop="progress_form")
    await ValidateProgressForm().run(dispatcher, tracker, {"forms": {"progress_form": {
        "required_slots": [ORDER, PHONE]}}})
    said = texts(dispatcher)
    assert "忘了" in said and "取消办理" in [b["title"] for b in buttons_of(dispatcher)]


def test_times_from_the_back_end_are_shown_in_local_words():
    assert progress.when_text("2026-11-23T10:05:00+08:00") == "11月23日10:05"
    assert progress.when_text(None) == "" and progress.when_text("not a time") == ""
    step = {"time_limit_days": 2, "deadline": "2026-11-24T18:00:00+08:00"}
    assert progress.limit_text(step) == "2个工作日（11月24日18:00前）"
    assert progress.limit_text({"time_limit_hours": 1.5}) == "1.5小时"


async def test_code_tries_are_slowed_down_per_conversation(backend, fresh_rate_limits):
    from security.rate_limit import SENDER, Subject

    subject = Subject("sms_code", "test-user-0001", None, "13800001234")
    for _ in range(SENDER.free_failures):
        await fresh_rate_limits.failed(subject)
    from actions.progress import ValidateProgressForm

    dispatcher = CollectingDispatcher()
    tracker = make_tracker("123456", slots={"progress_phone": "13800001234", "requested_slot": "progress_sms_code"})
    result = await ValidateProgressForm().validate_progress_sms_code("123456", dispatcher, tracker, {})
    assert result["progress_sms_code"] is None
    assert "后再试" in texts(dispatcher)
