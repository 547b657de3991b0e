"""Broken knowledge files raise KnowledgeError naming the file and the field at fault."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge import KnowledgeError, load_knowledge
from knowledge import validate as validate_cli

TARIFF = "regions/shenzhen/tariff.yml"
TARIFF_LABEL = "kb/regions/shenzhen/tariff.yml"


def load_error(root: Path) -> str:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(root)
    return str(caught.value)


def test_copy_of_real_files_loads(kb_root):
    kb = load_knowledge(kb_root)
    assert kb is not load_knowledge()  # an explicit root is never the cached default
    assert kb.region().value("tariff.tiers.summer") == [260, 600]


def test_yaml_syntax_error(kb_root):
    path = kb_root / TARIFF
    path.write_text(path.read_text(encoding="utf-8") + "\nbroken: [unclosed\n", encoding="utf-8")
    message = load_error(kb_root)
    assert TARIFF_LABEL in message
    assert re.search(r"line \d+, column \d+: YAML syntax error", message)


def test_duplicate_key(kb_root):
    path = kb_root / TARIFF
    path.write_text(path.read_text(encoding="utf-8") + "\nseasons: {}\n", encoding="utf-8")
    message = load_error(kb_root)
    assert TARIFF_LABEL in message and "duplicate key 'seasons'" in message


def test_missing_source(kb_root, edit_yaml):
    edit_yaml(TARIFF, lambda d: d["prices"]["including_funds"]["tier1"].pop("source"))
    message = load_error(kb_root)
    assert f"{TARIFF_LABEL}: prices.including_funds.tier1: fact is missing required key 'source'" in message


def test_empty_source(kb_root, edit_yaml):
    edit_yaml(TARIFF, lambda d: d["prices"]["including_funds"]["tier1"].update(source="  "))
    assert f"{TARIFF_LABEL}: prices.including_funds.tier1.source: must be a non-empty string" in load_error(kb_root)


@pytest.mark.parametrize("bad_date", ["2021/06/01", "2021-6-1", "2021-02-30", "20210601", "soon"])
def test_bad_date(kb_root, edit_yaml, bad_date):
    edit_yaml(TARIFF, lambda d: d["tiers"]["summer"].update(effective_date=bad_date))
    message = load_error(kb_root)
    assert f"{TARIFF_LABEL}: tiers.summer.effective_date:" in message
    assert "ISO date" in message or "calendar date" in message


def test_negative_price(kb_root, edit_yaml):
    edit_yaml(TARIFF, lambda d: d["prices"]["excluding_funds"]["tier2"].update(value=-0.7042))
    message = load_error(kb_root)
    assert f"{TARIFF_LABEL}: prices.excluding_funds.tier2.value: -0.7042 is less than or equal to the minimum of 0" in message


def test_price_as_text(kb_root, edit_yaml):
    edit_yaml(TARIFF, lambda d: d["prices"]["including_funds"]["tier3"].update(value="0.98元"))
    assert f"{TARIFF_LABEL}: prices.including_funds.tier3.value: '0.98元' is not of type 'number'" in load_error(kb_root)


def test_tier_bounds_not_increasing(kb_root, edit_yaml):
    edit_yaml(TARIFF, lambda d: d["tiers"]["summer"].update(value=[260, 150]))
    message = load_error(kb_root)
    assert f"{TARIFF_LABEL}: tiers.summer.value[1]: 150 is not greater than the previous bound 260" in message


def test_month_out_of_range(kb_root, edit_yaml):
    edit_yaml(TARIFF, lambda d: d["seasons"]["summer_months"].update(value=[5, 6, 7, 8, 9, 13]))
    message = load_error(kb_root)
    assert f"{TARIFF_LABEL}: seasons.summer_months.value[5]: 13 is greater than the maximum of 12" in message


def test_months_not_partitioned(kb_root, edit_yaml):
    edit_yaml(TARIFF, lambda d: d["seasons"]["summer_months"].update(value=[5, 6, 7, 8, 9]))
    assert f"{TARIFF_LABEL}: seasons: months [10] belong to no season" in load_error(kb_root)


def test_missing_value(kb_root, edit_yaml):
    edit_yaml(TARIFF, lambda d: d["tiers"]["summer"].pop("value"))
    assert f"{TARIFF_LABEL}: tiers.summer: has effective_date" in load_error(kb_root)


def test_unknown_key_in_fact(kb_root, edit_yaml):
    edit_yaml(TARIFF, lambda d: d["tiers"]["summer"].update(sauce="x"))
    assert f"{TARIFF_LABEL}: tiers.summer: unknown key(s) ['sauce']" in load_error(kb_root)


def test_unverified_without_note(kb_root, edit_yaml):
    edit_yaml(TARIFF, lambda d: d["prices"]["including_funds"]["tier1"].pop("note"))
    assert f"{TARIFF_LABEL}: prices.including_funds.tier1: verified: false needs a 'note'" in load_error(kb_root)


def test_scalar_where_a_fact_belongs(kb_root, edit_yaml):
    edit_yaml(TARIFF, lambda d: d["prices"]["including_funds"].update(tier1=0.68))
    message = load_error(kb_root)
    assert f"{TARIFF_LABEL}: prices.including_funds.tier1: expected a fact" in message


def test_missing_required_fact(kb_root, edit_yaml):
    edit_yaml(TARIFF, lambda d: d["prices"]["including_funds"].pop("tier3"))
    assert f"{TARIFF_LABEL}: prices.including_funds: 'tier3' is a required property" in load_error(kb_root)


def test_multi_resident_switch_must_be_known(kb_root, edit_yaml):
    edit_yaml("regions/shenzhen/multi_resident.yml",
              lambda d: d["benefit"]["uplift_applies_to"].update(value="tier2_only"))
    message = load_error(kb_root)
    assert "kb/regions/shenzhen/multi_resident.yml: benefit.uplift_applies_to.value: 'tier2_only' is not one of" in message


def test_work_order_with_steps_and_variants(kb_root, edit_yaml):
    def both(document):
        document["repair"]["value"]["steps"] = [{"name": "x", "time_limit_hours": 1}]
    edit_yaml("regions/shenzhen/work_orders.yml", both)
    assert "kb/regions/shenzhen/work_orders.yml: repair.value:" in load_error(kb_root)


def test_work_order_step_needs_one_limit(kb_root, edit_yaml):
    edit_yaml("regions/shenzhen/work_orders.yml",
              lambda d: d["refund"]["value"]["steps"][0].pop("time_limit_working_days"))
    assert "kb/regions/shenzhen/work_orders.yml: refund.value.steps[0]:" in load_error(kb_root)


def test_connection_variants_must_match_categories(kb_root, edit_yaml):
    edit_yaml("regions/shenzhen/work_orders.yml",
              lambda d: d["connection"]["value"]["variants"].pop("high_voltage_dual"))
    assert "kb/regions/shenzhen/work_orders.yml: connection.value.variants: variants" in load_error(kb_root)


def test_geography_alias_used_twice(kb_root, edit_yaml):
    edit_yaml("regions/shenzhen/geography.yml",
              lambda d: d["districts"]["value"][1]["aliases"].append("南山"))
    message = load_error(kb_root)
    assert "kb/regions/shenzhen/geography.yml: districts.value[2].aliases: '南山' is already used by 罗湖区" in message


def test_geography_bad_area_type(kb_root, edit_yaml):
    edit_yaml("regions/shenzhen/geography.yml",
              lambda d: d["districts"]["value"][0].update(area_type="suburb"))
    assert "kb/regions/shenzhen/geography.yml: districts.value[0].area_type: 'suburb' is not one of" in load_error(kb_root)


def test_unknown_default_region(kb_root, edit_yaml):
    edit_yaml("regions.yml", lambda d: d.update(default_region="beijing"))
    assert "kb/regions.yml: default_region: unknown region 'beijing'" in load_error(kb_root)


def test_listed_region_without_directory(kb_root, edit_yaml):
    edit_yaml("regions.yml", lambda d: d["regions"].append({"key": "guangzhou_test", "name": "测试"}))
    assert "kb/regions/guangzhou_test: region directory is missing" in load_error(kb_root)


def test_missing_topic_file(kb_root):
    (kb_root / "regions/shenzhen/outage.yml").unlink()
    assert "kb/regions/shenzhen/outage.yml: file is missing" in load_error(kb_root)


def test_unknown_topic_file(kb_root):
    (kb_root / "regions/shenzhen/tarif.yml").write_text("a: 1\n", encoding="utf-8")
    assert "unknown topic file(s) ['tarif.yml']" in load_error(kb_root)


def test_other_place_cannot_be_our_region(kb_root, edit_yaml):
    edit_yaml("regions.yml", lambda d: d["other_places"].append(
        {"name": "深圳", "kind": "city", "province": "广东", "grid": "csg"}))
    assert "kb/regions.yml: other_places[" in load_error(kb_root)


def test_validate_cli_fails_with_message(kb_root, edit_yaml, capsys):
    edit_yaml(TARIFF, lambda d: d["tiers"]["non_summer"].update(value=[200, 200]))
    assert validate_cli.main(["--root", str(kb_root)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("knowledge INVALID:")
    assert f"{TARIFF_LABEL}: tiers.non_summer.value[1]" in err


def test_errors_outside_the_working_directory_use_absolute_paths(kb_root, edit_yaml, monkeypatch, tmp_path):
    edit_yaml(TARIFF, lambda d: d["tiers"]["summer"].update(value=[260, 100]))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert f"{(kb_root / TARIFF).as_posix()}: tiers.summer.value[1]" in load_error(kb_root)
