"""``python -m knowledge.build_dictionary [--check]``: write the jieba user dictionary.

The dictionary (``bot/jieba_dict/userdict.txt``, jieba format ``word freq tag``) is generated
from the knowledge files so tokenisation follows the facts: domain words from
``vocabulary.yml``, region and other-city names from ``regions.yml``, and every region's
district names, aliases and streets from ``geography.yml``. Output is sorted so it only changes
when the knowledge changes; ``--check`` (and ``is_up_to_date()`` for the test) detect a stale file.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

from .errors import KnowledgeError
from .loader import DEFAULT_ROOT, load_knowledge
from .schema_check import validate_against_schema
from .yaml_io import display_path, read_yaml

REPO_ROOT = DEFAULT_ROOT.parent
DICTIONARY_PATH = REPO_ROOT / "bot" / "jieba_dict" / "userdict.txt"

# Frequencies high enough that jieba keeps these words whole instead of splitting them into
# commoner pieces (阶梯|电价), yet the same for all words of a kind so no term dominates another.
TERM_FREQ, NAME_FREQ, PLACE_FREQ = 20000, 20000, 10000
# When a word comes from several lists the first kind here wins (a district beats a term).
_KIND_ORDER = ("ns", "nz", "n")
_STREET_SUFFIXES = ("街道", "镇")

Entry = Tuple[str, int, str]


def load_vocabulary(root: Union[str, Path, None] = None) -> Dict[str, List[str]]:
    """``vocabulary.yml`` as ``{"terms": [...], "names": [...]}``, validated."""
    path = Path(root or DEFAULT_ROOT) / "vocabulary.yml"
    document = read_yaml(path)
    validate_against_schema("vocabulary", document, display_path(path))
    return {"terms": list(document["terms"]), "names": list(document.get("names", []))}


def dictionary_entries(root: Union[str, Path, None] = None) -> List[Entry]:
    """All ``(word, freq, tag)`` entries, one per word, sorted by word."""
    kb = load_knowledge(root)
    vocabulary = load_vocabulary(root)
    candidates: List[Entry] = []
    candidates += [(w, TERM_FREQ, "n") for w in vocabulary["terms"]]
    candidates += [(w, NAME_FREQ, "nz") for w in vocabulary["names"]]
    for region in kb.regions.values():
        candidates += [(w, PLACE_FREQ, "ns") for w in (region.name, *region.aliases)]
        candidates += [(w, PLACE_FREQ, "ns") for w in _geography_words(region.value("geography.districts"))]
    for place in kb.other_cities:
        candidates += [(w, PLACE_FREQ, "ns") for w in place.names]

    chosen: Dict[str, Entry] = {}
    for word, freq, tag in candidates:
        word = word.strip()
        if not word or any(ch.isspace() for ch in word):
            raise KnowledgeError(f"dictionary word {word!r} is empty or contains whitespace")
        current = chosen.get(word)
        if current is None or _KIND_ORDER.index(tag) < _KIND_ORDER.index(current[2]):
            chosen[word] = (word, freq, tag)
    return [chosen[word] for word in sorted(chosen)]


def _geography_words(districts: Iterable[dict]) -> List[str]:
    words: List[str] = []
    for district in districts:
        words += [district["name"], *district["aliases"]]
        for street in district["streets"]:
            words.append(street)
            for suffix in _STREET_SUFFIXES:
                short = street[: -len(suffix)] if street.endswith(suffix) else ""
                if len(short) >= 2:  # customers say 西乡 for 西乡街道; one character is too ambiguous
                    words.append(short)
    return words


def render(root: Union[str, Path, None] = None) -> str:
    return "".join(f"{word} {freq} {tag}\n" for word, freq, tag in dictionary_entries(root))


def write_dictionary(path: Path = DICTIONARY_PATH, root: Union[str, Path, None] = None) -> int:
    """Write the dictionary; returns the number of entries."""
    text = render(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return text.count("\n")


def is_up_to_date(path: Path = DICTIONARY_PATH, root: Union[str, Path, None] = None) -> bool:
    """True when ``path`` holds exactly what ``render()`` would write now."""
    try:
        return Path(path).read_text(encoding="utf-8") == render(root)
    except FileNotFoundError:
        return False


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge.build_dictionary", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale; write nothing")
    parser.add_argument("--output", type=Path, default=DICTIONARY_PATH)
    args = parser.parse_args(argv)
    try:
        if args.check:
            if is_up_to_date(args.output):
                print(f"{display_path(args.output)} is up to date")
                return 0
            print(f"{display_path(args.output)} is stale: run python -m knowledge.build_dictionary",
                  file=sys.stderr)
            return 1
        count = write_dictionary(args.output)
    except KnowledgeError as exc:
        print(f"knowledge INVALID: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {count} entries to {display_path(args.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
