"""TED's predictions are reused for identical dialogue states, and only for those."""
from unittest import mock

import pytest
from rasa.core.featurizers.single_state_featurizer import SingleStateFeaturizer
from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.policies.cached_ted_policy import CachedTEDPolicy, freeze

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [greet, outage_lookup, affirm]
entities: [district]
slots:
  verified:
    type: bool
    influence_conversation: true
    mappings: [{type: custom}]
  note:
    type: text
    influence_conversation: false
    mappings: [{type: custom}]
responses:
  utter_greet: [{text: 你好}]
actions: [action_outage_lookup]
""")


def policy(cache_size=100):
    ted = object.__new__(CachedTEDPolicy)  # no trained model needed: TED's own prediction is mocked
    ted._Policy__featurizer = MaxHistoryTrackerFeaturizer(SingleStateFeaturizer(), max_history=5)
    ted.fake_features, ted.only_e2e, ted.model = {}, False, object()
    ted._start_cache(cache_size)
    return ted


def tracker(sender, intent, *events, text="随便说点什么"):
    return DialogueStateTracker.from_events(sender, [
        ActionExecuted("action_listen"), *events, UserUttered(text, {"name": intent, "confidence": 0.9}),
    ], slots=DOMAIN.slots)


def fake_ted(_self, tracker, domain, *args, **kwargs):
    """A stand-in for TED's TensorFlow call: confidences that depend on the last intent."""
    probabilities = [0.0] * len(domain.action_names_or_texts)
    probabilities[len(tracker.latest_message.intent["name"])] = 0.8
    return PolicyPrediction(probabilities, "CachedTEDPolicy", policy_priority=1)


@pytest.fixture
def ted_calls():
    with mock.patch.object(TEDPolicy, "predict_action_probabilities", autospec=True, side_effect=fake_ted) as ted:
        yield ted


def test_the_same_states_in_another_conversation_reuse_the_prediction(ted_calls):
    ted = policy()
    first = ted.predict_action_probabilities(tracker("a", "greet", text="你好"), DOMAIN)
    again = ted.predict_action_probabilities(tracker("b", "greet", text="您好呀"), DOMAIN)  # the text is not a state
    assert ted_calls.call_count == 1
    assert again.probabilities == first.probabilities and again.policy_name == first.policy_name
    assert (ted.cache_hits, ted.cache_misses) == (1, 1)


def test_each_caller_gets_its_own_confidences(ted_calls):
    ted = policy()
    first = ted.predict_action_probabilities(tracker("a", "greet"), DOMAIN)
    expected = list(first.probabilities)
    first.probabilities[:] = [0.0] * len(expected)  # what the ensemble does to rejected actions
    second = ted.predict_action_probabilities(tracker("b", "greet"), DOMAIN)
    second.probabilities[0] = 1.0
    assert ted.predict_action_probabilities(tracker("c", "greet"), DOMAIN).probabilities == expected


@pytest.mark.parametrize("different", [
    lambda: tracker("b", "outage_lookup"),                                   # another intent
    lambda: tracker("b", "greet", SlotSet("verified", True)),                # a slot that steers the dialogue
    lambda: tracker("b", "greet", ActionExecuted("action_outage_lookup"),    # another previous turn
                    ActionExecuted("action_listen")),
])
def test_a_different_state_asks_ted(ted_calls, different):
    ted = policy()
    ted.predict_action_probabilities(tracker("a", "greet"), DOMAIN)
    ted.predict_action_probabilities(different(), DOMAIN)
    assert ted_calls.call_count == 2


def test_a_slot_that_does_not_steer_the_dialogue_is_not_part_of_the_state(ted_calls):
    ted = policy()
    ted.predict_action_probabilities(tracker("a", "greet", SlotSet("note", "x")), DOMAIN)
    ted.predict_action_probabilities(tracker("b", "greet", SlotSet("note", "y")), DOMAIN)
    assert ted_calls.call_count == 1


def test_the_cache_is_bounded_and_forgets_the_least_recently_used(ted_calls):
    ted = policy(cache_size=2)
    for intent in ["greet", "affirm", "greet", "outage_lookup"]:  # greet was used again, so affirm goes
        ted.predict_action_probabilities(tracker("a", intent), DOMAIN)
    assert len(ted._cache) == 2
    ted.predict_action_probabilities(tracker("a", "greet"), DOMAIN)
    assert ted_calls.call_count == 3
    ted.predict_action_probabilities(tracker("a", "affirm"), DOMAIN)
    assert ted_calls.call_count == 4


def test_size_zero_turns_the_cache_off(ted_calls):
    ted = policy(cache_size=0)
    for _ in range(3):
        ted.predict_action_probabilities(tracker("a", "greet"), DOMAIN)
    assert ted_calls.call_count == 3 and not ted._cache


def test_predictions_with_events_are_not_kept(ted_calls):
    ted = policy()
    with_events = PolicyPrediction([0.0] * len(DOMAIN.action_names_or_texts), "CachedTEDPolicy",
                                   optional_events=[SlotSet("verified", True)])
    ted_calls.side_effect = lambda *args, **kwargs: with_events
    ted.predict_action_probabilities(tracker("a", "greet"), DOMAIN)
    ted.predict_action_probabilities(tracker("b", "greet"), DOMAIN)
    assert ted_calls.call_count == 2 and not ted._cache


def test_freeze_makes_states_hashable_and_order_free():
    states = [{"user": {"intent": "greet", "entities": ("district",)}, "slots": {"verified": (1.0,)}}]
    reordered = [{"slots": {"verified": (1.0,)}, "user": {"entities": ["district"], "intent": "greet"}}]
    assert hash(freeze(states)) == hash(freeze(reordered)) and freeze(states) == freeze(reordered)


def test_the_default_configuration_turns_the_cache_on():
    assert CachedTEDPolicy.get_default_config()["prediction_cache_size"] > 0
    assert set(TEDPolicy.get_default_config()) < set(CachedTEDPolicy.get_default_config())


def test_the_hit_count_is_logged_every_thousand_predictions(ted_calls, caplog, monkeypatch):
    monkeypatch.setattr("bot.policies.cached_ted_policy.REPORT_EVERY", 4)
    ted = policy()
    with caplog.at_level("INFO", logger="bot.policies.cached_ted_policy"):
        for intent in ["greet", "greet", "affirm", "greet"]:
            ted.predict_action_probabilities(tracker("a", intent), DOMAIN)
    assert [r.getMessage() for r in caplog.records] == ["TED prediction cache: 2 hits, 2 misses, 2 states kept"]
