"""Find an event's class by its type name in a table, not by listing every Event class.

Rasa 3.6's `Event.resolve_by_type` lists all subclasses of Event, recursively, for every event it
reads back: every event of a conversation each time the tracker store loads it, and every event
an action returns. That listing was about 4 % of the Rasa server's CPU under load
(benchmarks/README.md). The table holds, for each type name, the first class in Rasa's own
order; a name it does not know makes it list the classes again (one imported since), and then
Rasa's answers for unknown names are kept: None for the old "topic", the default, or ValueError.
"""
from __future__ import annotations

from typing import Dict, Optional, Text, Type

import rasa.shared.utils.common
from rasa.shared.core.events import Event

_by_type_name: Dict[Text, Type[Event]] = {}


def _build_table() -> None:
    table: Dict[Text, Type[Event]] = {}
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        table.setdefault(cls.type_name, cls)  # the first one wins, as in Rasa's loop
    _by_type_name.clear()
    _by_type_name.update(table)


def resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    """`Event.resolve_by_type` with the subclasses looked up in a table."""
    cls = _by_type_name.get(type_name)
    if cls is None:
        _build_table()
        cls = _by_type_name.get(type_name)
    if cls is not None:
        return cls
    if type_name == "topic":
        return None  # Rasa reads old TopicSet events as nothing
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def install() -> None:
    Event.resolve_by_type = staticmethod(resolve_by_type)
