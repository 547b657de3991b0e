"""Rasa's TEDPolicy, remembering its predictions per dialogue state.

TED's prediction is a function of the dialogue states it reads and of the trained model only: the
last `max_history` turns (intent, entities, slots that influence the conversation, active loop,
previous action), featurised from lookups fixed at training time. Customers walk the same flows,
so the same states come back all the time, and each time TED paid a TensorFlow call: a third of
the Rasa server's CPU under load (benchmarks/README.md). Here the states are computed (cheap, the
other policies compute theirs too) and a bounded least-recently-used cache keyed by them answers
when it can; otherwise TED predicts as before and the answer is kept.

Not cached: predictions that carry events (TED's end-to-end entities), whose Event objects would
end up shared between conversations. `prediction_cache_size: 0` turns the cache off.
"""
from __future__ import annotations

import copy
import json
import logging
from collections import OrderedDict
from typing import Any, Dict, Hashable, Optional, Text

from rasa.core.featurizers.precomputation import MessageContainerForCoreFeaturization
from rasa.core.policies.policy import PolicyPrediction, SupportedData
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT

logger = logging.getLogger(__name__)

PREDICTION_CACHE_SIZE = "prediction_cache_size"
REPORT_EVERY = 1000  # predictions between two log lines with the cache's hit count


def freeze(states: Any) -> Hashable:
    """A hashable equivalent of dialogue states (dicts, lists and tuples of names and numbers).

    JSON with sorted keys: one C call, half the cost of rebuilding them as tuples in Python."""
    return json.dumps(states, sort_keys=True, ensure_ascii=False, default=repr)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITH_END_TO_END_SUPPORT, is_trainable=True
)
class CachedTEDPolicy(TEDPolicy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # A kept state is about 6.5 KB here (its key and 129 action confidences, measured), so the
        # cache stays under about 65 MB however many states the traffic brings.
        return {**TEDPolicy.get_default_config(), PREDICTION_CACHE_SIZE: 10_000}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._start_cache(self.config[PREDICTION_CACHE_SIZE])

    def _start_cache(self, size: int) -> None:
        self._cache_size = size
        self._cache: "OrderedDict[Hashable, PolicyPrediction]" = OrderedDict()
        self.cache_hits = self.cache_misses = 0

    def _states_key(self, tracker: DialogueStateTracker, domain: Domain,
                    rule_only_data: Optional[Dict[Text, Any]]) -> Hashable:
        """Everything TED's input is made of, as `TEDPolicy._featurize_tracker` builds it."""
        ml_only = self.supported_data() == SupportedData.ML_DATA

        def states(use_text: bool) -> Any:
            return self.featurizer.prediction_states(
                [tracker], domain, use_text_for_last_user_input=use_text, ignore_rule_only_turns=ml_only,
                rule_only_data=rule_only_data, ignore_action_unlikely_intent=ml_only,
            )[0]

        key = [tracker.latest_action_name, states(self.only_e2e)]
        if tracker.latest_action_name == ACTION_LISTEN_NAME and TEXT in self.fake_features and not self.only_e2e:
            key.append(states(True))
        return freeze(key)

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        precomputations: Optional[MessageContainerForCoreFeaturization] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        if self.model is None or self._cache_size <= 0:
            return super().predict_action_probabilities(tracker, domain, rule_only_data, precomputations, **kwargs)
        key = self._states_key(tracker, domain, rule_only_data)
        cached = self._cache.get(key)
        self._count(hit=cached is not None)
        if cached is not None:
            self._cache.move_to_end(key)
            return self._copy(cached)
        prediction = super().predict_action_probabilities(tracker, domain, rule_only_data, precomputations, **kwargs)
        if not prediction.events and not prediction.optional_events:
            self._cache[key] = self._copy(prediction)
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return prediction

    def _count(self, hit: bool) -> None:
        if hit:
            self.cache_hits += 1
        else:
            self.cache_misses += 1
        if (self.cache_hits + self.cache_misses) % REPORT_EVERY == 0:
            logger.info("TED prediction cache: %d hits, %d misses, %d states kept",
                        self.cache_hits, self.cache_misses, len(self._cache))

    @staticmethod
    def _copy(prediction: PolicyPrediction) -> PolicyPrediction:
        # The ensemble zeroes rejected actions in `probabilities` in place: each caller gets its own list.
        fresh = copy.copy(prediction)
        fresh.probabilities = list(prediction.probabilities)
        fresh.events, fresh.optional_events = list(prediction.events), list(prediction.optional_events)
        fresh.action_metadata = copy.copy(prediction.action_metadata)
        return fresh
