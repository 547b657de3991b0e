"""故障报修 (actions.repair, actions.fault_triage): the repair form's validation (address, district,
mobile, description; failed answers counted and explained; continue or cancel), the work order
created once (idempotent), the arrival commitment per area type from knowledge/, the meter
boundary explained kindly, and a back end that is down, slow or failing."""
from __future__ import annotations

import time
from datetime import date
from functools import lru_cache
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.fault_triage import HAZARD_SLOT, TRIAGE_SLOT, ActionTriageFault
from actions.forms import CONTINUE_CANCEL_BUTTONS, FAILURES_SLOT, MAX_FAILURES
from actions.hazards import power_hotline, safety_text
from actions.outage_places import arrival_commitment, arrival_minutes, duration_text
from actions.repair import (
    CONFIRMED, FORM_SLOTS, ActionAskRepairFormConfirmed, ActionSubmitRepair, ValidateRepairForm, request_id,
)
from actions.replies import hotline, region
from backend import seed
from bot.text import normalize
from tests.conftest import FIXED_NOW, make_tracker, orders_for_phone, texts

FORM = "repair_form"
PHONE = "13912345678"
FILLED = {"repair_address": "粤海街道科苑路18号海滨公寓6栋", "repair_district": "南山区", "repair_phone": PHONE,
          "repair_description": "整栋楼都没电了", CONFIRMED: True}


@lru_cache(maxsize=1)
def _gazetteer():
    from bot.nlu.gazetteer import Gazetteer

    return Gazetteer.from_knowledge()


def parsed(text: str) -> List[Dict[str, Any]]:
    from bot.nlu.entity_extractor import extract

    return [{"entity": name, "start": start, "end": end, "value": value}
            for name, start, end, value in extract(normalize(text), today=FIXED_NOW.date(), gazetteer=_gazetteer())]


def slot_events(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def buttons_of(dispatcher: CollectingDispatcher) -> List[Dict[str, str]]:
    return [b for m in dispatcher.messages for b in m.get("buttons") or []]


async def validate(text: str, requested: Optional[str], domain, slots=None, intent="inform") -> Dict[str, Any]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, intent=intent, entities=parsed(text),
                           slots={"requested_slot": requested, **(slots or {})}, active_loop=FORM)
    found = slot_events(await ValidateRepairForm().run(dispatcher, tracker, domain))
    found["_said"] = texts(dispatcher)
    found["_buttons"] = buttons_of(dispatcher)
    return found


async def submit(dispatcher, slots=None, sender_id="test-user-0001"):
    tracker = make_tracker("确认", intent="affirm", slots={**FILLED, **(slots or {})}, sender_id=sender_id)
    return slot_events(await ActionSubmitRepair().run(dispatcher, tracker, {}))


async def orders_for(phone: str) -> List[Dict[str, Any]]:
    return [order for order in await orders_for_phone(None, phone) if order["type"] == "repair"]


# -- the form: first message ----------------------------------------------------------------------
async def test_first_message_fills_what_it_can(domain):
    found = await validate("南山区粤海街道整栋楼都没电了，电话13912345678", None, domain, intent="fault_repair")
    assert found["repair_district"] == "南山区" and found["repair_phone"] == PHONE
    assert found["repair_description"].startswith("南山区粤海街道整栋楼都没电了")


async def test_a_bare_request_is_not_a_description(domain):
    found = await validate("我要报修，麻烦派个电工来看看", None, domain, intent="fault_repair")
    assert "repair_description" not in found or found["repair_description"] is None


async def test_district_comes_from_the_outage_just_looked_up(domain):
    found = await validate("我要报修", None, domain, intent="fault_repair", slots={"outage_street": "莲花街道"})
    assert found["repair_district"] == "福田区"


# -- the form: answers ---------------------------------------------------------------------------
async def test_address_answer_with_its_district(domain):
    found = await validate("我家在南山区粤海街道科苑路18号6栋", "repair_address", domain)
    assert found["repair_address"] == "南山区粤海街道科苑路18号6栋"
    assert found["repair_district"] == "南山区" and found[FAILURES_SLOT] == 0.0


async def test_unusable_addresses_are_counted_then_explained_with_continue_or_cancel(domain):
    first = await validate("家里", "repair_address", domain)
    assert first["repair_address"] is None and first[FAILURES_SLOT] == 1.0
    assert "具体一点" in first["_said"] and not first["_buttons"]
    second = await validate("这边", "repair_address", domain, slots={FAILURES_SLOT: first[FAILURES_SLOT]})
    assert MAX_FAILURES == 2 and second[FAILURES_SLOT] == 0.0
    assert "区、街道、路名门牌或小区楼栋" in second["_said"] and "取消办理" in second["_said"]
    assert second["_buttons"] == CONTINUE_CANCEL_BUTTONS


async def test_a_question_instead_of_an_address_is_not_taken_as_one(domain):
    found = await validate("为什么要地址？", "repair_address", domain)
    assert found.get("repair_address") is None


@pytest.mark.parametrize("answer, ok", [
    ("13912345678", True), ("139 1234 5678", True), ("我的手机是13912345678", True),
    ("12345", False), ("0755-83838383", False), ("没有手机", False),
])
async def test_mobile_number_validation(answer, ok, domain):
    found = await validate(answer, "repair_phone", domain)
    if ok:
        assert found["repair_phone"] == PHONE
    else:
        assert found["repair_phone"] is None and found[FAILURES_SLOT] == 1.0
        assert "11位手机号" in found["_said"]


async def test_phone_failures_explained_on_the_second_try(domain):
    found = await validate("不知道", "repair_phone", domain, slots={FAILURES_SLOT: 1.0})
    assert "1开头的11位数字" in found["_said"] and found["_buttons"] == CONTINUE_CANCEL_BUTTONS


async def test_description_validation(domain):
    assert (await validate("电表不亮", "repair_description", domain))["repair_description"] == "电表不亮"
    short = await validate("啊", "repair_description", domain)
    assert short["repair_description"] is None and "描述" in short["_said"]


async def test_the_district_question_names_the_region_from_knowledge(domain, dispatcher):
    from actions.repair import ActionAskRepairDistrict

    await ActionAskRepairDistrict().run(dispatcher, make_tracker("科苑路18号", intent="inform"), domain)
    assert texts(dispatcher) == f"这个地址在{region().name}哪个区？"
    assert ValidateRepairForm().explain("repair_district").startswith(f"{region().name}的区有：")


async def test_district_answer_and_an_unknown_one(domain):
    assert (await validate("南山", "repair_district", domain))["repair_district"] == "南山区"
    found = await validate("火星区", "repair_district", domain)
    assert found["repair_district"] is None and "没认出" in found["_said"]


async def test_cancel_from_any_question_creates_nothing(domain):
    found = await validate("算了不报了", "repair_phone", domain, slots=FILLED)
    assert found[CONFIRMED] is False and found["requested_slot"] is None


async def test_arrival_question_mid_form_is_answered_from_knowledge(domain):
    found = await validate("你们多久能到？", "repair_phone", domain, slots={"repair_district": "大鹏新区"})
    assert arrival_commitment("rural") in found["_said"]
    assert f"{arrival_minutes('rural')}分钟" in found["_said"]
    assert found["repair_phone"] is None and found.get(FAILURES_SLOT) is None  # not counted as a failure


async def test_hazard_told_mid_form_gives_safety_first_and_makes_it_urgent(domain):
    found = await validate("刚才电线掉下来了", "repair_description", domain, slots={"repair_address": "科苑路18号"})
    assert found["_said"].startswith(safety_text("fallen_line").split("\n")[0])
    assert found[HAZARD_SLOT] == "fallen_line"


async def test_an_urgent_order_needs_no_confirmation(domain):
    tracker = make_tracker("科苑路18号", intent="inform", slots={HAZARD_SLOT: "fire", "requested_slot": None},
                           active_loop=FORM)
    slots = await ValidateRepairForm().required_slots(list(FORM_SLOTS), CollectingDispatcher(), tracker, domain)
    assert CONFIRMED not in slots


async def test_confirmation_and_changes(domain):
    assert (await validate("确认提交", CONFIRMED, domain, slots=FILLED))[CONFIRMED] is True
    changed = await validate("电话改成13800001234", CONFIRMED, domain, slots=FILLED)
    assert changed["repair_phone"] == "13800001234" and changed.get(CONFIRMED) is not True
    asked = await validate("信息不对", CONFIRMED, domain, slots=FILLED)
    assert asked[CONFIRMED] is None and "正确的内容" in asked["_said"]


async def test_confirmation_card_masks_the_phone_and_states_the_commitment(dispatcher):
    tracker = make_tracker("", slots=FILLED)
    await ActionAskRepairFormConfirmed().run(dispatcher, tracker, {})
    said = texts(dispatcher)
    assert PHONE not in said and "139****5678" in said
    assert arrival_commitment("urban") in said
    assert dispatcher.messages[0]["custom"]["card"]["kind"] == "receipt"


# -- the work order ---------------------------------------------------------------------------------
@pytest.mark.parametrize("district, kind_of_area", [("南山区", "urban"), ("大鹏新区", "rural")])
async def test_order_created_with_number_and_arrival_commitment(district, kind_of_area, backend, dispatcher):
    slots = await submit(dispatcher, {"repair_district": district})
    said = texts(dispatcher)
    order_no = slots["repair_order_no"]
    assert order_no.startswith("BX") and order_no in said
    assert "报修已受理" in said and arrival_commitment(kind_of_area) in said
    assert f"平均{duration_text(arrival_minutes(kind_of_area))}内到达" in said
    assert region().value("outage.repair.overdue_escalation") in said
    assert PHONE not in said and "139****5678" in said
    assert all(slots[slot] is None for slot in FORM_SLOTS)  # the form is reset for a next report
    orders = await orders_for(PHONE)
    assert [order["order_no"] for order in orders] == [order_no]


async def test_a_remote_account_gets_the_remote_commitment(backend, dispatcher):
    account = seed.DEMO_REMOTE_SHARED_METER  # 大鹏新区 南澳街道, marked remote on the account
    verified = {"verified_account_no": account, "verification_expires_at": time.time() + 600}
    await submit(dispatcher, {"repair_district": "大鹏新区", "repair_address": "南澳街道西涌村3巷12号", **verified})
    said = texts(dispatcher)
    assert arrival_commitment("remote") in said
    assert duration_text(arrival_minutes("remote")) == "2小时" and "2小时" in said


async def test_submitting_twice_creates_one_order(backend):
    first, second = CollectingDispatcher(), CollectingDispatcher()
    one = await submit(first)
    two = await submit(second)
    assert one["repair_order_no"] == two["repair_order_no"]
    assert "不会重复派单" in texts(second)
    assert len(await orders_for(PHONE)) == 1


async def test_request_id_depends_on_sender_and_content():
    same = request_id(make_tracker("", slots=FILLED))
    assert same == request_id(make_tracker("", slots=dict(FILLED)))
    assert same != request_id(make_tracker("", slots={**FILLED, "repair_description": "电表不亮"}))
    assert same != request_id(make_tracker("", slots=FILLED, sender_id="someone-else"))


async def test_not_confirmed_creates_nothing(backend, dispatcher):
    slots = await submit(dispatcher, {CONFIRMED: False})
    assert "取消本次报修" in texts(dispatcher) and "repair_order_no" not in slots
    assert await orders_for(PHONE) == []


async def test_urgent_order_without_confirmation(backend, dispatcher):
    slots = await submit(dispatcher, {CONFIRMED: None, HAZARD_SLOT: "fallen_line",
                                      "repair_description": "电线断落：电线掉下来了"})
    said = texts(dispatcher)
    assert slots["repair_order_no"] in said and "紧急（险情）" in said and power_hotline() in said
    assert slots[HAZARD_SLOT] is None and slots[TRIAGE_SLOT] is None


async def test_back_end_trouble_leaves_no_half_created_order(backend_trouble, dispatcher):
    slots = await submit(dispatcher)
    said = texts(dispatcher)
    assert hotline() in said and "不会重复提交" in said
    assert "工单编号" not in said and "repair_order_no" not in slots
    for leak in ("INTERNAL", "内部错误", "stack", "Traceback", PHONE):
        assert leak not in said
    # the answers are kept for a retry (same request_id), but confirmed again first
    assert slots == {CONFIRMED: None}


async def test_back_end_500_then_retry_creates_exactly_one_order(backend, monkeypatch):
    failing = CollectingDispatcher()
    monkeypatch.setenv("BACKEND_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("BACKEND_RETRIES", "0")
    await submit(failing)
    monkeypatch.setenv("BACKEND_URL", str(backend.make_url("")).rstrip("/"))
    again = CollectingDispatcher()
    slots = await submit(again)
    assert slots["repair_order_no"] in texts(again)
    assert len(await orders_for(PHONE)) == 1


async def test_urgent_order_trouble_still_gives_the_hotline(backend_trouble, dispatcher):
    await submit(dispatcher, {HAZARD_SLOT: "fire"})
    assert f"险情请马上拨打{power_hotline()}" in texts(dispatcher)


# -- triage: before / after the meter -----------------------------------------------------------------
async def triage(text: str, intent: str = "fault_repair"):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, intent=intent, entities=parsed(text))
    return slot_events(await ActionTriageFault().run(dispatcher, tracker, {})), dispatcher


async def test_a_tripped_breaker_is_explained_kindly_with_who_to_call():
    slots, dispatcher = await triage("家里跳闸了，总闸推不上去")
    said = texts(dispatcher)
    assert slots[TRIAGE_SLOT] == "customer_side"
    assert said.startswith("听起来可能是家里（电表之后）的问题")
    assert region().value("outage.ownership_boundary.rule") in said
    for contact in region().value("outage.ownership_boundary.customer_side_contacts"):
        assert contact in said
    for side in region().value("outage.ownership_boundary.utility_side"):
        assert side in said
    assert "/fault_repair" in [b["payload"] for b in buttons_of(dispatcher)]


async def test_asking_for_a_crew_is_not_second_guessed():
    slots, dispatcher = await triage("跳闸了合不上，麻烦派个师傅来修")
    assert slots[TRIAGE_SLOT] is None and dispatcher.messages == []


async def test_damaged_appliances_get_the_claim_rule():
    _, dispatcher = await triage("昨天电压不稳，冰箱烧坏了")
    said = texts(dispatcher)
    assert f"{region().value('outage.appliance_damage.report_within_days')}天内报告" in said
    assert "保持电器原状" in said


@pytest.mark.parametrize("text, intent", [("电线杆倒了", "fault_repair"), ("楼下电线掉下来了，什么时候来电", "outage_lookup"),
                                          ("电表烧了在冒烟", "fault_repair")])
async def test_hazards_get_safety_before_any_question(text, intent):
    slots, dispatcher = await triage(text, intent)
    said = texts(dispatcher)
    assert slots[TRIAGE_SLOT] == "hazard" and slots[HAZARD_SLOT]
    assert said.startswith("【安全提示】") and power_hotline() in said
    assert region().value("outage.hazards.safety.instructions")[0] in said


async def test_plain_outage_question_is_not_triaged():
    slots, dispatcher = await triage("我家停电了", "outage_lookup")
    assert slots == {HAZARD_SLOT: None, TRIAGE_SLOT: None} and dispatcher.messages == []
