"""The generic rule every region topic file obeys, independent of its topic schema.

A mapping with a ``value`` key is a *fact* and must carry ``source`` and ``effective_date``
(optional ``note``, ``verified``, nothing else). Any other mapping is a *group* whose children
are facts or groups. Group keys are snake_case ASCII so dotted paths stay unambiguous.
Anything inside ``value`` is free-form (the topic schema types it).
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any, Dict, List, Sequence

from .errors import KnowledgeError, PathPart, located
from .model import Fact

FACT_KEYS = ("value", "source", "effective_date", "note", "verified")
_ENVELOPE_ONLY = set(FACT_KEYS) - {"value"}
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A folded YAML scalar (">-") joins lines with a space; between two Chinese characters that
# space is an artefact of line wrapping, not part of the text.
_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_FOLD_SPACE_RE = re.compile(f"(?<=[{_CJK}])\\s+(?=[{_CJK}])")


def tidy_text(text: str) -> str:
    return _FOLD_SPACE_RE.sub("", text.strip())


def parse_iso_date(raw: Any) -> date:
    """``YYYY-MM-DD`` only; raises ValueError otherwise (PyYAML leaves dates as text for us)."""
    if not isinstance(raw, str) or not _ISO_DATE_RE.match(raw):
        raise ValueError(f"{raw!r} is not an ISO date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a valid calendar date") from None


def collect_facts(topic: str, document: Any, file_label: str) -> Dict[str, Fact]:
    """Check the fact/group structure of one topic file and return its facts by dotted path."""
    if not isinstance(document, dict) or not document:
        raise KnowledgeError(
            located(file_label, [], "expected a non-empty mapping of facts and groups")
        )
    facts: Dict[str, Fact] = {}
    _walk(document, [], topic, file_label, facts)
    return facts


def _walk(node: dict, path: List[PathPart], topic: str, label: str, out: Dict[str, Fact]) -> None:
    if "value" in node:
        out[".".join([topic, *map(str, path)])] = _fact(node, path, topic, label)
        return
    stray = sorted(_ENVELOPE_ONLY & set(node))
    if stray:
        raise KnowledgeError(
            located(label, path, f"has {', '.join(stray)} but no 'value' (a fact needs a value)")
        )
    if not node:
        raise KnowledgeError(located(label, path, "empty group"))
    for key, child in node.items():
        here = [*path, key]
        if not isinstance(key, str) or not _KEY_RE.match(key):
            raise KnowledgeError(
                located(label, path, f"key {key!r} must be snake_case ASCII (a-z, 0-9, _)")
            )
        if not isinstance(child, dict):
            raise KnowledgeError(
                located(
                    label,
                    here,
                    "expected a fact {value, source, effective_date} or a group of facts, "
                    f"got {type(child).__name__}",
                )
            )
        _walk(child, here, topic, label, out)


def _fact(node: dict, path: Sequence[PathPart], topic: str, label: str) -> Fact:
    unknown = sorted(set(node) - set(FACT_KEYS), key=str)
    if unknown:
        raise KnowledgeError(
            located(label, path, f"unknown key(s) {unknown} in a fact; allowed: {list(FACT_KEYS)}")
        )
    for required in ("source", "effective_date"):
        if required not in node:
            raise KnowledgeError(located(label, path, f"fact is missing required key '{required}'"))
    source = node["source"]
    if not isinstance(source, str) or not source.strip():
        raise KnowledgeError(located(label, [*path, "source"], "must be a non-empty string"))
    try:
        effective = parse_iso_date(node["effective_date"])
    except ValueError as exc:
        raise KnowledgeError(located(label, [*path, "effective_date"], str(exc))) from None
    note = node.get("note")
    if note is not None and (not isinstance(note, str) or not note.strip()):
        raise KnowledgeError(located(label, [*path, "note"], "must be a non-empty string"))
    verified = node.get("verified", True)
    if not isinstance(verified, bool):
        raise KnowledgeError(located(label, [*path, "verified"], "must be true or false"))
    if not verified and note is None:
        # An unconfirmed value must say why and who has to confirm it.
        raise KnowledgeError(located(label, path, "verified: false needs a 'note' saying what is unconfirmed"))
    if node["value"] is None:
        raise KnowledgeError(
            located(label, [*path, "value"], "is empty; leave the fact out instead of null")
        )
    value = node["value"]
    return Fact(
        value=tidy_text(value) if isinstance(value, str) else value,
        source=source.strip(),
        effective_date=effective,
        note=tidy_text(note) if isinstance(note, str) else None,
        verified=verified,
        path=".".join([topic, *map(str, path)]),
    )
