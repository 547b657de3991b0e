"""Place names (districts, streets, other cities) found with a spaCy EntityRuler.

A blank Chinese pipeline segments by character, so phrase patterns match at any position
without depending on how jieba split the sentence. Patterns come from knowledge/geography.yml
and the region index; values are canonical names (南山 -> 南山区).
"""
from __future__ import annotations

from typing import Dict, List, Tuple

import spacy

from knowledge import load_knowledge


class Gazetteer:
    def __init__(self, places: List[Tuple[str, str, str]], street_district: Dict[str, str] = None) -> None:
        """places: (entity, surface text, canonical value); street_district: street -> its district."""
        self._street_district = street_district or {}
        self._nlp = spacy.blank("zh")
        ruler = self._nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "TEXT"})
        ruler.add_patterns(
            [{"label": entity, "pattern": surface, "id": f"{entity}|{value}"} for entity, surface, value in places]
        )

    @classmethod
    def from_knowledge(cls) -> "Gazetteer":
        kb = load_knowledge()
        places: List[Tuple[str, str, str]] = []
        street_district: Dict[str, str] = {}
        districts = kb.region().value("geography.districts")
        district_words = {w for d in districts for w in [d["name"], *d.get("aliases", [])]}
        for district in districts:
            for surface in [district["name"], *district.get("aliases", [])]:
                places.append(("district", surface, district["name"]))
            for street in district.get("streets", []):
                street_district[street] = district["name"]
                places.append(("street", street, street))
                short = street[: -len("街道")] if street.endswith("街道") else ""
                # 福田 is both a district and a street: the bare word means the district.
                if len(short) >= 2 and short not in district_words:
                    places.append(("street", short, street))
        for place in kb.other_cities:
            for surface in [place.name, *place.aliases]:
                places.append(("city", surface, place.name))
        return cls(places, street_district)

    def find(self, text: str) -> List[Tuple[str, int, int, str]]:
        found = [
            (ent.label_, ent.start_char, ent.end_char, ent.ent_id_.split("|", 1)[1]) for ent in self._nlp(text).ents
        ]
        # A street names its district even when the customer did not ("华强北" -> 福田区).
        if not any(name == "district" for name, *_ in found):
            for name, start, end, value in list(found):
                if name == "street" and value in self._street_district:
                    found.append(("district", start, end, self._street_district[value]))
                    break
        return found
