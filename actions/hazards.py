"""Hazards (险情): what the actions say about them, the safety advice first.

Recognising them is knowledge.hazards.match_hazards, the detector the NLU's entity extractor
uses too, so the `hazard` entity and `detect_hazard` always agree (negations such as
"电箱没冒烟" and wordings such as "打火机" included). The kinds, labels and safety advice are
facts from knowledge/.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Dict, List, Optional, Tuple

from actions.replies import region
from knowledge.hazards import match_hazards


@lru_cache(maxsize=1)
def _kinds() -> Tuple[Dict[str, object], ...]:
    return tuple(region().value("outage.hazards.kinds"))


def detect_hazard(normalised_text: str) -> Optional[str]:
    """The most urgent hazard kind mentioned in the text (bot.text.normalize'd), or None."""
    found = match_hazards(normalised_text, region())
    return found[0].kind if found else None


def hazard_label(kind: Optional[str]) -> str:
    for entry in _kinds():
        if entry["kind"] == kind:
            return str(entry["label"])
    return "用电险情"


def power_hotline() -> str:
    """The 24-hour number险情 are reported to (95598), from the hazard facts."""
    return str(region().value("outage.hazards.safety.emergency_numbers")["power"])


# Which of the knowledge base's instructions matter most for a kind: those go first.
_RELEVANT_WORDS = {
    "electric_shock": ("触电", "受伤"),
    "fire": ("着火", "火灾"),
    "transformer_explosion": ("着火", "火灾", "断落"),
    "fallen_line": ("断落", "断线", "跨步"),
    "pole_down": ("倒伏", "断落", "跨步"),
    "meter_burning": ("着火", "火灾"),
    "smoke": ("着火", "火灾"),
    "sparking": ("着火", "断落"),
}


def safety_instructions(kind: Optional[str]) -> List[str]:
    """All the safety advice of the knowledge base, the items about this kind first."""
    items = list(region().value("outage.hazards.safety.instructions"))
    words = _RELEVANT_WORDS.get(kind or "", ())
    return sorted(items, key=lambda item: 0 if any(word in item for word in words) else 1)


def safety_text(kind: Optional[str]) -> str:
    lines = [f"【安全提示】{hazard_label(kind)}很危险，请先确保自己和身边人的安全："]
    lines += [f"{number}. {item}" for number, item in enumerate(safety_instructions(kind), start=1)]
    return "\n".join(lines)
