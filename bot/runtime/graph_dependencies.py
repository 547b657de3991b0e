"""Find the nodes a Rasa graph run needs by visiting each node once.

For every run of its inference graph (each message's NLU, each prediction of the next action)
Rasa 3.6 collects the dependencies of the targets with `GraphSchema._all_dependencies_schema`,
which walks every path through the graph again, without remembering the nodes it has seen: a
node shared by many paths is visited many times, about 8 % of the Rasa server's CPU under load
(benchmarks/README.md). The caller only asks whether a node is in the result, so a walk that
visits each node once gives the same minimal graph.
"""
from __future__ import annotations

from typing import List, Text

from rasa.engine.graph import GraphSchema


def all_dependencies(schema: GraphSchema, targets: List[Text]) -> List[Text]:
    """The targets and every node they need, directly or not; each once."""
    seen: List[Text] = []
    known = set()
    pending = list(targets)
    while pending:
        name = pending.pop()
        if name in known:
            continue
        known.add(name)
        seen.append(name)
        node = schema.nodes.get(name)
        if node is not None:  # an input placeholder has no node
            pending.extend(node.needs.values())
    return seen


def install() -> None:
    GraphSchema._all_dependencies_schema = all_dependencies
