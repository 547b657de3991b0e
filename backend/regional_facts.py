"""The only place the back end reads the knowledge base: districts and streets, work-order
procedures, and the residential tariff. Everything is read once per app and kept."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Dict, List, Optional, Tuple

from knowledge import load_knowledge


@dataclass(frozen=True)
class District:
    name: str
    aliases: Tuple[str, ...]
    area_type: str
    streets: Tuple[str, ...]


def _plain(value: Any) -> Any:
    """Unwrap fact mappings ({value, source, effective_date, ...}) found inside a subtree."""
    if isinstance(value, dict):
        if "value" in value and "source" in value:
            return _plain(value["value"])
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if hasattr(value, "value") and hasattr(value, "source"):  # a Fact object
        return _plain(value.value)
    return value


def _street_name(street: Any) -> str:
    return street["name"] if isinstance(street, dict) else str(street)


class RegionalFacts:
    def __init__(self, region: Any = None) -> None:
        self._region = region if region is not None else load_knowledge().region()
        self.districts: List[District] = [
            District(
                name=item["name"],
                aliases=tuple(item.get("aliases") or ()),
                area_type=item.get("area_type") or "urban",
                streets=tuple(_street_name(street) for street in item.get("streets") or ()),
            )
            for item in _plain(self._region.value("geography.districts"))
        ]
        self._work_orders: Dict[str, Dict[str, Any]] = {}

    def work_order_definition(self, order_type: str) -> Dict[str, Any]:
        """{responsible_unit, steps[...]} or {responsible_unit, variant_field, variants{...}}."""
        if order_type not in self._work_orders:
            self._work_orders[order_type] = _plain(self._region.value(f"work_orders.{order_type}"))
        return self._work_orders[order_type]

    def residential_bill(self, kwh: int, month: int, multi_resident: bool = False) -> Decimal:
        from knowledge.tariff import compute_bill

        return compute_bill(kwh, month, region=self._region, multi_resident=multi_resident).total

    def shared_meter_bill(self, kwh: int) -> Decimal:
        from knowledge.tariff import shared_meter_bill

        return shared_meter_bill(kwh, region=self._region).total

    def service_number(self) -> str:
        """The utility's service hotline (the sender shown on its SMS), a required fact."""
        return str(_plain(self._region.value("service.hotlines.power_service"))["number"])

    def optional_value(self, key: str) -> Optional[Any]:
        """A fact that may not be in the knowledge base (yet): None instead of an error."""
        try:
            return _plain(self._region.value(key))
        except Exception:  # KnowledgeError or a missing key: the caller has a documented fallback
            return None
