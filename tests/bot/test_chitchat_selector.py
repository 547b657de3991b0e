"""The chitchat ResponseSelector only runs on messages classified as chitchat."""
from unittest import mock

from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.chitchat_selector import RetrievalIntentResponseSelector


def selector(retrieval_intent):
    component = object.__new__(RetrievalIntentResponseSelector)  # no trained model needed here
    component.retrieval_intent = retrieval_intent
    return component


def message(text, intent):
    return Message(data={"text": text, "intent": {"name": intent, "confidence": 0.9}})


def test_only_chitchat_messages_reach_the_model():
    chat, outage, unclassified = message("你是谁", "chitchat"), message("我家停电了", "outage_lookup"), Message(data={"text": "嗯"})
    with mock.patch.object(ResponseSelector, "process", autospec=True) as process:
        returned = selector("chitchat").process([chat, outage, unclassified])
    process.assert_called_once()
    assert process.call_args.args[1] == [chat]
    assert returned == [chat, outage, unclassified]  # every message goes on down the pipeline


def test_no_model_call_without_chitchat():
    with mock.patch.object(ResponseSelector, "process", autospec=True) as process:
        selector("chitchat").process([message("电费多少钱一度", "tiered_tariff")])
    assert process.call_args.args[1] == []


def test_a_selector_over_every_retrieval_intent_sees_everything():
    messages = [message("你是谁", "chitchat"), message("我家停电了", "outage_lookup")]
    with mock.patch.object(ResponseSelector, "process", autospec=True) as process:
        selector(None).process(messages)
    assert process.call_args.args[1] == messages
