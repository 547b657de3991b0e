"""Scoring of the held-out NLU set (tests/nlu_eval): intents, out-of-scope detection, entities.

Pure functions over (expected, predicted) pairs, so the scoring is unit-tested apart from any model.
`nlu_fallback` counts as out of scope (the issue's contract); entity values are compared after
normalisation (numbers as numbers, text as text), as a multiset of (entity, value) per message.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Sequence, Tuple

OUT_OF_SCOPE = "out_of_scope"
REJECTING_INTENTS = {OUT_OF_SCOPE, "nlu_fallback"}
# The entities the quality targets name; others (aspect, street, customer_type...) are not scored.
SCORED_ENTITIES = ("district", "account_no", "phone", "capacity_kw", "kwh", "date")


def canonical_intent(name: str) -> str:
    """chitchat/ask_who -> chitchat; nlu_fallback -> out_of_scope."""
    name = (name or "").split("/", 1)[0]
    return OUT_OF_SCOPE if name in REJECTING_INTENTS else name


NUMERIC_ENTITIES = ("capacity_kw", "kwh")


def canonical_value(name: str, value: Any) -> str:
    """Quantities compare as numbers (80 == 80.0 == "80"); identifiers, places and dates as text."""
    if name in NUMERIC_ENTITIES:
        try:
            return f"{float(value):g}"
        except (TypeError, ValueError):
            pass
    return str(value).strip()


def entity_set(entities: Mapping[str, Any] | Iterable[Tuple[str, Any]]) -> Counter:
    pairs = entities.items() if isinstance(entities, Mapping) else entities
    return Counter((name, canonical_value(name, value)) for name, value in pairs if name in SCORED_ENTITIES)


@dataclass
class Scores:
    precision: float
    recall: float
    f1: float
    support: int


def _prf(tp: int, fp: int, fn: int) -> Scores:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, tp + fn)


@dataclass
class IntentReport:
    accuracy: float
    macro_f1: float
    per_intent: Dict[str, Scores]
    oos_recall: float
    false_rejection: float
    labels: List[str] = field(default_factory=list)
    confusion: List[List[int]] = field(default_factory=list)


def score_intents(expected: Sequence[str], predicted: Sequence[str]) -> IntentReport:
    expected = [canonical_intent(e) for e in expected]
    predicted = [canonical_intent(p) for p in predicted]
    labels = sorted(set(expected))
    per_intent = {}
    for label in labels:
        tp = sum(e == p == label for e, p in zip(expected, predicted))
        fp = sum(p == label and e != label for e, p in zip(expected, predicted))
        fn = sum(e == label and p != label for e, p in zip(expected, predicted))
        per_intent[label] = _prf(tp, fp, fn)
    oos = [p for e, p in zip(expected, predicted) if e == OUT_OF_SCOPE]
    in_scope = [p for e, p in zip(expected, predicted) if e != OUT_OF_SCOPE]
    columns = labels + sorted(set(predicted) - set(labels))
    confusion = [[sum(e == row and p == col for e, p in zip(expected, predicted)) for col in columns] for row in labels]
    return IntentReport(
        accuracy=sum(e == p for e, p in zip(expected, predicted)) / len(expected) if expected else 0.0,
        macro_f1=sum(s.f1 for s in per_intent.values()) / len(per_intent) if per_intent else 0.0,
        per_intent=per_intent,
        oos_recall=sum(p == OUT_OF_SCOPE for p in oos) / len(oos) if oos else 0.0,
        false_rejection=sum(p == OUT_OF_SCOPE for p in in_scope) / len(in_scope) if in_scope else 0.0,
        labels=columns,
        confusion=confusion,
    )


def score_entities(expected: Sequence[Counter], predicted: Sequence[Counter]) -> Dict[str, Scores]:
    """Per scored entity and "all" (micro-averaged)."""
    totals = {name: [0, 0, 0] for name in (*SCORED_ENTITIES, "all")}
    for want, got in zip(expected, predicted):
        for name in SCORED_ENTITIES:
            w = Counter({k: v for k, v in want.items() if k[0] == name})
            g = Counter({k: v for k, v in got.items() if k[0] == name})
            tp = sum((w & g).values())
            for key in (name, "all"):
                totals[key][0] += tp
                totals[key][1] += sum(g.values()) - tp
                totals[key][2] += sum(w.values()) - tp
    return {name: _prf(*counts) for name, counts in totals.items()}
