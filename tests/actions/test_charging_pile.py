"""充电桩报装: answers, form validation and submission against the real back-end stub.

Expected facts are read from knowledge/, so the tests check that replies carry the knowledge
base's values rather than repeating them here.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml

import actions.charging_pile as answers
import actions.charging_pile_form as form
from actions.charging_pile import ActionChargingPileAnswer
from actions.charging_pile_form import ValidateChargingPileForm
from actions.charging_pile_submit import ActionAskConfirmed, ActionAskPower, ActionChargingPileSubmit, order_payload
from bot.nlu.entity_extractor import extract
from bot.text import normalize
from knowledge import load_knowledge
from knowledge.loader import DEFAULT_ROOT
from tests.conftest import entity, make_tracker, texts

OWNERSHIP, LEASE, CONSENT, DEFER = form.OWNERSHIP, form.LEASE, form.CONSENT, form.DEFER
OWNER_CONSENT = form.OWNER_CONSENT
POWER, ADDRESS, DISTRICT, NAME, PHONE, CONFIRMED = (
    form.POWER, form.ADDRESS, form.DISTRICT, form.NAME, form.PHONE, form.CONFIRMED)
PHONE_NO = "13812345678"


def kb(path: str) -> Any:
    return load_knowledge().region().value(path)


def nlu_entities(text: str) -> List[Dict[str, Any]]:
    """The entities the real rule extractor gives for a message (without the place gazetteer)."""
    return [entity(name, value) for name, _, _, value in extract(normalize(text))]


def slot_events(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def ask_bot(dispatcher, text: str, intent: str = "charging_pile", entities=None, active_loop=None, slots=None):
    tracker = make_tracker(text, intent=intent, entities=nlu_entities(text) if entities is None else entities,
                           active_loop=active_loop, slots=slots)
    return await ActionChargingPileAnswer().run(dispatcher, tracker, {})


def titles(dispatcher) -> List[str]:
    return [b["title"] for m in dispatcher.messages for b in m.get("buttons") or []]


@pytest.fixture
def consent_switch(tmp_path: Path, monkeypatch):
    """A copy of the real knowledge base with charging_pile.application.consent_may_follow set
    to the given value, installed as the process's knowledge: the code under test is unchanged."""

    def install(value: bool) -> None:
        root = tmp_path / f"kb-{value}"
        root.mkdir()
        for name in ("regions.yml", "vocabulary.yml"):
            shutil.copy(DEFAULT_ROOT / name, root / name)
        shutil.copytree(DEFAULT_ROOT / "regions", root / "regions")
        path = root / "regions" / "shenzhen" / "charging_pile.yml"
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        document["application"]["consent_may_follow"]["value"] = value
        path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
        monkeypatch.setattr("knowledge.loader._cache", load_knowledge(root))

    return install


# ---- answers ------------------------------------------------------------------------------

async def test_general_question_gives_overview_and_offers_to_apply(dispatcher):
    events = await ask_bot(dispatcher, "新能源车充电桩安装")
    assert slot_events(events) == {"charging_pile_apply": False}
    said = texts(dispatcher)
    assert kb("charging_pile.eligibility.fixed_parking_space") in said
    assert kb("charging_pile.costs.meter") in said
    assert "在线申请" in titles(dispatcher)


@pytest.mark.parametrize("aspect, path", [
    ("conditions", "charging_pile.eligibility.installation_position"),
    ("documents", "charging_pile.documents.required"),
    ("steps", "charging_pile.steps"),
    ("cost", "charging_pile.costs.customer_pays"),
    ("old_estate", "charging_pile.faq.old_estate_no_capacity"),
    ("rented_space", "charging_pile.faq.rented_space"),
    ("pile_with_car", "charging_pile.faq.pile_with_car"),
    ("moving_pile", "charging_pile.faq.moving_pile"),
    ("public_pile", "charging_pile.public_pile_alternative"),
])
async def test_button_topics_answer_from_knowledge(dispatcher, aspect, path):
    await ask_bot(dispatcher, '/charging_pile{"aspect": "%s"}' % aspect, entities=[entity("aspect", aspect)])
    fact = kb(path)
    said = texts(dispatcher)
    if isinstance(fact, list):
        for item in fact:
            assert (item["name"] if isinstance(item, dict) else item) in said
    else:
        assert fact in said


async def test_documents_answer_names_what_may_follow(dispatcher):
    await ask_bot(dispatcher, "充电桩报装材料清单")
    said = texts(dispatcher)
    assert "容缺受理" in said
    for item in kb("charging_pile.documents.deferred_allowed"):
        assert item in said


async def test_steps_answer_gives_time_limits_and_total(dispatcher):
    await ask_bot(dispatcher, "充电桩的流程是什么")
    steps = kb("charging_pile.steps")
    total = sum(step["time_limit_working_days"] for step in steps)
    said = texts(dispatcher)
    assert f"合计约{total}个工作日" in said
    assert f"{steps[1]['name']}（{steps[1]['time_limit_working_days']}个工作日内）" in said


async def test_price_answer_gives_the_shared_meter_price_and_names_time_of_use_without_prices(dispatcher):
    await ask_bot(dispatcher, "充电桩峰谷电价怎么算")
    said = texts(dispatcher)
    key = kb("charging_pile.price.tariff_key")
    assert f"{kb(f'tariff.prices.{key}.excluding_funds')}元/度" in said
    assert "1668号" in said and kb("tariff.publication.disclaimer") in said
    # Knowledge has no time-of-use table for the 合表 price: the option is named, where the
    # table is published is given, and the residential tier-1 time-of-use prices are not quoted.
    assert "峰谷分时电价" in said and "可以向供电局申请执行" in said
    for item in kb("tariff.publication.where_to_check"):
        assert item in said
    tou = kb("tariff.prices.time_of_use.tier1_excluding_funds")
    assert not [band for band in ("peak", "flat", "valley") if str(tou[band]) in said]


@pytest.mark.parametrize("text, with_entity", [("广州的小区能装充电桩吗", True), ("北京充电桩报装要什么材料", False)])
async def test_another_city_is_told_the_answer_is_the_regions(dispatcher, text, with_entity):
    city = text[:2]
    entities = nlu_entities(text) + ([entity("city", city)] if with_entity else [])
    await ask_bot(dispatcher, text, entities=entities)
    said = texts(dispatcher)
    region = load_knowledge().region().name
    assert f"只有{region}的充电桩报装资料" in said and f"{city}不一定相同" in said
    assert kb("service.hotlines.power_service")["number"] in said
    assert kb("charging_pile.eligibility.fixed_parking_space") in said or kb("charging_pile.documents.required")[0] in said


async def test_no_city_no_region_line(dispatcher):
    await ask_bot(dispatcher, "充电桩报装要什么材料")
    assert "充电桩报装资料" not in texts(dispatcher)


async def test_applying_from_another_city_is_told_only_the_region_is_accepted(dispatcher):
    events = await ask_bot(dispatcher, "我在广州，我要申请充电桩", entities=[entity("aspect", "apply"), entity("city", "广州")])
    region = load_knowledge().region().name
    assert slot_events(events) == {"charging_pile_apply": True}
    assert f"只受理{region}的车位" in texts(dispatcher)


@pytest.mark.parametrize("text, path", [
    ("物业不让装桩怎么办", "charging_pile.faq.property_refuses"),
    ("租的车位可以装充电桩吗", "charging_pile.faq.rented_space"),
    ("4S店送了个桩，接下来要找供电局干嘛", "charging_pile.faq.pile_with_car"),
    ("搬家了充电桩能移过去吗", "charging_pile.faq.moving_pile"),
    ("小区是老房子，容量不够能装吗", "charging_pile.faq.old_estate_no_capacity"),
    ("没有固定车位能装充电桩吗", "charging_pile.public_pile_alternative"),
])
async def test_frequent_problems_are_recognised_in_free_text(dispatcher, text, path):
    await ask_bot(dispatcher, text)
    fact = kb(path)
    said = texts(dispatcher)
    for item in fact if isinstance(fact, list) else [fact]:
        assert item in said


async def test_property_refusal_cites_the_2016_notice(dispatcher):
    await ask_bot(dispatcher, "物业唔肯签字装充电桩点算")
    assert "关于加快居民区电动汽车充电基础设施建设的通知" in texts(dispatcher)


async def test_power_question_checks_the_power_named(dispatcher):
    await ask_bot(dispatcher, "30千瓦的桩能装吗")
    limits = kb("charging_pile.power.accepted_range_kw")
    said = texts(dispatcher)
    assert "30千瓦不在这个范围内" in said and f"{limits['max']}千瓦" in said


async def test_apply_alone_starts_the_form(dispatcher):
    events = await ask_bot(dispatcher, "我要申请充电桩")
    assert slot_events(events) == {"charging_pile_apply": True}
    assert "取消" in texts(dispatcher)


async def test_apply_with_a_question_answers_the_question_first(dispatcher):
    events = await ask_bot(dispatcher, "想申请充电桩，需要准备什么材料")
    assert slot_events(events) == {"charging_pile_apply": False}
    assert kb("charging_pile.documents.required")[0] in texts(dispatcher)


async def test_question_during_the_form_is_answered_without_buttons(dispatcher):
    events = await ask_bot(dispatcher, "充电桩报装要花钱吗", active_loop="charging_pile_form",
                           slots={"requested_slot": NAME, "charging_pile_apply": True})
    assert slot_events(events) == {"charging_pile_apply": False}
    assert kb("charging_pile.costs.meter") in texts(dispatcher)
    assert titles(dispatcher) == []


async def test_cancel_worded_as_a_charging_pile_message_ends_the_form(dispatcher):
    events = await ask_bot(dispatcher, "充电桩不申请了", active_loop="charging_pile_form",
                           slots={"requested_slot": NAME})
    assert any(e["event"] == "followup" and e["name"] == "action_cancel_form" for e in events)


# ---- the form: extraction + validation, run as Rasa runs them ----------------------------

async def answer(domain, dispatcher, text: str, requested: str, slots: Optional[Dict[str, Any]] = None,
                 intent: str = "inform", entities=None) -> Dict[str, Any]:
    state = dict(slots or {})
    state["requested_slot"] = requested
    tracker = make_tracker(text, intent=intent, entities=nlu_entities(text) if entities is None else entities,
                           slots=state, active_loop="charging_pile_form")
    return slot_events(await ValidateChargingPileForm().run(dispatcher, tracker, domain))


async def test_owned_space_skips_the_lease_question(domain, dispatcher):
    result = await answer(domain, dispatcher, "车位是买的", OWNERSHIP)
    assert result[OWNERSHIP] == "owned" and result["requested_slot"] == CONSENT


async def test_leased_space_with_long_enough_lease_in_one_answer(domain, dispatcher):
    result = await answer(domain, dispatcher, "租的，租期三年", OWNERSHIP)
    assert result[OWNERSHIP] == "leased" and result[LEASE] == 3.0
    assert kb("charging_pile.eligibility.tenant_needs_owner_consent")
    assert result["requested_slot"] == OWNER_CONSENT  # the space owner's consent is asked next


async def test_leased_space_owner_consent_in_hand_goes_on_to_the_property(domain, dispatcher):
    result = await answer(domain, dispatcher, "已拿到", OWNER_CONSENT, {OWNERSHIP: "leased", LEASE: 2.0})
    assert result[OWNER_CONSENT] == "in_hand" and result["requested_slot"] == CONSENT


async def test_leased_space_owner_refusal_ends_the_form_before_the_property(domain, dispatcher):
    assert answers.consent_may_follow() is kb("charging_pile.application.consent_may_follow") is False
    result = await answer(domain, dispatcher, "房东不同意", OWNER_CONSENT, {OWNERSHIP: "leased", LEASE: 2.0})
    assert result[OWNER_CONSENT] == "missing" and result["requested_slot"] is None


async def test_unclear_owner_consent_is_asked_again(domain, dispatcher):
    result = await answer(domain, dispatcher, "这个嘛", OWNER_CONSENT, {OWNERSHIP: "leased", LEASE: 2.0})
    assert result[OWNER_CONSENT] is None and result["requested_slot"] == OWNER_CONSENT


@pytest.mark.parametrize("text, years", [("两年", 2.0), ("18个月", 1.5), ("一年半", 1.5), ("5", 5.0), ("1年", 1.0)])
async def test_lease_lengths_are_read(domain, dispatcher, text, years):
    result = await answer(domain, dispatcher, text, LEASE, {OWNERSHIP: "leased"})
    assert result[LEASE] == years


async def test_lease_too_short_explains_and_offers_options(domain, dispatcher):
    result = await answer(domain, dispatcher, "只签了半年", LEASE, {OWNERSHIP: "leased"})
    assert result[LEASE] is None and result["requested_slot"] == LEASE
    assert result[form.FAILURES_SLOT] == 0.0  # understood, so not counted as a failed answer
    said = texts(dispatcher)
    minimum = kb("charging_pile.eligibility.tenant_min_lease_years")
    assert f"租期{minimum}年及以上" in said and "续签" in said
    assert {"了解公共充电桩", "取消办理"} <= set(titles(dispatcher))


async def test_short_lease_given_with_ownership_is_explained_too(domain, dispatcher):
    result = await answer(domain, dispatcher, "租的，签了6个月", OWNERSHIP)
    assert result[OWNERSHIP] == "leased" and result.get(LEASE) is None
    assert result["requested_slot"] == LEASE and "续签" in texts(dispatcher)


async def test_unreadable_answers_are_counted_then_explained(domain, dispatcher):
    first = await answer(domain, dispatcher, "这个嘛", OWNERSHIP)
    assert first[OWNERSHIP] is None and first[form.FAILURES_SLOT] == 1.0
    second = await answer(domain, dispatcher, "嗯那个", OWNERSHIP, {form.FAILURES_SLOT: 1.0})
    assert second[form.FAILURES_SLOT] == 0.0
    assert "继续填写" in titles(dispatcher) and "固定车位" in texts(dispatcher)


async def test_continue_button_asks_the_question_again(domain, dispatcher):
    result = await answer(domain, dispatcher, "继续", POWER, {OWNERSHIP: "owned", CONSENT: "in_hand"})
    assert result[POWER] is None and result["requested_slot"] == POWER and dispatcher.messages == []


async def test_consent_in_hand(domain, dispatcher):
    result = await answer(domain, dispatcher, "物业已经盖章了", CONSENT, {OWNERSHIP: "owned"})
    assert result[CONSENT] == "in_hand" and result["requested_slot"] == POWER


async def test_missing_consent_ends_the_form_when_it_may_not_follow(domain, dispatcher, consent_switch):
    consent_switch(False)
    result = await answer(domain, dispatcher, "还没有", CONSENT, {OWNERSHIP: "owned"}, intent="deny")
    assert result[CONSENT] == "missing" and result["requested_slot"] is None


async def test_consent_question_with_a_refusal_counts_as_missing(domain, dispatcher):
    result = await answer(domain, dispatcher, "物业不同意怎么办", CONSENT, {OWNERSHIP: "owned"}, intent="charging_pile")
    assert result[CONSENT] == "missing"


async def test_missing_consent_may_follow_asks_whether_to_apply_now(domain, dispatcher, consent_switch):
    consent_switch(True)
    result = await answer(domain, dispatcher, "物业还没同意", CONSENT, {OWNERSHIP: "owned"})
    assert result["requested_slot"] == DEFER
    go_on = await answer(domain, dispatcher, "/affirm", DEFER, {OWNERSHIP: "owned", CONSENT: "missing"}, intent="affirm")
    assert go_on[DEFER] is True and go_on["requested_slot"] == POWER
    stop = await answer(domain, dispatcher, "/deny", DEFER, {OWNERSHIP: "owned", CONSENT: "missing"}, intent="deny")
    assert stop[DEFER] is False and stop["requested_slot"] is None


async def next_question(domain, dispatcher, slots: Dict[str, Any]) -> Optional[str]:
    """The slot the form asks next (when the list equals the domain's, Rasa picks it itself and
    the validator sets no requested_slot, so the test asks required_slots directly)."""
    validator = ValidateChargingPileForm()
    tracker = make_tracker(slots=slots, active_loop="charging_pile_form")
    required = await validator.required_slots(validator.domain_slots(domain), dispatcher, tracker, domain)
    return next((slot for slot in required if slots.get(slot) is None), None)


@pytest.mark.parametrize("may_follow, expected", [(True, CONSENT), (False, None)])
async def test_missing_owner_consent_follows_the_switch(domain, dispatcher, consent_switch, may_follow, expected):
    consent_switch(may_follow)
    result = await answer(domain, dispatcher, "还没有", OWNER_CONSENT, {OWNERSHIP: "leased", LEASE: 2.0}, intent="deny")
    assert result[OWNER_CONSENT] == "missing"
    slots = {OWNERSHIP: "leased", LEASE: 2.0, OWNER_CONSENT: "missing"}
    assert await next_question(domain, dispatcher, slots) == expected
    if may_follow:  # the property is still asked; then the deferral question covers both
        both = await answer(domain, dispatcher, "已拿到", CONSENT, slots)
        assert both[CONSENT] == "in_hand"
        assert await next_question(domain, dispatcher, dict(slots, **{CONSENT: "in_hand"})) == DEFER


async def test_deferral_question_names_the_missing_documents(dispatcher, consent_switch):
    from actions.charging_pile_submit import ActionAskDeferConsent

    consent_switch(True)
    slots = {OWNERSHIP: "leased", LEASE: 2.0, OWNER_CONSENT: "missing", CONSENT: "missing"}
    await ActionAskDeferConsent().run(dispatcher, make_tracker(slots=slots), {})
    said = texts(dispatcher)
    assert "车位产权人同意书和物业同意书可以先申请、后补交" in said
    assert kb("charging_pile.faq.rented_space") in said and kb("charging_pile.faq.property_refuses")[0] in said


async def test_power_in_range(domain, dispatcher):
    result = await answer(domain, dispatcher, "7千瓦", POWER, {OWNERSHIP: "owned", CONSENT: "in_hand"})
    assert result[POWER] == 7.0 and result["requested_slot"] == ADDRESS


async def test_power_bare_number_and_three_phase_note(domain, dispatcher):
    result = await answer(domain, dispatcher, "11", POWER, {OWNERSHIP: "owned", CONSENT: "in_hand"})
    assert result[POWER] == 11.0 and "三相" in texts(dispatcher)


async def test_power_out_of_range_is_explained(domain, dispatcher):
    result = await answer(domain, dispatcher, "60kw", POWER, {OWNERSHIP: "owned", CONSENT: "in_hand"})
    limits = kb("charging_pile.power.accepted_range_kw")
    assert result[POWER] is None and result["requested_slot"] == POWER
    assert f"{limits['min']}–{limits['max']}千瓦" in texts(dispatcher) and "60千瓦超出" in texts(dispatcher)


async def test_power_unknown_uses_the_typical_power(domain, dispatcher):
    result = await answer(domain, dispatcher, "不清楚", POWER, {OWNERSHIP: "owned", CONSENT: "in_hand"}, intent="deny")
    assert result[POWER] == float(kb("charging_pile.power.typical_kw"))


async def test_address_with_district(domain, dispatcher):
    slots = {OWNERSHIP: "owned", CONSENT: "in_hand", POWER: 7.0}
    result = await answer(domain, dispatcher, "南山区蛇口街道海滨花园地下车库B2-018", ADDRESS, slots)
    assert result[DISTRICT] == "南山区" and result["requested_slot"] == NAME


async def test_address_without_district_asks_for_it(domain, dispatcher):
    slots = {OWNERSHIP: "owned", CONSENT: "in_hand", POWER: 7.0}
    result = await answer(domain, dispatcher, "海滨花园地下车库B2-018号", ADDRESS, slots)
    assert result.get(DISTRICT) is None and result["requested_slot"] == DISTRICT
    slots[ADDRESS] = "海滨花园地下车库B2-018号"
    district = await answer(domain, dispatcher, "宝安", DISTRICT, slots)
    assert district[DISTRICT] == "宝安区"


async def test_vague_address_and_unknown_district_are_refused(domain, dispatcher):
    slots = {OWNERSHIP: "owned", CONSENT: "in_hand", POWER: 7.0}
    assert (await answer(domain, dispatcher, "小区", ADDRESS, slots))[ADDRESS] is None
    slots[ADDRESS] = "海滨花园地下车库B2-018号"
    assert (await answer(domain, dispatcher, "北京朝阳", DISTRICT, slots))[DISTRICT] is None


@pytest.mark.parametrize("text, expected", [("我叫张伟", "张伟"), ("陈志强先生", "陈志强"), ("不想填了", None), ("好的", None)])
async def test_names(domain, dispatcher, text, expected):
    slots = {OWNERSHIP: "owned", CONSENT: "in_hand", POWER: 7.0, ADDRESS: "南山区海滨花园B2-018", DISTRICT: "南山区"}
    assert (await answer(domain, dispatcher, text, NAME, slots))[NAME] == expected


@pytest.mark.parametrize("text, expected", [("我手机是138 1234 5678", PHONE_NO), ("12345", None)])
async def test_phones(domain, dispatcher, text, expected):
    slots = {OWNERSHIP: "owned", CONSENT: "in_hand", POWER: 7.0, ADDRESS: "南山区海滨花园B2-018",
             DISTRICT: "南山区", NAME: "张伟"}
    assert (await answer(domain, dispatcher, text, PHONE, slots))[PHONE] == expected


async def test_question_or_cancel_is_not_taken_as_an_answer(domain, dispatcher):
    question = await answer(domain, dispatcher, "充电桩要多少钱", NAME, {OWNERSHIP: "owned"}, intent="charging_pile")
    assert NAME not in question
    cancel = await answer(domain, dispatcher, "不办了", NAME, {OWNERSHIP: "owned"}, intent="deny")
    assert NAME not in cancel


async def test_confirmation_summary_masks_the_phone(dispatcher):
    slots = {OWNERSHIP: "leased", LEASE: 2.0, OWNER_CONSENT: "in_hand", CONSENT: "in_hand", POWER: 7.0,
             ADDRESS: "南山区海滨花园B2-018", DISTRICT: "南山区", NAME: "张伟", PHONE: PHONE_NO}
    await ActionAskConfirmed().run(dispatcher, make_tracker(slots=slots), {})
    said = texts(dispatcher)
    assert "138****5678" in said and PHONE_NO not in said and "租期2年" in said
    assert "车位产权人同意书" in said  # a leased space shows the owner's consent too
    assert "确认提交" in titles(dispatcher)


async def test_power_question_quotes_the_typical_power(dispatcher):
    await ActionAskPower().run(dispatcher, make_tracker(), {})
    assert f"常见{kb('charging_pile.power.typical_kw')}千瓦" in texts(dispatcher)


# ---- submission -------------------------------------------------------------------------

COMPLETE = {OWNERSHIP: "owned", CONSENT: "in_hand", POWER: 7.0, ADDRESS: "南山区蛇口街道海滨花园B2-018",
            DISTRICT: "南山区", NAME: "张伟", PHONE: PHONE_NO, CONFIRMED: True, "charging_pile_apply": True}


async def submit(dispatcher, slots: Dict[str, Any], sender: str = "cp-user-1"):
    tracker = make_tracker("/affirm", intent="affirm", slots=slots, sender_id=sender)
    return await ActionChargingPileSubmit().run(dispatcher, tracker, {})


async def test_submit_creates_a_charging_pile_order_with_receipt(backend, dispatcher):
    events = await submit(dispatcher, COMPLETE)
    card = next(m["custom"]["card"] for m in dispatcher.messages if m.get("custom"))
    fields = dict(card["fields"])
    assert card["kind"] == "receipt"
    assert fields["受理编号"].startswith("CD") and len(fields["受理编号"]) == 16
    steps = kb("work_orders.charging_pile")["steps"]
    assert fields["下一步"].startswith(f"{steps[1]['name']}（{steps[1]['time_limit_working_days']}个工作日内")
    said = texts(dispatcher)
    assert fields["受理编号"] in said and "138****5678" in said and PHONE_NO not in said
    cleared = slot_events(events)
    assert all(cleared[slot] is None for slot in form.FORM_SLOTS) and cleared["charging_pile_apply"] is False
    assert any("/application_progress" in b["payload"] for m in dispatcher.messages for b in m.get("buttons") or [])


async def test_application_progress_tracks_the_new_order(backend, dispatcher):
    from actions.progress import ActionApplicationProgress

    await submit(dispatcher, COMPLETE)
    order_no = dict(next(m["custom"]["card"] for m in dispatcher.messages if m.get("custom"))["fields"])["受理编号"]
    dispatcher.messages.clear()
    tracker = make_tracker("查进度", intent="application_progress",
                           slots={"progress_order_no": order_no, "progress_phone": PHONE_NO})
    await ActionApplicationProgress().run(dispatcher, tracker, {})
    said = texts(dispatcher)
    first_step = kb("work_orders.charging_pile")["steps"][0]["name"]
    assert order_no in said and first_step in said and "充电桩" in said


async def test_submit_twice_gives_the_same_order(backend, dispatcher):
    await submit(dispatcher, COMPLETE)
    first = next(m["custom"]["card"] for m in dispatcher.messages if m.get("custom"))
    dispatcher.messages.clear()
    await submit(dispatcher, COMPLETE)
    second = next(m["custom"]["card"] for m in dispatcher.messages if m.get("custom"))
    assert dict(first["fields"])["受理编号"] == dict(second["fields"])["受理编号"]
    assert "之前已经提交过" in texts(dispatcher)


async def test_request_id_depends_on_sender_and_answers():
    one = order_payload(make_tracker(slots=COMPLETE, sender_id="a"))
    assert one["request_id"] == order_payload(make_tracker(slots=COMPLETE, sender_id="a"))["request_id"]
    assert one["request_id"] != order_payload(make_tracker(slots=COMPLETE, sender_id="b"))["request_id"]
    changed = dict(COMPLETE, **{POWER: 11.0})
    assert one["request_id"] != order_payload(make_tracker(slots=changed, sender_id="a"))["request_id"]


async def stored_details(dispatcher) -> Dict[str, Any]:
    from actions import backend_client

    order_no = dict(next(m["custom"]["card"] for m in dispatcher.messages if m.get("custom"))["fields"])["受理编号"]
    stored = await backend_client.get(f"/api/v1/work-orders/{order_no}", phone=PHONE_NO)
    assert stored.data["type"] == "charging_pile"
    return stored.data["details"]


async def test_leased_space_records_the_owner_consent_in_the_order(backend, dispatcher):
    slots = dict(COMPLETE, **{OWNERSHIP: "leased", LEASE: 2.0, OWNER_CONSENT: "in_hand"})
    await submit(dispatcher, slots)
    assert await stored_details(dispatcher) == {"parking_space": "leased", "lease_years": 2.0,
                                                "owner_consent": "in_hand", "property_consent": "in_hand",
                                                "power_kw": 7.0}
    assert "补交" not in texts(dispatcher)


async def test_owned_space_order_has_no_owner_consent(backend, dispatcher):
    await submit(dispatcher, COMPLETE)
    assert "owner_consent" not in await stored_details(dispatcher)


async def test_leased_space_with_consents_to_follow_is_recorded(backend, dispatcher, consent_switch):
    consent_switch(True)
    slots = dict(COMPLETE, **{OWNERSHIP: "leased", LEASE: 2.0, OWNER_CONSENT: "missing", CONSENT: "missing",
                              DEFER: True})
    await submit(dispatcher, slots)
    assert await stored_details(dispatcher) == {"parking_space": "leased", "lease_years": 2.0,
                                                "owner_consent": "to_follow", "property_consent": "to_follow",
                                                "power_kw": 7.0}
    assert "车位产权人同意书和物业同意书请尽快补交" in texts(dispatcher)


async def test_missing_owner_consent_saves_nothing_and_guides(backend_failing, dispatcher, consent_switch):
    consent_switch(False)
    slots = {OWNERSHIP: "leased", LEASE: 2.0, OWNER_CONSENT: "missing", "charging_pile_apply": True}
    events = await submit(dispatcher, slots)
    assert backend_failing.calls == []
    said = texts(dispatcher)
    assert "车位产权人同意书是报装必需的材料，目前不能后补" in said and "没有保存" in said
    assert kb("charging_pile.faq.rented_space") in said
    assert kb("charging_pile.faq.property_refuses")[0] not in said  # the property was never asked
    assert slot_events(events)[OWNER_CONSENT] is None


async def test_missing_consent_saves_nothing_and_guides(backend_failing, dispatcher):
    slots = {OWNERSHIP: "owned", CONSENT: "missing", "charging_pile_apply": True}
    events = await submit(dispatcher, slots)
    assert backend_failing.calls == []
    said = texts(dispatcher)
    assert "没有保存" in said
    for item in kb("charging_pile.faq.property_refuses"):
        assert item in said
    assert {"拿到了，现在申请", "了解公共充电桩"} <= set(titles(dispatcher))
    assert slot_events(events)[CONSENT] is None


async def test_declined_confirmation_saves_nothing(backend_failing, dispatcher):
    await submit(dispatcher, dict(COMPLETE, **{CONFIRMED: False}))
    assert backend_failing.calls == [] and "没有提交" in texts(dispatcher)


async def assert_hotline_and_answers_kept(dispatcher) -> None:
    events = await submit(dispatcher, COMPLETE)
    said = texts(dispatcher)
    assert kb("service.hotlines.power_service")["number"] in said
    assert "stack trace" not in said and "内部错误" not in said and "受理编号" not in said
    # Only the confirmation is forgotten: "重新提交" reopens the form at that question.
    assert slot_events(events) == {CONFIRMED: None, "charging_pile_apply": False}
    assert "重新提交" in titles(dispatcher)


async def test_back_end_trouble(backend_trouble, dispatcher):
    await assert_hotline_and_answers_kept(dispatcher)


async def test_back_end_500_is_retried_once_then_apologised_for(backend_failing, dispatcher):
    await assert_hotline_and_answers_kept(dispatcher)
    assert backend_failing.calls == ["POST /api/v1/work-orders"] * 2  # idempotent POST: one retry


async def test_rejected_request_shows_no_back_end_text(backend, dispatcher):
    await submit(dispatcher, dict(COMPLETE, **{DISTRICT: "火星区"}))
    said = texts(dispatcher)
    assert "没有提交" in said and "未知的行政区" not in said and "受理编号" not in said
