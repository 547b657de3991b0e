"""Action-server replies are checked against a compiled schema with Rasa's own outcome."""
from unittest import mock

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

import bot.runtime  # noqa: F401  (installs the compiled check, as the Rasa server does when loading the model)
from bot.runtime import action_reply_validation

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "account_no", "value": "0300000001"}],
     "responses": [{"text": "好的", "buttons": [{"title": "是", "payload": "/affirm"}]}]},
    {"events": [{"event": "active_loop", "name": None}, {"event": "followup", "name": "action_listen"}]},
    {},
]
INVALID = [
    {"events": {"event": "slot"}},                 # events is not a list
    {"events": [{"name": "account_no"}]},          # an event without its type
    {"events": [{"event": "no_such_event"}]},      # an unknown event type
    {"responses": "好的"},                          # responses is not a list
    {"events": [{"event": "slot", "name": "account_no"}]},                 # a slot without its value
    {"events": [{"event": 5}]},                                            # a type that is not a string
    {"events": [{"event": "action", "name": "action_x", "hide_rule_turn": "no"}]},  # a field of the wrong type
    {"events": [{"event": "slot", "name": "a", "value": 1}, {"event": "user", "parse_data": []}]},  # second event bad
    {"events": [{"event": "bot", "timestamp": "now"}]},                    # a common field of the wrong type
    [],                                                                    # not an object
]

# Events of every type, right and wrong, for comparing the per-type check with Rasa's oneOf.
EVENTS = [
    {"event": "user", "text": "停电了", "parse_data": {"intent": {"name": "report_outage", "confidence": 0.9},
                                                     "entities": [], "text": "停电了"}},
    {"event": "user", "text": 3},
    {"event": "action", "name": "action_listen", "policy": None, "confidence": 1.0},
    {"event": "action", "confidence": "high"},
    {"event": "slot", "name": "district", "value": "福田区"},
    {"event": "slot", "value": None},
    {"event": "entities", "entities": [{"entity": "district", "value": "南山区", "start": 0, "end": 3}]},
    {"event": "entities", "entities": [{"entity": 1}]},
    {"event": "bot", "text": "好的", "data": {}, "metadata": {}},
    {"event": "bot", "metadata": "x"},
    {"event": "active_loop", "name": "outage_form"},
    {"event": "followup", "name": "action_x"},
    {"event": "reset_slots"}, {"event": "restart"}, {"event": "session_started"}, {"event": "rewind"},
    {"event": "reminder", "intent": "EXTERNAL_x", "date_time": "2026-12-06T10:00:00"},
    {"event": "no_such_event"}, {"event": None}, {"name": "x"}, "slot", None,
]


def rasa_original(result):
    """What Rasa 3.6 does: jsonschema.validate with the schema, every call."""
    jsonschema.validate(result, RemoteAction.action_response_format_spec())
    return True


def test_installed_on_rasa_remote_action():
    assert RemoteAction._validate_action_result is action_reply_validation.validate_action_result


@pytest.mark.parametrize("reply", VALID)
def test_valid_replies_pass_as_with_rasa(reply):
    action = RemoteAction("action_x", None)
    assert rasa_original(reply) is True
    assert action._validate_action_result(reply) is True


@pytest.mark.parametrize("reply", INVALID)
def test_invalid_replies_fail_as_with_rasa_and_keep_the_hint(reply):
    action = RemoteAction("action_x", None)
    with pytest.raises(jsonschema.ValidationError) as rasa_error:
        rasa_original(reply)
    with pytest.raises(jsonschema.ValidationError) as ours:
        action._validate_action_result(reply)
    assert ours.value.message.startswith(rasa_error.value.message)
    assert "Failed to validate Action server response" in ours.value.message


def test_schema_is_checked_once_not_per_call():
    action = RemoteAction("action_x", None)
    action._validate_action_result(VALID[1])  # compiled by now
    with mock.patch.object(jsonschema.validators.validator_for(RemoteAction.action_response_format_spec()),
                           "check_schema") as check_schema:
        for reply in VALID:
            action._validate_action_result(reply)
    check_schema.assert_not_called()


def full_schema_accepts(reply):
    return action_reply_validation._reply_validator().is_valid(reply)


@pytest.mark.parametrize("event", EVENTS)
def test_checking_each_event_by_its_type_agrees_with_rasas_one_of(event):
    for reply in ({"events": [event]}, {"events": [{"event": "restart"}, event], "responses": []}):
        assert action_reply_validation._passes_fast_check(reply) == full_schema_accepts(reply)


def test_every_event_type_of_rasas_schema_has_its_own_check():
    _, by_type = action_reply_validation._event_dispatch()
    alternatives = RemoteAction.action_response_format_spec()["properties"]["events"]["items"]["oneOf"]
    assert sorted(by_type) == sorted(a["properties"]["event"]["const"] for a in alternatives)


def test_valid_replies_do_not_need_the_full_schema():
    action = RemoteAction("action_x", None)
    with mock.patch.object(action_reply_validation, "_reply_validator") as full:
        for reply in VALID:
            assert action._validate_action_result(reply) is True
    full.assert_not_called()


def test_without_a_oneof_of_event_types_every_reply_takes_the_full_schema():
    other_rasa = {"type": "object", "properties": {"events": {"type": "array", "items": {"type": "object"}}}}
    action_reply_validation._event_dispatch.cache_clear()
    try:
        with mock.patch.object(RemoteAction, "action_response_format_spec", return_value=other_rasa):
            assert action_reply_validation._event_dispatch() is None
            assert action_reply_validation._passes_fast_check({"events": []}) is False
    finally:
        action_reply_validation._event_dispatch.cache_clear()
