"""The real-customer set of `make eval REAL=path.tsv`: loading, multi-label scoring, leak check, replies.

A TSV with the header `accepted<TAB>text<TAB>source`: `accepted` is a comma-separated list of intent
labels, any of which counts as right (`fault_repair,complaint`); `source` says where the message
came from (a URL, a log's name) and may be empty. Blank lines are skipped; any other malformed row
stops the evaluation with its line number.

Scoring (`score_real`): a prediction is right when it is one of the accepted labels; `nlu_fallback`
counts as a rejection, like `out_of_scope`. Out-of-scope recall is over the messages whose accepted
labels include `out_of_scope` (rejected = found), in-scope false rejection over the others
(rejected = wrong). For per-intent figures and the confusion matrix, the "expected" label of a
multi-label row is the one the prediction matched, else the first one.

Leak check (`find_overlaps`): training examples that share a run of `OVERLAP_RUN` identical
characters with a real message, after an NFKC fold (full-width to half-width) of both.
"""
from __future__ import annotations

import asyncio
import difflib
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Collection, Dict, List, Optional, Sequence, Tuple

from benchmarks.nlu_metrics import OUT_OF_SCOPE, IntentReport, canonical_intent, score_intents

ROOT = Path(__file__).resolve().parent.parent
HEADER = ("accepted", "text", "source")
REAL_TARGETS = {"accuracy": 0.95, "oos_recall": 0.90, "false_rejection": 0.03}
OVERLAP_RUN = 10
LABEL = re.compile(r"^[a-z][a-z0-9_]*(/[a-z0-9_]+)?$")


class RealSetError(ValueError):
    """The TSV is malformed; the message names the file and line."""


@dataclass(frozen=True)
class RealExample:
    accepted: Tuple[str, ...]
    text: str
    source: str = ""
    line: int = 0

    @property
    def accepts_out_of_scope(self) -> bool:
        return OUT_OF_SCOPE in {canonical_intent(a) for a in self.accepted}


# ---- loading ---------------------------------------------------------------------------------


def load_real_set(path: Path, known_intents: Optional[Collection[str]] = None) -> List[RealExample]:
    """The messages of a real-set TSV; `known_intents` (the domain's) rejects unknown labels."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise RealSetError(f"{path}: cannot read ({error})") from error
    numbered = [(n, line) for n, line in enumerate(lines, 1) if line.strip()]
    if not numbered:
        raise RealSetError(f"{path}: empty file (expected the header {'<TAB>'.join(HEADER)})")
    header_line, header = numbered[0]
    if tuple(field.strip().lower() for field in header.split("\t")) != HEADER:
        raise RealSetError(f"{path}:{header_line}: the first line must be the header "
                           f"{'<TAB>'.join(HEADER)}, got {header!r}")
    known = {canonical_intent(i) for i in known_intents} if known_intents is not None else None
    examples = []
    for n, line in numbered[1:]:
        fields = line.split("\t")
        if len(fields) != len(HEADER):
            raise RealSetError(f"{path}:{n}: expected {len(HEADER)} tab-separated fields "
                               f"({', '.join(HEADER)}), got {len(fields)}")
        labels = tuple(dict.fromkeys(label.strip() for label in fields[0].split(",") if label.strip()))
        text, source = fields[1].strip(), fields[2].strip()
        if not labels:
            raise RealSetError(f"{path}:{n}: no accepted label")
        bad = [label for label in labels if not LABEL.match(label)]
        if bad:
            raise RealSetError(f"{path}:{n}: {bad[0]!r} is not an intent label "
                               "(accepted is a comma-separated list such as fault_repair,complaint)")
        unknown = [label for label in labels if known is not None and canonical_intent(label) not in known]
        if unknown:
            raise RealSetError(f"{path}:{n}: {unknown[0]!r} is not an intent of the domain")
        if not text:
            raise RealSetError(f"{path}:{n}: empty text")
        examples.append(RealExample(labels, text, source, n))
    if not examples:
        raise RealSetError(f"{path}: no messages after the header")
    return examples


# ---- scoring ---------------------------------------------------------------------------------


def expected_labels(examples: Sequence[RealExample], predicted: Sequence[str]) -> List[str]:
    """Per row, the accepted label the prediction matched, else the first accepted label."""
    expected = []
    for example, prediction in zip(examples, predicted):
        accepted = [canonical_intent(a) for a in example.accepted]
        prediction = canonical_intent(prediction)
        expected.append(prediction if prediction in accepted else accepted[0])
    return expected


def score_real(examples: Sequence[RealExample], predicted: Sequence[str]) -> IntentReport:
    if len(examples) != len(predicted):
        raise ValueError(f"{len(examples)} messages but {len(predicted)} predictions")
    report = score_intents(expected_labels(examples, predicted), predicted)
    rejected = [canonical_intent(p) == OUT_OF_SCOPE for p in predicted]
    oos = [r for e, r in zip(examples, rejected) if e.accepts_out_of_scope]
    in_scope = [r for e, r in zip(examples, rejected) if not e.accepts_out_of_scope]
    return replace(
        report,
        oos_recall=sum(oos) / len(oos) if oos else 0.0,
        false_rejection=sum(in_scope) / len(in_scope) if in_scope else 0.0,
    )


def real_targets(report: IntentReport) -> List[Tuple[str, bool, str]]:
    """(target, met, measured) for the real set."""
    return [
        ("intent accuracy ≥ 95%", report.accuracy >= REAL_TARGETS["accuracy"], f"{report.accuracy:.1%}"),
        ("out-of-scope recall ≥ 90%", report.oos_recall >= REAL_TARGETS["oos_recall"], f"{report.oos_recall:.1%}"),
        ("in-scope false rejection ≤ 3%", report.false_rejection <= REAL_TARGETS["false_rejection"],
         f"{report.false_rejection:.1%}"),
    ]


# ---- leak check ------------------------------------------------------------------------------


def fold(text: str) -> str:
    """The light normalisation both sides get before comparing: NFKC (full-width → half-width)."""
    return unicodedata.normalize("NFKC", text)


@dataclass(frozen=True)
class Overlap:
    training_text: str
    training_file: str
    run: str  # the longest shared run, folded
    real_line: int


def longest_common_run(a: str, b: str) -> str:
    match = difflib.SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return a[match.a:match.a + match.size]


def find_overlaps(training: Sequence[Tuple[str, str]], real: Sequence[RealExample],
                  min_run: int = OVERLAP_RUN) -> List[Overlap]:
    """One Overlap per (training example, real message) sharing `min_run` identical characters.
    `training` is (text, file) pairs."""
    folded = [fold(e.text) for e in real]
    index: Dict[str, set] = {}
    for i, text in enumerate(folded):
        for k in range(len(text) - min_run + 1):
            index.setdefault(text[k:k + min_run], set()).add(i)
    overlaps = []
    for text, file in training:
        own = fold(text)
        hits: set = set()
        for k in range(len(own) - min_run + 1):
            hits |= index.get(own[k:k + min_run], set())
        overlaps += [Overlap(text, file, longest_common_run(own, folded[i]), real[i].line) for i in sorted(hits)]
    return overlaps


def load_training_by_file(directory: Path = ROOT / "data" / "nlu") -> List[Tuple[str, str]]:
    """(text, file relative to the repository) of every NLU training example under `directory`."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples = []
    for path in sorted(p for p in directory.rglob("*") if p.suffix in (".yml", ".yaml", ".json", ".md")):
        name = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
        examples += [(m.get("text"), name) for m in load_data(str(path)).nlu_examples if m.get("text")]
    return examples


def overlap_markdown(overlaps: Sequence[Overlap], real_path: Path, training_count: int) -> str:
    distinct = len({(o.training_file, o.training_text) for o in overlaps})
    lines = [
        "# Training examples that overlap the real set",
        f"Training examples (data/nlu, {training_count}) sharing a run of {OVERLAP_RUN} or more identical "
        f"characters (after an NFKC width fold) with a message of `{real_path}`: **{distinct}** "
        f"({len(overlaps)} pairs). Remove or rewrite them: the real set must stay unseen.",
    ]
    if overlaps:
        cell = lambda s: s.replace("|", "\\|").replace("\n", " ")  # noqa: E731
        lines.append("\n".join(
            ["| training file | training text | shared run | real-set line |", "|---|---|---|---|"]
            + [f"| {o.training_file} | {cell(o.training_text)} | {cell(o.run)} | {o.real_line} |" for o in overlaps]))
    return "\n\n".join(lines) + "\n"


# ---- replies through the running stack -------------------------------------------------------


def one_line(text: str) -> str:
    return " ".join(str(text).replace("\t", " ").splitlines()).strip()


def joined_replies(messages: Sequence[Dict[str, Any]]) -> str:
    return " / ".join(one_line(m["text"]) for m in messages if m.get("text"))


def latest_user_intent(tracker: Dict[str, Any]) -> str:
    for event in reversed(tracker.get("events") or []):
        if event.get("event") == "user":
            return ((event.get("parse_data") or {}).get("intent") or {}).get("name") or ""
    return ""


async def send_all(url: str, texts: Sequence[str], concurrency: int = 4, timeout: float = 60.0,
                   api_token: Optional[str] = None) -> List[Tuple[str, str]]:
    """(predicted intent, replies) per text, each a fresh conversation `eval-real-<n>` (n from 1).
    The intent is read from the conversation's tracker (Rasa's HTTP API, `api_token` when it has one)."""
    import aiohttp

    gate = asyncio.Semaphore(concurrency)
    errors = (aiohttp.ClientError, asyncio.TimeoutError, ValueError)
    params = {"token": api_token} if api_token else {}

    async def one(session: "aiohttp.ClientSession", n: int, text: str) -> Tuple[str, str]:
        sender = f"eval-real-{n}"
        async with gate:
            try:
                async with session.post(f"{url}/webhooks/rest/webhook",
                                        json={"sender": sender, "message": text}) as response:
                    response.raise_for_status()
                    messages = await response.json()
            except errors as error:
                return "", f"(no reply: {type(error).__name__} {error})"
            try:
                async with session.get(f"{url}/conversations/{sender}/tracker", params=params) as response:
                    response.raise_for_status()
                    intent = latest_user_intent(await response.json())
            except errors as error:
                intent = f"(unknown: {type(error).__name__})"
        return intent, joined_replies(messages)

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        return list(await asyncio.gather(*(one(session, n, t) for n, t in enumerate(texts, 1))))


def replies_tsv(examples: Sequence[RealExample], results: Sequence[Tuple[str, str]]) -> str:
    rows = ["accepted\tpredicted intent\ttext\treply\tsource"]
    rows += [
        "\t".join([",".join(e.accepted), intent, one_line(e.text), reply, one_line(e.source)])
        for e, (intent, reply) in zip(examples, results)
    ]
    return "\n".join(rows) + "\n"


def collect_replies(examples: Sequence[RealExample], out: Path, concurrency: int = 4,
                    timeout: float = 60.0) -> List[Tuple[str, str]]:
    """Start the stack as the e2e tests do (back end, action server, Rasa with the trained model,
    throw-away databases), send every message, write `out`, stop the stack even on error."""
    from tests.e2e.conftest import Stack

    workdir = Path(tempfile.mkdtemp(prefix="eval-real-"))
    stack = Stack(workdir)
    try:
        try:
            stack.start()
        except RuntimeError:
            for name, text in stack.logs().items():
                print(f"----- {name} -----\n{text}")
            raise
        results = asyncio.run(send_all(stack.rasa_url, [e.text for e in examples], concurrency, timeout,
                                       api_token=getattr(stack, "api_token", None)))
    finally:
        stack.stop()
    out.write_text(replies_tsv(examples, results), encoding="utf-8")
    shutil.rmtree(workdir, ignore_errors=True)  # kept (logs, databases) when something failed
    return results
