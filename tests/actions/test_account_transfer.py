"""过户/更名/销户 (`account_transfer`): the answers per kind and sub-question from knowledge/, the
form's validation, and the `account_transfer` work order against the real back-end stub (created
once, masked receipt, tracked by application_progress, nothing half-created on failure)."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client
from actions.account_knowledge import fact, short_source, value
from actions.account_transfer import (KINDS, UNKNOWN, ActionAccountTransfer, ActionSubmitAccountTransfer,
                                      AskAccountTransferConfirmed, ValidateAccountTransferForm, detect_request,
                                      kind_of)
from actions.progress import ActionApplicationProgress
from tests.actions.account_helpers import HOLDER, assert_masked, payloads, polite_apology, run, slot_events
from tests.conftest import entity, make_tracker, orders_for_phone, texts

ACTION = ActionAccountTransfer()
PHONE = "13912340001"
AT = "account_services.account_transfer"
DOCS = f"{AT}.documents"
BUSINESS_DOCS = f"{AT}.business_documents"


async def ask(text, entities=None, **slots):
    return await run(ACTION, text, intent="account_transfer", entities=entities, slots=slots)


# -- answers -------------------------------------------------------------------------------------
async def test_overview_for_a_transfer(backend_failing):
    said, events, dispatcher = await ask("房子卖了，电费户名怎么过户")
    assert said.startswith("过户：")
    for document in value(f"{DOCS}.transfer"):
        assert document in said
    for channel in value("account_services.account_transfer.channels"):
        assert channel in said
    for condition in value("account_services.account_transfer.conditions"):
        assert condition in said
    assert slot_events(events)["service_request"] is None
    assert '/account_transfer{"aspect":"apply"}' in payloads(dispatcher)
    assert backend_failing.calls == []  # general answers need neither verification nor the back end


@pytest.mark.parametrize("text, kind", [("户名写错了要更名", "rename"), ("退租了要销户", "close")])
async def test_documents_per_kind(backend_failing, text, kind):
    said, _, _ = await ask(text + "，要带什么材料")
    for document in value(f"{DOCS}.{kind}"):
        assert document in said
    assert short_source(fact(f"{DOCS}.{kind}").source) in said
    assert "以供电局最新规定为准" in said  # the lists are not verified


async def test_debts_and_prepayments(backend_failing):
    said, _, _ = await ask("过户时原房主的欠费和预存电费怎么处理")
    assert "原户主须结清全部电费" in said and "新户主私自承接用电、未办过户的，须承担原户主所欠电费" in said
    assert value("account_services.overpayment.balance_on_closure") in said


async def test_transfer_documents_of_both_parties(backend_failing):
    said, _, _ = await ask("房子卖了过户要带什么材料")
    for document in value(f"{DOCS}.transfer"):
        assert document in said
    assert value(f"{AT}.old_owner.presence") in said  # whether the old owner must come
    for document in value(f"{AT}.old_owner.documents"):
        assert document in said  # and what the old owner provides when the title is not yet new
    assert short_source(fact(f"{AT}.old_owner.documents").source) in said


async def test_old_owners_prepaid_balance_on_a_transfer(backend_failing):
    said, _, _ = await ask("过户时原房主账户里的预存电费余额怎么办")
    assert value(f"{AT}.old_owner.prepaid_balance") in said
    assert short_source(fact(f"{AT}.old_owner.prepaid_balance").source) in said
    said, _, _ = await ask("销户了预存的电费余额怎么处理")
    assert value("account_services.overpayment.balance_on_closure") in said
    assert value(f"{AT}.old_owner.prepaid_balance") not in said


@pytest.mark.parametrize("text, kind", [("公司要办电费过户，需要什么材料", "transfer"),
                                        ("公司改名了电费户名要更名，要带什么材料", "rename"),
                                        ("店铺不开了要销户，要带什么材料", "close")])
async def test_business_documents_with_seal_and_authorisation(backend_failing, text, kind):
    said, _, _ = await ask(text)
    for document in value(f"{BUSINESS_DOCS}.{kind}"):
        assert document in said
    assert "公章" in said and "法定代表人" in said and "授权委托书" in said
    assert short_source(fact(f"{BUSINESS_DOCS}.{kind}").source) in said
    assert not any(document in said for document in value(f"{DOCS}.{kind}") if "户主身份证" in document)


async def test_business_overview_and_presence(backend_failing):
    said, _, _ = await ask("我们公司租的商铺要过户")
    assert "单位办理需要准备" in said and value(f"{BUSINESS_DOCS}.transfer")[0] in said
    said, _, _ = await ask("公司过户法人要亲自到场吗")
    assert "委托他人" in said and "法定代表人签字并加盖公章的授权委托书" in said


@pytest.mark.parametrize("text, name", [("更名要多久", "更名"), ("销户要几天", "销户")])
async def test_time_limit_names_the_kinds_own_steps(backend_failing, text, name):
    said, _, _ = await ask(text)
    steps = value("work_orders.account_transfer")["variants"][{"更名": "rename", "销户": "close"}[name]]["steps"]
    total = sum(step["time_limit_working_days"] for step in steps)
    assert f"{name}一般{total}个工作日内办结" in said and f"{name}办结" in said and "过户办结" not in said


def test_work_order_variants_are_the_transfer_kinds():
    """The back end picks the steps by details.kind, which the form fills from these kinds."""
    work_order = value("work_orders.account_transfer")
    assert work_order["variant_field"] == "kind"
    assert set(work_order["variants"]) == set(KINDS) == set(value(f"{AT}.kinds"))


async def test_second_hand_home_joint_transfer(backend_failing):
    said, _, _ = await ask("买了二手房，水电气能一起过户吗")
    assert value("account_services.account_transfer.second_hand_home") in said


async def test_fee_time_limit_and_presence(backend_failing):
    said, _, _ = await ask("过户收费吗")
    assert value("account_services.account_transfer.fee") in said
    said, _, _ = await ask("过户要多久")
    assert "个工作日内办结" in said and "过户办结" in said
    said, _, _ = await ask("过户原房主要到场吗，可以委托中介吗")
    assert "委托他人" in said and "授权委托书" in said


def test_kind_and_request_detection():
    assert kind_of("我要销户") == "close" and kind_of("买了二手房") == "transfer" and kind_of("改户名") == "rename"
    assert kind_of("你好") is None

    def detect(text, entities=()):
        return detect_request(make_tracker(text, intent="account_transfer", entities=list(entities)))
    assert detect("二手房过户") == "second_hand"
    assert detect("过户需要什么材料") == "documents"
    assert detect("过户", [entity("aspect", "apply")]) == "apply"
    assert detect("过户", [entity("aspect", "how_to_apply")]) == "channels"


# -- the form --------------------------------------------------------------------------------------
async def test_apply_starts_the_form_with_what_was_said(backend_failing):
    said, events, _ = await ask("我要申请过户，户号0300000001", entities=[entity("aspect", "apply"),
                                                                   entity("account_no", HOLDER)])
    slots = slot_events(events)
    assert slots == {"service_request": "account_transfer_form", "transfer_kind": "transfer",
                     "transfer_account_no": HOLDER}
    assert "取消" in said


async def validate(domain, text, requested, entities=None, **slots):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, intent="inform", entities=entities or [], active_loop="account_transfer_form",
                           slots={"requested_slot": requested, **slots})
    events = await ValidateAccountTransferForm().run(dispatcher, tracker, domain)
    return slot_events(events), texts(dispatcher)


async def test_form_answers(domain):
    slots, _ = await validate(domain, "销户", "transfer_kind")
    assert slots["transfer_kind"] == "close"
    slots, said = await validate(domain, "随便", "transfer_kind")
    assert slots["transfer_kind"] is None and "过户、更名还是销户" in said
    slots, _ = await validate(domain, "不知道", "transfer_account_no", transfer_kind="transfer")
    assert slots["transfer_account_no"] == UNKNOWN
    slots, said = await validate(domain, "12345", "transfer_account_no", transfer_kind="transfer")
    assert slots["transfer_account_no"] is None and "03开头" in said
    slots, said = await validate(domain, "科苑路18号", "acct_address", transfer_kind="transfer",
                                 transfer_account_no=UNKNOWN, acct_contact_name="李四", acct_contact_phone=PHONE)
    assert slots["acct_address"] is None and "哪个区" in said
    slots, _ = await validate(domain, "南山区粤海街道科苑路18号6栋2101", "acct_address", transfer_kind="transfer",
                              transfer_account_no=UNKNOWN, acct_contact_name="李四", acct_contact_phone=PHONE)
    assert slots["acct_address"] == "南山区粤海街道科苑路18号6栋2101" and slots["acct_district"] == "南山区"


async def test_cancel_word_ends_the_form_unconfirmed(domain):
    slots, _ = await validate(domain, "不办了", "acct_contact_name", transfer_kind="transfer")
    assert slots["account_transfer_confirmed"] is False and slots["requested_slot"] is None


def form_slots(**extra):
    answers = dict(transfer_kind="transfer", transfer_account_no=HOLDER, acct_contact_name="李四",
                   acct_contact_phone=PHONE, acct_address="福田区莲花街道景田北路12号", acct_district="福田区",
                   account_transfer_confirmed=True)
    return {**answers, **extra}


async def test_confirmation_summary_is_masked():
    dispatcher = CollectingDispatcher()
    await AskAccountTransferConfirmed().run(dispatcher, make_tracker("福田区", slots=form_slots()), {})
    said = texts(dispatcher)
    assert "03******01" in said and "139****0001" in said and "过户" in said
    for document in value(f"{DOCS}.transfer"):
        assert document in said
    assert_masked(dispatcher)


async def submit(**extra):
    return await run(ActionSubmitAccountTransfer(), "确认", intent="affirm", slots=form_slots(**extra))


async def test_order_is_filed_once_and_tracked(backend):
    said, events, dispatcher = await submit()
    order_no = dispatcher.messages[0]["custom"]["card"]["fields"][0][1]
    assert order_no.startswith("GH") and "过户申请已提交" in said
    assert "139****0001" in said and "03******01" in said
    assert f'/application_progress{{"order_no":"{order_no}"}}' in payloads(dispatcher)
    assert slot_events(events)["transfer_kind"] is None
    said, _, _ = await submit()
    assert "之前已经提交过" in said and order_no in said
    assert [o["order_no"] for o in await orders_for_phone(None, PHONE)] == [order_no]
    order = await backend_client.get(f"/api/v1/work-orders/{order_no}", phone=PHONE)
    assert order.ok and order.data["type"] == "account_transfer" and order.data["details"]["kind"] == "transfer"
    # application_progress follows it with the order number and the phone
    progress = CollectingDispatcher()
    await ActionApplicationProgress().run(progress, make_tracker("查进度", intent="application_progress", slots={
        "progress_order_no": order_no, "progress_phone": PHONE}), {})
    assert order_no in texts(progress) and order.data["type_name"] in texts(progress)
    assert_masked(progress)


@pytest.mark.parametrize("kind, name", [("rename", "更名"), ("close", "销户")])
async def test_rename_and_close_receipts_and_progress_name_their_kind(backend, kind, name):
    said, _, dispatcher = await submit(transfer_kind=kind)
    card = dict(dispatcher.messages[0]["custom"]["card"]["fields"])
    order_no = card["受理编号"]
    assert card["业务类型"] == name and f"{name}申请已提交" in said
    order = await backend_client.get(f"/api/v1/work-orders/{order_no}", phone=PHONE)
    assert order.data["type_name"] == name and "过户" not in order.data["type_name"]
    assert [o["type_name"] for o in await orders_for_phone(None, PHONE)] == [name]
    progress = CollectingDispatcher()
    await ActionApplicationProgress().run(progress, make_tracker("查进度", intent="application_progress", slots={
        "progress_order_no": order_no, "progress_phone": PHONE}), {})
    shown = texts(progress)
    assert shown.startswith(f"您的{name}工单") and f"业务类型：{name}" in shown
    assert "业务类型：过户" not in shown and "过户工单" not in shown
    assert_masked(progress)


async def test_unknown_account_number_is_filed_without_it(backend):
    said, _, _ = await submit(transfer_account_no=UNKNOWN)
    assert "户号：" not in said and "过户申请已提交" in said


async def test_account_number_that_does_not_exist_files_nothing(backend):
    said, events, _ = await submit(transfer_account_no="0399999999")
    assert "没有找到您提供的户号，申请未提交" in said
    assert slot_events(events)["transfer_account_no"] is None
    assert await orders_for_phone(None, PHONE) == []


async def test_declined_confirmation_files_nothing(backend):
    said, _, _ = await submit(account_transfer_confirmed=False)
    assert "没有提交任何申请" in said
    assert await orders_for_phone(None, PHONE) == []


async def test_back_end_trouble_keeps_the_answers_for_a_resubmit(backend_trouble):
    said, events, dispatcher = await submit()
    polite_apology(said)
    assert "受理编号" not in said
    assert '/account_transfer{"aspect":"resubmit"}' in payloads(dispatcher)
    assert "transfer_kind" not in slot_events(events)  # the answers are kept


async def test_resubmit_files_the_kept_answers(backend):
    said, _, _ = await run(ACTION, "/account_transfer", intent="account_transfer",
                           entities=[entity("aspect", "resubmit")], slots=form_slots())
    assert "过户申请已提交" in said
