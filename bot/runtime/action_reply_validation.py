"""Check action-server replies against a schema compiled once, and each event against its own type.

Rasa 3.6's `RemoteAction._validate_action_result` calls `jsonschema.validate(result, schema)`,
which validates Rasa's large event schema against the JSON Schema meta-schema and builds a new
validator on every call. Under load that was a third of the Rasa server's CPU (py-spy profile in
benchmarks/README.md). The schema is a constant, so it is checked once and its validator reused.

Every event is then matched against a `oneOf` of 23 event schemas, so jsonschema validates each
event 23 times and builds an error for the 22 misses (about 1 ms per reply, a tenth of the
server's CPU). Each of those schemas pins `event` to its own constant, so exactly one can match:
an event is valid under the `oneOf` exactly when it is valid under the schema of its type. The
fast check does that; a reply it does not accept goes through the full schema, so the same
replies pass, the same ones fail, with the same `ValidationError` and Rasa's hint.
"""
from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any, Dict, Optional, Tuple

from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


def _compiled(schema: Dict[str, Any]) -> Any:
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


@lru_cache(maxsize=1)
def _reply_validator() -> Any:
    return _compiled(RemoteAction.action_response_format_spec())


@lru_cache(maxsize=1)
def _event_dispatch() -> Optional[Tuple[Any, Dict[str, Any]]]:
    """(the reply schema with `oneOf` left out of its event items, a validator per event type), or
    None when the schema is not one `oneOf` of event types with distinct constants (another Rasa
    version): then every reply takes the full check."""
    schema = copy.deepcopy(RemoteAction.action_response_format_spec())
    try:
        items = schema["properties"]["events"]["items"]
        alternatives = items.pop("oneOf")
        by_type = {alternative["properties"]["event"]["const"]: alternative for alternative in alternatives}
    except (KeyError, TypeError):
        return None
    if len(by_type) != len(alternatives) or "event" not in items.get("required", ()):
        return None
    return _compiled(schema), {event: _compiled(alternative) for event, alternative in by_type.items()}


def _passes_fast_check(result: Any) -> bool:
    dispatch = _event_dispatch()
    if dispatch is None:
        return False
    reply_without_event_types, by_type = dispatch
    if not reply_without_event_types.is_valid(result):
        return False
    events = result.get("events") or []  # a list of objects with a string `event` by now
    return all(event["event"] in by_type and by_type[event["event"]].is_valid(event) for event in events)


def validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` with compiled validators (same errors as Rasa's)."""
    if _passes_fast_check(result):
        return True
    error = exceptions.best_match(_reply_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    RemoteAction._validate_action_result = validate_action_result
