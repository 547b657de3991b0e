"""Helpers shared by the account-service action tests (bills, payment, transfer, complaint,
meter check): running an action on a tracker, verified-account slots, and the masking check."""
from __future__ import annotations

import json
import re
import time
from datetime import date
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Action
from rasa_sdk.executor import CollectingDispatcher

from bot.text import normalize
from tests.conftest import make_tracker, texts

# Demo accounts (backend/seed.py DEMO_ACCOUNTS).
HOLDER = "0300000001"        # 王建国 13800001234, residential, 6 people, no multi-resident
ARREARS = "0300000002"       # 李秀英 13900002345, two months overdue
PREPAID = "0300000003"       # 陈志强 13700003456, card meter, low balance
BUSINESS = "0300000004"      # 便利店, business tariff
HIGH_USAGE = "0300000005"    # 刘芳 15800005678, latest month abnormally high
MULTI = "0300000007"         # 张丽华, multi-resident policy
SHARED = "0300000008"        # 周国强, shared meter (合表)
TODAY = date(2026, 11, 22)   # tests.conftest.FIXED_NOW

_RAW_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_RAW_ACCOUNT = re.compile(r"(?<!\d)03\d{8}(?!\d)")


def verified(account_no: str, **slots: Any) -> Dict[str, Any]:
    """Slots of a conversation verified for `account_no` a moment ago."""
    return {"verified_account_no": account_no, "verification_expires_at": time.time() + 600, **slots}


def slot_events(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@lru_cache(maxsize=1)
def _gazetteer():
    from bot.nlu.gazetteer import Gazetteer

    return Gazetteer.from_knowledge()


def parsed(text: str) -> List[Dict[str, Any]]:
    """The entities the NLU pipeline's rule extractor gives this message."""
    from bot.nlu.entity_extractor import extract

    return [
        {"entity": name, "start": start, "end": end, "value": value}
        for name, start, end, value in extract(normalize(text), today=TODAY, gazetteer=_gazetteer())
    ]


async def run(action: Action, text: str, intent: Optional[str] = None, slots: Optional[Dict[str, Any]] = None,
              entities: Optional[List[Dict[str, Any]]] = None, sender_id: str = "test-user-0001",
              domain: Optional[Dict[str, Any]] = None, active_loop: Optional[str] = None,
              ) -> Tuple[str, List[Dict[str, Any]], CollectingDispatcher]:
    """Runs `action` on a message (entities from the rule extractor unless given)."""
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, intent=intent, entities=parsed(text) if entities is None else entities,
                           slots=slots, sender_id=sender_id, active_loop=active_loop)
    events = await action.run(dispatcher, tracker, domain or {})
    assert_masked(dispatcher)
    return texts(dispatcher), events, dispatcher


def assert_masked(dispatcher: CollectingDispatcher) -> None:
    """No full phone or account number anywhere a customer can see it: text, buttons, cards."""
    shown = json.dumps(dispatcher.messages, ensure_ascii=False)
    # Button payloads may carry an order number, never a phone or 户号.
    assert not _RAW_PHONE.search(shown), shown
    assert not _RAW_ACCOUNT.search(shown), shown


def polite_apology(said: str) -> None:
    assert "抱歉" in said and "95598" in said and "稍后再试" in said
    assert "stack trace" not in said and "INTERNAL" not in said and "Traceback" not in said


def payloads(dispatcher: CollectingDispatcher) -> List[str]:
    return [b["payload"] for m in dispatcher.messages for b in (m.get("buttons") or [])]
