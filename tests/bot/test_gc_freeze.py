"""bot.runtime.gc_freeze: a model's objects are frozen once, before its first message."""
import asyncio
import gc
import weakref
from unittest import mock

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import InMemoryLockStore

import bot.runtime  # noqa: F401  (installs the change, as the Rasa server does when loading the model)
from bot.runtime import gc_freeze


class Processor:
    """Stands in for the MessageProcessor of one loaded model."""

    def __init__(self):
        self.handled = []

    async def handle_message(self, message):
        self.handled.append(message.text)
        return [{"recipient_id": message.sender_id, "text": f"收到：{message.text}"}]


def agent_with(processor):
    agent = object.__new__(Agent)  # no model files needed: only what handle_message uses
    agent.processor = processor
    agent.lock_store = InMemoryLockStore()
    agent.is_ready = lambda: True
    return agent


@pytest.fixture(autouse=True)
def unfrozen_afterwards():
    yield
    gc.unfreeze()  # leave the test process as it was


def send(agent, text):
    return asyncio.run(agent.handle_message(UserMessage(text, sender_id="gc-test")))


def test_installed_on_rasas_agent():
    assert Agent.handle_message.__wrapped__ is not None


def test_the_first_message_of_a_model_freezes_it_once():
    first_model = Processor()
    agent = agent_with(first_model)
    with mock.patch.object(gc_freeze, "freeze_loaded_model", wraps=gc_freeze.freeze_loaded_model) as freeze:
        assert send(agent, "我家停电了") == [{"recipient_id": "gc-test", "text": "收到：我家停电了"}]
        assert gc.get_freeze_count() > 0
        send(agent, "福田区")
        assert freeze.call_count == 1
        agent.processor = Processor()  # a model loaded later (PUT /model)
        send(agent, "查电费")
        assert freeze.call_count == 2
    assert first_model.handled == ["我家停电了", "福田区"] and agent.processor.handled == ["查电费"]


def test_a_later_model_lets_the_previous_one_be_collected():
    class Model:
        pass

    old = Model()
    old.cycle = old  # only the cyclic collector can free it
    gc_freeze.freeze_loaded_model()
    collected = []
    weakref.finalize(old, collected.append, "old model")
    del old
    gc.collect()
    assert collected == []  # frozen: full collections leave it alone
    gc_freeze.freeze_loaded_model()  # the next model's first message
    assert collected == ["old model"]
