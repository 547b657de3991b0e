"""Every response of the domain goes through Rasa's placeholder filling without an error, and
button payloads come out exactly as the NLU reads them."""
import asyncio
from unittest import mock

import pytest
from rasa.core.nlg import interpolator
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

DOMAIN = Domain.load("bot/domain")
NLG = TemplatedNaturalLanguageGenerator(DOMAIN.responses)


def render(name):
    tracker = DialogueStateTracker("test", DOMAIN.slots)
    return asyncio.run(NLG.generate(name, tracker, "rest"))


@pytest.mark.parametrize("name", sorted(DOMAIN.responses))
def test_fills_without_an_error(name):
    with mock.patch.object(interpolator.structlogger, "exception") as logged:
        render(name)
    assert not logged.called, logged.call_args


def test_button_payloads_with_entities_come_out_as_written():
    payloads = [button["payload"] for button in render("utter_ask_connection_customer_type")["buttons"]]
    assert payloads == ['/inform{"customer_type": "residential"}', '/inform{"customer_type": "business"}',
                        '/inform{"customer_type": "factory"}']
