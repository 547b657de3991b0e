"""bot.runtime.graph_runner runs Rasa's graphs with the results and errors of Rasa's own runner."""
from typing import Any, Dict

import dask
import pytest
from rasa.engine.exceptions import GraphComponentException, GraphRunError
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage

import bot.runtime  # noqa: F401  (installs the change, as the Rasa server does when loading the model)
from bot.runtime import graph_runner



def rasas_run(self, inputs=None, targets=None):
    """Rasa 3.6's DaskGraphRunner.run: the same graph through dask's synchronous scheduler."""
    run_targets = targets if targets else self._graph_schema.target_names
    run_graph = self._build_dask_graph(self._graph_schema.minimal_graph_schema(run_targets))
    if inputs:
        self._add_inputs_to_graph(inputs, run_graph)
    try:
        return dict(dask.get(run_graph, run_targets))
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e


class Add(GraphComponent):
    calls = 0

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage, resource, execution_context) -> "Add":
        return cls(config["n"])

    def __init__(self, n: int) -> None:
        self.n = n

    def run(self, **numbers: int) -> int:
        Add.calls += 1
        return sum(numbers.values()) + self.n


class Fails(Add):
    def run(self, **numbers: int) -> int:
        raise ValueError("boom")


def node(uses=Add, n=0, **needs):
    return SchemaNode(needs=needs, uses=uses, constructor_name="create", fn="run", config={"n": n})


# A diamond like Rasa's graphs: the shared node must run once per graph run.
SCHEMA = GraphSchema({
    "shared": node(n=1, x="__x__"),
    "left": node(n=10, a="shared"),
    "right": node(n=100, a="shared"),
    "both": node(n=1000, a="left", b="right", c="__y__"),
    "unused": node(n=5, x="__x__"),
    "broken": node(uses=Fails, a="shared"),
})


@pytest.fixture
def runner(tmp_path):
    return DaskGraphRunner(SCHEMA, LocalModelStorage(tmp_path), ExecutionContext(SCHEMA, "test-model"))


def test_installed_on_rasas_dask_runner():
    assert DaskGraphRunner.run is graph_runner.run


def test_results_are_the_same_as_with_dasks_scheduler(runner, monkeypatch):
    cases = [({"__x__": 1, "__y__": 2}, ["both"]), ({"__x__": 3, "__y__": 0}, ["left", "right"]),
             ({"__x__": 7}, ["shared"]), ({"__x__": 7}, None)]
    ours = []
    for inputs, targets in cases:
        ours.append(runner.run(inputs=inputs, targets=targets) if targets else None)
    monkeypatch.setattr(DaskGraphRunner, "run", rasas_run)
    for (inputs, targets), result in zip(cases, ours):
        if targets:
            assert result == runner.run(inputs=inputs, targets=targets)
    assert ours[0] == {"both": (1 + 1 + 10) + (1 + 1 + 100) + 2 + 1000}
    assert ours[1] == {"left": 14, "right": 104}


def test_each_node_runs_once_per_run_and_only_when_needed(runner):
    Add.calls = 0
    runner.run(inputs={"__x__": 1, "__y__": 2}, targets=["both"])
    assert Add.calls == 4  # shared, left, right, both: not `unused`, and `shared` once


def test_a_failing_node_raises_rasas_graph_error(runner, monkeypatch):
    with pytest.raises(GraphComponentException) as ours:
        runner.run(inputs={"__x__": 1}, targets=["broken"])
    monkeypatch.setattr(DaskGraphRunner, "run", rasas_run)
    with pytest.raises(GraphComponentException) as rasas:
        runner.run(inputs={"__x__": 1}, targets=["broken"])
    assert str(ours.value) == str(rasas.value)
    assert isinstance(ours.value.__cause__, ValueError)
