"""阶梯电价: explanations, bill computation, time-of-use / 合表, other cities, the calculator form and
"why is my bill high" (general, and per verified account against the real back-end stub).

The money figures are hand-computed from the issue's table (0.68 / 0.73 / 0.98 元, summer 260/600,
non-summer 200/400 kWh); texts that quote the knowledge base are compared with its values.
"""
from __future__ import annotations

import time
from decimal import Decimal
from typing import Any, Dict, List

import pytest

from actions.high_bill import ActionExplainHighBill, is_high_bill_question
from actions.tariff import ActionTariffAnswer, ActionTariffCompute, ValidateTariffCalcForm
from actions.tariff_text import message_kwh
from bot.nlu.entity_extractor import extract
from bot.text import normalize
from knowledge import load_knowledge
from tests.conftest import FIXED_NOW, entity, make_tracker, texts

SPIKE, SIX_PEOPLE, MULTI, SHARED, BUSINESS = "0300000005", "0300000001", "0300000007", "0300000008", "0300000004"


def kb(path: str) -> Any:
    return load_knowledge().region().value(path)


def nlu_entities(text: str) -> List[Dict[str, Any]]:
    """What the real rule extractor gives for the message (without the place gazetteer)."""
    return [entity(name, value) for name, _, _, value in extract(normalize(text), FIXED_NOW.date())]


def slot_events(events) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def titles(dispatcher) -> List[str]:
    return [b["title"] for m in dispatcher.messages for b in m.get("buttons") or []]


def verified(account_no: str) -> Dict[str, Any]:
    return {"verified_account_no": account_no, "verification_expires_at": time.time() + 600}


async def ask(dispatcher, text: str, entities=None, slots=None):
    tracker = make_tracker(text, intent="tiered_tariff",
                           entities=nlu_entities(text) if entities is None else entities, slots=slots)
    return await ActionTariffAnswer().run(dispatcher, tracker, {})


# ---- explanations -------------------------------------------------------------------------

async def test_explains_tiers_seasons_prices_and_where_to_check(dispatcher):
    events = await ask(dispatcher, "阶梯电价怎么算")
    said = texts(dispatcher)
    assert slot_events(events) == {"tariff_next": "done", "tariff_month": None}
    assert "夏季（5–10月）：第一档 0–260度 0.68元/度；第二档 261–600度 0.73元/度；第三档 600度以上 0.98元/度" in said
    assert "非夏季（11月–次年4月）：第一档 0–200度 0.68元/度；第二档 201–400度 0.73元/度；第三档 400度以上 0.98元/度" in said
    assert "每月重新起算" in said
    assert "以供电局公布为准" in said
    assert "95598.csg.cn" in said
    assert {"算一算电费", "一户多人口", "峰谷电价", "合表电价"} <= set(titles(dispatcher))


async def test_a_month_alone_shows_that_season(dispatcher):
    await ask(dispatcher, "12月电价多少")
    said = texts(dispatcher)
    assert "12月属于非夏季" in said
    assert "第一档 0–200度" in said and "0–260度" not in said
    assert "算一算12月电费" in titles(dispatcher)


async def test_a_bare_kwh_after_a_month_explanation_uses_that_month(dispatcher):
    events = slot_events(await ask(dispatcher, "7月电价怎么算"))
    assert events == {"tariff_next": "done", "tariff_month": "7"}
    dispatcher.messages.clear()
    # The rule sends a bare "用了450度" (inform) right after a tariff answer back to this action.
    tracker = make_tracker("用了450度", intent="inform", entities=nlu_entities("用了450度"), slots=events)
    events = slot_events(await ActionTariffAnswer().run(dispatcher, tracker, {}))
    assert "260×0.68 + 190×0.73 = 315.50 元" in texts(dispatcher)
    assert events == {"tariff_next": "done", "tariff_month": None}  # used once, then forgotten


async def test_a_bare_kwh_without_a_remembered_month_shows_both_seasons(dispatcher):
    tracker = make_tracker("两百五十度", intent="inform", entities=nlu_entities("两百五十度"))
    await ActionTariffAnswer().run(dispatcher, tracker, {})
    said = texts(dispatcher)
    assert "夏季（5–10月）：250×0.68 = 170.00 元" in said
    assert "非夏季（11月–次年4月）：200×0.68 + 50×0.73 = 172.50 元" in said


async def test_time_of_use_from_the_table(dispatcher):
    await ask(dispatcher, "峰谷电价怎么收费")
    said = texts(dispatcher)
    prices = kb("tariff.prices.time_of_use.tier1_excluding_funds")
    for price in prices.values():
        assert str(price) in said
    assert "10:00–12:00、14:00–19:00" in said
    assert "00:00–08:00" in said
    assert "不含政府性基金及附加" in said
    assert "以供电局公布为准" in said


async def test_shared_meter_quotes_only_the_sourced_price(dispatcher):
    await ask(dispatcher, "合表用户用了100度怎么收费")
    said = texts(dispatcher)
    assert "0.6912元/度" in said
    assert "100×0.6912 = 69.12 元" in said
    # The all-in 合表 figure is derived, not published (verified: false): never quoted.
    assert "0.717" not in said


async def test_another_city_gets_an_honest_answer(dispatcher):
    await ask(dispatcher, "广州的电价一度多少钱", entities=nlu_entities("广州的电价一度多少钱") + [entity("city", "广州")])
    said = texts(dispatcher)
    assert "只有深圳的电价资料" in said
    assert "广州不一定相同" in said
    assert "95598" in said
    assert "0–260度" in said  # then the Shenzhen rule, labelled as Shenzhen's


@pytest.mark.parametrize("city, grid, not_grid", [("广州", "csg", "state_grid"), ("北京", "state_grid", "csg")])
async def test_another_city_gets_the_national_rule_and_where_to_check_locally(dispatcher, city, grid, not_grid):
    text = f"{city}的阶梯电价怎么算"
    await ask(dispatcher, text, entities=nlu_entities(text) + [entity("city", city)])
    said = texts(dispatcher)
    assert f"{city}不一定相同" in said
    assert kb("tariff.other_regions.general_rule") in said
    coverage = kb("tariff.other_regions.tier_coverage")
    assert f"约{coverage['tier1_percent']}%" in said and f"约{coverage['tier2_percent']}%" in said
    for item in kb(f"tariff.other_regions.where_to_check.{grid}"):
        assert item in said
    # The other grid's channels are not offered for that city (the Shenzhen table that follows
    # keeps its own "where to check", labelled as Shenzhen's).
    about_city = dispatcher.messages[0]["text"]
    own = set(kb(f"tariff.other_regions.where_to_check.{grid}"))
    assert not [item for item in kb(f"tariff.other_regions.where_to_check.{not_grid}")
                if item not in own and item in about_city]


async def test_a_city_named_only_in_the_text_is_recognised(dispatcher):
    await ask(dispatcher, "北京电费怎么收的")  # no `city` entity: the region index finds it
    said = texts(dispatcher)
    assert "北京不一定相同" in said and kb("tariff.other_regions.where_to_check.state_grid")[0] in said


async def test_business_use_is_not_the_residential_table(dispatcher):
    await ask(dispatcher, "商铺用电一度多少钱")
    said = texts(dispatcher)
    assert "一般工商业用电不执行居民阶梯电价" in said
    assert "95598" in said


# ---- computing a bill ---------------------------------------------------------------------

async def test_july_450_kwh_is_315_50(dispatcher):
    await ask(dispatcher, "7月用了450度")
    said = texts(dispatcher)
    assert "260×0.68 + 190×0.73 = 315.50 元" in said
    assert "· 第一档 260度 × 0.68元/度 = 176.80元" in said
    assert "· 第二档 190度 × 0.73元/度 = 138.70元" in said
    assert "7月属于夏季" in said
    assert "以供电局公布为准" in said
    assert "一户多人口能省多少" in titles(dispatcher)


async def test_spelled_out_kwh_without_month_shows_both_seasons(dispatcher):
    await ask(dispatcher, "用了两百五十度要交多少电费")
    said = texts(dispatcher)
    assert "用电250度" in said
    assert "夏季（5–10月）：250×0.68 = 170.00 元" in said
    assert "非夏季（11月–次年4月）：200×0.68 + 50×0.73 = 172.50 元" in said
    assert "告诉我是几月的用电" in said


async def test_kwh_unit_without_month(dispatcher):
    await ask(dispatcher, "450kWh电费大概多少")
    said = texts(dispatcher)
    assert "260×0.68 + 190×0.73 = 315.50 元" in said
    assert "200×0.68 + 200×0.73 + 50×0.98 = 331.00 元" in said


@pytest.mark.parametrize("month, kwh, working", [
    (8, 0, "0度 = 0.00 元"),
    (1, 200, "200×0.68 = 136.00 元"),
    (1, 201, "200×0.68 + 1×0.73 = 136.73 元"),
    (6, 260, "260×0.68 = 176.80 元"),
    (6, 261, "260×0.68 + 1×0.73 = 177.53 元"),
    (12, 400, "200×0.68 + 200×0.73 = 282.00 元"),
    (12, 401, "200×0.68 + 200×0.73 + 1×0.98 = 282.98 元"),
    (9, 600, "260×0.68 + 340×0.73 = 425.00 元"),
    (9, 601, "260×0.68 + 340×0.73 + 1×0.98 = 425.98 元"),
])
async def test_tier_boundaries(dispatcher, month, kwh, working):
    await ask(dispatcher, f"{month}月用了{kwh}度")
    assert working in texts(dispatcher)


@pytest.mark.parametrize("text, kwh", [
    ("用了两百五十度", 250), ("450kWh", 450), ("三百度电大概多少钱", 300), ("一个月七百多度", 700),
    ("我用了350kwh", 350), ("520千瓦时", 520), ("１２０度", 120),
])
def test_kwh_phrasings(text, kwh):
    tracker = make_tracker(text, intent="tiered_tariff", entities=[])  # no NLU entity: the parser reads it
    assert message_kwh(tracker) == Decimal(kwh)


async def test_implausible_kwh_is_questioned(dispatcher):
    await ask(dispatcher, "用了200000度")
    assert "超出了家庭一个月的正常用电范围" in texts(dispatcher)


async def test_asking_for_a_computation_without_numbers_starts_the_calculator(dispatcher):
    events = await ask(dispatcher, "帮我算一下电费")
    assert slot_events(events) == {"tariff_next": "calc", "tariff_kwh": None, "tariff_month": None}
    events = await ask(dispatcher, "算一算", entities=[entity("aspect", "calculate"), entity("month", 7)])
    assert slot_events(events)["tariff_month"] == "7"


# ---- the calculator form ------------------------------------------------------------------

async def run_form(dispatcher, text: str, requested: str, slots=None, intent: str = "inform"):
    tracker = make_tracker(text, intent=intent, entities=nlu_entities(text), active_loop="tariff_calc_form",
                           slots={"requested_slot": requested, **(slots or {})})
    return slot_events(await ValidateTariffCalcForm().run(dispatcher, tracker, {"forms": {"tariff_calc_form": {
        "required_slots": ["tariff_kwh", "tariff_month"]}}}))


async def test_form_reads_a_bare_number_and_a_season(dispatcher):
    assert (await run_form(dispatcher, "450", "tariff_kwh"))["tariff_kwh"] == 450.0
    assert (await run_form(dispatcher, "两百五", "tariff_kwh"))["tariff_kwh"] == 250.0
    assert (await run_form(dispatcher, "夏季", "tariff_month", {"tariff_kwh": 450.0}))["tariff_month"] == "summer"
    assert (await run_form(dispatcher, "非夏季", "tariff_month", {"tariff_kwh": 450.0}))["tariff_month"] == "non_summer"
    assert (await run_form(dispatcher, "两季都算一下", "tariff_month", {"tariff_kwh": 450.0}))["tariff_month"] == "both"
    assert (await run_form(dispatcher, "8月的", "tariff_month", {"tariff_kwh": 450.0}))["tariff_month"] == "8"
    assert not dispatcher.messages


async def test_form_explains_after_repeated_unusable_answers(dispatcher):
    slots = await run_form(dispatcher, "很多", "tariff_kwh")
    assert slots["tariff_kwh"] is None and slots["form_failures"] == 1.0
    slots = await run_form(dispatcher, "很多", "tariff_kwh", {"form_failures": 1.0})
    assert "本期电量" in texts(dispatcher)
    assert "取消办理" in titles(dispatcher)


async def test_compute_after_the_form(dispatcher):
    tracker = make_tracker("7月", slots={"tariff_kwh": 450.0, "tariff_month": "7"})
    events = slot_events(await ActionTariffCompute().run(dispatcher, tracker, {}))
    assert "260×0.68 + 190×0.73 = 315.50 元" in texts(dispatcher)
    # The month is kept for one more message: a bare "那600度呢" is computed for July too.
    assert events == {"tariff_kwh": None, "tariff_month": "7", "tariff_next": "done"}
    dispatcher.messages.clear()
    tracker = make_tracker("那600度呢", intent="inform", entities=nlu_entities("那600度呢"), slots=events)
    await ActionTariffAnswer().run(dispatcher, tracker, {})
    assert "260×0.68 + 340×0.73 = 425.00 元" in texts(dispatcher)


async def test_compute_for_a_season_or_both(dispatcher):
    await ActionTariffCompute().run(dispatcher, make_tracker("非夏季", slots={"tariff_kwh": 450.0, "tariff_month": "non_summer"}), {})
    assert "非夏季（11月–次年4月）月份用电450度，电费约 331.00 元" in texts(dispatcher)
    dispatcher.messages.clear()
    await ActionTariffCompute().run(dispatcher, make_tracker("都算", slots={"tariff_kwh": 250.0, "tariff_month": "both"}), {})
    assert "172.50 元" in texts(dispatcher) and "170.00 元" in texts(dispatcher)


# ---- why is my bill high ------------------------------------------------------------------

@pytest.mark.parametrize("text, high", [
    ("为什么这个月电费这么高", True), ("电费怎么突然变贵了", True), ("这个月电费比上个月多了一倍", True),
    ("为什么夏天电费这么贵，是不是档位的原因", True), ("电费高得离谱，电表是不是坏了", True),
    ("电费多少钱", False), ("7月用了450度多少钱", False), ("电价是不是涨价了", False), ("阶梯电价怎么算", False),
])
def test_high_bill_questions(text, high):
    assert is_high_bill_question(normalize(text)) is high


async def test_high_bill_unverified_explains_and_offers_verification(dispatcher):
    events = await ask(dispatcher, "为什么这个月电费这么高")
    said = texts(dispatcher)
    assert "夏季260度、非夏季200度" in said
    assert "每度多0.05元" in said and "每度多0.3元" in said
    # The season switch with calculator numbers (450 kWh: 315.50 in summer, 331.00 in November).
    assert "11月起执行非夏季标准，第一档上限从260度降到200度" in said
    assert "夏季月份 315.50 元，11月 331.00 元" in said
    assert kb("account_services.meter_test.how_to_apply") in said
    assert "验证身份" in said and "验证身份后查询" in titles(dispatcher)
    assert slot_events(events)["after_verification"] == "action_explain_high_bill"


async def test_high_bill_verified_spike_points_to_a_meter_test(dispatcher, backend):
    tracker = make_tracker("我的电费怎么这么高", intent="tiered_tariff", slots=verified(SPIKE))
    events = await ActionExplainHighBill().run(dispatcher, tracker, {})
    said = texts(dispatcher)
    assert events == []
    assert "03******05" in said and SPIKE not in said
    assert "2026年10月 用电 771 度" in said
    assert "去年同期（2025年10月）用电 218 度" in said
    assert "明显高于平时" in said
    assert "校验电能表" in said
    assert "第三档" in said  # 771 kWh in October crosses 600


async def test_high_bill_verified_normal_month(dispatcher, backend):
    tracker = make_tracker("电费怎么变贵了", intent="tiered_tariff", slots=verified(SIX_PEOPLE))
    await ActionExplainHighBill().run(dispatcher, tracker, {})
    said = texts(dispatcher)
    assert "2026年10月 用电 324 度" in said
    assert "超过260度的64度按第二档0.73元/度计价" in said
    assert "明显高于平时" not in said
    # A household of 6 without the policy is pointed to it, with the yearly saving.
    assert any(t.startswith("一户多人口（约省") for t in titles(dispatcher))


async def test_high_bill_verified_multi_resident_and_shared_meter(dispatcher, backend):
    await ActionExplainHighBill().run(dispatcher, make_tracker("电费高", slots=verified(MULTI)), {})
    assert "已按一户多人口档位计算" in texts(dispatcher)
    dispatcher.messages.clear()
    await ActionExplainHighBill().run(dispatcher, make_tracker("电费高", slots=verified(SHARED)), {})
    assert "合表用户，不分档" in texts(dispatcher)


async def test_high_bill_after_verification_runs_the_followup(dispatcher, backend):
    # action_verify_account runs this action next, while the latest message is the phone digits.
    tracker = make_tracker("1234", intent="inform", slots=verified(BUSINESS))
    await ActionExplainHighBill().run(dispatcher, tracker, {})
    assert "一般工商业电价" in texts(dispatcher)


async def assert_polite_failure(dispatcher):
    tracker = make_tracker("电费怎么这么高", intent="tiered_tariff", slots=verified(SPIKE))
    events = await ActionExplainHighBill().run(dispatcher, tracker, {})
    said = texts(dispatcher)
    assert events == []
    assert "95598" in said and "系统暂时繁忙" in said
    assert "stack trace" not in said and "INTERNAL" not in said


async def test_high_bill_back_end_down(dispatcher, backend_down):
    await assert_polite_failure(dispatcher)


async def test_high_bill_back_end_slow(dispatcher, backend_slow):
    await assert_polite_failure(dispatcher)


async def test_high_bill_back_end_500(dispatcher, backend_failing):
    await assert_polite_failure(dispatcher)
    assert backend_failing.calls[0].startswith("GET /api/v1/accounts/")
