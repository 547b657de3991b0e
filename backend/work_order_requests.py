"""Validation of a work-order creation request into a normalised, fingerprinted request."""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Any, Dict, Optional

from backend import validation as v
from backend.errors import bad_request
from backend.geography import Geography
from backend.regional_facts import RegionalFacts
from backend.work_order_types import PREFIXES, Plan, plan_for

FIELDS = ("type", "request_id", "contact_name", "phone", "address", "district", "account_no", "details", "channel")
CHANNEL_RE = re.compile(r"[a-z][a-z0-9_]{0,19}")
# A handoff can come from an anonymous chat: the agent picks it up from the conversation summary.
CONTACT_OPTIONAL_TYPES = {"handoff"}
# A connection's capacity (kW) as the work order records it: a positive number. The upper bound
# only catches a slip of the unit (no single connection needs a gigawatt).
MAX_CONNECTION_KW = 1_000_000


def _check_connection_details(details: Dict[str, Any]) -> None:
    capacity = details.get("capacity_kw")
    if capacity is None:
        return
    number = isinstance(capacity, (int, float)) and not isinstance(capacity, bool)
    if not number or not math.isfinite(capacity) or not 0 < capacity <= MAX_CONNECTION_KW:
        raise bad_request("INVALID_DETAILS", f"details.capacity_kw 必须是大于0、不超过{MAX_CONNECTION_KW}的数字（千瓦）",
                          field="details.capacity_kw")


@dataclass(frozen=True)
class OrderRequest:
    order_type: str
    request_id: str
    contact_name: Optional[str]
    phone: Optional[str]
    address: Optional[str]
    district: Optional[str]
    account_no: Optional[str]
    channel: Optional[str]
    details: Dict[str, Any]
    plan: Plan

    @property
    def fingerprint(self) -> str:
        """Same content -> same fingerprint: a retry. request_id itself is not part of it."""
        content = {
            "type": self.order_type,
            "contact_name": self.contact_name,
            "phone": self.phone,
            "address": self.address,
            "district": self.district,
            "account_no": self.account_no,
            "channel": self.channel,
            "details": self.details,
        }
        canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_order_request(body: Dict[str, Any], geography: Geography, facts: RegionalFacts) -> OrderRequest:
    v.reject_unknown_fields(body, FIELDS)
    order_type = v.choice(body.get("type"), "type", PREFIXES, code="INVALID_TYPE")
    contact_required = order_type not in CONTACT_OPTIONAL_TYPES
    request_id = v.request_id(body.get("request_id"))
    contact_name = v.text(body.get("contact_name"), "contact_name", max_chars=50, required=contact_required)
    phone = v.phone(body.get("phone")) if contact_required or body.get("phone") is not None else None
    address = v.text(body.get("address"), "address", required=contact_required)
    district_text = v.text(body.get("district"), "district", max_chars=20, required=contact_required)
    district = geography.district(district_text) if district_text else None
    if district_text and district is None:
        raise bad_request("UNKNOWN_DISTRICT", f"未知的行政区：{district_text}", field="district")
    account_no = v.account_no(body.get("account_no"), required=False)
    channel = body.get("channel")
    if channel is not None and (not isinstance(channel, str) or not CHANNEL_RE.fullmatch(channel)):
        raise v.invalid("channel", "channel 必须是不超过20位的小写字母、数字或下划线")
    details = v.details_object(body.get("details"))
    if order_type == "connection":
        _check_connection_details(details)
    plan = plan_for(facts.work_order_definition(order_type), details)
    return OrderRequest(
        order_type=order_type,
        request_id=request_id,
        contact_name=contact_name,
        phone=phone,
        address=address,
        district=district.name if district else None,
        account_no=account_no,
        channel=channel,
        details=details,
        plan=plan,
    )
