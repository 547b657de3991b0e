from decimal import Decimal

import pytest

from bot.text import normalize, parse_capacity, parse_kwh, parse_number


@pytest.mark.parametrize(
    "raw, value, unit",
    [
        ("我开火锅店大概要80千瓦", Decimal("80"), "kW"),
        ("厂房要800千伏安", Decimal("800"), "kVA"),
        ("50KW够不够", Decimal("50"), "kW"),
        ("50 kw", Decimal("50"), "kW"),
        ("100kVA", Decimal("100"), "kVA"),
        ("一百五十千瓦", Decimal("150"), "kW"),
        ("7000W的充电桩", Decimal("7"), "kW"),
        ("2兆瓦", Decimal("2000"), "kW"),
        ("一万千瓦", Decimal("10000"), "kW"),
    ],
)
def test_capacity(raw, value, unit):
    quantity = parse_capacity(normalize(raw))
    assert quantity is not None
    assert (quantity.value, quantity.unit) == (value, unit)


@pytest.mark.parametrize("raw", ["450kWh", "450度", "用了四百五十度电", "450千瓦时", "450 KWH"])
def test_kwh(raw):
    assert parse_kwh(normalize(raw)).value == Decimal("450")


def test_kwh_is_not_capacity():
    text = normalize("用了450度")
    assert parse_capacity(text) is None
    assert parse_kwh(normalize("要80千瓦")) is None


def test_approximate_kwh():
    assert parse_kwh(normalize("用了两百多度")).value == Decimal("200")


@pytest.mark.parametrize(
    "raw, expected",
    [("两百五", Decimal("250")), ("80", Decimal("80")), ("1.5万", Decimal("15000")), ("四百五", Decimal("450")),
     ("大概三百", Decimal("300")), ("没有", None), ("", None)],
)
def test_parse_number(raw, expected):
    assert parse_number(raw) == expected
