"""用电报装: answers per customer type and sub-question, the application form's validation,
and the submission against the real back-end stub (created once, receipt, failures)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import connection_form as cf
from actions.connection import ActionConnectionEnquiry, ConnectionFacts
from actions.connection_form import (
    ActionAskConnectionConfirmed, ActionConnectionSubmit, ValidateConnectionForm, request_id_for, order_payload,
)
from actions.forms import FAILURES_SLOT
from actions.replies import hotline, region
from tests.actions.account_helpers import parsed  # the NLU rule extractor's entities for a message
from tests.conftest import entity, make_tracker, orders_for_phone, texts

FORM = "connection_form"


def facts() -> ConnectionFacts:
    return ConnectionFacts(region())


def kb(path: str) -> Any:
    return region().value(f"connection.{path}")


def slot_events(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def enquire(text: str, dispatcher: CollectingDispatcher, slots: Optional[Dict[str, Any]] = None,
                  extra: Optional[List[Dict[str, Any]]] = None, active_loop: Optional[str] = None):
    tracker = make_tracker(text, intent="connection_enquiry", entities=parsed(text) + (extra or []),
                           slots=slots, active_loop=active_loop)
    events = await ActionConnectionEnquiry().run(dispatcher, tracker, {})
    return texts(dispatcher), slot_events(events)


# -- answers ---------------------------------------------------------------------------------
async def test_hot_pot_restaurant_gets_the_low_voltage_business_answer(dispatcher):
    said, slots = await enquire("我开火锅店大概要80千瓦", dispatcher)
    steps = kb("process.low_voltage.steps")
    assert f"{len(steps)}步" in said and " → ".join(steps) in said
    assert f"供电方案答复不超过{kb('commitments.supply_plan_reply_working_days')['low_voltage_business']}个工作日" in said
    assert f"装表接电不超过{kb('commitments.installation_working_days')['low_voltage_business']}个工作日" in said
    for item in kb("reforms.three_zero")["items"]:
        assert item in said
    assert "80千瓦" in said and f"{kb('low_voltage_threshold_kva')}千伏安" in said
    assert "高压" not in said.split("\n")[0]
    assert slots == {"connection_apply": False}
    payloads = [b["payload"] for b in dispatcher.messages[-1]["buttons"]]
    assert '/connection_enquiry{"aspect": "apply"}' in payloads


async def test_steps_answer_names_how_long_the_supply_plan_is_valid(dispatcher):
    said, _ = await enquire("我开火锅店大概要80千瓦，流程是怎样的", dispatcher)
    assert f"有效期{kb('plan_validity.low_voltage_months')}个月" in said
    dispatcher.messages.clear()
    said, _ = await enquire("厂房要800千伏安，流程是怎样的", dispatcher)
    assert f"有效期{kb('plan_validity.high_voltage_months')}个月" in said


async def test_factory_of_800_kva_gets_the_high_voltage_answer(dispatcher):
    said, _ = await enquire("厂房要800千伏安", dispatcher)
    steps = kb("process.high_voltage.steps")
    assert "800千伏安" in said and "高压" in said
    assert f"高压报装只要{len(steps)}步" in said and " → ".join(steps) in said
    assert f"供电方案答复不超过{kb('commitments.supply_plan_reply_working_days')['high_voltage_single']}个工作日" in said
    for item in kb("reforms.three_save")["items"]:
        assert item in said
    assert "依据：" in said  # the threshold's source is named


@pytest.mark.parametrize("text, level", [
    ("店里要五十KW", "低压"), ("我开火锅店大概要八十千瓦", "低压"), ("申请５０ＫＷ的商业用电", "低压"),
    ("工厂要一百五十千瓦", "低压"), ("厂里要两百千伏安", "低压"), ("写字楼要2000kVA", "高压"), ("厂房要1.5兆瓦", "高压"),
])
async def test_units_and_chinese_numerals_decide_the_voltage_level(text, level, dispatcher):
    said, _ = await enquire(text + "，算低压还是高压", dispatcher)
    first = said.split("\n")[0]
    assert level in first, said
    if level == "低压":
        assert "以内" in first
    else:
        assert "超过" in first


async def test_sub_questions_use_what_is_already_known(dispatcher):
    known = {"connection_customer_type": "residential", "connection_capacity_kw": 8.0,
             "connection_capacity_unit": "kW"}
    said, _ = await enquire("要多久", dispatcher, slots=known)
    assert f"供电方案答复不超过{kb('commitments.supply_plan_reply_working_days')['residential']}个工作日" in said
    assert f"平均不超过{kb('process.low_voltage.average_working_days')}个工作日" in said
    assert "您是家庭用电" not in said  # nothing asked again

    dispatcher.messages.clear()
    said, _ = await enquire("要什么材料", dispatcher, slots=known)
    assert kb("documents.residential")[0] in said and kb("documents.business")[1] not in said

    dispatcher.messages.clear()
    said, _ = await enquire("要不要本人到场", dispatcher, slots=known)
    assert "不需要本人到场" in said


@pytest.mark.parametrize("text, expected", [
    ("开店要什么材料", lambda: kb("documents.business")[0]),
    ("怎么申请报装", lambda: kb("channels")[0]),
    ("接电要不要钱", lambda: kb("costs.low_voltage")),
    ("增容怎么办", lambda: kb("capacity_increase.steps")[0]),
    ("报装流程是怎样的", lambda: kb("process.low_voltage.steps")[0]),
])
async def test_each_sub_question_is_answered_from_knowledge(text, expected, dispatcher):
    said, _ = await enquire(text, dispatcher)
    assert expected() in said


async def test_unknown_customer_is_asked_who_they_are(dispatcher):
    said, _ = await enquire("报装", dispatcher)
    assert "家庭用电" in said and f"{kb('low_voltage_threshold_kva')}千伏安" in said
    payloads = [b["payload"] for b in dispatcher.messages[-1]["buttons"]]
    assert '/connection_enquiry{"customer_type": "factory"}' in payloads


async def test_dual_supply_and_temporary_supply(dispatcher):
    said, _ = await enquire("厂房要双电源，要多久", dispatcher)
    assert f"不超过{kb('commitments.supply_plan_reply_working_days')['high_voltage_dual']}个工作日" in said
    dispatcher.messages.clear()
    said, _ = await enquire("工地要临时用电怎么报装", dispatcher)
    assert f"不超过{kb('temporary_supply.max_months')}个月" in said


async def test_absurd_capacity_is_questioned_not_answered(dispatcher):
    said, _ = await enquire("我要装0千瓦的电", dispatcher)
    assert "大于0" in said
    dispatcher.messages.clear()
    said, _ = await enquire("厂里要10亿千瓦", dispatcher)
    assert "核对" in said


async def test_another_city_gets_an_honest_caveat(dispatcher):
    said, _ = await enquire("广州开店报装要多久", dispatcher, extra=[entity("city", "广州")])
    assert "广州" in said and region().name in said and hotline() in said


async def test_asking_to_apply_starts_the_form_with_what_was_said(dispatcher):
    said, slots = await enquire("我开火锅店大概要80千瓦，帮我申请", dispatcher)
    assert slots == {"connection_apply": True}
    assert "80千瓦" in said and "算了" in said


async def test_side_question_during_the_form_is_answered_and_the_form_resumes(dispatcher):
    said, slots = await enquire("要什么材料", dispatcher, active_loop=FORM,
                                slots={"connection_customer_type": "business", "requested_slot": "connection_phone"})
    assert kb("documents.business")[0] in said and "接着填写" in said
    assert slots == {"connection_apply": False}


# -- form validation -------------------------------------------------------------------------
def form_tracker(text: str = "", intent: str = "inform", requested: Optional[str] = None,
                 slots: Optional[Dict[str, Any]] = None, events: Optional[List[Dict[str, Any]]] = None,
                 extra: Optional[List[Dict[str, Any]]] = None):
    state = dict(slots or {})
    state["requested_slot"] = requested
    return make_tracker(text, intent=intent, entities=parsed(text) + (extra or []), slots=state,
                        events=events, active_loop=FORM)


async def validate(slot: str, value: Any, tracker, dispatcher) -> Dict[str, Any]:
    return await getattr(ValidateConnectionForm(), f"validate_{slot}")(value, dispatcher, tracker, {})


async def extract(slot: str, tracker, dispatcher) -> Dict[str, Any]:
    return await getattr(ValidateConnectionForm(), f"extract_{slot}")(dispatcher, tracker, {})


@pytest.mark.parametrize("value", ["1381234567", "23812345678", "12345", "电话没有"])
async def test_bad_phone_is_explained_and_not_kept(value, dispatcher):
    result = await validate("connection_phone", value, form_tracker(requested="connection_phone"), dispatcher)
    assert result["connection_phone"] is None and result[FAILURES_SLOT] == 1
    assert "11位" in texts(dispatcher)


async def test_second_failure_explains_and_offers_to_stop(dispatcher):
    tracker = form_tracker(requested="connection_phone", slots={FAILURES_SLOT: 1.0})
    result = await validate("connection_phone", "123", tracker, dispatcher)
    assert result[FAILURES_SLOT] == 0
    assert "取消办理" in [b["title"] for b in dispatcher.messages[-1]["buttons"]]


async def test_phone_typed_in_groups_is_accepted(dispatcher):
    tracker = form_tracker("我手机是139 1234 5678", requested="connection_phone")
    extracted = await extract("connection_phone", tracker, dispatcher)
    assert (await validate("connection_phone", extracted["connection_phone"], tracker, dispatcher))[
        "connection_phone"] == "13912345678"


async def test_address_with_district_or_street_is_accepted(dispatcher):
    tracker = form_tracker("粤海街道科技园路科兴科学园A栋", requested="connection_address")
    value = (await extract("connection_address", tracker, dispatcher))["connection_address"]
    result = await validate("connection_address", value, tracker, dispatcher)
    assert result["connection_district"] == "南山区"
    assert result["connection_address"] == "南山区粤海街道科技园路科兴科学园A栋"


@pytest.mark.parametrize("text, district, address", [
    ("宝安新安街道宝民一路88号", "宝安区", "宝安区新安街道宝民一路88号"),
    ("华强北路100号赛格广场", "福田区", "福田区华强北路100号赛格广场"),
    ("深圳市龙岗区布吉街道布吉路66号", "龙岗区", "深圳市龙岗区布吉街道布吉路66号"),
])
async def test_district_is_recognised_by_alias_or_street(text, district, address, dispatcher):
    # The same place lookup as the other topics' forms (actions.account_knowledge.find_place).
    from actions.account_knowledge import find_district

    tracker = form_tracker(text, requested="connection_address")
    result = await validate("connection_address", text, tracker, dispatcher)
    assert (result["connection_district"], result["connection_address"]) == (district, address)
    assert find_district(text) == district


async def test_unknown_district_is_asked_again_politely(dispatcher):
    tracker = form_tracker("科技园路科兴科学园A栋", requested="connection_address")
    result = await validate("connection_address", "科技园路科兴科学园A栋", tracker, dispatcher)
    assert result["connection_address"] is None
    assert "哪个区" in texts(dispatcher) and "抱歉" in texts(dispatcher)


async def test_district_said_earlier_completes_the_address(dispatcher):
    earlier = {"event": "user", "text": "我在南山开店要报装",
               "parse_data": {"intent": {"name": "connection_enquiry"}, "entities": [entity("district", "南山区")]}}
    tracker = form_tracker("科技园路科兴科学园A栋", requested="connection_address", events=[earlier])
    result = await validate("connection_address", "科技园路科兴科学园A栋", tracker, dispatcher)
    assert result["connection_address"] == "南山区科技园路科兴科学园A栋"


@pytest.mark.parametrize("value, reply", [("广州市天河区体育西路100号", "只能受理"), ("南山区", "具体一些")])
async def test_address_in_another_city_or_too_vague(value, reply, dispatcher):
    result = await validate("connection_address", value, form_tracker(requested="connection_address"), dispatcher)
    assert result["connection_address"] is None and reply in texts(dispatcher)


@pytest.mark.parametrize("value", [0, 0.0, -5, 1e9, 10 ** 9])
async def test_zero_or_absurd_capacity_is_refused_with_a_reason(value, dispatcher):
    result = await validate("connection_capacity_kw", value, form_tracker(requested="connection_capacity_kw"),
                            dispatcher)
    assert result["connection_capacity_kw"] is None
    said = texts(dispatcher)
    assert ("大于0" in said) if value <= 0 else ("核对" in said)


@pytest.mark.parametrize("text, kw, unit", [
    ("80千瓦", 80, "kW"), ("八十千瓦", 80, "kW"), ("800千伏安", 800, "kVA"), ("50KW", 50, "kW"),
    ("1.5兆瓦", 1500, "kW"), ("500瓦", 0.5, "kW"), ("100", 100, "kW"), ("大概两百", 200, "kW"),
])
async def test_capacity_in_mixed_units_is_normalised(text, kw, unit, dispatcher):
    tracker = form_tracker(text, requested="connection_capacity_kw")
    extracted = await extract("connection_capacity_kw", tracker, dispatcher)
    tracker.slots.update(extracted)
    result = await validate("connection_capacity_kw", extracted["connection_capacity_kw"], tracker, dispatcher)
    assert result["connection_capacity_kw"] == pytest.approx(kw)
    assert result["connection_capacity_unit"] == unit


async def test_capacity_in_hundred_millions_or_unknown_is_explained(dispatcher):
    tracker = form_tracker("10亿千瓦", requested="connection_capacity_kw")
    value = (await extract("connection_capacity_kw", tracker, dispatcher))["connection_capacity_kw"]
    assert (await validate("connection_capacity_kw", value, tracker, dispatcher))["connection_capacity_kw"] is None
    assert "核对" in texts(dispatcher)
    dispatcher.messages.clear()
    tracker = form_tracker("不知道", requested="connection_capacity_kw")
    value = (await extract("connection_capacity_kw", tracker, dispatcher))["connection_capacity_kw"]
    await validate("connection_capacity_kw", value, tracker, dispatcher)
    assert "估算" in texts(dispatcher)


@pytest.mark.parametrize("text, kind", [("开店用的", "business"), ("家里用", "residential"), ("工厂", "factory")])
async def test_customer_type_from_words(text, kind, dispatcher):
    tracker = form_tracker(text, requested="connection_customer_type")
    value = (await extract("connection_customer_type", tracker, dispatcher))["connection_customer_type"]
    assert (await validate("connection_customer_type", value, tracker, dispatcher))["connection_customer_type"] == kind


@pytest.mark.parametrize("text, name", [("王小明", "王小明"), ("我叫李娜", "李娜"), ("姓陈，陈志强", "陈志强")])
async def test_contact_name(text, name, dispatcher):
    tracker = form_tracker(text, requested="connection_contact_name")
    value = (await extract("connection_contact_name", tracker, dispatcher))["connection_contact_name"]
    assert (await validate("connection_contact_name", value, tracker, dispatcher))["connection_contact_name"] == name


async def test_a_question_is_not_taken_as_a_name(dispatcher):
    tracker = form_tracker("南山停电了吗", intent="outage_lookup", requested="connection_contact_name")
    assert await extract("connection_contact_name", tracker, dispatcher) == {}


def previous(slot: str, value: Any) -> List[Dict[str, Any]]:
    return [{"event": "slot", "name": slot, "value": value}]


async def test_correcting_the_address_clears_it_or_replaces_it(dispatcher):
    slots = {"connection_address": "福田区莲花街道景田北路景田花园5栋"}
    tracker = form_tracker("地址写错了", requested="connection_confirmed", slots=slots)
    assert await extract("connection_address", tracker, dispatcher) == {"connection_address": None}
    assert await extract("connection_confirmed", tracker, dispatcher) == {}

    text = "地址写错了，应该是南山区粤海街道科技园路科兴科学园A栋"
    tracker = form_tracker(text, requested="connection_confirmed", slots=slots,
                           events=previous("connection_address", slots["connection_address"]))
    value = (await extract("connection_address", tracker, dispatcher))["connection_address"]
    result = await validate("connection_address", value, tracker, dispatcher)
    assert result["connection_address"] == "南山区粤海街道科技园路科兴科学园A栋"
    assert "用电地址已改为南山区" in texts(dispatcher)


async def test_correcting_the_capacity_at_any_question(dispatcher):
    tracker = form_tracker("容量改成100千瓦", requested="connection_phone",
                           slots={"connection_capacity_kw": 100.0, "connection_capacity_unit": "kW"},
                           events=previous("connection_capacity_kw", 80.0))
    extracted = await extract("connection_capacity_kw", tracker, dispatcher)
    assert extracted["connection_capacity_kw"] == 100.0
    assert await extract("connection_phone", tracker, dispatcher) == {}  # not mistaken for a phone
    result = await validate("connection_capacity_kw", 100.0, tracker, dispatcher)
    assert result["connection_capacity_kw"] == 100.0
    assert "用电容量已改为100千瓦" in texts(dispatcher)


@pytest.mark.parametrize("text, intent, confirmed", [
    ("确认", "affirm", True), ("没问题，提交吧", "inform", True), ("嗯等一下", "inform", "unclear"),
])
async def test_confirmation(text, intent, confirmed, dispatcher):
    tracker = form_tracker(text, intent=intent, requested="connection_confirmed")
    value = (await extract("connection_confirmed", tracker, dispatcher))["connection_confirmed"]
    assert value == confirmed
    result = await validate("connection_confirmed", value, tracker, dispatcher)
    assert result["connection_confirmed"] == (True if confirmed is True else None)


async def test_cancel_words_end_the_form_unconfirmed(dispatcher, domain):
    tracker = form_tracker("算了，先不申请了", requested="connection_address")
    events = await ValidateConnectionForm().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"connection_confirmed": False, "requested_slot": None}


async def test_first_message_fills_the_form_through_the_validation_action(dispatcher, domain):
    text = "我开火锅店大概要80千瓦，帮我申请"
    tracker = form_tracker(text, intent="connection_enquiry", slots={
        "connection_customer_type": "business", "connection_capacity_kw": 80.0, "connection_capacity_unit": "kW"})
    events = slot_events(await ValidateConnectionForm().run(dispatcher, tracker, domain))
    assert events["connection_customer_type"] == "business"
    assert events["connection_capacity_kw"] == 80.0 and events["connection_capacity_unit"] == "kW"
    assert "connection_contact_name" not in events  # a request to apply is not a name


async def test_summary_masks_the_phone_and_names_the_category(dispatcher):
    tracker = make_tracker("", slots=filled_slots())
    await ActionAskConnectionConfirmed().run(dispatcher, tracker, {})
    said = texts(dispatcher)
    assert "138****5678" in said and "13812345678" not in said
    assert facts().label("low_voltage_business") in said
    assert [b["payload"] for b in dispatcher.messages[-1]["buttons"]] == ["/affirm", "/deny"]


# -- submission against the back-end stub ----------------------------------------------------
def filled_slots(**changes: Any) -> Dict[str, Any]:
    slots = {
        "connection_customer_type": "business", "connection_contact_name": "王小明",
        "connection_phone": "13812345678", "connection_address": "南山区粤海街道科技园路科兴科学园A栋",
        "connection_district": "南山区", "connection_capacity_kw": 80.0, "connection_capacity_unit": "kW",
        "connection_confirmed": True,
    }
    slots.update(changes)
    return slots


async def submit(dispatcher: CollectingDispatcher, sender: str = "test-user-0001", **changes: Any):
    tracker = make_tracker("确认", intent="affirm", slots=filled_slots(**changes), sender_id=sender)
    return slot_events(await ActionConnectionSubmit().run(dispatcher, tracker, {}))


async def orders_for(phone: str) -> List[Dict[str, Any]]:
    return await orders_for_phone(None, phone)


async def test_submission_creates_the_order_and_replies_with_the_receipt(backend, dispatcher):
    from actions import backend_client

    slots = await submit(dispatcher)
    order_no = slots["connection_order_no"]
    assert order_no.startswith("BZ20261122")
    stored = await backend_client.get(f"/api/v1/work-orders/{order_no}", phone="13812345678")
    assert stored.ok and stored.data["details"]["category"] == "low_voltage_business"
    assert stored.data["district"] == "南山区" and stored.data["details"]["capacity_kw"] == 80.0

    said = texts(dispatcher)
    card = dispatcher.messages[0]["custom"]["card"]
    assert card["kind"] == "receipt" and card["title"] == "业扩电子回执"
    first_step = stored.data["steps"][0]
    assert order_no in said and stored.data["current_step"] in said
    assert f"{first_step['time_limit_days']}个工作日" in said and stored.data["responsible_unit"] in said
    assert "13812345678" not in said and "138****5678" in said
    # The form is cleared; the order and phone are kept for a progress question.
    assert slots["connection_address"] is None and slots["connection_confirmed"] is None
    assert slots["progress_order_no"] == order_no and slots["progress_phone"] == "13812345678"


async def test_a_retry_or_double_tap_creates_one_order(backend):
    first, second = CollectingDispatcher(), CollectingDispatcher()
    one = (await submit(first))["connection_order_no"]
    two = (await submit(second))["connection_order_no"]
    assert one == two
    assert [o["order_no"] for o in await orders_for("13812345678")] == [one]


@pytest.mark.parametrize("changes, category", [
    ({"connection_customer_type": "residential", "connection_capacity_kw": 8.0}, "residential"),
    ({"connection_customer_type": "factory", "connection_capacity_kw": 800.0, "connection_capacity_unit": "kVA"},
     "high_voltage_single"),
    ({"connection_customer_type": "factory", "connection_capacity_kw": 2000.0, "connection_dual_supply": True},
     "high_voltage_dual"),
])
async def test_category_follows_the_customer_and_capacity(changes, category, backend, dispatcher):
    from actions import backend_client

    order_no = (await submit(dispatcher, **changes))["connection_order_no"]
    stored = await backend_client.get(f"/api/v1/work-orders/{order_no}", phone="13812345678")
    assert stored.data["details"]["category"] == category
    assert facts().label(category) in texts(dispatcher)


async def test_unconfirmed_form_creates_nothing(backend, dispatcher):
    slots = await submit(dispatcher, connection_confirmed=False)
    assert "没有提交" in texts(dispatcher) and "connection_order_no" not in slots
    assert await orders_for("13812345678") == []


async def test_back_end_trouble_gets_a_polite_reply_and_keeps_the_answers(backend_trouble, dispatcher):
    slots = await submit(dispatcher)
    said = texts(dispatcher)
    assert hotline() in said and "stack" not in said and "INTERNAL" not in said and "内部错误" not in said
    assert slots == {"connection_confirmed": None}  # only the confirmation is asked again
    assert "重新提交" in [b["title"] for m in dispatcher.messages for b in m.get("buttons") or []]


async def test_request_id_depends_on_sender_and_content():
    tracker = make_tracker("", slots=filled_slots())
    payload = order_payload(tracker)
    assert request_id_for(tracker, payload) == request_id_for(tracker, order_payload(tracker))
    other = make_tracker("", slots=filled_slots(connection_capacity_kw=100.0))
    assert request_id_for(tracker, payload) != request_id_for(other, order_payload(other))
    assert cf.REQUIRED[-1] == "connection_confirmed"


@pytest.mark.parametrize(
    "customer_type, capacity, dual, expected",
    [
        ("residential", None, False, "residential"),
        ("business", None, False, "low_voltage_business"),
        (None, None, False, None),
        (None, 80, False, None),  # a figure alone does not say residential or business
        ("factory", 80, False, "low_voltage_business"),
        ("business", 200, False, "low_voltage_business"),  # the threshold itself is still low voltage
        ("business", 201, False, "high_voltage_single"),
        ("residential", 300, False, "high_voltage_single"),  # capacity decides the voltage level
        ("business", 800, True, "high_voltage_dual"),
    ],
)
def test_category_decided_by_type_capacity_and_the_regions_threshold(customer_type, capacity, dual, expected):
    from actions.connection import decide_category

    facts = ConnectionFacts(region())
    assert facts.threshold_kva == 200  # knowledge/regions/shenzhen/connection.yml
    assert decide_category(facts, customer_type, capacity, dual) == expected
