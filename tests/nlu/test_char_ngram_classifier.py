"""The character n-gram intent classifier trains, ranks, persists and reloads like a Rasa classifier."""
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.char_ngram_classifier import MODEL_FILE, CharNgramIntentClassifier

EXAMPLES = {
    "outage_lookup": ["我家停电了", "小区怎么没电了", "什么时候来电", "现在停电了吗", "整栋楼都黑了"],
    "tiered_tariff": ["阶梯电价怎么算", "一度电多少钱", "第二档从多少度开始", "电价分几档", "夏季电价多少"],
    "out_of_scope": ["明天天气怎么样", "讲个笑话", "燃气费怎么交", "推荐一部电影", "水管爆了找谁"],
}


@pytest.fixture
def storage(tmp_path):
    return LocalModelStorage(tmp_path)


def context():
    return ExecutionContext(GraphSchema({}), "test")


def trained(storage, resource=Resource("classifier")):
    classifier = CharNgramIntentClassifier.create({}, storage, resource, context())
    data = TrainingData([Message(data={"text": t, "intent": i}) for i, texts in EXAMPLES.items() for t in texts])
    classifier.train(data)
    return classifier


def parse(classifier, text):
    message = Message(data={"text": text})
    classifier.process([message])
    return message


def test_predicts_an_intent_with_a_ranking(storage):
    message = parse(trained(storage), "我们小区停电了")
    assert message.get("intent")["name"] == "outage_lookup"
    ranking = message.get("intent_ranking")
    assert [r["name"] for r in ranking][0] == "outage_lookup" and len(ranking) == 3
    assert abs(sum(r["confidence"] for r in ranking) - 1.0) < 1e-6
    assert ranking == sorted(ranking, key=lambda r: -r["confidence"])


def test_persists_and_reloads_with_the_same_predictions(storage):
    resource = Resource("classifier")
    before = parse(trained(storage, resource), "二档电价多少钱一度").get("intent_ranking")
    loaded = CharNgramIntentClassifier.load({}, storage, resource, context())
    # Loaded with column-major coefficients (no copy per prediction) and the same figures.
    assert loaded.model.steps[-1][1].coef_.flags["F_CONTIGUOUS"]
    assert parse(loaded, "二档电价多少钱一度").get("intent_ranking") == before


def test_a_tampered_model_file_stops_loading(storage):
    resource = Resource("classifier")
    trained(storage, resource)
    with storage.write_to(resource) as directory:
        (directory / MODEL_FILE).write_bytes(b"not a model")
    with pytest.raises(Exception):
        CharNgramIntentClassifier.load({}, storage, resource, context())


@pytest.mark.parametrize("data", [{}, {"text": ""}])
def test_a_message_without_text_gets_no_intent_and_falls_back(storage, data):
    from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier

    message = Message(data=dict(data))
    trained(storage).process([message])
    assert message.get("intent") == {"name": None, "confidence": 0.0} and message.get("intent_ranking") == []
    fallback = FallbackClassifier.create({**FallbackClassifier.get_default_config(), "threshold": 0.2},
                                         None, None, context())
    fallback.process([message])  # what the pipeline does next: no crash, the fallback intent
    assert message.get("intent")["name"] == "nlu_fallback"
