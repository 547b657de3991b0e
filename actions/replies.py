"""Channel-neutral reply building blocks shared by every action.

A reply is text (always complete on its own), optional buttons, and optionally a structured
card in `custom` that rich channels (kiosk, mini-program) draw; connectors render the rest.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from rasa_sdk.executor import CollectingDispatcher

from knowledge import load_knowledge


def region():
    return load_knowledge().region()


def hotline() -> str:
    return str(region().value("service.hotlines.power_service")["number"])


def hotline_hours() -> str:
    """When the hotline answers ("24小时"), from the same fact as its number."""
    return str(region().value("service.hotlines.power_service")["hours"])


def apology_unavailable(dispatcher: CollectingDispatcher, what: str = "查询") -> None:
    """The back end did not answer: say so plainly and offer the hotline. Never show error text."""
    dispatcher.utter_message(
        text=f"抱歉，系统暂时繁忙，{what}没能完成，您的信息不会丢失也不会重复提交。"
        f"您可以稍后再试，或拨打供电服务热线 {hotline()}（{hotline_hours()}）。"
    )


def card(kind: str, title: str, fields: Sequence[Tuple[str, Any]]) -> Dict[str, Any]:
    return {"card": {"kind": kind, "title": title, "fields": [[label, str(value)] for label, value in fields]}}


def card_text(title: str, fields: Sequence[Tuple[str, Any]]) -> str:
    """The same content as a card, as plain lines, for channels that draw no cards."""
    lines = [f"【{title}】"] + [f"{label}：{value}" for label, value in fields]
    return "\n".join(lines)


def utter_card(dispatcher: CollectingDispatcher, kind: str, title: str, fields: Sequence[Tuple[str, Any]],
               intro: Optional[str] = None, buttons: Optional[List[Dict[str, str]]] = None) -> None:
    text = card_text(title, fields)
    if intro:
        text = f"{intro}\n{text}"
    dispatcher.utter_message(text=text, buttons=buttons or [], json_message=card(kind, title, fields))


def buttons(options: Iterable[Tuple[str, str]]) -> List[Dict[str, str]]:
    return [{"title": title, "payload": payload} for title, payload in options]
