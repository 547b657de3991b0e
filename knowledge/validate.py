"""``python -m knowledge.validate [--root DIR]``: validate every knowledge file.

Run at start-up of every process (and before training): prints a one-line summary and exits 0,
or prints the problem (file and field) to stderr and exits 1.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

from .build_dictionary import load_vocabulary
from .errors import KnowledgeError
from .loader import DEFAULT_ROOT, TOPICS, load_knowledge


def summary(root: Path) -> str:
    kb = load_knowledge(root)
    vocabulary = load_vocabulary(root)
    facts = [fact for region in kb.regions.values() for fact in region.facts().values()]
    unverified = sum(1 for fact in facts if not fact.verified)
    regions = ", ".join(f"{key} ({region.name})" for key, region in kb.regions.items())
    return (
        f"knowledge OK: {len(kb.regions)} region(s) [{regions}], default {kb.default_region}, "
        f"{len(TOPICS)} topics, {len(facts)} facts ({unverified} unverified), "
        f"{len(kb.other_cities)} other places, {sum(len(v) for v in vocabulary.values())} vocabulary words"
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge.validate", description=__doc__)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="knowledge directory")
    args = parser.parse_args(argv)
    try:
        print(summary(args.root))
    except KnowledgeError as exc:
        print(f"knowledge INVALID: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
