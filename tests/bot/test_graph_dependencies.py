"""bot.runtime.graph_dependencies finds the same minimal graphs as Rasa's own walk."""
from rasa.engine.graph import GraphSchema, SchemaNode
from rasa.nlu.classifiers.keyword_intent_classifier import KeywordIntentClassifier

import bot.runtime  # noqa: F401  (installs the change, as the Rasa server does when loading the model)
from bot.runtime.graph_dependencies import all_dependencies


def rasas_walk(schema, targets):
    """Rasa 3.6's GraphSchema._all_dependencies_schema: every path, again and again."""
    required = []
    for target in targets:
        required.append(target)
        if target not in schema.nodes:
            continue
        for dependency in schema.nodes[target].needs.values():
            required += rasas_walk(schema, [dependency])
    return required


def node(**needs):
    return SchemaNode(needs=needs, uses=KeywordIntentClassifier, constructor_name="create", fn="process", config={})


# A diamond-rich graph like Rasa's prediction graph: many paths reach the same nodes.
SCHEMA = GraphSchema({
    "tokenizer": node(messages="__message__"),
    "featurizer_a": node(messages="tokenizer"),
    "featurizer_b": node(messages="tokenizer"),
    "classifier": node(a="featurizer_a", b="featurizer_b"),
    "selector": node(a="featurizer_a", b="featurizer_b", c="classifier"),
    "policy_1": node(tracker="__tracker__", nlu="selector"),
    "policy_2": node(tracker="__tracker__", nlu="selector", c="classifier"),
    "ensemble": node(p1="policy_1", p2="policy_2", tracker="__tracker__"),
    "unrelated": node(messages="__message__"),
})


def test_installed_on_rasa_graph_schemas():
    assert GraphSchema._all_dependencies_schema is all_dependencies


def test_the_same_nodes_as_rasas_walk_each_once():
    for targets in (["ensemble"], ["classifier"], ["selector", "policy_2"], ["tokenizer"], ["__message__"], ["unrelated", "classifier"]):
        ours = all_dependencies(SCHEMA, targets)
        assert set(ours) == set(rasas_walk(SCHEMA, targets)) and len(ours) == len(set(ours))
    assert len(rasas_walk(SCHEMA, ["ensemble"])) > len(all_dependencies(SCHEMA, ["ensemble"]))


def test_minimal_graph_schemas_are_unchanged():
    minimal = SCHEMA.minimal_graph_schema(["policy_1"])
    assert set(minimal.nodes) == {"tokenizer", "featurizer_a", "featurizer_b", "classifier", "selector", "policy_1"}
