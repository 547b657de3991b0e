"""Subscribing an account to planned-outage notices, and unsubscribing (the back end stores it;
the WeChat channel delivers the notices).

Subscribing needs a verified account: the notices say where and when the account's street loses
power, which only its holder should receive. Unsubscribing only stops messages to the customer
in this very conversation (channel + sender), so the 户号 alone is enough.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client
from actions.forms import entity_value
from actions.outage import AWAITING_SLOT
from actions.outage_guidance import hedge
from actions.replies import apology_unavailable, buttons, region
from actions.verification import offer_verification, verified_account
from bot.text.masking import mask_account

PATH = "/api/v1/outage-subscriptions"
# Channels the notice job can push to, and how customers call them.
PUSH_CHANNELS = {"wechat": "微信公众号消息", "wechat_mp": "微信小程序消息"}
RECIPIENT = re.compile(r"[A-Za-z0-9_\-.:@+=]{1,128}")


def _recipient(tracker: Tracker) -> Optional[Dict[str, str]]:
    channel = str(tracker.get_latest_input_channel() or "")
    if channel not in PUSH_CHANNELS or not RECIPIENT.fullmatch(str(tracker.sender_id)):
        return None
    return {"channel": channel, "recipient_id": str(tracker.sender_id)}


def _no_push_here(dispatcher: CollectingDispatcher) -> None:
    account = re.sub(r"（.*?）", "", str(region().value("service.online.wechat_official_account")))
    dispatcher.utter_message(
        text=f"停电通知是通过微信推送的，当前渠道收不到推送。请在微信里关注“{account}”，"
             f"再对我说“订阅停电通知”就可以了。现在也可以随时让我帮您查询停电。",
        buttons=buttons([("查询停电", "/outage_lookup")]))


class ActionSubscribeOutageNotice(Action):
    def name(self) -> Text:
        return "action_subscribe_outage_notice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List:
        target = _recipient(tracker)
        if target is None:
            _no_push_here(dispatcher)
            return []
        account = verified_account(tracker)
        named = entity_value(tracker, "account_no")
        if account is None or (named and named != account):
            # After verification, action_verify_account runs this action again (after_verification).
            offer_verification(dispatcher, "订阅停电通知")
            return [SlotSet("after_verification", self.name())]
        result = await backend_client.post(PATH, {"account_no": account, **target})
        if not result.ok:
            apology_unavailable(dispatcher, "订阅停电通知")
            return []
        masked = mask_account(account)
        days = region().value("outage.planned.notice_days_ahead")
        how = PUSH_CHANNELS[target["channel"]]
        if result.status == 200:
            text = f"户号{masked}已经订阅过停电通知了，不用重复订阅。"
        else:
            text = f"已为户号{masked}开通停电通知。"
        text += (f"以后该户所在街道安排计划停电时，我们会通过{how}提前告诉您停电时间和范围"
                 f"（计划停电一般提前{days}天公布{hedge('outage.planned.notice_days_ahead')}）。"
                 f"不想收了，随时对我说“取消停电通知”。")
        dispatcher.utter_message(text=text, buttons=buttons([("查询停电", "/outage_lookup")]))
        return []


class ActionUnsubscribeOutageNotice(Action):
    def name(self) -> Text:
        return "action_unsubscribe_outage_notice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List:
        target = _recipient(tracker)
        if target is None:
            dispatcher.utter_message(text="当前渠道没有订阅停电通知，不会收到推送，无需取消。")
            return [SlotSet(AWAITING_SLOT, None)]
        account = (entity_value(tracker, "account_no") or verified_account(tracker)
                   or tracker.get_slot("outage_account_no"))
        if not account:
            dispatcher.utter_message(text="请告诉我要取消停电通知的户号（03开头的10位数字）。")
            return [SlotSet(AWAITING_SLOT, "unsubscribe_account")]
        result = await backend_client.request("DELETE", PATH, json={"account_no": account, **target}, idempotent=True)
        if result.unavailable:
            apology_unavailable(dispatcher, "取消停电通知")
            return [SlotSet(AWAITING_SLOT, None)]
        masked = mask_account(account)
        if result.error_code == "ACCOUNT_NOT_FOUND":
            dispatcher.utter_message(text=f"没有找到户号{masked}，请核对后再告诉我。")
            return [SlotSet(AWAITING_SLOT, "unsubscribe_account")]
        if not result.ok:
            apology_unavailable(dispatcher, "取消停电通知")
            return [SlotSet(AWAITING_SLOT, None)]
        if result.data.get("removed"):
            text = f"已取消户号{masked}的停电通知，以后不会再给您推送。需要时可以随时重新订阅，也可以随时找我查询停电。"
        else:
            text = f"户号{masked}在这里没有订阅停电通知，不会收到推送，无需取消。"
        dispatcher.utter_message(text=text)
        return [SlotSet(AWAITING_SLOT, None)]
