"""The action server registers every custom action the domain names, and nothing abstract."""
from pathlib import Path

from rasa.shared.core.domain import Domain
from rasa_sdk.executor import ActionExecutor

ROOT = Path(__file__).resolve().parents[2]


def test_every_domain_action_is_served_by_the_action_package():
    executor = ActionExecutor()
    executor.register_package("actions")  # what `rasa run actions --actions actions` does
    domain = Domain.load(str(ROOT / "bot" / "domain"))
    custom = {name for name in domain.user_actions if name.startswith(("action_", "validate_"))}
    missing = sorted(custom - set(executor.actions))
    assert missing == []
    unknown = sorted(set(executor.actions) - custom - {name for name in executor.actions if name.startswith("validate_")})
    assert unknown == []
