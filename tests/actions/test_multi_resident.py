"""一户多人口: the policy answer, eligibility and the saving (from the same calculator as the bills),
documents and channels, the eligibility check form, and reading the verified account's own
household size and bills from the real back-end stub.

Figures are hand-computed from the issue's table (0.68 / 0.73 / 0.98 元, summer 260/600,
non-summer 200/400 kWh, +100 kWh on every tier for a household of 5 or more); texts that quote
the knowledge base are compared with its values, so a data change moves code and test together.
"""
from __future__ import annotations

import shutil
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from actions import backend_client
from actions.multi_resident import (
    ActionMultiResidentAnswer,
    ActionMultiResidentCheck,
    ValidateMultiResidentCheckForm,
    household_size_in,
)
from bot.nlu.entity_extractor import extract
from bot.text import normalize
from knowledge import load_knowledge
from knowledge.loader import DEFAULT_ROOT
from knowledge.tariff import multi_resident_saving
from tests.conftest import FIXED_NOW, entity, make_tracker, texts

SIX_PEOPLE, TWO_PEOPLE, ALREADY, SHARED, BUSINESS = (
    "0300000001", "0300000003", "0300000007", "0300000008", "0300000004")
SIZE, KWH, NEXT = "mr_household_size", "mr_monthly_kwh", "multi_resident_next"


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


async def ask(dispatcher, text: str, entities=None, slots=None, active_loop=None):
    tracker = make_tracker(text, intent="multi_resident_policy",
                           entities=nlu_entities(text) if entities is None else entities,
                           slots=slots, active_loop=active_loop)
    return await ActionMultiResidentAnswer().run(dispatcher, tracker, {})


# ---- the policy ---------------------------------------------------------------------------

async def test_overview_gives_rule_benefit_raised_bounds_and_source(dispatcher):
    events = await ask(dispatcher, "一户多人口是什么政策")
    said = texts(dispatcher)
    assert slot_events(events) == {NEXT: "done"}
    assert f"{kb('multi_resident.eligibility.min_members')}人及以上" in said
    assert "每个月各档电量上限都提高100度" in said  # uplift_applies_to: all_tiers
    # 260/600 and 200/400 raised by 100 kWh.
    assert "夏季（5–10月）第一档0–360度、第二档361–700度" in said
    assert "非夏季（11月–次年4月）第一档0–300度、第二档301–500度" in said
    assert "下一个计费月起执行" in said
    assert kb("multi_resident.policy.title") in said and "2021年6月1日" in said
    assert "以供电局审核答复为准" in said  # the Guangdong details are not verified
    assert {"看看我家能不能办、能省多少", "需要什么材料", "在线申请"} <= set(titles(dispatcher))


async def test_documents_and_channels(dispatcher):
    await ask(dispatcher, "一户多人口要准备什么材料")
    said = texts(dispatcher)
    for item in kb("multi_resident.application.documents"):
        assert item in said
    for channel in kb("multi_resident.application.channels"):
        assert channel in said
    assert "我的用电 → 业务办理 → 业务变更 → 一户多人口" in said
    assert "在线申请" in titles(dispatcher)


async def test_size_and_usage_in_one_message_gives_monthly_and_yearly_saving(dispatcher):
    await ask(dispatcher, "我家6口人每月用500度，办一户多人口能省多少")
    said = texts(dispatcher)
    assert "您家6人，符合" in said
    # Summer: 260×0.68+240×0.73 = 352.00 -> 360×0.68+140×0.73 = 347.00.
    assert "夏季（5–10月）：每月 352.00 元 → 347.00 元，省 5.00 元" in said
    # Non-summer: 200×0.68+200×0.73+100×0.98 = 380.00 -> 300×0.68+200×0.73 = 350.00.
    assert "非夏季（11月–次年4月）：每月 380.00 元 → 350.00 元，省 30.00 元" in said
    assert "一年约省 210.00 元，平均每月约 17.50 元" in said  # 6×5 + 6×30
    assert "在线申请" in titles(dispatcher)


async def test_spelled_out_numbers_are_read(dispatcher):
    assert household_size_in(normalize("我们一家七口")) == 7
    await ask(dispatcher, "家里五个人，每个月用四百五十度")
    said = texts(dispatcher)
    assert "您家5人，符合" in said
    assert "一年约省 135.00 元" in said  # 6×5.00 (summer) + 6×17.50 (non-summer)


async def test_small_household_is_told_honestly_without_a_saving(dispatcher):
    await ask(dispatcher, "我家3口人可以申请一户多人口吗")
    said = texts(dispatcher)
    assert "您家3人，暂不符合" in said
    assert "省" not in said.replace("节省", "")
    assert "在线申请" not in titles(dispatcher)


async def test_low_usage_saves_nothing_and_says_why(dispatcher):
    await ask(dispatcher, "6口人每月就用150度，办了能省多少")
    said = texts(dispatcher)
    assert "电费不会变化" in said and "一年约省" not in said


@pytest.mark.parametrize("text", ["我家能省多少", "一户多人口我家能不能办", "我家符合条件吗"])
async def test_own_case_without_numbers_starts_the_check_form(dispatcher, text):
    events = await ask(dispatcher, text)
    assert slot_events(events) == {NEXT: "check", SIZE: None, KWH: None}


async def test_button_with_aspect_starts_the_check_form(dispatcher):
    events = await ask(dispatcher, '/multi_resident_policy{"aspect": "saving"}', entities=[entity("aspect", "saving")])
    assert slot_events(events)[NEXT] == "check"


async def test_question_during_a_form_is_answered_and_the_form_resumes(dispatcher):
    events = await ask(dispatcher, "要带什么材料", active_loop="multi_resident_form")
    said = texts(dispatcher)
    assert slot_events(events) == {NEXT: "done"}
    assert kb("multi_resident.application.documents")[0] in said


def _edited_knowledge(tmp_path: Path, uplift_applies_to: str):
    root = tmp_path / "kb"
    root.mkdir()
    for name in ("regions.yml", "vocabulary.yml"):
        shutil.copy(DEFAULT_ROOT / name, root / name)
    shutil.copytree(DEFAULT_ROOT / "regions", root / "regions")
    path = root / "regions" / "shenzhen" / "multi_resident.yml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["benefit"]["uplift_applies_to"]["value"] = uplift_applies_to
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_knowledge(root)


async def test_tier1_only_switch_changes_the_answer_without_code(dispatcher, tmp_path, monkeypatch):
    monkeypatch.setattr("knowledge.loader._cache", _edited_knowledge(tmp_path, "tier1_only"))
    await ask(dispatcher, "6口人每月用650度能省多少")
    said = texts(dispatcher)
    assert "每个月第一档电量上限提高100度" in said
    # Summer 650 kWh: 474.00 standard; tier 1 only 360×0.68+240×0.73+50×0.98 = 469.00.
    assert "每月 474.00 元 → 469.00 元，省 5.00 元" in said


# ---- the verified customer's own account --------------------------------------------------

async def test_verified_household_gets_its_own_saving_from_its_bills(dispatcher, backend):
    await ask(dispatcher, "我家能省多少", slots=verified(SIX_PEOPLE))
    said = texts(dispatcher)
    bills = (await backend_client.get(f"/api/v1/accounts/{SIX_PEOPLE}/bills", months=12)).data["bills"]
    estimate = multi_resident_saving({int(b["period"][5:7]): b["kwh"] for b in bills})
    assert "户号登记的家庭人口为6人" in said
    assert f"按您家最近{len(bills)}个月的实际用电计算，一年约省 {estimate.yearly_saving} 元" in said
    assert SIX_PEOPLE not in said
    assert "在线申请" in titles(dispatcher)


@pytest.mark.parametrize("account_no, expected", [
    (ALREADY, "已经在享受一户多人口政策"),
    (SHARED, "合表用户"),
    (BUSINESS, "不是居民电价"),
    (TWO_PEOPLE, "您家2人，暂不符合"),
])
async def test_verified_accounts_that_cannot_benefit(dispatcher, backend, account_no, expected):
    events = await ask(dispatcher, "我家能不能申请一户多人口", slots=verified(account_no))
    assert expected in texts(dispatcher)
    assert "在线申请" not in titles(dispatcher)
    assert slot_events(events) == {NEXT: "done"}


async def test_back_end_trouble_is_a_polite_apology(dispatcher, backend_trouble):
    events = await ask(dispatcher, "我家能省多少", slots=verified(SIX_PEOPLE))
    said = texts(dispatcher)
    assert "系统暂时繁忙" in said and kb("service.hotlines.power_service")["number"] in said
    assert "stack trace" not in said and "内部错误" not in said
    assert slot_events(events) == {NEXT: "done"}


# ---- the eligibility check form -----------------------------------------------------------

async def validate(dispatcher, domain, text: str, requested: str, slots=None, intent="inform"):
    tracker = make_tracker(text, intent=intent, entities=nlu_entities(text),
                           slots={"requested_slot": requested, **(slots or {})},
                           active_loop="multi_resident_check_form")
    return slot_events(await ValidateMultiResidentCheckForm().run(dispatcher, tracker, domain))


async def test_check_form_reads_sizes_and_usage(dispatcher, domain):
    assert (await validate(dispatcher, domain, "六口人", SIZE))[SIZE] == 6.0
    assert (await validate(dispatcher, domain, "6", SIZE))[SIZE] == 6.0
    events = await validate(dispatcher, domain, "大概四百五十度", KWH, slots={SIZE: 6.0})
    assert events[KWH] == 450.0


async def test_check_form_stops_after_a_small_household(dispatcher, domain):
    events = await validate(dispatcher, domain, "3口人", SIZE)
    # The usage question is not asked: a household of 3 does not qualify anyway.
    assert events[SIZE] == 3.0 and events["requested_slot"] is None


async def test_check_form_explains_unusable_answers(dispatcher, domain):
    events = await validate(dispatcher, domain, "很多人", SIZE)
    assert events[SIZE] is None and "6口人" in texts(dispatcher)
    dispatcher.messages.clear()
    events = await validate(dispatcher, domain, "200000度", KWH, slots={SIZE: 6.0})
    assert events[KWH] is None and "每月用多少度电" in texts(dispatcher)


async def test_check_form_cancel_keeps_nothing(dispatcher, domain):
    events = await validate(dispatcher, domain, "算了不查了", SIZE, intent="deny")
    assert events == {"form_failures": 0.0, "requested_slot": None}


async def test_check_result_eligible(dispatcher):
    tracker = make_tracker("450度", intent="inform", slots={SIZE: 6.0, KWH: 450.0})
    events = slot_events(await ActionMultiResidentCheck().run(dispatcher, tracker, {}))
    said = texts(dispatcher)
    assert "一年约省 135.00 元" in said and "需要什么材料" in titles(dispatcher)
    # The size is kept for an application right after; the usage is forgotten.
    assert events == {NEXT: "done", KWH: None}


async def test_check_result_not_eligible_forgets_the_size(dispatcher):
    tracker = make_tracker("4口人", intent="inform", slots={SIZE: 4.0})
    events = slot_events(await ActionMultiResidentCheck().run(dispatcher, tracker, {}))
    assert "您家4人，暂不符合" in texts(dispatcher)
    assert events == {NEXT: "done", KWH: None, SIZE: None}
