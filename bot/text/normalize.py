"""Input normalisation applied before NLU (and by actions to what customers type into forms).

Steps, in order: Unicode NFKC (full-width letters, digits and punctuation to half-width),
traditional to simplified characters, control characters and emoji removed, whitespace collapsed
(and dropped between Chinese characters and digits, as voice transcripts and phone numbers
typed in groups insert it), Chinese numerals that are quantities turned into digits.
"""
from __future__ import annotations

import re
import unicodedata

import zhconv

from bot.text.numerals import chinese_to_digits

MAX_INPUT_CHARS = 2000  # longer messages are cut: nothing a customer types needs more

# Symbols (So) cover emoji and pictographs; Cf covers joiners and variation selectors;
# Co is the private-use area, which must not leak into the numeral placeholders.
_DROP_CATEGORIES = {"So", "Cs", "Co", "Cn", "Cf"}
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
_SPACE_BETWEEN = re.compile(rf"(?<=[{_CJK}\d])\s+(?=[{_CJK}\d])")


def _drop_char(ch: str) -> bool:
    if "\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef":
        return True  # variation selectors (emoji presentation) are marks, not Cf
    category = unicodedata.category(ch)
    if category == "Cc":
        return ch not in "\n\t\r"
    return category in _DROP_CATEGORIES or category == "Sk"


def normalize(text: str) -> str:
    """The canonical form of a customer message. Never raises on str input."""
    if not text:
        return ""
    text = text[:MAX_INPUT_CHARS]
    text = unicodedata.normalize("NFKC", text)
    text = "".join(" " if ch in "\n\t\r" else ch for ch in text if not _drop_char(ch))
    text = zhconv.convert(text, "zh-cn")
    text = re.sub(r"\s+", " ", text).strip()
    text = _SPACE_BETWEEN.sub("", text)
    return chinese_to_digits(text)
