"""Errors raised by the knowledge base.

Every message starts with the file it concerns and, where there is one, the field path inside
that file (``knowledge/regions/shenzhen/tariff.yml: tiers.summer.value[1]: ...``) so whoever
edits the YAML can find the mistake without reading Python.
"""
from __future__ import annotations

from typing import Iterable, Sequence, Union

PathPart = Union[str, int]


class KnowledgeError(Exception):
    """The knowledge files are missing, malformed or inconsistent, or a lookup failed."""


class UnknownFact(KnowledgeError, KeyError):
    """A dotted fact path (or region name) that the knowledge base does not hold.

    Also a ``KeyError`` so callers may treat it like a missing mapping key.
    """

    def __str__(self) -> str:  # KeyError would otherwise print the message with quotes
        return str(self.args[0]) if self.args else ""


def format_field_path(parts: Iterable[PathPart]) -> str:
    """``['tiers', 'summer', 'value', 1]`` -> ``tiers.summer.value[1]``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def located(file_label: str, field_path: Sequence[PathPart], message: str) -> str:
    """The standard ``file: field: message`` line."""
    return f"{file_label}: {format_field_path(field_path)}: {message}"
