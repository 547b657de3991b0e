"""Check action-server replies against a schema compiled once, not once per action call.

Rasa 3.6's `RemoteAction._validate_action_result` calls `jsonschema.validate(result, schema)`,
which validates Rasa's large event schema against the JSON Schema meta-schema and builds a new
validator on every call. Under load that was a third of the Rasa server's CPU (py-spy profile in
benchmarks/README.md). The schema is a constant, so it is checked once and its validator reused:
the same replies pass, the same ones fail, with the same `ValidationError` and Rasa's hint.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict

from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@lru_cache(maxsize=1)
def _reply_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` with the compiled validator (same errors as Rasa's)."""
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
