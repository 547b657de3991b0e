"""Intent ensemble: DIET's ranking averaged with a character n-gram TF-IDF + logistic regression.

Measured on the held-out set (tests/nlu_eval, `make eval`): the linear model on character
n-grams and DIET make different mistakes, the linear model being steadier on out-of-scope
messages and very short ones, DIET on long and reordered ones; their average beats either.
Placed after DIETClassifier, it replaces `intent` and `intent_ranking` with the weighted mean,
so the FallbackClassifier after it thresholds the combined confidence.

The model is stored as plain arrays and JSON (vocabulary, idf, coefficients), not pickled: a model
file must not be able to run code when it is loaded.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

MODEL_FILE = "model.json"
COEF_FILE = "coef.npy"


def _vectorizer(config: Dict[Text, Any], vocabulary: Optional[Dict[str, int]] = None) -> TfidfVectorizer:
    vectorizer = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(config["min_ngram"], config["max_ngram"]),
        sublinear_tf=True,
        vocabulary=vocabulary,
    )
    if vocabulary is not None:
        vectorizer._validate_vocabulary()  # a fixed vocabulary, as fit() would leave it
    return vectorizer


def softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return exp / exp.sum(axis=1, keepdims=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class IntentEnsemble(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "diet_weight": 0.5,  # share of DIET's confidence in the average
            "min_ngram": 1,
            "max_ngram": 3,
            "C": 10.0,  # weak regularisation: a few hundred short examples, many n-grams
            "ranking_length": 10,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._vectorizer: Optional[TfidfVectorizer] = None
        self._classes: List[str] = []
        self._coef: Optional[np.ndarray] = None
        self._intercept: Optional[np.ndarray] = None

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "IntentEnsemble":
        return cls(config, model_storage, resource)

    # ---- training -----------------------------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if len({e.get(INTENT) for e in examples}) < 2:
            return self._resource  # nothing to tell apart: DIET's ranking stands alone
        vectorizer = _vectorizer(self.config)
        features = vectorizer.fit_transform([e.get(TEXT) for e in examples])
        model = LogisticRegression(C=self.config["C"], max_iter=2000)
        model.fit(features, [e.get(INTENT) for e in examples])
        self._vectorizer = vectorizer
        self._classes = [str(c) for c in model.classes_]
        if len(self._classes) == 2:  # sklearn keeps one row for two classes
            self._coef = np.vstack([-model.coef_[0], model.coef_[0]])
            self._intercept = np.array([-model.intercept_[0], model.intercept_[0]])
        else:
            self._coef, self._intercept = model.coef_, model.intercept_
        self.persist()
        return self._resource

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            (directory / MODEL_FILE).write_text(json.dumps({
                "classes": self._classes,
                "vocabulary": {term: int(i) for term, i in self._vectorizer.vocabulary_.items()},
                "idf": self._vectorizer.idf_.tolist(),
                "intercept": self._intercept.tolist(),
            }, ensure_ascii=False), encoding="utf-8")
            np.save(directory / COEF_FILE, self._coef, allow_pickle=False)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "IntentEnsemble":
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                stored = json.loads((directory / MODEL_FILE).read_text(encoding="utf-8"))
                coef = np.load(directory / COEF_FILE, allow_pickle=False)
        except (ValueError, FileNotFoundError):
            return component  # trained on fewer than two intents: DIET alone
        component._vectorizer = _vectorizer(component.config, stored["vocabulary"])
        component._vectorizer.idf_ = np.asarray(stored["idf"])
        component._classes = stored["classes"]
        component._coef, component._intercept = coef, np.asarray(stored["intercept"])
        return component

    # ---- inference ----------------------------------------------------------------------

    def linear_probabilities(self, texts: List[str]) -> np.ndarray:
        features = self._vectorizer.transform(texts)
        return softmax(np.asarray(features @ self._coef.T) + self._intercept)

    def process(self, messages: List[Message]) -> List[Message]:
        if self._vectorizer is None or not messages:
            return messages
        probabilities = self.linear_probabilities([m.get(TEXT) or "" for m in messages])
        weight = float(self.config["diet_weight"])
        for message, row in zip(messages, probabilities):
            diet = {r[INTENT_NAME_KEY]: r[PREDICTED_CONFIDENCE_KEY] for r in message.get(INTENT_RANKING_KEY) or []}
            linear = dict(zip(self._classes, row.tolist()))
            share = weight if diet else 0.0  # no DIET ranking (e.g. DIET left out): the linear model alone
            combined = {
                name: share * diet.get(name, 0.0) + (1 - share) * linear.get(name, 0.0)
                for name in set(linear) | set(diet)
            }
            ranking = sorted(
                ({INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: float(score)} for name, score in combined.items()),
                key=lambda r: -r[PREDICTED_CONFIDENCE_KEY],
            )
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking[: int(self.config["ranking_length"])], add_to_output=True)
        return messages
