"""Policy facts for the assistant (YAML under knowledge/regions/<region>/) and calculators.

    from knowledge import load_knowledge, KnowledgeError
    region = load_knowledge().region()          # default region (深圳)
    region.fact("tariff.prices.including_funds.tier1").value

See docs/ARCHITECTURE.md for the contract and knowledge/README.md for editing the files.
"""
from .errors import KnowledgeError, UnknownFact
from .loader import TOPICS, clear_cache, load_knowledge
from .model import Fact, KnowledgeBase, OtherPlace, Region

__all__ = [
    "TOPICS",
    "Fact",
    "KnowledgeBase",
    "KnowledgeError",
    "OtherPlace",
    "Region",
    "UnknownFact",
    "clear_cache",
    "load_knowledge",
]
