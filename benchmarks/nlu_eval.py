"""`make eval`: our NLU pipeline, the plain Rasa pipeline and a TF-IDF baseline on the held-out set.

The held-out set (tests/nlu_eval/*.yml) is written apart from data/nlu; every system is trained on
data/nlu only. Prints per-intent precision/recall/F1, accuracy, macro-F1, out-of-scope recall and
in-scope false rejection for each system side by side, entity F1 for ours, and writes
results/nlu_eval/{report.md,report.json,confusion_matrix.png}. Exits non-zero only when it could
not run (no model, a training failed), never because a target was missed.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import yaml

from benchmarks.nlu_metrics import (
    SCORED_ENTITIES,
    IntentReport,
    Scores,
    canonical_intent,
    entity_set,
    score_entities,
    score_intents,
)

ROOT = Path(__file__).resolve().parent.parent
EVAL_DIR = ROOT / "tests" / "nlu_eval"
MODEL = ROOT / "models" / "assistant.tar.gz"
PLAIN_CONFIG = EVAL_DIR / "config_plain_jieba.yml"
PLAIN_MODEL_DIR = ROOT / "models" / "eval"
OUT_DIR = ROOT / "results" / "nlu_eval"
# The set's dates were written against this "today" (README of tests/nlu_eval).
REFERENCE_TODAY = date(2026, 12, 7)

TARGETS = {"accuracy": 0.95, "macro_f1": 0.93, "oos_recall": 0.90, "false_rejection": 0.03, "entity_f1": 0.92}


@dataclass
class Example:
    text: str
    intent: str
    style: str
    entities: Dict[str, Any] = field(default_factory=dict)
    source: str = ""


def load_eval_set(directory: Path = EVAL_DIR) -> List[Example]:
    examples = []
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if "examples" not in data:
            continue  # the comparison pipeline's config lives here too
        for item in data["examples"]:
            examples.append(
                Example(
                    text=str(item["text"]),
                    intent=item["intent"],
                    style=item.get("style", "plain"),
                    entities=dict(item.get("entities") or {}),
                    source=path.name,
                )
            )
    return examples


def load_training_texts() -> List[Tuple[str, str]]:
    """(text, intent) of every NLU training example, retrieval intents folded (chitchat/x -> chitchat)."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(ROOT / "data" / "nlu"))
    return [(m.get("text"), canonical_intent(m.get("intent"))) for m in data.intent_examples]


def quiet_logs() -> None:
    """Rasa logs every parse at debug level (stdlib logging and structlog): the report is the output."""
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    logging.getLogger("jieba").setLevel(logging.WARNING)


# ---- systems -------------------------------------------------------------------------------


def _freeze_today() -> None:
    """Relative dates (明天, 下周一) in the set are resolved against REFERENCE_TODAY."""
    import bot.nlu.entity_extractor as extractor

    class _Today(date):
        @classmethod
        def today(cls) -> date:  # noqa: D102
            return REFERENCE_TODAY

    extractor.date = _Today


async def _parse_all(model_path: Path, texts: Sequence[str]) -> List[Dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path))
    return [await agent.parse_message(text) for text in texts]


def rasa_predictions(model_path: Path, texts: Sequence[str]) -> Tuple[List[str], List[Counter]]:
    parsed = asyncio.run(_parse_all(model_path, texts))
    intents = [p.get("intent", {}).get("name") or "nlu_fallback" for p in parsed]
    entities = [entity_set([(e["entity"], e["value"]) for e in p.get("entities", [])]) for p in parsed]
    return intents, entities


def newest_mtime(paths: Sequence[Path]) -> float:
    return max(f.stat().st_mtime for p in paths for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file())


def train_plain_model() -> Path:
    """The plain Rasa pipeline (JiebaTokenizer, no custom components), retrained when its inputs change."""
    target = PLAIN_MODEL_DIR / "plain_jieba.tar.gz"
    inputs = [PLAIN_CONFIG, ROOT / "data" / "nlu", ROOT / "bot" / "domain"]
    if target.exists() and target.stat().st_mtime >= newest_mtime(inputs):
        return target
    print("Training the plain Rasa pipeline for comparison (tests/nlu_eval/config_plain_jieba.yml)...", flush=True)
    command = [
        str(Path(sys.executable).with_name("rasa")), "train", "nlu", "--config", str(PLAIN_CONFIG),
        "--nlu", str(ROOT / "data" / "nlu"), "--domain", str(ROOT / "bot" / "domain"),
        "--out", str(PLAIN_MODEL_DIR), "--fixed-model-name", "plain_jieba", "--num-threads", "2", "--quiet",
    ]
    subprocess.run(command, check=True, cwd=ROOT)
    return target


def tfidf_predictions(train: Sequence[Tuple[str, str]], texts: Sequence[str]) -> List[str]:
    """Character 1-3-gram TF-IDF and logistic regression on the raw texts: the cheapest honest
    baseline, and the model of our intent classifier without our normaliser and fallback threshold."""
    from bot.nlu.char_ngram_classifier import CharNgramIntentClassifier, char_ngram_pipeline

    model = char_ngram_pipeline(CharNgramIntentClassifier.get_default_config())
    model.fit([t for t, _ in train], [i for _, i in train])
    return list(model.predict(list(texts)))


# ---- report --------------------------------------------------------------------------------


def _mark(ok: bool) -> str:
    return "met" if ok else "MISSED"


def summary_rows(name: str, report: IntentReport, entity_f1: float | None) -> List[str]:
    return [
        name,
        f"{report.accuracy:.1%}",
        f"{report.macro_f1:.3f}",
        f"{report.oos_recall:.1%}",
        f"{report.false_rejection:.1%}",
        "-" if entity_f1 is None else f"{entity_f1:.3f}",
    ]


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def plot_confusion(report: IntentReport, rows: Sequence[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(12, 10))
    ax.imshow(report.confusion, cmap="Blues")
    ax.set_xticks(range(len(report.labels)), report.labels, rotation=90, fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    for i, row in enumerate(report.confusion):
        for j, count in enumerate(row):
            if count:
                ax.text(j, i, str(count), ha="center", va="center", fontsize=7,
                        color="white" if count > max(map(max, report.confusion)) / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("expected")
    ax.set_title("Intent confusion, our pipeline (tests/nlu_eval)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def misclassified(examples: Sequence[Example], predicted: Sequence[str], limit: int = 40) -> List[str]:
    wrong = [
        f"- `{e.intent}` → `{canonical_intent(p)}` ({e.style}): {e.text}"
        for e, p in zip(examples, predicted)
        if canonical_intent(p) != canonical_intent(e.intent)
    ]
    return wrong[:limit] + ([f"- … and {len(wrong) - limit} more"] if len(wrong) > limit else [])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-plain", action="store_true", help="leave out the plain Rasa pipeline (no training)")
    parser.add_argument("--model", type=Path, default=MODEL, help="our model to evaluate (default: the trained one)")
    args = parser.parse_args(argv)
    model = args.model
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    quiet_logs()

    if not model.exists():
        print(f"No model at {model}: run `make train` first.", file=sys.stderr)
        return 2
    examples = load_eval_set()
    texts = [e.text for e in examples]
    expected = [e.intent for e in examples]
    expected_entities = [entity_set(e.entities) for e in examples]
    print(f"Held-out set: {len(examples)} messages ({sum(e.intent != 'out_of_scope' for e in examples)} in scope, "
          f"{sum(e.intent == 'out_of_scope' for e in examples)} out of scope), {len(set(expected))} intents; "
          f"model {model} of {date.fromtimestamp(model.stat().st_mtime)}", flush=True)

    _freeze_today()
    systems: Dict[str, Tuple[List[str], List[Counter] | None]] = {}
    systems["ours (config.yml)"] = rasa_predictions(model, texts)
    if not args.skip_plain:
        plain = train_plain_model()
        systems["plain Rasa + JiebaTokenizer"] = rasa_predictions(plain, texts)
    systems["TF-IDF + logistic regression"] = (tfidf_predictions(load_training_texts(), texts), None)

    reports = {name: score_intents(expected, intents) for name, (intents, _) in systems.items()}
    entity_reports = {
        name: score_entities(expected_entities, ents) for name, (_, ents) in systems.items() if ents is not None
    }
    ours_name = next(iter(systems))
    ours, ours_entities = reports[ours_name], entity_reports[ours_name]

    header = ["system", "accuracy", "macro-F1", "out-of-scope recall", "in-scope false rejection", "entity F1"]
    rows = [summary_rows(n, r, entity_reports[n]["all"].f1 if n in entity_reports else None) for n, r in reports.items()]
    targets = [
        ("intent accuracy ≥ 95%", ours.accuracy >= TARGETS["accuracy"], f"{ours.accuracy:.1%}"),
        ("macro-F1 ≥ 0.93", ours.macro_f1 >= TARGETS["macro_f1"], f"{ours.macro_f1:.3f}"),
        ("out-of-scope recall ≥ 90%", ours.oos_recall >= TARGETS["oos_recall"], f"{ours.oos_recall:.1%}"),
        ("in-scope false rejection ≤ 3%", ours.false_rejection <= TARGETS["false_rejection"],
         f"{ours.false_rejection:.1%}"),
        ("entity F1 ≥ 0.92", ours_entities["all"].f1 >= TARGETS["entity_f1"], f"{ours_entities['all'].f1:.3f}"),
    ]
    intent_rows = [
        [label] + [f"{reports[n].per_intent[label].f1:.2f}" for n in reports]
        + [f"{ours.per_intent[label].precision:.2f}", f"{ours.per_intent[label].recall:.2f}",
           str(ours.per_intent[label].support)]
        for label in ours.per_intent
    ]
    entity_rows = [
        [name, f"{s.precision:.2f}", f"{s.recall:.2f}", f"{s.f1:.3f}", str(s.support)]
        for name, s in ours_entities.items()
    ]
    report_md = "\n\n".join([
        "# NLU evaluation (held-out set, tests/nlu_eval)",
        f"{len(examples)} messages; `make eval`; dates resolved against {REFERENCE_TODAY.isoformat()}.",
        markdown_table(header, rows),
        "## Targets (our pipeline)\n\n" + markdown_table(["target", "measured", ""], [[t, v, _mark(ok)] for t, ok, v in targets]),
        "## Per intent (F1 of each system; precision, recall and support of ours)\n\n"
        + markdown_table(["intent", *[f"F1 {n}" for n in reports], "P ours", "R ours", "n"], intent_rows),
        "## Entities (ours)\n\n" + markdown_table(["entity", "precision", "recall", "F1", "n"], entity_rows),
        "## Misclassified by ours\n\n" + "\n".join(misclassified(examples, systems[ours_name][0])),
    ])
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "report.md").write_text(report_md + "\n", encoding="utf-8")
    (OUT_DIR / "report.json").write_text(json.dumps({
        "examples": len(examples),
        "systems": {n: {k: v for k, v in asdict(r).items() if k not in ("labels", "confusion")} for n, r in reports.items()},
        "entities": {n: {k: asdict(v) for k, v in e.items()} for n, e in entity_reports.items()},
    }, ensure_ascii=False, indent=1), encoding="utf-8")
    plot_confusion(ours, sorted(ours.per_intent), OUT_DIR / "confusion_matrix.png")
    print(report_md)
    print(f"\nWritten: {OUT_DIR / 'report.md'}, report.json, confusion_matrix.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
