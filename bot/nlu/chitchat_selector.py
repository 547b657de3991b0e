"""Rasa's ResponseSelector, run only on messages classified as its retrieval intent.

Rasa runs every pipeline component on every message, so the stock ResponseSelector spends a full
model inference choosing a chitchat answer for "我家停电了" too: about a tenth of the Rasa
server's CPU under load (benchmarks/README.md). Its choice is only read by `utter_chitchat`,
which rules run after the `chitchat` intent, so other messages skip it. Training is unchanged.
"""
from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class RetrievalIntentResponseSelector(ResponseSelector):
    def _is_for_me(self, message: Message) -> bool:
        if not self.retrieval_intent:  # a selector over all retrieval intents: nothing to skip
            return True
        return (message.get(INTENT) or {}).get(INTENT_NAME_KEY) == self.retrieval_intent

    def process(self, messages: List[Message]) -> List[Message]:
        super().process([message for message in messages if self._is_for_me(message)])
        return messages
