"""Small rule helpers built on the facts: hazards and connection categories."""
from __future__ import annotations

import pytest

from knowledge.connection_rules import connection_category
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


@pytest.mark.parametrize(
    "customer_type, capacity, dual, expected",
    [
        ("residential", None, False, "residential"),
        ("business", None, False, "low_voltage_business"),
        (None, 80, False, "low_voltage_business"),
        (None, 200, False, "low_voltage_business"),
        (None, 201, False, "high_voltage_single"),
        ("business", 800, True, "high_voltage_dual"),
        ("high_voltage", None, False, "high_voltage_single"),
        (None, None, False, None),
    ],
)
def test_connection_category(customer_type, capacity, dual, expected):
    assert connection_category(customer_type, capacity, dual) == expected


@pytest.mark.parametrize("capacity", [-1, float("nan"), "lots", True])
def test_connection_category_rejects_bad_capacity(capacity):
    with pytest.raises(ValueError):
        connection_category("business", capacity)


def test_connection_category_rejects_unknown_type():
    with pytest.raises(ValueError):
        connection_category("factory", 10)
