"""account_services.yml: one fact per figure (the reconnection time limit lives only in outage.yml),
the late-payment rates for residential and other users, and the project's own usage heuristic."""
from __future__ import annotations

import re
import string

import pytest

from knowledge import KnowledgeError, load_knowledge

ACCOUNT = "regions/shenzhen/account_services.yml"


def region():
    return load_knowledge().region()


def test_reconnection_steps_name_the_time_limit_only_by_placeholder():
    steps = region().value("account_services.reconnection.steps")
    hours = region().value("outage.arrears_disconnection.restore_within_hours")
    fields = {name for step in steps for _, name, _, _ in string.Formatter().parse(step) if name}
    assert fields == {"restore_within_hours"}
    assert not any(re.search(r"\d+\s*小时", step) for step in steps)
    rendered = [step.format(restore_within_hours=hours) for step in steps]
    assert any(f"{hours}小时" in step for step in rendered)


def test_a_figure_written_into_the_reconnection_steps_is_rejected(kb_root, edit_yaml):
    edit_yaml(ACCOUNT, lambda d: d["reconnection"]["steps"]["value"].append("超过12小时仍未复电请致电"))
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(kb_root)
    assert "account_services.yml" in str(caught.value) and "reconnection.steps" in str(caught.value)


def test_late_payment_rates_for_residential_and_other_users():
    r = region()
    residential = r.value("account_services.late_payment_charge.residential_daily_rate")
    current = r.value("account_services.late_payment_charge.non_residential_daily_rate.current_year")
    across = r.value("account_services.late_payment_charge.non_residential_daily_rate.across_years")
    assert residential < current < across  # art. 98: 1‰ residential; 2‰ this year, 3‰ across years
    for path in ("current_year", "across_years"):
        found = r.fact(f"account_services.late_payment_charge.non_residential_daily_rate.{path}")
        assert "第九十八条" in found.source and found.note


def test_usage_heuristic_is_marked_as_the_projects_own(kb_root, edit_yaml):
    found = region().fact("account_services.bills.usage_heuristic")
    assert not found.verified and "启发式" in found.source and "不是供电局" in found.source
    edit_yaml(ACCOUNT, lambda d: d["bills"]["usage_heuristic"]["value"].update(vs_recent_average=0.8))
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(kb_root)
    assert "bills.usage_heuristic" in str(caught.value)


def test_transfer_facts_for_both_parties_and_businesses():
    r = region()
    assert r.value("account_services.account_transfer.old_owner.presence")
    assert r.value("account_services.account_transfer.old_owner.prepaid_balance")
    for kind in ("transfer", "rename", "close"):
        documents = "；".join(r.value(f"account_services.account_transfer.business_documents.{kind}"))
        assert "公章" in documents and "授权委托书" in documents
        assert r.fact(f"account_services.account_transfer.business_documents.{kind}").source
