"""Rule-based entity extractor: identifiers by regex, places by a spaCy EntityRuler, cue words.

Digit strings (户号, phones, order numbers) are safer with regex than learned entities, and
quantities/dates need exact values, so no entity is learned by DIET. Runs after the normaliser,
so offsets refer to the normalised text.
"""
from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Text, Tuple

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.gazetteer import Gazetteer
from knowledge.hazards import match_hazards
from bot.text import parse_capacity, parse_kwh
from bot.text.dates import parse_date_range

KEYWORDS_FILE = Path(__file__).with_name("keywords.yml")

ACCOUNT_NO = re.compile(r"(?<!\d)03\d{8}(?!\d)")
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ORDER_NO = re.compile(r"(?<![A-Za-z])[A-Za-z]{2}\d{14}(?!\d)")
MONTH = re.compile(r"(?<!\d)(1[0-2]|[1-9])月(?:份)?(?!\d)")

Span = Tuple[str, int, int, Any]  # entity name, start, end, value


@lru_cache(maxsize=1)
def load_keywords() -> Dict[str, Dict[str, List[str]]]:
    with KEYWORDS_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _keyword_spans(text: str, entity: str, table: Dict[str, List[str]]) -> Iterable[Span]:
    seen = set()
    for value, words in table.items():
        for word in sorted(words, key=len, reverse=True):
            idx = text.lower().find(word.lower())
            if idx >= 0 and value not in seen:
                seen.add(value)
                yield entity, idx, idx + len(word), value
                break


def extract(text: str, today: Optional[date] = None, gazetteer: Optional[Gazetteer] = None) -> List[Span]:
    """All entities in normalised text. Pure function: the Rasa component and the tests call it."""
    spans: List[Span] = []
    for regex, name in ((ACCOUNT_NO, "account_no"), (PHONE, "phone")):
        spans += [(name, m.start(), m.end(), m.group(0)) for m in regex.finditer(text)]
    spans += [("order_no", m.start(), m.end(), m.group(0).upper()) for m in ORDER_NO.finditer(text)]
    capacity = parse_capacity(text)
    if capacity:
        spans.append(("capacity_kw", capacity.start, capacity.end, float(capacity.value)))
        spans.append(("capacity_unit", capacity.start, capacity.end, capacity.unit))
    kwh = parse_kwh(text)
    if kwh and not (capacity and capacity.start <= kwh.start < capacity.end):
        spans.append(("kwh", kwh.start, kwh.end, float(kwh.value)))
    when = parse_date_range(text, today or date.today())
    if when:
        spans.append(("date", when.start_index, when.end_index, when.start.isoformat()))
        if when.end != when.start:
            spans.append(("date_end", when.start_index, when.end_index, when.end.isoformat()))
    month = MONTH.search(text)
    if month and not (when and when.start_index <= month.start() < when.end_index):
        spans.append(("month", month.start(), month.end(), int(month.group(1))))
    keywords = load_keywords()
    spans += list(_keyword_spans(text, "aspect", keywords["aspect"]))
    spans += list(_keyword_spans(text, "customer_type", keywords["customer_type"]))
    spans += [("hazard", hazard.start, hazard.end, hazard.kind) for hazard in match_hazards(text)]
    if gazetteer is not None:
        spans += gazetteer.find(text)
    return spans


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class RuleEntityExtractor(GraphComponent, EntityExtractorMixin):
    def __init__(self, gazetteer: Gazetteer) -> None:
        self._gazetteer = gazetteer

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "RuleEntityExtractor":
        return cls(Gazetteer.from_knowledge())

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            found = [
                {"entity": name, "start": start, "end": end, "value": value, "confidence_entity": 1.0}
                for name, start, end, value in extract(text, gazetteer=self._gazetteer)
            ]
            found = self.add_extractor_name(found)
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
