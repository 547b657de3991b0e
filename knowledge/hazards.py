"""Recognise electrical hazards in a customer's words, from ``outage.hazards.kinds``.

Safety first: every kind whose keyword occurs is reported (over-matching costs a sentence of
advice, missing a fire costs more), ordered as the YAML lists them, most urgent first.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Tuple, Union

from .loader import region_or_default
from .model import Region


@dataclass(frozen=True)
class HazardMatch:
    kind: str
    label: str
    keywords: Tuple[str, ...]  # the keywords found in the text


def match_hazards(text: str, region: Union[Region, str, None] = None) -> List[HazardMatch]:
    """Hazards mentioned in ``text`` (already normalised by bot/text), most urgent first."""
    if not text:
        return []
    kinds = region_or_default(region).value("outage.hazards.kinds")
    found = []
    for entry in kinds:
        hits = tuple(word for word in entry["keywords"] if word in text)
        if hits:
            found.append(HazardMatch(kind=entry["kind"], label=entry["label"], keywords=hits))
    return found


def safety_instructions(region: Union[Region, str, None] = None) -> List[str]:
    """The safety advice to give before anything else when a hazard is reported."""
    return region_or_default(region).value("outage.hazards.safety.instructions")
