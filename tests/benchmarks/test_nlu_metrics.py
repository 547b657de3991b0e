from collections import Counter

import pytest

from benchmarks.nlu_metrics import canonical_intent, entity_set, score_entities, score_intents


def test_fallback_and_retrieval_intents_fold():
    assert canonical_intent("nlu_fallback") == "out_of_scope"
    assert canonical_intent("chitchat/ask_who") == "chitchat"


def test_intent_scores_by_hand():
    expected = ["a", "a", "b", "out_of_scope", "out_of_scope"]
    predicted = ["a", "b", "b", "nlu_fallback", "a"]
    report = score_intents(expected, predicted)
    assert report.accuracy == pytest.approx(3 / 5)
    # a: tp 1, fp 1, fn 1 -> P=R=F1=0.5; b: tp 1, fp 1, fn 0 -> F1 2/3; oos: tp 1, fp 0, fn 1 -> F1 2/3
    assert report.per_intent["a"].f1 == pytest.approx(0.5)
    assert report.per_intent["b"].f1 == pytest.approx(2 / 3)
    assert report.macro_f1 == pytest.approx((0.5 + 2 / 3 + 2 / 3) / 3)
    assert report.oos_recall == pytest.approx(0.5)
    assert report.false_rejection == 0.0
    assert sum(map(sum, report.confusion)) == 5


def test_entities_compare_numbers_as_numbers_and_ids_as_text():
    want = [entity_set({"capacity_kw": 80, "phone": "13800138000"}), entity_set({"account_no": "0312345678"})]
    got = [entity_set([("capacity_kw", 80.0), ("phone", "13800138000"), ("aspect", "cost")]),
           entity_set([("account_no", "312345678")])]
    scores = score_entities(want, got)
    assert scores["capacity_kw"].f1 == 1.0 and scores["phone"].f1 == 1.0
    assert scores["account_no"].f1 == 0.0
    assert scores["all"].precision == pytest.approx(2 / 3) and scores["all"].recall == pytest.approx(2 / 3)
    assert "aspect" not in {name for name, _ in got[0]}
