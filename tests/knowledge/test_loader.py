"""The real knowledge files load, validate and answer the lookups other parts rely on."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from knowledge import Fact, KnowledgeError, UnknownFact, load_knowledge
from knowledge import validate as validate_cli

EXPECTED_ORDER_TYPES = {
    "connection", "charging_pile", "multi_resident", "repair", "handoff",
    "complaint", "account_transfer", "meter_test", "refund",
}


@pytest.fixture(scope="module")
def region():
    return load_knowledge().region()


def test_default_region_is_shenzhen():
    kb = load_knowledge()
    assert kb.default_region == "shenzhen"
    assert set(kb.regions) == {"shenzhen"}
    region = kb.region()
    assert (region.key, region.name) == ("shenzhen", "深圳")
    assert kb.region("深圳") is region and kb.region("深圳市") is region and kb.region("shenzhen") is region


def test_load_is_cached_for_default_root():
    assert load_knowledge() is load_knowledge()


def test_unknown_region_raises_knowledge_error():
    with pytest.raises(KnowledgeError, match="unknown region 'beijing'"):
        load_knowledge().region("beijing")


def test_every_fact_has_source_and_date(region):
    facts = region.facts()
    assert len(facts) > 100
    for path, fact in facts.items():
        assert isinstance(fact, Fact) and fact.path == path
        assert fact.source.strip(), path
        assert isinstance(fact.effective_date, date), path
        # A fact nobody could confirm must say why in its note.
        if not fact.verified:
            assert fact.note, f"{path} is unverified but has no note"


def test_fact_lookup(region):
    fact = region.fact("tariff.prices.including_funds.tier1")
    assert fact.value == 0.68
    assert fact.verified is False and "95598" in fact.note
    assert region.value("connection.low_voltage_threshold_kva") == 200
    assert region.value("tariff.tiers.summer") == [260, 600]


def test_group_lookup_and_prefix(region):
    assert region.value("tariff.prices.including_funds") == {"tier1": 0.68, "tier2": 0.73, "tier3": 0.98}
    prices = region.facts("tariff.prices.excluding_funds")
    assert list(prices) == [f"tariff.prices.excluding_funds.tier{n}" for n in (1, 2, 3)]
    with pytest.raises(UnknownFact, match="group of facts"):
        region.fact("tariff.prices")
    with pytest.raises(UnknownFact):
        region.value("tariff.prices.nonexistent")
    with pytest.raises(KeyError):  # UnknownFact is also a KeyError
        region.fact("nonexistent.topic")


def test_values_are_copies(region):
    region.value("tariff.tiers.summer").append(999)
    region.fact("geography.districts").value.clear()
    assert region.value("tariff.tiers.summer") == [260, 600]
    assert len(region.value("geography.districts")) == 11


def test_folded_chinese_text_has_no_wrapping_spaces(region):
    note = region.fact("tariff.prices.including_funds.tier1").note
    assert "。 " not in note


def test_tier_prices_follow_the_surcharges(region):
    surcharge = {n: Decimal(str(region.value(f"tariff.prices.tier_surcharge.tier{n}"))) for n in (2, 3)}
    for basis in ("including_funds", "excluding_funds"):
        prices = {n: Decimal(str(v)) for n, v in
                  ((int(k[-1]), v) for k, v in region.value(f"tariff.prices.{basis}").items())}
        assert prices[2] - prices[1] == surcharge[2]
        assert prices[3] - prices[1] == surcharge[3]


def test_multi_resident_switches(region):
    assert region.value("multi_resident.benefit.uplift_applies_to") in ("all_tiers", "tier1_only")
    assert region.value("multi_resident.benefit.uplift_kwh_per_month") == 100
    assert region.value("multi_resident.eligibility.min_members") == 5
    assert region.value("multi_resident.policy.shenzhen_start_date") == "2021-06-01"
    assert isinstance(region.value("multi_resident.large_household_shared_meter_option.enabled"), bool)
    assert "2" in region.fact("multi_resident.validity.years").note  # other provinces' 2 years


def test_geography_shape(region):
    districts = region.value("geography.districts")
    names = {d["name"] for d in districts}
    assert {"福田区", "南山区", "宝安区", "龙岗区", "大鹏新区", "深汕特别合作区"} <= names
    for district in districts:
        assert set(district) == {"name", "aliases", "area_type", "streets"}
        assert district["area_type"] in ("urban", "rural", "remote")
        assert len(district["streets"]) >= 3, district["name"]
    by_name = {d["name"]: d for d in districts}
    assert "南山" in by_name["南山区"]["aliases"]
    assert "粤海街道" in by_name["南山区"]["streets"]


def test_work_orders_shape(region):
    orders = region.value("work_orders")
    assert set(orders) == EXPECTED_ORDER_TYPES
    for name, spec in orders.items():
        assert isinstance(spec["responsible_unit"], str) and spec["responsible_unit"]
        step_lists = [v["steps"] for v in spec["variants"].values()] if "variants" in spec else [spec["steps"]]
        if "variants" in spec:
            assert set(spec) == {"responsible_unit", "variant_field", "variants"}
        else:
            assert set(spec) == {"responsible_unit", "steps"}
        for steps in step_lists:
            for step in steps:
                limits = set(step) - {"name"}
                assert len(limits) == 1 and limits <= {"time_limit_working_days", "time_limit_hours"}, name
    assert orders["connection"]["variant_field"] == "category"
    assert region.value("work_orders.connection")["variants"].keys() == region.value("connection.categories").keys()


def test_connection_work_order_matches_commitments(region):
    plan = region.value("connection.commitments.supply_plan_reply_working_days")
    install = region.value("connection.commitments.installation_working_days")
    variants = region.value("work_orders.connection")["variants"]
    for category, variant in variants.items():
        days = [step["time_limit_working_days"] for step in variant["steps"]]
        assert days[-2:] == [plan[category], install[category]], category


def test_repair_work_order_matches_commitments(region):
    arrival = region.value("outage.repair.arrival_minutes")
    restore = region.value("outage.repair.restoration_hours_after_arrival")
    repair = region.value("work_orders.repair")
    assert repair["variant_field"] == "area_type"
    for area_type, variant in repair["variants"].items():
        hours = [step["time_limit_hours"] for step in variant["steps"]]
        assert hours == [arrival[area_type] / 60, restore[area_type]], area_type


def test_connection_facts(region):
    assert region.value("connection.commitments.supply_plan_reply_working_days") == {
        "residential": 2, "low_voltage_business": 5, "high_voltage_single": 15, "high_voltage_dual": 30}
    assert region.value("connection.commitments.installation_working_days")["low_voltage_business"] == 3
    assert region.value("connection.process.low_voltage.steps") == ["用电申请", "现场勘查并装表接电"]
    assert len(region.value("connection.process.high_voltage.steps")) == 3
    assert region.value("connection.plan_validity") == {"low_voltage_months": 3, "high_voltage_months": 12,
                                                       "extension": region.value("connection.plan_validity.extension")}
    assert region.value("connection.reforms.three_zero")["items"] == ["零上门", "零审批", "零投资"]


def test_outage_and_service_facts(region):
    assert region.value("outage.planned.notice_days_ahead") == 7
    assert region.value("outage.arrears_disconnection.restore_within_hours") == 12
    assert region.value("outage.appliance_damage.report_within_days") == 7
    kinds = {entry["kind"] for entry in region.value("outage.hazards.kinds")}
    assert {"fallen_line", "pole_down", "fire", "electric_shock", "meter_burning"} <= kinds
    assert region.value("service.hotlines.power_service")["number"] == "95598"
    assert region.value("service.hotlines.energy_regulator")["number"] == "12398"
    assert region.value("service.online.app") == "南网在线 App"


def test_unverified_assumptions_are_marked(region):
    for path in ("charging_pile.eligibility.max_cable_length_m", "charging_pile.power.accepted_range_kw",
                 "service.service_hall.hours", "geography.area_type_basis",
                 "multi_resident.validity.years"):
        assert region.fact(path).verified is False, path


def test_other_cities():
    kb = load_knowledge()
    names = {place.name for place in kb.other_cities}
    assert {"广州", "东莞", "上海", "杭州", "北京"} <= names
    assert "深圳" not in names
    assert kb.find_other_city("广州市的阶梯电价是多少").name == "广州"
    assert kb.find_other_city("上海那边的一户多人口政策").grid == "state_grid"
    assert kb.find_other_city("南山区停电了") is None


def test_validate_cli_prints_summary(capsys):
    assert validate_cli.main([]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("knowledge OK:") and "shenzhen" in out and "\n" not in out
