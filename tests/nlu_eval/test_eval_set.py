"""The held-out NLU set is well-formed, large enough, covers every topic intent and stays apart
from the training data (a test set that leaks into training measures nothing)."""
from __future__ import annotations

import difflib
import re
from collections import Counter
from datetime import date

import pytest

from benchmarks.nlu_eval import load_eval_set, load_training_texts
from benchmarks.nlu_metrics import SCORED_ENTITIES
from knowledge import load_knowledge

TOPIC_INTENTS = {
    "connection_enquiry", "application_progress", "outage_lookup", "fault_repair", "tiered_tariff",
    "multi_resident_policy", "charging_pile", "bill_query", "payment", "account_transfer", "complaint",
    "human_agent", "greet", "goodbye", "thanks", "affirm", "deny", "out_of_scope",
}


@pytest.fixture(scope="module")
def examples():
    return load_eval_set()


def test_size_and_coverage(examples):
    counts = Counter(e.intent for e in examples)
    assert sum(n for i, n in counts.items() if i != "out_of_scope") >= 500
    assert counts["out_of_scope"] >= 100
    assert TOPIC_INTENTS <= set(counts)


def test_intents_and_entities_are_known(examples):
    import yaml
    from pathlib import Path

    domain_intents = set()
    for path in Path("bot/domain").glob("*.yml"):
        domain_intents |= {i if isinstance(i, str) else next(iter(i)) for i in yaml.safe_load(path.read_text()).get("intents", [])}
    districts = {d["name"] for d in load_knowledge().region().value("geography.districts")}
    for e in examples:
        assert e.intent in domain_intents, e
        assert set(e.entities) <= set(SCORED_ENTITIES), e
        if "district" in e.entities:
            assert e.entities["district"] in districts, e
        if "date" in e.entities:
            date.fromisoformat(str(e.entities["date"]))
        for key, pattern in (("account_no", r"03\d{8}"), ("phone", r"1[3-9]\d{9}")):
            if key in e.entities:
                assert re.fullmatch(pattern, str(e.entities[key])) and str(e.entities[key]) in e.text, e


def test_texts_are_unique(examples):
    duplicated = [t for t, n in Counter(e.text for e in examples).items() if n > 1]
    assert not duplicated


def test_no_example_leaks_from_training_data(examples):
    training = [t for t, _ in load_training_texts()]
    leaks = []
    for e in examples:
        for text in training:
            if abs(len(text) - len(e.text)) > 8:
                continue
            matcher = difflib.SequenceMatcher(None, text, e.text)
            if matcher.real_quick_ratio() >= 0.85 and matcher.quick_ratio() >= 0.85 and matcher.ratio() >= 0.85:
                leaks.append((e.text, text))
                break
    assert not leaks, f"held-out messages (nearly) equal to training examples: {leaks[:10]}"
