"""Place names (districts, streets, other cities) found with a spaCy EntityRuler.

A blank Chinese pipeline segments by character, so phrase patterns match at any position
without depending on how jieba split the sentence. Patterns come from knowledge/geography.yml
and the region index; values are canonical names (南山 -> 南山区).
"""
from __future__ import annotations

from typing import List, Tuple

import spacy

from knowledge import load_knowledge


class Gazetteer:
    def __init__(self, places: List[Tuple[str, str, str]]) -> None:
        """places: (entity, surface text, canonical value)."""
        self._nlp = spacy.blank("zh")
        ruler = self._nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "TEXT"})
        ruler.add_patterns(
            [{"label": entity, "pattern": surface, "id": f"{entity}|{value}"} for entity, surface, value in places]
        )

    @classmethod
    def from_knowledge(cls) -> "Gazetteer":
        kb = load_knowledge()
        places: List[Tuple[str, str, str]] = []
        for district in kb.region().value("geography.districts"):
            for surface in [district["name"], *district.get("aliases", [])]:
                places.append(("district", surface, district["name"]))
            for street in district.get("streets", []):
                places.append(("street", street, street))
                if street.endswith("街道") and len(street) > 3:
                    places.append(("street", street[: -len("街道")], street))
        for city in kb.other_cities:
            places.append(("city", city, city))
        return cls(places)

    def find(self, text: str) -> List[Tuple[str, int, int, str]]:
        doc = self._nlp(text)
        return [(ent.label_, ent.start_char, ent.end_char, ent.ent_id_.split("|", 1)[1]) for ent in doc.ents]
