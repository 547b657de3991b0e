"""JiebaTokenizer without whitespace tokens (RasaHQ/rasa#7910).

Rasa 3.6's JiebaTokenizer keeps " " as tokens; featurizers later strip them and entity spans
go out of alignment. Dropping them here keeps offsets right for mixed text like "app 怎么交费".
The user dictionary (`dictionary_path`, a directory) is persisted into the model by the parent.
"""
from __future__ import annotations

from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class CleanJiebaTokenizer(JiebaTokenizer):
    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        tokens = super().tokenize(message, attribute)
        kept = [token for token in tokens if token.text.strip()]
        if not kept and tokens:
            kept = tokens[:1]  # Rasa needs at least one token per message
        return kept
