"""The intent ensemble trains, survives a save and load as plain arrays, and averages its linear
model with DIET's ranking."""
from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.intent_ensemble import COEF_FILE, MODEL_FILE, IntentEnsemble

EXAMPLES = {
    "outage_lookup": ["停电了吗", "我家停电了", "什么时候来电", "小区停电了"],
    "tiered_tariff": ["阶梯电价怎么算", "电价多少钱一度", "一度电多少钱", "峰谷电价"],
    "greet": ["你好", "您好啊", "在吗", "早上好"],
}


@pytest.fixture
def storage(tmp_path):
    return LocalModelStorage(tmp_path)


def trained(storage, **config):
    resource = Resource("ensemble")
    context = ExecutionContext(GraphSchema({}), "test")
    component = IntentEnsemble.create({**IntentEnsemble.get_default_config(), **config}, storage, resource, context)
    data = TrainingData([Message.build(text=t, intent=i) for i, texts in EXAMPLES.items() for t in texts])
    component.train(data)
    return IntentEnsemble.load({**IntentEnsemble.get_default_config(), **config}, storage, resource, context)


def classify(component, text, diet_ranking=None):
    message = Message.build(text=text)
    if diet_ranking is not None:
        message.set("intent_ranking", diet_ranking)
    component.process([message])
    return message.get("intent"), message.get("intent_ranking")


def test_the_loaded_linear_model_classifies_and_stores_no_pickle(storage):
    component = trained(storage)
    with storage.read_from(Resource("ensemble")) as directory:
        assert {p.name for p in directory.iterdir()} == {MODEL_FILE, COEF_FILE}
    intent, ranking = classify(component, "我家停电了吗")
    assert intent["name"] == "outage_lookup"
    assert abs(sum(r["confidence"] for r in ranking) - 1.0) < 1e-6  # three classes, all ranked


def test_diet_and_the_linear_model_are_averaged(storage):
    component = trained(storage, diet_weight=0.5)
    _, alone = classify(component, "一度电多少钱")
    linear = {r["name"]: r["confidence"] for r in alone}
    diet = [{"name": "greet", "confidence": 0.9}, {"name": "tiered_tariff", "confidence": 0.1}]
    intent, ranking = classify(component, "一度电多少钱", diet)
    combined = {r["name"]: r["confidence"] for r in ranking}
    assert combined["greet"] == pytest.approx(0.5 * 0.9 + 0.5 * linear["greet"])
    assert combined["tiered_tariff"] == pytest.approx(0.5 * 0.1 + 0.5 * linear["tiered_tariff"])
    assert combined["outage_lookup"] == pytest.approx(0.5 * linear["outage_lookup"])  # DIET gave it nothing
    assert intent["name"] == max(combined, key=combined.get)


def test_an_ensemble_trained_on_one_intent_leaves_diet_alone(storage):
    resource = Resource("single")
    context = ExecutionContext(GraphSchema({}), "test")
    component = IntentEnsemble.create(IntentEnsemble.get_default_config(), storage, resource, context)
    component.train(TrainingData([Message.build(text="你好", intent="greet")]))
    loaded = IntentEnsemble.load(IntentEnsemble.get_default_config(), storage, resource, context)
    diet = [{"name": "greet", "confidence": 0.7}]
    message = Message.build(text="你好")
    message.set("intent", {"name": "greet", "confidence": 0.7})
    message.set("intent_ranking", diet)
    loaded.process([message])
    assert message.get("intent") == {"name": "greet", "confidence": 0.7}
