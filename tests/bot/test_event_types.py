"""bot.runtime.event_types finds the event classes Rasa's own lookup finds."""
import pytest
import rasa.shared.utils.common
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

import bot.runtime  # noqa: F401  (installs the change, as the Rasa server does when loading the model)
from bot.runtime import event_types


def rasas_lookup(type_name, default=None):
    """Rasa 3.6's Event.resolve_by_type: every subclass listed, the first with the name."""
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        if cls.type_name == type_name:
            return cls
    if type_name == "topic":
        return None
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def test_installed_on_rasa_events():
    assert Event.resolve_by_type is event_types.resolve_by_type


@pytest.mark.parametrize("type_name", sorted({cls.type_name for cls in rasa.shared.utils.common.all_subclasses(Event)}))
def test_every_event_type_resolves_to_rasas_class(type_name):
    assert Event.resolve_by_type(type_name) is rasas_lookup(type_name)


def test_unknown_names_are_answered_as_rasa_answers_them():
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")


def test_a_class_defined_after_the_table_is_found():
    assert Event.resolve_by_type("user") is UserUttered  # the table exists now

    class LateEvent(ActionExecuted):
        type_name = "late_event_for_test"

    assert Event.resolve_by_type("late_event_for_test") is LateEvent


def test_events_read_back_from_json_are_rasas():
    events = [UserUttered("停电了", {"name": "report_outage", "confidence": 0.9}), ActionExecuted("action_listen"),
              SlotSet("district", "福田区")]
    assert [Event.from_parameters(event.as_dict()) for event in events] == events
