"""Small rule helpers built on the facts: hazards and safety instructions.

The connection category is decided in one place, actions/connection.decide_category
(tests/actions/test_connection.py)."""
from __future__ import annotations

from knowledge.hazards import match_hazards, safety_instructions


def test_hazards_most_urgent_first():
    kinds = [m.kind for m in match_hazards("楼下电表着火了，还在冒烟")]
    assert kinds == ["fire", "meter_burning", "smoke"]
    assert [m.kind for m in match_hazards("门口的电线掉下来了")] == ["fallen_line"]
    assert [m.kind for m in match_hazards("有人触电了，电线杆倒了")] == ["electric_shock", "pole_down"]
    assert match_hazards("我想查一下电费") == [] and match_hazards("") == []


def test_safety_instructions_cover_distance_and_emergency_numbers():
    text = "".join(safety_instructions())
    assert "8至10米" in text and "120" in text and "119" in text and "95598" in text
