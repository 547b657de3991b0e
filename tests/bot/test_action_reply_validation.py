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
