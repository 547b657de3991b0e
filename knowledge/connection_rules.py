"""Which connection category (and so which commitments and work-order variant) applies.

The low-voltage threshold is stated in kVA; customers and the NLU give kW. For this coarse
choice we treat 1 kW as 1 kVA (power factor about 1), which errs towards offering low-voltage
supply near the threshold; the supply bureau's site survey makes the final decision.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Optional, Union

from .loader import region_or_default
from .model import Region

CUSTOMER_TYPES = ("residential", "business", "high_voltage")


def connection_category(
    customer_type: Optional[str] = None,
    capacity_kw: Union[int, float, Decimal, None] = None,
    dual_source: bool = False,
    region: Union[Region, str, None] = None,
) -> Optional[str]:
    """``residential``, ``low_voltage_business``, ``high_voltage_single`` or
    ``high_voltage_dual``; None when neither the customer type nor the capacity is known."""
    if customer_type is not None and customer_type not in CUSTOMER_TYPES:
        raise ValueError(f"customer_type must be one of {CUSTOMER_TYPES}, got {customer_type!r}")
    capacity = None if capacity_kw is None else _capacity(capacity_kw)
    high = "high_voltage_dual" if dual_source else "high_voltage_single"
    if customer_type == "residential":
        return "residential"
    if customer_type == "high_voltage":
        return high
    if capacity is None:
        return "low_voltage_business" if customer_type == "business" else None
    threshold = Decimal(str(region_or_default(region).value("connection.low_voltage_threshold_kva")))
    return "low_voltage_business" if capacity <= threshold else high


def _capacity(raw: object) -> Decimal:
    try:
        value = None if isinstance(raw, bool) else Decimal(str(raw))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0:
        raise ValueError(f"capacity_kw must be a non-negative number, got {raw!r}")
    return value
