from datetime import date

import pytest

from bot.nlu.entity_extractor import extract
from bot.text import normalize

TODAY = date(2026, 11, 22)


def found(raw: str, gazetteer=None):
    return {(name, value) for name, _, _, value in extract(normalize(raw), TODAY, gazetteer)}


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("我的户号是0301234567", {("account_no", "0301234567")}),
        ("户号0301234567手机13812345678", {("account_no", "0301234567"), ("phone", "13812345678")}),
        ("电话139 1234 5678", {("phone", "13912345678")}),
        ("工单号bz20261120000012到哪了", {("order_no", "BZ20261120000012")}),
        ("我开火锅店大概要80千瓦", {("capacity_kw", 80.0), ("capacity_unit", "kW"), ("customer_type", "business")}),
        ("厂房要八百千伏安", {("capacity_kw", 800.0), ("capacity_unit", "kVA"), ("customer_type", "factory")}),
        ("7月用了450度", {("month", 7), ("kwh", 450.0)}),
        ("明天停电吗", {("date", "2026-11-23")}),
        ("下周有计划停电吗", {("date", "2026-11-23"), ("date_end", "2026-11-29")}),
        ("报装要什么材料", {("aspect", "documents")}),
        ("要不要钱，要多久", {("aspect", "cost"), ("aspect", "duration")}),
    ],
)
def test_extract(raw, expected):
    assert expected <= found(raw)


def test_digit_strings_are_not_confused():
    # a phone is not an account number and a 12-digit string is neither
    assert found("13812345678") == {("phone", "13812345678")}
    assert not {n for n, _ in found("030123456789")} & {"account_no", "phone"}


def test_month_inside_a_date_is_not_a_month():
    assert ("month", 3) not in found("3月5号停电吗")


@pytest.fixture(scope="module")
def gazetteer():
    from bot.nlu.gazetteer import Gazetteer

    return Gazetteer.from_knowledge()


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("南山区粤海街道停电了吗", {("district", "南山区"), ("street", "粤海街道")}),
        ("福田明天停电吗", {("district", "福田区")}),  # 福田 alone is the district
        ("华强北停电吗", {("street", "华强北街道"), ("district", "福田区")}),  # a street implies its district
        ("我在宝安西乡", {("district", "宝安区"), ("street", "西乡街道")}),
        ("广州的阶梯电价是多少", {("city", "广州")}),
    ],
)
def test_places(raw, expected, gazetteer):
    assert expected <= found(raw, gazetteer)


def test_hazard_is_an_entity():
    assert any(name == "hazard" for name, _ in found("楼下电线掉下来了"))


def hazards(raw: str):
    return [value for name, _, _, value in extract(normalize(raw), TODAY) if name == "hazard"]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("楼下电线掉下来了", ["fallen_line"]),
        ("楼下那根电线断了掉在地上", ["fallen_line"]),  # no keyword, a thing + what happened to it
        ("小孩被电了", ["electric_shock"]),
        ("有电线挂在树上，冒着火星", ["sparking"]),  # sparks, not fire
        ("楼下电表着火了，还在冒烟", ["fire", "meter_burning", "smoke"]),  # most urgent first
        ("电箱没冒烟，就是没电", []),
        ("打火机没气了", []),
        ("怎么防止触电", []),
        ("还好没有人触电", []),
        ("电线没断，就是没电", []),
        ("我家停电了", []),
    ],
)
def test_hazard_entities_follow_the_shared_detector(raw, expected):
    from actions.hazards import detect_hazard

    assert hazards(raw) == expected
    # the actions' detector gives the same answer as the entity the NLU passes them
    assert detect_hazard(normalize(raw)) == (expected[0] if expected else None)


def test_hazard_entity_span_is_in_the_text():
    text = normalize("门口的电线掉下来了")
    [(start, end)] = [(s, e) for name, s, e, _ in extract(text, TODAY) if name == "hazard"]
    assert text[start:end].startswith("电线掉")
