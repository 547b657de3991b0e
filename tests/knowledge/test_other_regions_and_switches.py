"""The facts behind "another city" answers and the charging-pile consent switch: present in the
real files with a source, and typed by the schema so a typo fails at load time."""
from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import KnowledgeError, load_knowledge

TARIFF = "regions/shenzhen/tariff.yml"
PILE = "regions/shenzhen/charging_pile.yml"


def load_error(root: Path) -> str:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(root)
    return str(caught.value)


def test_every_grid_of_the_other_places_has_where_to_check():
    kb = load_knowledge()
    region = kb.region()
    for grid in {place.grid for place in kb.other_cities}:
        fact = region.fact(f"tariff.other_regions.where_to_check.{grid}")
        assert fact.value and fact.source.strip()
    rule = region.fact("tariff.other_regions.general_rule")
    assert "三档" in rule.value and "2617号" in rule.source
    coverage = region.fact("tariff.other_regions.tier_coverage")
    assert coverage.value == {"tier1_percent": 80, "tier2_percent": 95}
    assert coverage.verified is False and coverage.note  # not in the gathered sources: flagged


def test_consent_switch_is_an_explicit_fact_with_a_source():
    fact = load_knowledge().region().fact("charging_pile.application.consent_may_follow")
    assert isinstance(fact.value, bool) and fact.source.strip() and fact.note


def test_unknown_grid_key_is_rejected(kb_root, edit_yaml):
    def rename(doc):
        where = doc["other_regions"]["where_to_check"]
        where["southern"] = where.pop("other")

    edit_yaml(TARIFF, rename)
    assert "other_regions.where_to_check" in load_error(kb_root)


def test_general_rule_is_required(kb_root, edit_yaml):
    edit_yaml(TARIFF, lambda d: d["other_regions"].pop("general_rule"))
    assert "general_rule" in load_error(kb_root)


def test_consent_switch_must_be_a_boolean(kb_root, edit_yaml):
    edit_yaml(PILE, lambda d: d["application"]["consent_may_follow"].update(value="yes"))
    message = load_error(kb_root)
    assert "charging_pile.yml" in message and "application.consent_may_follow" in message


def test_consent_switch_is_required(kb_root, edit_yaml):
    edit_yaml(PILE, lambda d: d.pop("application"))
    assert "application" in load_error(kb_root)
