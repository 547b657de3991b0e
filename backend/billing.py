"""Bill amounts for the seeded accounts, priced from the knowledge base.

Residential (一户一表) bills use knowledge.tariff.compute_bill (monthly tiers, 多人口 uplift);
shared-meter (合表) bills use knowledge.tariff.shared_meter_bill (one flat price). The knowledge
base holds no business (一般工商业) tariff, so business bills use STUB_BUSINESS_PRICE unless a
tariff.prices.business.including_funds fact appears: those seeded amounts are illustrative only.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from backend.regional_facts import RegionalFacts

CENT = Decimal("0.01")
STUB_BUSINESS_PRICE = Decimal("0.85")  # placeholder, not a tariff: see module docstring
_BUSINESS_PRICE = "tariff.prices.business.including_funds"


class BillCalculator:
    def __init__(self, facts: RegionalFacts) -> None:
        self._facts = facts
        business = facts.optional_value(_BUSINESS_PRICE)
        self._business_price = Decimal(str(business)) if business is not None else STUB_BUSINESS_PRICE

    def amount(self, tariff_type: str, kwh: int, month: int, multi_resident: bool = False) -> Decimal:
        if tariff_type == "business":
            amount = self._business_price * kwh
        elif tariff_type == "shared_meter":
            amount = self._facts.shared_meter_bill(kwh)
        else:
            amount = self._facts.residential_bill(kwh, month, multi_resident=multi_resident)
        return Decimal(amount).quantize(CENT, ROUND_HALF_UP)
