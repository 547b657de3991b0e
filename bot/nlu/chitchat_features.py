"""Rasa's CountVectorsFeaturizer, run only on the messages the chitchat selector will read.

The bag-of-words features feed nothing but the chitchat ResponseSelector (the intent classifier
reads the text itself, and no policy reads message features), and the selector only runs on
messages classified as `chitchat` (bot/nlu/chitchat_selector.py). Featurising every other message
was about 6 % of the Rasa server's CPU under load (benchmarks/README.md). So this featurizer
comes after the intent classifier in config.yml and skips messages of other intents. Training is
unchanged: every training example is featurised, as before.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class IntentCountVectorsFeaturizer(CountVectorsFeaturizer):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # The intent whose messages are featurised; None featurises every message, as Rasa's does.
        return {**CountVectorsFeaturizer.get_default_config(), "only_for_intent": None}

    def _is_wanted(self, message: Message) -> bool:
        wanted = self._config.get("only_for_intent")
        return not wanted or (message.get(INTENT) or {}).get(INTENT_NAME_KEY) == wanted

    def process(self, messages: List[Message]) -> List[Message]:
        super().process([message for message in messages if self._is_wanted(message)])
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # Rasa's goes through `process`: every training example is featurised, whatever its intent.
        super().process(training_data.training_examples)
        return training_data
