"""Leave the loaded model out of Python's full garbage collections.

The Rasa server holds about 800,000 Python objects once the model is loaded (TensorFlow, spaCy,
the domain, the NLU pipeline), and every object a message creates counts towards Python's next
collection: under load a full collection ran every few seconds and took about 0.45 s each,
stopping every conversation meanwhile (about a tenth of the server's CPU and much of its p95,
benchmarks/README.md). Those objects live as long as the model, so before the first message of a
model they are collected once and then frozen (`gc.freeze()`): later collections only look at
what messages create (about 12 ms a full collection measured). Reference counting still frees
frozen objects; a model loaded later unfreezes the previous one first, so it can be collected.
"""
from __future__ import annotations

import functools
import gc
import logging
from typing import Any, Callable

from rasa.core.agent import Agent

logger = logging.getLogger(__name__)

# Set on a MessageProcessor (one per loaded model) once its model has been frozen.
FROZEN_ATTRIBUTE = "_bot_model_frozen"


def freeze_loaded_model() -> None:
    """Collect what loading left behind, then keep everything alive now out of full collections."""
    gc.unfreeze()  # a previous model's objects, if any, become collectable again
    gc.collect()
    gc.freeze()
    logger.info("Model loaded: %d objects left out of full garbage collections.", gc.get_freeze_count())


def freezing_first(handle_message: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(handle_message)
    async def handle_after_freezing(self: Agent, message: Any) -> Any:
        processor = self.processor
        if processor is not None and not getattr(processor, FROZEN_ATTRIBUTE, False):
            setattr(processor, FROZEN_ATTRIBUTE, True)
            freeze_loaded_model()
        return await handle_message(self, message)

    return handle_after_freezing


def install() -> None:
    if not getattr(Agent.handle_message, "__wrapped__", None):
        Agent.handle_message = freezing_first(Agent.handle_message)
