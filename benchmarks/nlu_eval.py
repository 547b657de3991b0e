"""`make eval`: our NLU pipeline, the plain Rasa pipeline and a TF-IDF baseline on the held-out set.

The held-out set (tests/nlu_eval/*.yml) is written apart from data/nlu; every system is trained on
data/nlu only. Prints per-intent precision/recall/F1, accuracy, macro-F1, out-of-scope recall and
in-scope false rejection for each system side by side, entity F1 for ours, and writes
results/nlu_eval/{report.md,report.json,confusion_matrix.png}. Exits non-zero only when it could
not run (no model, a training failed), never because a target was missed.

With `--real path.tsv` (`make eval REAL=path.tsv`) it also scores a set of real customer messages
(benchmarks/real_eval.py: format, multi-label scoring) for the same systems: first it lists the
training examples that share a 10-character run with a real message (real_overlap.md), then it
writes real_report.md, real_confusion_matrix.png and report.json's "real", and, unless
`--no-replies`, sends every real message through the running stack (real_replies.tsv).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
import time
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
from benchmarks.real_eval import (
    OVERLAP_RUN,
    RealExample,
    RealSetError,
    collect_replies,
    find_overlaps,
    load_real_set,
    load_training_by_file,
    overlap_markdown,
    real_targets,
    score_real,
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


def domain_intents() -> List[str]:
    intents = []
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("intents") or []:
            intents.append(item if isinstance(item, str) else next(iter(item)))
    return intents


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


def plot_confusion(report: IntentReport, rows: Sequence[str], path: Path,
                   title: str = "Intent confusion, our pipeline (tests/nlu_eval)") -> None:
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
    ax.set_title(title)
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


# ---- the real set (--real) -----------------------------------------------------------------


def check_overlaps(real: Sequence[RealExample], real_path: Path) -> int:
    """Print and write (real_overlap.md) the training examples sharing a run with the real set."""
    training = load_training_by_file()
    overlaps = find_overlaps(training, real)
    distinct = len({(o.training_file, o.training_text) for o in overlaps})
    print(f"Leak check: {distinct} training example(s) of {len(training)} share a run of ≥ {OVERLAP_RUN} "
          "identical characters with the real set" + (":" if overlaps else "."), flush=True)
    for o in overlaps:
        print(f"  {o.training_file}: {o.training_text}  [shared: {o.run}] (real-set line {o.real_line})")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "real_overlap.md").write_text(overlap_markdown(overlaps, real_path, len(training)), encoding="utf-8")
    return distinct


def real_misclassified(examples: Sequence[RealExample], predicted: Sequence[str], limit: int = 60) -> List[str]:
    wrong = [
        f"- line {e.line}: `{','.join(e.accepted)}` → `{canonical_intent(p)}`: {e.text}"
        for e, p in zip(examples, predicted)
        if canonical_intent(p) not in {canonical_intent(a) for a in e.accepted}
    ]
    return wrong[:limit] + ([f"- … and {len(wrong) - limit} more"] if len(wrong) > limit else [])


def real_section(real: Sequence[RealExample], real_path: Path, predictions: Dict[str, List[str]],
                 overlap_count: int) -> Tuple[str, Dict[str, Any]]:
    """real_report.md's text and report.json's "real"; draws real_confusion_matrix.png."""
    reports = {name: score_real(real, intents) for name, intents in predictions.items()}
    ours_name = next(iter(reports))
    ours = reports[ours_name]
    oos = sum(e.accepts_out_of_scope for e in real)
    header = ["system", "accuracy", "macro-F1", "out-of-scope recall", "in-scope false rejection"]
    rows = [summary_rows(n, r, None)[:-1] for n, r in reports.items()]
    targets = real_targets(ours)
    intent_rows = [
        [label] + [f"{r.per_intent[label].f1:.2f}" if label in r.per_intent else "-" for r in reports.values()]
        + [f"{ours.per_intent[label].precision:.2f}", f"{ours.per_intent[label].recall:.2f}",
           str(ours.per_intent[label].support)]
        for label in ours.per_intent
    ]
    text = "\n\n".join([
        f"# NLU evaluation (real customer messages, {real_path.name})",
        f"{len(real)} messages ({len(real) - oos} in scope, {oos} accepting out_of_scope) from `{real_path}`; "
        "`make eval REAL=...`. A prediction is right when it is any of the accepted labels; nlu_fallback "
        f"is a rejection. Training examples sharing a run of ≥ {OVERLAP_RUN} characters with this set: "
        f"**{overlap_count}** (real_overlap.md).",
        markdown_table(header, rows),
        "## Targets (our pipeline)\n\n"
        + markdown_table(["target", "measured", ""], [[t, v, _mark(ok)] for t, ok, v in targets]),
        "## Per intent (F1 of each system; precision, recall and support of ours; expected = the accepted "
        "label the prediction matched, else the first)\n\n"
        + markdown_table(["intent", *[f"F1 {n}" for n in reports], "P ours", "R ours", "n"], intent_rows),
        "## Misclassified by ours\n\n" + "\n".join(real_misclassified(real, predictions[ours_name])),
    ])
    plot_confusion(ours, sorted(ours.per_intent), OUT_DIR / "real_confusion_matrix.png",
                   title=f"Intent confusion, our pipeline (real set, {real_path.name})")
    data = {
        "file": str(real_path),
        "examples": len(real),
        "in_scope": len(real) - oos,
        "accepting_out_of_scope": oos,
        "overlapping_training_examples": overlap_count,
        "systems": {n: {k: v for k, v in asdict(r).items() if k not in ("labels", "confusion")}
                    for n, r in reports.items()},
        "targets": {t: {"measured": v, "met": ok} for t, ok, v in targets},
    }
    return text, data


def reply_check(real: Sequence[RealExample], model: Path, model_mtime: float, real_json: Dict[str, Any],
                written: List[str]) -> int:
    """Every real message through the running stack (real_replies.tsv); 2 when the stack did not start."""
    if model.resolve() != MODEL.resolve():
        print(f"Replies come from the stack's model {MODEL}, not {model}.")
    elif MODEL.stat().st_mtime != model_mtime:
        print(f"WARNING: {MODEL} was replaced during the evaluation (a training finished): the replies "
              "come from the new model, the figures above from the old one.")
        real_json["replies_from_newer_model"] = True
    print(f"\nReplies: starting the stack, sending the {len(real)} real messages "
          "(one conversation each, 4 at a time)...", flush=True)
    try:
        replies = collect_replies(real, OUT_DIR / "real_replies.tsv")
    except RuntimeError as error:
        print(f"Replies: the stack did not start: {error}", file=sys.stderr)
        return 2
    failed = sum(reply.startswith("(no reply") for _, reply in replies)
    print(f"Replies: {len(replies) - failed} answered, {failed} without a reply", flush=True)
    real_json["replies"] = {"file": "real_replies.tsv", "answered": len(replies) - failed, "failed": failed}
    written.append("real_replies.tsv")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-plain", action="store_true", help="leave out the plain Rasa pipeline (no training)")
    parser.add_argument("--model", type=Path, default=MODEL, help="our model to evaluate (default: the trained one)")
    parser.add_argument("--real", type=Path, help="also score this TSV of real customer messages "
                        "(accepted<TAB>text<TAB>source; benchmarks/real_eval.py)")
    parser.add_argument("--no-replies", action="store_true",
                        help="with --real: do not send the real messages through the running stack")
    args = parser.parse_args(argv)
    model = args.model
    started = time.monotonic()
    model_mtime = model.stat().st_mtime if model.exists() else 0.0
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    quiet_logs()

    if not model.exists():
        print(f"No model at {model}: run `make train` first.", file=sys.stderr)
        return 2
    real: List[RealExample] = []
    if args.real:
        try:
            real = load_real_set(args.real, known_intents=domain_intents())
        except RealSetError as error:
            print(f"Real set: {error}", file=sys.stderr)
            return 2
    examples = load_eval_set()
    texts = [e.text for e in examples]
    expected = [e.intent for e in examples]
    expected_entities = [entity_set(e.entities) for e in examples]
    print(f"Held-out set: {len(examples)} messages ({sum(e.intent != 'out_of_scope' for e in examples)} in scope, "
          f"{sum(e.intent == 'out_of_scope' for e in examples)} out of scope), {len(set(expected))} intents; "
          f"model {model} of {date.fromtimestamp(model.stat().st_mtime)}", flush=True)
    overlap_count = 0
    if real:
        print(f"Real set: {len(real)} messages from {args.real} "
              f"({sum(not e.accepts_out_of_scope for e in real)} in scope, "
              f"{sum(e.accepts_out_of_scope for e in real)} accepting out_of_scope)", flush=True)
        overlap_count = check_overlaps(real, args.real)

    # Each system predicts the held-out set and the real set in one pass (one model load).
    all_texts = texts + [e.text for e in real]
    _freeze_today()
    predicted: Dict[str, Tuple[List[str], List[Counter] | None]] = {}
    predicted["ours (config.yml)"] = rasa_predictions(model, all_texts)
    if not args.skip_plain:
        plain = train_plain_model()
        predicted["plain Rasa + JiebaTokenizer"] = rasa_predictions(plain, all_texts)
    predicted["TF-IDF + logistic regression"] = (tfidf_predictions(load_training_texts(), all_texts), None)
    held = len(texts)
    systems = {name: (intents[:held], None if ents is None else ents[:held])
               for name, (intents, ents) in predicted.items()}
    real_predictions = {name: intents[held:] for name, (intents, _) in predicted.items()}

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
    report_json: Dict[str, Any] = {
        "examples": len(examples),
        "systems": {n: {k: v for k, v in asdict(r).items() if k not in ("labels", "confusion")} for n, r in reports.items()},
        "entities": {n: {k: asdict(v) for k, v in e.items()} for n, e in entity_reports.items()},
    }
    plot_confusion(ours, sorted(ours.per_intent), OUT_DIR / "confusion_matrix.png")
    print(report_md)
    written = [str(OUT_DIR / "report.md"), "report.json", "confusion_matrix.png"]
    status = 0
    if real:
        real_md, report_json["real"] = real_section(real, args.real, real_predictions, overlap_count)
        (OUT_DIR / "real_report.md").write_text(real_md + "\n", encoding="utf-8")
        print("\n" + real_md)
        written += ["real_report.md", "real_confusion_matrix.png", "real_overlap.md"]
        if not args.no_replies:
            status = reply_check(real, model, model_mtime, report_json["real"], written)
    (OUT_DIR / "report.json").write_text(json.dumps(report_json, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\nWritten: {', '.join(written)} ({time.monotonic() - started:.0f} s)")
    return status


if __name__ == "__main__":
    sys.exit(main())
