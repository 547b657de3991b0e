"""The bill calculators against hand-computed bills (prices 0.68 / 0.73 / 0.98 元/kWh including
funds; summer bounds 260/600, non-summer 200/400; 一户多人口 +100 kWh on every bound)."""
from __future__ import annotations

import math
from decimal import Decimal

import pytest

from knowledge import load_knowledge
from knowledge.tariff import (
    compute_bill,
    multi_resident_saving,
    season_of,
    shared_meter_bill,
    time_of_use_bill,
    time_of_use_period,
)

BOUNDARIES = [0, 200, 201, 260, 261, 400, 401, 600, 601]

# Each expected total worked out by hand, e.g. summer 401 = 260×0.68 + 141×0.73 = 176.80 + 102.93.
SUMMER = {  # July, bounds 260 / 600
    0: "0.00", 200: "136.00", 201: "136.68", 260: "176.80", 261: "177.53",
    400: "279.00", 401: "279.73", 600: "425.00", 601: "425.98",
}
NON_SUMMER = {  # January, bounds 200 / 400
    0: "0.00", 200: "136.00", 201: "136.73", 260: "179.80", 261: "180.53",
    400: "282.00", 401: "282.98", 600: "478.00", 601: "478.98",
}
SUMMER_MULTI = {  # July, bounds 360 / 700
    0: "0.00", 200: "136.00", 201: "136.68", 260: "176.80", 261: "177.48",
    400: "274.00", 401: "274.73", 600: "420.00", 601: "420.73",
}
NON_SUMMER_MULTI = {  # January, bounds 300 / 500
    0: "0.00", 200: "136.00", 201: "136.68", 260: "176.80", 261: "177.48",
    400: "277.00", 401: "277.73", 600: "448.00", 601: "448.98",
}


@pytest.mark.parametrize("kwh", BOUNDARIES)
@pytest.mark.parametrize(
    "month, multi, expected",
    [(7, False, SUMMER), (1, False, NON_SUMMER), (7, True, SUMMER_MULTI), (1, True, NON_SUMMER_MULTI)],
    ids=["summer", "non_summer", "summer_multi", "non_summer_multi"],
)
def test_boundaries(kwh, month, multi, expected):
    bill = compute_bill(kwh, month, multi_resident=multi)
    assert bill.total == Decimal(expected[kwh])
    assert bill.total == sum((line.amount for line in bill.lines), Decimal("0"))
    assert sum((line.kwh for line in bill.lines), Decimal("0")) == kwh


def test_worked_example_from_the_issue():
    bill = compute_bill(450, 7)
    assert bill.total == Decimal("315.50")
    assert bill.season == "summer"
    assert bill.bounds == (Decimal("260"), Decimal("600"))
    assert [(l.tier, l.kwh, l.price, l.amount) for l in bill.lines] == [
        (1, Decimal("260"), Decimal("0.68"), Decimal("176.80")),
        (2, Decimal("190"), Decimal("0.73"), Decimal("138.70")),
    ]
    assert bill.verified is False  # the prices are unconfirmed; replies must hedge
    assert any("项目需求说明" in s for s in bill.sources)
    example = load_knowledge().region().value("tariff.publication.worked_example")
    assert compute_bill(example["kwh"], example["month"]).total == Decimal(example["total"])


def test_multi_resident_bounds_and_sources():
    bill = compute_bill(450, 7, multi_resident=True)
    assert bill.bounds == (Decimal("360"), Decimal("700"))
    assert bill.total == Decimal("310.50")  # 360×0.68 + 90×0.73
    assert any("一户多人口" in s for s in bill.sources)


def test_all_seasons_months():
    assert [season_of(m) for m in range(1, 13)] == ["non_summer"] * 4 + ["summer"] * 6 + ["non_summer"] * 2
    assert compute_bill(300, 4).season == "non_summer" and compute_bill(300, 5).season == "summer"
    assert compute_bill(300, 10).season == "summer" and compute_bill(300, 11).season == "non_summer"


def test_excluding_funds_basis():
    # 260×0.6542 = 170.092 -> 170.09; 190×0.7042 = 133.798 -> 133.80
    bill = compute_bill(450, 7, price_basis="excluding_funds")
    assert [l.amount for l in bill.lines] == [Decimal("170.09"), Decimal("133.80")]
    assert bill.total == Decimal("303.89")


def test_round_half_up_per_line():
    # 200.5 kWh in January: 200×0.68 = 136.00; 0.5×0.73 = 0.365 -> 0.37 (half up, not half even)
    bill = compute_bill("200.5", 1)
    assert [l.amount for l in bill.lines] == [Decimal("136.00"), Decimal("0.37")]
    assert bill.total == Decimal("136.37")


def test_accepts_number_types():
    assert compute_bill(Decimal("450"), 7).total == compute_bill(450.0, "7").total == Decimal("315.50")
    assert compute_bill(1_000_000, 7).total > 0


def test_tier1_only_switch(kb_root, edit_yaml):
    edit_yaml("regions/shenzhen/multi_resident.yml",
              lambda d: d["benefit"]["uplift_applies_to"].update(value="tier1_only"))
    region = load_knowledge(kb_root).region()
    bill = compute_bill(650, 7, region=region, multi_resident=True)
    assert bill.bounds == (Decimal("360"), Decimal("600"))
    assert bill.total == Decimal("469.00")  # 360×0.68 + 240×0.73 + 50×0.98
    all_tiers = compute_bill(650, 7, multi_resident=True)
    assert all_tiers.total == Decimal("456.50")  # 360×0.68 + 290×0.73
    assert compute_bill(650, 7).total == Decimal("474.00")  # 260×0.68 + 340×0.73 + 50×0.98


@pytest.mark.parametrize("kwh", [-1, -0.01, float("nan"), float("inf"), Decimal("NaN"), Decimal("-Infinity"),
                                 1_000_001, "abc", None, True, "", [100]])
def test_invalid_kwh(kwh):
    with pytest.raises(ValueError):
        compute_bill(kwh, 7)


@pytest.mark.parametrize("month", [0, 13, -1, 1.5, True, "13", None, float("nan"), float("inf"), "七月"])
def test_invalid_month(month):
    with pytest.raises(ValueError):
        compute_bill(100, month)


def test_invalid_price_basis():
    with pytest.raises(ValueError):
        compute_bill(100, 7, price_basis="cheapest")


def test_shared_meter_bill():
    assert shared_meter_bill(100, price_basis="excluding_funds").total == Decimal("69.12")
    bill = shared_meter_bill(100)
    assert bill.total == Decimal("71.70") and bill.season is None and bill.bounds == ()
    assert bill.verified is False  # the including-funds 合表 price is derived, not sourced
    assert shared_meter_bill(0).total == Decimal("0.00")
    with pytest.raises(ValueError):
        shared_meter_bill(-5)


def test_time_of_use_period():
    periods = [time_of_use_period(h) for h in range(24)]
    assert periods[:8] == ["valley"] * 8
    assert periods[10:12] == ["peak"] * 2 and periods[14:19] == ["peak"] * 5
    assert periods[8:10] == periods[12:14] == ["flat"] * 2 and periods[19:] == ["flat"] * 5
    for bad in (-1, 24, 1.5, True):
        with pytest.raises(ValueError):
            time_of_use_period(bad)


def test_time_of_use_bill():
    # January, 300 kWh: 100×1.1121 + 100×0.6542 + 100×0.2486 = 111.21 + 65.42 + 24.86,
    # plus tier-2 surcharge on the 100 kWh above 200: 100×0.05 = 5.00
    bill = time_of_use_bill(100, 100, 100, 1)
    assert bill.total == Decimal("206.49")
    assert bill.price_basis == "excluding_funds"
    assert [l.label for l in bill.lines] == ["峰时段", "平时段", "谷时段", "第二档加价"]
    # July, 300 kWh: 40 kWh above 260 -> 2.00 surcharge
    assert time_of_use_bill(100, 100, 100, 7).total == Decimal("203.49")
    # January, 500 kWh: 200 in tier 2 (10.00) and 100 in tier 3 (30.00)
    # 200×1.1121 + 200×0.6542 + 100×0.2486 = 222.42 + 130.84 + 24.86 = 378.12
    assert time_of_use_bill(200, 200, 100, 1).total == Decimal("418.12")
    with pytest.raises(ValueError):
        time_of_use_bill(-1, 0, 0, 1)


def test_multi_resident_saving_typical_year():
    # 450 kWh every month: summer saves 100×0.05 = 5.00 (×6); non-summer 331.00 - 313.50 = 17.50 (×6)
    estimate = multi_resident_saving(450)
    assert len(estimate.months) == 12
    assert estimate.yearly_saving == estimate.total_saving == Decimal("135.00")
    assert estimate.average_monthly_saving == Decimal("11.25")
    assert estimate.extrapolated is False
    assert estimate.uplift_applies_to == "all_tiers"


def test_multi_resident_saving_given_months():
    # June 450 kWh saves 5.00; July 700 kWh: 523.00 standard vs 493.00 -> 30.00
    estimate = multi_resident_saving([450, 700], start_month=6)
    assert [(m.month, m.saving) for m in estimate.months] == [(6, Decimal("5.00")), (7, Decimal("30.00"))]
    assert estimate.total_saving == Decimal("35.00")
    assert estimate.average_monthly_saving == Decimal("17.50")
    assert estimate.yearly_saving == Decimal("210.00") and estimate.extrapolated is True
    by_mapping = multi_resident_saving({7: 700, 6: 450})
    assert by_mapping.months == estimate.months


def test_multi_resident_saving_small_use_saves_nothing():
    assert multi_resident_saving(150).yearly_saving == Decimal("0.00")


@pytest.mark.parametrize("bad", [[], list(range(13)), {13: 100}, -5, [100, math.nan]])
def test_multi_resident_saving_invalid(bad):
    with pytest.raises(ValueError):
        multi_resident_saving(bad)
