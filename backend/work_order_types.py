"""Work-order types: number prefixes and the step plan taken from the knowledge base."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from backend.errors import bad_request

PREFIXES = {
    "connection": "BZ",
    "charging_pile": "CD",
    "multi_resident": "DR",
    "repair": "BX",
    "handoff": "RG",
    "complaint": "TS",
    "account_transfer": "GH",
    "meter_test": "JY",
    "refund": "TK",
}

TYPE_NAMES = {
    "connection": "用电报装",
    "charging_pile": "充电桩报装",
    "multi_resident": "多人口家庭用电申请",
    "repair": "故障报修",
    "handoff": "人工服务",
    "complaint": "投诉",
    "account_transfer": "过户/更名/销户",  # one order type; details.kind_label names the kind
    "meter_test": "电能表校验",
    "refund": "退费",
}

# A label longer than this is not a kind name (details are free text from the caller).
MAX_KIND_LABEL = 12


def type_name(order_type: str, details: Optional[Dict[str, Any]]) -> str:
    """The name a customer sees: the order's own kind when it names one (an account_transfer
    order for 更名 or 销户 says so in details.kind_label), else the type's name."""
    label = (details or {}).get("kind_label") if isinstance(details, dict) else None
    if isinstance(label, str) and 0 < len(label.strip()) <= MAX_KIND_LABEL:
        return label.strip()
    return TYPE_NAMES.get(order_type, order_type)


@dataclass(frozen=True)
class PlannedStep:
    name: str
    working_days: Optional[int]
    hours: Optional[float]


@dataclass(frozen=True)
class Plan:
    responsible_unit: str
    steps: List[PlannedStep]


def _step(raw: Dict[str, Any]) -> PlannedStep:
    hours = raw.get("time_limit_hours")
    days = raw.get("time_limit_working_days")
    return PlannedStep(
        name=str(raw["name"]),
        working_days=int(days) if days is not None and hours is None else None,
        hours=float(hours) if hours is not None else None,
    )


def variant_field(definition: Dict[str, Any]) -> Optional[str]:
    return definition.get("variant_field") if definition.get("variants") else None


def plan_for(definition: Dict[str, Any], details: Dict[str, Any]) -> Plan:
    """The steps for one order; for variant types the variant named by details[variant_field]."""
    unit = definition.get("responsible_unit") or "供电营业厅"
    field = variant_field(definition)
    if field is None:
        return Plan(unit, [_step(step) for step in definition.get("steps") or []])
    variants: Dict[str, Any] = definition["variants"]
    chosen = details.get(field)
    if not isinstance(chosen, str) or chosen not in variants:
        allowed = list(variants)
        raise bad_request(
            "INVALID_DETAILS",
            f"details.{field} 必须是以下之一：{'、'.join(allowed)}",
            field=f"details.{field}",
            allowed=allowed,
        )
    variant = variants[chosen]
    return Plan(variant.get("responsible_unit") or unit, [_step(step) for step in variant.get("steps") or []])
