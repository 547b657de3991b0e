"""一户多人口 application: starting it (prefilled from a verified account), the form's validation,
the confirmation card, and the idempotent `multi_resident` work order against the real back end,
which application_progress then finds."""
from __future__ import annotations

import time
from typing import Any, Dict, List

import pytest

from actions import backend_client
from actions.multi_resident import ActionMultiResidentAnswer
from actions.multi_resident_apply import (
    ACCOUNT_SLOT, ADDRESS_SLOT, CONFIRM_SLOT, DISTRICT_SLOT, FORM_SLOTS, NAME_SLOT, PHONE_SLOT,
    ActionAskMrConfirmed, ActionSubmitMultiResident, ValidateMultiResidentForm, request_id,
)
from actions.progress import ActionApplicationProgress
from bot.nlu.entity_extractor import extract
from bot.text import normalize
from knowledge import load_knowledge
from tests.conftest import FIXED_NOW, entity, make_tracker, texts

SIZE, NEXT = "mr_household_size", "multi_resident_next"
SIX_PEOPLE, ALREADY = "0300000001", "0300000007"
PHONE_NO = "13912345678"
COMPLETE = {SIZE: 6.0, ACCOUNT_SLOT: "0300000003", NAME_SLOT: "王建国", PHONE_SLOT: PHONE_NO,
            ADDRESS_SLOT: "宝安区西乡街道西乡大道288号碧海花园8栋1506室", DISTRICT_SLOT: "宝安区",
            CONFIRM_SLOT: True}


def kb(path: str) -> Any:
    return load_knowledge().region().value(path)


def nlu_entities(text: str) -> List[Dict[str, Any]]:
    return [entity(name, value) for name, _, _, value in extract(normalize(text), FIXED_NOW.date())]


def slot_events(events) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def titles(dispatcher) -> List[str]:
    return [b["title"] for m in dispatcher.messages for b in m.get("buttons") or []]


def verified(account_no: str) -> Dict[str, Any]:
    return {"verified_account_no": account_no, "verification_expires_at": time.time() + 600}


def receipt(dispatcher) -> Dict[str, str]:
    card = next(m["custom"]["card"] for m in dispatcher.messages if m.get("custom"))
    assert card["kind"] == "receipt"
    return dict(card["fields"])


async def apply(dispatcher, text: str = "我要申请一户多人口", slots=None):
    tracker = make_tracker(text, intent="multi_resident_policy", entities=nlu_entities(text), slots=slots)
    return slot_events(await ActionMultiResidentAnswer().run(dispatcher, tracker, {}))


# ---- starting the application -------------------------------------------------------------

async def test_apply_without_verification_asks_everything(dispatcher):
    events = await apply(dispatcher)
    assert events == {CONFIRM_SLOT: None, NEXT: "apply"}
    assert "确认后才提交" in texts(dispatcher)


async def test_apply_with_the_size_in_the_message_prefills_it(dispatcher):
    events = await apply(dispatcher, "我家七口人，帮我申请一户多人口")
    assert events[SIZE] == 7.0 and events[NEXT] == "apply"


async def test_apply_for_a_small_household_is_refused_politely(dispatcher):
    events = await apply(dispatcher, "我家4口人，我要申请一户多人口")
    assert "暂不符合" in texts(dispatcher) and events == {NEXT: "done"}


async def test_verified_account_prefills_from_the_back_end(dispatcher, backend):
    events = await apply(dispatcher, slots=verified(SIX_PEOPLE))
    account = (await backend_client.get(f"/api/v1/accounts/{SIX_PEOPLE}")).data
    assert events[NEXT] == "apply" and events[SIZE] == 6.0
    assert events[ACCOUNT_SLOT] == SIX_PEOPLE and events[NAME_SLOT] == account["holder_name"]
    assert events[PHONE_SLOT] == account["phone"] and events[DISTRICT_SLOT] == account["district"]
    assert SIX_PEOPLE not in texts(dispatcher) and account["phone"] not in texts(dispatcher)


async def test_verified_account_already_granted_is_not_applied_again(dispatcher, backend):
    events = await apply(dispatcher, slots=verified(ALREADY))
    assert "已经在享受" in texts(dispatcher) and events == {NEXT: "done"}


async def test_verified_apply_with_back_end_trouble(dispatcher, backend_trouble):
    events = await apply(dispatcher, slots=verified(SIX_PEOPLE))
    said = texts(dispatcher)
    assert "系统暂时繁忙" in said and "stack trace" not in said and "内部错误" not in said
    assert events == {NEXT: "done"}


# ---- the form -----------------------------------------------------------------------------

async def validate(dispatcher, domain, text: str, requested: str, slots=None, intent="inform"):
    tracker = make_tracker(text, intent=intent, entities=nlu_entities(text),
                           slots={"requested_slot": requested, **(slots or {})}, active_loop="multi_resident_form")
    return slot_events(await ValidateMultiResidentForm().run(dispatcher, tracker, domain))


@pytest.mark.parametrize("requested, text, slot, value", [
    (SIZE, "户口本上6口人", SIZE, 6.0),
    (ACCOUNT_SLOT, "户号是0300000003", ACCOUNT_SLOT, "0300000003"),
    (NAME_SLOT, "我叫王建国", NAME_SLOT, "王建国"),
    (PHONE_SLOT, "139 1234 5678", PHONE_SLOT, PHONE_NO),
    (ADDRESS_SLOT, "宝安区西乡街道西乡大道288号碧海花园8栋1506室", ADDRESS_SLOT,
     "宝安区西乡街道西乡大道288号碧海花园8栋1506室"),
    (CONFIRM_SLOT, "确认提交", CONFIRM_SLOT, True),
])
async def test_form_accepts_good_answers(dispatcher, domain, requested, text, slot, value):
    events = await validate(dispatcher, domain, text, requested, intent="affirm" if slot == CONFIRM_SLOT else "inform")
    assert events[slot] == value
    if slot == ADDRESS_SLOT:
        assert events[DISTRICT_SLOT] == "宝安区"


@pytest.mark.parametrize("requested, text, reason", [
    (ACCOUNT_SLOT, "户号是12345678", "以03开头的10位数字"),
    (PHONE_SLOT, "12345", "11位手机号码"),
    (ADDRESS_SLOT, "我家楼下", "带上所在区"),
    (NAME_SLOT, "123", "联系人的姓名"),
    (SIZE, "很多", "户口簿上登记的家庭人数"),
    (CONFIRM_SLOT, "嗯让我想想", "确认提交"),
])
async def test_form_explains_bad_answers(dispatcher, domain, requested, text, reason):
    events = await validate(dispatcher, domain, text, requested)
    assert events[requested] is None and reason in texts(dispatcher)


async def test_repeated_bad_answers_get_an_explanation_and_a_way_out(dispatcher, domain):
    events = await validate(dispatcher, domain, "12345", PHONE_SLOT, slots={"form_failures": 1.0})
    assert events[PHONE_SLOT] is None
    assert "用于接收审核结果" in texts(dispatcher) and "取消办理" in titles(dispatcher)


async def test_small_household_ends_the_form_without_an_order(dispatcher, domain):
    events = await validate(dispatcher, domain, "4口人", SIZE)
    assert events[CONFIRM_SLOT] is False and events["requested_slot"] is None
    assert "暂不符合" in texts(dispatcher)


async def test_cancel_ends_the_form_at_any_question(dispatcher, domain):
    events = await validate(dispatcher, domain, "算了不申请了", PHONE_SLOT, intent="deny")
    assert events[CONFIRM_SLOT] is False and events["requested_slot"] is None


async def test_a_question_is_not_taken_as_a_name(dispatcher, domain):
    events = await validate(dispatcher, domain, "审核通过以后从哪个月开始按新的档位算电费呢", NAME_SLOT,
                            intent="multi_resident_policy")
    assert NAME_SLOT not in events


async def test_confirmation_card_masks_account_and_phone(dispatcher):
    await ActionAskMrConfirmed().run(dispatcher, make_tracker(slots=COMPLETE), {})
    said = texts(dispatcher)
    assert "139****5678" in said and "03******03" in said
    assert PHONE_NO not in said and "0300000003" not in said
    assert {"确认提交", "取消"} <= set(titles(dispatcher))


# ---- submission ---------------------------------------------------------------------------

async def submit(dispatcher, slots: Dict[str, Any], sender: str = "mr-user-1"):
    tracker = make_tracker("/affirm", intent="affirm", slots=slots, sender_id=sender)
    return slot_events(await ActionSubmitMultiResident().run(dispatcher, tracker, {}))


async def test_submit_files_a_multi_resident_order_that_progress_tracks(dispatcher, backend):
    events = await submit(dispatcher, COMPLETE)
    fields = receipt(dispatcher)
    order_no = fields["受理编号"]
    assert order_no.startswith("DR") and len(order_no) == 16
    assert fields["户籍人数"] == "6人" and fields["当前环节"]
    said = texts(dispatcher)
    assert "申请已提交" in said and kb("multi_resident.application.documents")[0] in said
    assert PHONE_NO not in said
    assert all(events[slot] is None for slot in FORM_SLOTS) and events[NEXT] == "done"
    stored = await backend_client.get(f"/api/v1/work-orders/{order_no}", phone=PHONE_NO)
    assert stored.data["type"] == "multi_resident"
    assert stored.data["details"] == {"household_size": 6} and stored.data["account_no"] == "0300000003"
    # The receipt's button asks application_progress about this very order.
    assert any(order_no in b["payload"] and b["payload"].startswith("/application_progress")
               for m in dispatcher.messages for b in m.get("buttons") or [])
    dispatcher.messages.clear()
    tracker = make_tracker("查进度", intent="application_progress",
                           slots={"progress_order_no": order_no, "progress_phone": PHONE_NO})
    await ActionApplicationProgress().run(dispatcher, tracker, {})
    assert order_no in texts(dispatcher) and "工单" in texts(dispatcher)


async def test_submitting_twice_gives_the_same_order(dispatcher, backend):
    await submit(dispatcher, COMPLETE)
    first = receipt(dispatcher)["受理编号"]
    dispatcher.messages.clear()
    await submit(dispatcher, COMPLETE)
    assert receipt(dispatcher)["受理编号"] == first
    assert "之前已经提交过" in texts(dispatcher)


def test_request_id_follows_sender_and_content():
    one = request_id(make_tracker(slots=COMPLETE, sender_id="a"))
    assert one == request_id(make_tracker(slots=COMPLETE, sender_id="a"))
    assert one != request_id(make_tracker(slots=COMPLETE, sender_id="b"))
    assert one != request_id(make_tracker(slots=dict(COMPLETE, **{SIZE: 7.0}), sender_id="a"))


@pytest.mark.parametrize("confirmed", [False, None])
async def test_nothing_is_filed_without_a_confirmation(dispatcher, backend_failing, confirmed):
    events = await submit(dispatcher, dict(COMPLETE, **{CONFIRM_SLOT: confirmed}))
    assert backend_failing.calls == []
    assert "没有提交任何申请" in texts(dispatcher)
    assert all(events[slot] is None for slot in FORM_SLOTS)


async def test_back_end_trouble_keeps_the_answers_for_a_retry(dispatcher, backend_trouble):
    events = await submit(dispatcher, COMPLETE)
    said = texts(dispatcher)
    assert kb("service.hotlines.power_service")["number"] in said and "系统暂时繁忙" in said
    assert "stack trace" not in said and "内部错误" not in said and "受理编号" not in said
    # Only the confirmation is forgotten: the retry button reopens the form at that question,
    # and the same request_id finds an order the back end may have created after all.
    assert events == {CONFIRM_SLOT: None, NEXT: "done", "form_failures": 0.0}
    assert "重新提交" in titles(dispatcher)


async def test_rejected_request_shows_no_back_end_text(dispatcher, backend):
    await submit(dispatcher, dict(COMPLETE, **{DISTRICT_SLOT: "火星区"}))
    said = texts(dispatcher)
    assert "没有提交成功" in said and "受理编号" not in said
    assert "INVALID" not in said and "district" not in said


async def test_retry_after_trouble_goes_straight_to_the_confirmation(dispatcher):
    kept = dict(COMPLETE, **{CONFIRM_SLOT: None})
    tracker = make_tracker('/multi_resident_policy{"aspect": "apply"}', intent="multi_resident_policy",
                           entities=[entity("aspect", "apply")], slots=kept)
    events = slot_events(await ActionMultiResidentAnswer().run(dispatcher, tracker, {}))
    # Only the confirmation is reset: the form's other answers stay, so it asks just that.
    assert events == {CONFIRM_SLOT: None, NEXT: "apply"}
