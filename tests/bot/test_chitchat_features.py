"""The chitchat featurizer features exactly the messages the chitchat selector reads, as Rasa's does."""
import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.chitchat_features import IntentCountVectorsFeaturizer

TRAINING = [("你 是 谁", "chitchat"), ("你 叫 什么 名字", "chitchat"), ("我 家 停电 了", "outage_lookup"),
            ("电费 多少 钱 一 度", "tiered_tariff")]


def build(cls, tmp_path, name, **config):
    context = ExecutionContext(GraphSchema({}), "test-model")
    return cls.create({**cls.get_default_config(), **config}, LocalModelStorage(tmp_path), Resource(name), context)


def tokenized(messages):
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    tokenizer.process(messages)
    return messages


def trained(featurizer):
    data = TrainingData([Message(data={"text": text, "intent": intent}) for text, intent in TRAINING])
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process_training_data(data)
    featurizer.train(data)
    featurizer.process_training_data(data)
    return data


def message(text, intent):
    return Message(data={"text": text, "intent": {"name": intent, "confidence": 0.9}})


def features(message):
    return [(f.type, f.origin, f.features.toarray().tolist()) for f in message.features]


@pytest.mark.parametrize("analyzer", [{}, {"analyzer": "char_wb", "min_ngram": 1, "max_ngram": 3}])
def test_chitchat_messages_get_rasas_features_and_others_none(tmp_path, analyzer):
    ours = build(IntentCountVectorsFeaturizer, tmp_path, "ours", only_for_intent="chitchat", **analyzer)
    rasas = build(CountVectorsFeaturizer, tmp_path, "rasas", **analyzer)
    trained(ours), trained(rasas)
    chat, outage, unclassified = tokenized([message("你 是 谁 呀", "chitchat"), message("我 家 停电 了", "outage_lookup"),
                                            Message(data={"text": "嗯"})])
    returned = ours.process([chat, outage, unclassified])
    assert returned == [chat, outage, unclassified]  # every message goes on down the pipeline
    assert outage.features == [] and unclassified.features == []
    reference = tokenized([message("你 是 谁 呀", "chitchat")])[0]
    rasas.process([reference])
    assert features(chat) == features(reference) and np.sum(chat.features[0].features) > 0


def test_training_features_every_example(tmp_path):
    data = trained(build(IntentCountVectorsFeaturizer, tmp_path, "ours", only_for_intent="chitchat"))
    assert all(example.features for example in data.training_examples)


def test_without_an_intent_every_message_is_featurised(tmp_path):
    ours = build(IntentCountVectorsFeaturizer, tmp_path, "ours")
    trained(ours)
    outage = tokenized([message("我 家 停电 了", "outage_lookup")])[0]
    ours.process([outage])
    assert outage.features
