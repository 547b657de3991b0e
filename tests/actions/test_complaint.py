"""Complaints (`complaint`): empathy, the landlord mark-up rule with the lawful charge from the
tariff calculator, repeated outages and meters, escalation to 12398, and the complaint form and
`complaint` work order (category, masking, created once, nothing half-created on failure)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client, bill_format
from actions.account_knowledge import fact, short_source, value
from actions.complaint import ActionComplaint, detect_request, kwh_in, price_in
from actions.complaint_form import (ActionSubmitComplaint, AskComplaintConfirmed, ValidateComplaintForm,
                                    category_of, complaint_text)
from knowledge.tariff import compute_bill
from tests.actions.account_helpers import (HOLDER, TODAY, assert_masked, payloads, polite_apology, run, slot_events,
                                           verified)
from tests.conftest import entity, make_tracker, orders_for_phone, texts

ACTION = ActionComplaint()
PHONE = "13612340002"


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(bill_format, "today", lambda: TODAY)
    from actions import complaint
    monkeypatch.setattr(complaint, "today", lambda: TODAY)


async def complain(text, entities=None, **slots):
    return await run(ACTION, text, intent="complaint", entities=entities, slots=slots)


def commitments():
    base = "account_services.complaints.response"
    return (f"受理后{value(base + '.contact_within_working_days')}个工作日内联系您，"
            f"{value(base + '.reply_within_working_days')}个工作日内答复处理结果")


# -- answers without a form ------------------------------------------------------------------------
async def test_landlord_markup_rule_and_the_lawful_charge(backend_failing):
    said, events, _ = await complain("房东按1.5元一度收电费，这个月用了300度")
    rule = "account_services.landlord_markup.rule"
    assert value(rule) in said and short_source(fact(rule).source) in said
    lawful = compute_bill(Decimal("300"), TODAY.month).total
    assert f"{TODAY.month}月用电300度应交约 {lawful}元" in said
    charged = Decimal("450.00")
    assert f"按1.5元/度收是 {charged}元" in said and f"多收了约 {charged - lawful}元" in said
    assert value("service.hotlines.government")["number"] in said
    for step in value("account_services.landlord_markup.what_to_do"):
        assert step in said
    assert slot_events(events)["service_request"] is None
    assert backend_failing.calls == []


async def test_landlord_markup_spoken_price_and_no_kwh(backend_failing):
    said, _, _ = await complain("城中村房东一块五一度收电费合法吗")
    assert value("account_services.landlord_markup.rule") in said
    assert "告诉我一个月用了多少度" in said


def test_price_and_kwh_parsing():
    assert price_in("房东按1.5元一度收") == Decimal("1.5")
    assert price_in("房东按1块51度收") == Decimal("1.5")  # normalised 一块五一度
    assert price_in("每度2元") == Decimal("2")
    assert price_in("房东按1块5收1度电") == Decimal("1.5")  # normalised 一块五收一度电
    assert price_in("1度电收1块5,这个月用了300度") == Decimal("1.5")
    assert price_in("这个月用了300度交了450元") is None
    assert kwh_in("1度电收1块5,这个月用了300度", make_tracker("x")) == Decimal("300")
    tracker = make_tracker("x")
    assert kwh_in("1.5元一度，这个月用了300度", tracker) == Decimal("300")
    assert kwh_in("1.5元一度", tracker) is None
    # normalised "一块五一度，用了三百度": the "51度" inside the price is not the usage
    assert kwh_in("房东按1块51度收,这个月用了300度", tracker) == Decimal("300")
    assert kwh_in("房东按1块51度收", make_tracker("x", entities=[entity("kwh", 51.0)])) is None


async def test_repeated_outages_offer_the_outage_lookup(backend_failing):
    said, _, dispatcher = await complain("我们这里一个月停了3次电，我要投诉")
    assert "/outage_lookup" in payloads(dispatcher) and '/complaint{"aspect":"apply"}' in payloads(dispatcher)
    assert "理解" in said


async def test_meter_complaint_offers_the_meter_check(backend_failing):
    _, _, dispatcher = await complain("投诉你们电表走得太快了")
    assert "/meter_check" in payloads(dispatcher)


async def test_escalation_to_the_regulator(backend_failing):
    said, _, _ = await complain("上次投诉没人回复，我要找12398")
    regulator = value("service.hotlines.energy_regulator")
    assert regulator["number"] in said and regulator["name"] in said
    assert commitments() in said and "非常抱歉" in said


def test_request_detection_and_categories():
    def detect(text):
        return detect_request(make_tracker(text, intent="complaint"))
    assert detect("二房东加价收电费") == "markup"
    assert detect("投诉电话是多少") == "info"
    assert detect("抢修师傅态度太差") is None
    assert category_of("抢修师傅态度太差") == "staff" and category_of("报修后6小时没人来") == "repair"
    assert category_of("老是停电") == "outage" and category_of("不知道") == "other"
    assert complaint_text("我要投诉") is None
    assert complaint_text("我要投诉，报修后6小时没人来") == "我要投诉，报修后6小时没人来"


# -- the form ----------------------------------------------------------------------------------------
async def test_complaint_with_what_happened_starts_the_form_with_it(backend_failing):
    said, events, _ = await complain("我要投诉，报修后6小时都没人来")
    slots = slot_events(events)
    assert slots["service_request"] == "complaint_form"
    assert "报修后6小时都没人来" in slots["complaint_what"]
    assert "非常抱歉" in said


async def test_bare_complaint_starts_the_form_empty(backend_failing):
    _, events, _ = await complain("我要投诉")
    assert slot_events(events) == {"service_request": "complaint_form"}


async def validate(domain, text, requested, entities=None, **slots):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, intent="inform", entities=entities or [], active_loop="complaint_form",
                           slots={"requested_slot": requested, **slots})
    events = await ValidateComplaintForm().run(dispatcher, tracker, domain)
    return slot_events(events), texts(dispatcher)


async def test_form_answers(domain):
    slots, said = await validate(domain, "差", "complaint_what")
    assert slots["complaint_what"] is None and "具体" in said
    slots, said = await validate(domain, "科苑路", "complaint_where", complaint_what="报修后没人来")
    assert slots["complaint_where"] is None and "哪个区" in said
    slots, _ = await validate(domain, "南山区科苑路18号", "complaint_where", complaint_what="报修后没人来")
    assert slots["acct_district"] == "南山区"
    # a verified customer's own district stands in
    slots, _ = await validate(domain, "我家小区", "complaint_where", complaint_what="报修后没人来",
                              **verified(HOLDER))
    assert slots["complaint_where"] == "我家小区"


def form_slots(**extra):
    answers = dict(complaint_what="抢修师傅态度很差，还让我打13800001234找他", complaint_where="南山区科苑路18号",
                   acct_district="南山区", complaint_when="昨天下午", acct_contact_name="赵女士",
                   acct_contact_phone=PHONE, complaint_confirmed=True)
    return {**answers, **extra}


async def test_confirmation_summary_masks_numbers_in_free_text():
    dispatcher = CollectingDispatcher()
    slots = form_slots(complaint_where="南山区科苑路18号（门卫电话13712345678）")
    await AskComplaintConfirmed().run(dispatcher, make_tracker("昨天下午", slots=slots), {})
    said = texts(dispatcher)
    assert "138****1234" in said and "136****0002" in said and commitments() in said
    assert_masked(dispatcher)


async def orders():
    return await orders_for_phone(None, PHONE)


async def test_complaint_order_is_filed_once_with_category_and_commitments(backend):
    said, events, dispatcher = await run(ActionSubmitComplaint(), "确认", intent="affirm", slots=form_slots())
    order_no = dispatcher.messages[0]["custom"]["card"]["fields"][0][1]
    assert order_no.startswith("TS") and "您的投诉已受理" in said and commitments() in said
    assert value("service.hotlines.energy_regulator")["number"] in said  # escalation told on the receipt
    assert slot_events(events)["complaint_what"] is None
    stored = (await backend_client.get(f"/api/v1/work-orders/{order_no}", phone=PHONE)).data
    assert stored["details"]["category"] == "staff" and stored["details"]["when"] == "昨天下午"
    said, _, _ = await run(ActionSubmitComplaint(), "确认", intent="affirm", slots=form_slots())
    assert "之前已经提交过" in said and order_no in said
    assert [o["order_no"] for o in await orders()] == [order_no]


async def test_verified_complaint_carries_the_account_and_its_district(backend):
    slots = form_slots(acct_district=None, complaint_where="我家小区", **verified(HOLDER))
    said, _, dispatcher = await run(ActionSubmitComplaint(), "确认", intent="affirm", slots=slots)
    order_no = dispatcher.messages[0]["custom"]["card"]["fields"][0][1]
    assert "03******01" in said
    stored = (await backend_client.get(f"/api/v1/work-orders/{order_no}", phone=PHONE)).data
    assert stored["district"] == "福田区" and stored["account_no"] == HOLDER


async def test_declined_complaint_files_nothing(backend):
    said, _, _ = await run(ActionSubmitComplaint(), "取消", intent="deny", slots=form_slots(complaint_confirmed=False))
    assert "没有提交任何申请" in said and await orders() == []


async def test_back_end_trouble_is_an_apology_with_a_resubmit_button(backend_trouble):
    said, _, dispatcher = await run(ActionSubmitComplaint(), "确认", intent="affirm", slots=form_slots())
    polite_apology(said)
    assert "受理编号" not in said and '/complaint{"aspect":"resubmit"}' in payloads(dispatcher)


async def test_resubmit_files_the_kept_answers(backend):
    said, _, _ = await complain("/complaint", entities=[entity("aspect", "resubmit")], **form_slots())
    assert "您的投诉已受理" in said
    assert len(await orders()) == 1


async def test_landlord_markup_in_spoken_numbers(backend_failing):
    said, _, _ = await complain("房东一度电收一块五，这个月用了三百度")
    lawful = compute_bill(Decimal("300"), TODAY.month).total
    assert f"用电300度应交约 {lawful}元" in said and "按1.5元/度收是 450.00元" in said


async def test_logs_of_a_filed_complaint_hold_no_full_phone_or_account(backend, caplog):
    caplog.set_level("DEBUG")
    await run(ActionSubmitComplaint(), "确认", intent="affirm", slots=form_slots(**verified(HOLDER)),
              sender_id=PHONE)  # a channel may use the phone as the sender id
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "work order TS" in logged
    assert PHONE not in logged and HOLDER not in logged and "13800001234" not in logged
