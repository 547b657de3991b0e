"""Reading a conversation: the topic, the customer's recent messages, a masked summary."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker

from bot.text.masking import mask_text

TOPIC_INTENTS = {
    "connection_enquiry", "application_progress", "outage_lookup", "fault_repair", "tiered_tariff",
    "multi_resident_policy", "charging_pile", "bill_query", "payment", "account_transfer", "complaint",
}
PRIVATE_SLOTS = {"verified_account_no", "verification_expires_at"}


def user_events(tracker: Tracker) -> List[Dict[str, Any]]:
    return [e for e in tracker.events if e.get("event") == "user"]


def last_topic(tracker: Tracker) -> Optional[str]:
    for event in reversed(user_events(tracker)):
        intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
        if intent in TOPIC_INTENTS:
            return intent
    return None


def recent_messages(tracker: Tracker, limit: int = 5) -> List[str]:
    texts = [mask_text(e.get("text") or "") for e in user_events(tracker) if e.get("text")]
    return [t[:200] for t in texts[-limit:]]


def summary(tracker: Tracker) -> Dict[str, Any]:
    """What an agent taking over needs, with phone and account numbers masked."""
    slots = {
        name: mask_text(str(value))
        for name, value in tracker.current_slot_values().items()
        if value not in (None, "", []) and name not in PRIVATE_SLOTS and not name.startswith("requested_")
    }
    return {
        "topic": last_topic(tracker) or "unknown",
        "slots": slots,
        "last_messages": recent_messages(tracker),
        "channel": (tracker.get_latest_input_channel() or "unknown"),
    }
