"""Verifying that the customer holds an account: 户号 + the last four digits of the mobile on file.

A success unlocks the account for this conversation for a limited time. Failed attempts are
slowed down, never locked (security/rate_limit.py): per conversation, per client address, per
account and overall, with the account's own count not applying to a conversation that has passed
the check for it before (the holder's channel identity). Account details are shown only through
`verified_account`, which is None before verification and after expiry.

A channel that has already identified the customer (a bound account in the WeChat service
account or the mini-program) can pass `verified_account_no` in the message metadata. It is
trusted only from channels that verify their sender's signature (SIGNED_CHANNELS) and are named
in IDENTITY_TRUSTED_CHANNELS: anyone can write a REST, kiosk or hotline body.
"""
from __future__ import annotations

import os
import re
import time
from typing import Any, Callable, Dict, List, Optional, Text, Type

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import backend_client
from actions.forms import ServiceFormValidation, entity_value, latest_text
from actions.replies import apology_unavailable, buttons, hotline
from bot.text.masking import mask_account
from security.rate_limit import SENDER, Subject, limiter, wait_text

# Attempts a conversation has before it must wait (then the waits grow; there is no lock).
MAX_FAILURES_PER_CONVERSATION = SENDER.free_failures
# Channels whose connector checks the platform's signature on every message.
SIGNED_CHANNELS = frozenset({"wechat", "wechat_mp"})
ACCOUNT_NO = re.compile(r"(?<!\d)03\d{8}(?!\d)")
LAST4 = re.compile(r"(?<!\d)(\d{4})(?!\d)")
VERIFY_BUTTON = buttons([("验证身份后查询", "/verify_account")])

# Actions that answer with account data, run in the same turn as a successful verification.
# Running them here, instead of through FollowupAction, keeps the turn ending with
# action_verify_account, which is what the rules and test stories describe.
_AFTER_VERIFICATION: Dict[str, Type[Action]] = {}


def runs_after_verification(action_class: Type[Action]) -> Type[Action]:
    """Class decorator: the action may be named in the `after_verification` slot."""
    _AFTER_VERIFICATION[action_class().name()] = action_class
    return action_class


def verification_ttl_seconds() -> int:
    return int(os.environ.get("VERIFICATION_TTL_SECONDS", "900"))


def trusted_identity_channels() -> List[str]:
    raw = os.environ.get("IDENTITY_TRUSTED_CHANNELS", "")
    return [name.strip() for name in raw.split(",") if name.strip() in SIGNED_CHANNELS]


def channel_identity(tracker: Tracker) -> Optional[str]:
    """The 户号 a trusted channel vouches for in the latest message's metadata, else None."""
    if tracker.get_latest_input_channel() not in trusted_identity_channels():
        return None
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    account = str(metadata.get("verified_account_no") or "")
    return account if ACCOUNT_NO.fullmatch(account) else None


def verified_account(tracker: Tracker, now: Optional[float] = None) -> Optional[str]:
    """The verified 户号 while the verification is valid, else None."""
    account = tracker.get_slot("verified_account_no")
    expires = tracker.get_slot("verification_expires_at")
    if account and expires and (now or time.time()) < float(expires):
        return account
    return channel_identity(tracker)


def client_address(tracker: Tracker) -> Optional[str]:
    """The client's address, where the channel itself wrote it (connectors/rest.py)."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    address = metadata.get("client_address")
    return str(address) if address else None


def wait_reply(seconds: int) -> str:
    return (f"验证尝试次数较多，为保护账户安全，请{wait_text(seconds)}后再试；"
            f"着急的话，可携带身份证件到营业厅或拨打 {hotline()} 办理。")


def offer_verification(dispatcher: CollectingDispatcher, what: str, tracker: Optional[Tracker] = None) -> None:
    dispatcher.utter_message(
        text=f"为保护您的信息，{what}需要先验证身份：请提供户号和登记手机号的后四位。",
        buttons=VERIFY_BUTTON,
    )


def defer_until_verified(action_name: str, request: Optional[str]) -> List[Dict[Text, Any]]:
    """Slots that make a successful verification answer the question the customer asked."""
    pending = f"{action_name}:{request}" if request else None
    return [SlotSet("after_verification", action_name), SlotSet("pending_request", pending)]


def requested_topic(tracker: Tracker, action_name: str, intent: str,
                    detect: Callable[[Tracker], Optional[str]]) -> Optional[str]:
    """The sub-question an action answers: read from the message when it is about the action's
    intent; otherwise (the action runs right after a verification) the question kept for it."""
    latest_intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    if latest_intent != intent:
        pending = str(tracker.get_slot("pending_request") or "")
        if pending.startswith(f"{action_name}:"):
            return pending.split(":", 1)[1]
    return detect(tracker)


def _with_slots(tracker: Tracker, updates: Dict[str, Any]) -> Tracker:
    return Tracker(
        tracker.sender_id,
        {**tracker.slots, **updates},
        tracker.latest_message,
        list(tracker.events),
        tracker.is_paused(),
        tracker.followup_action,
        tracker.active_loop,
        tracker.latest_action_name,
    )


class ValidateVerificationForm(ServiceFormValidation):
    def name(self) -> Text:
        return "validate_verification_form"

    def explain(self, slot: str) -> str:
        if slot == "account_no":
            return "户号是10位数字，以03开头，印在电费通知单或南网在线App的“我的户号”里。"
        return "手机后四位是您开户时登记的手机号码的最后4位数字。"

    async def extract_account_no(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> Dict[Text, Any]:
        # Any digit string answers the question, so a mistyped 户号 gets explained, not ignored.
        if tracker.get_slot("requested_slot") != "account_no" or entity_value(tracker, "account_no"):
            return {}
        match = re.search(r"\d{4,}", latest_text(tracker))
        return {"account_no": match.group(0)} if match else {}

    async def extract_phone_last4(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "phone_last4":
            return {}
        phone = entity_value(tracker, "phone")
        if phone:
            return {"phone_last4": str(phone)[-4:]}
        match = LAST4.search(latest_text(tracker))
        return {"phone_last4": match.group(1)} if match else {}

    async def validate_account_no(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[Text, Any]:
        if value and ACCOUNT_NO.fullmatch(str(value)):
            return self.ok("account_no", str(value))
        return self.fail("account_no", dispatcher, tracker, "这个户号格式不对，户号是以03开头的10位数字。")

    async def validate_phone_last4(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[Text, Any]:
        if value and re.fullmatch(r"\d{4}", str(value)):
            return self.ok("phone_last4", str(value))
        return self.fail("phone_last4", dispatcher, tracker, "请提供登记手机号的后4位数字。")


class ActionVerifyAccount(Action):
    """Checks the collected 户号 + phone digits with the back end and records the outcome."""

    def name(self) -> Text:
        return "action_verify_account"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List:
        account_no = tracker.get_slot("account_no")
        last4 = tracker.get_slot("phone_last4")
        failures = int(tracker.get_slot("verify_failures") or 0)
        clear = [SlotSet("phone_last4", None)]
        subject = Subject("verify", tracker.sender_id, client_address(tracker), account_no)
        wait = await limiter().wait_seconds(subject)
        if wait:
            # Not even asked: a guess made while waiting would count for nothing anyway.
            dispatcher.utter_message(text=wait_reply(wait))
            return clear
        result = await backend_client.post("/api/v1/accounts/verify", {"account_no": account_no, "phone_last4": last4})
        if result.ok and result.data.get("verified"):
            await limiter().succeeded(subject)
            return clear + await self._succeeded(dispatcher, tracker, domain, account_no)
        if result.unavailable:
            apology_unavailable(dispatcher, "身份验证")
            return clear
        # 403 and 404 get the same answer: whether a 户号 exists is not told to a guesser.
        failures += 1
        await limiter().failed(subject)
        wait = await limiter().wait_seconds(subject)
        if wait:
            dispatcher.utter_message(text="户号或手机后四位与登记信息不一致，验证未通过。" + wait_reply(wait))
        else:
            left = MAX_FAILURES_PER_CONVERSATION - failures
            tries = f"（还可尝试{left}次）" if left > 0 else ""
            dispatcher.utter_message(text=f"户号或手机后四位与登记信息不一致，验证未通过{tries}。", buttons=VERIFY_BUTTON)
        return clear + [SlotSet("account_no", None), SlotSet("verify_failures", float(failures))]

    async def _succeeded(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                         account_no: str) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text=f"身份验证成功，户号 {mask_account(account_no)}。")
        unlocked = {
            "verified_account_no": account_no,
            "verification_expires_at": time.time() + verification_ttl_seconds(),
            "verify_failures": 0.0,
        }
        events = [SlotSet(name, value) for name, value in unlocked.items()]
        pending = tracker.get_slot("after_verification")
        if not pending:
            return events
        events.append(SlotSet("after_verification", None))
        action_class: Optional[Callable[[], Action]] = _AFTER_VERIFICATION.get(pending)
        if action_class is None:
            # An action not registered here (another topic's) still runs, as a follow-up.
            return events + [FollowupAction(pending)]
        answer_tracker = _with_slots(tracker, {**unlocked, "after_verification": None})
        events += await action_class().run(dispatcher, answer_tracker, domain)
        return events + [SlotSet("pending_request", None)]
