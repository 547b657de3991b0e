"""Run Rasa's graphs with dask's plain sequential `get`, without its scheduler's bookkeeping.

Rasa 3.6's `DaskGraphRunner.run` executes every graph run (each message's NLU, each prediction
of the next action) with `dask.get`, dask's synchronous *scheduler*: it orders the tasks with
dask's memory-saving heuristic, and submits each one through an executor, futures and a result
queue. For graphs of a dozen nodes, run in one thread, that bookkeeping was about a tenth of
the Rasa server's CPU under load (benchmarks/README.md). `dask.core.get` executes the same
graph in dependency order with the same task semantics, in the caller's thread, and raises a
node's exception as it is, as `dask.get` does.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

import dask.core
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

logger = logging.getLogger(__name__)


def run(self: DaskGraphRunner, inputs: Optional[Dict[Text, Any]] = None,
        targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
    """`DaskGraphRunner.run` (Rasa 3.6.21) with `dask.core.get` in place of `dask.get`."""
    run_targets = targets if targets else self._graph_schema.target_names
    minimal_schema = self._graph_schema.minimal_graph_schema(run_targets)
    run_graph = self._build_dask_graph(minimal_schema)
    if inputs:
        self._add_inputs_to_graph(inputs, run_graph)
    try:
        return dict(dask.core.get(run_graph, run_targets))
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e


def install() -> None:
    DaskGraphRunner.run = run
