"""Strict YAML reading for knowledge files.

Two deliberate differences from ``yaml.safe_load``:
* dates stay strings, so ``effective_date`` is checked for the exact ISO form by our own rule
  (PyYAML would silently turn ``2021-06-01`` into a ``date`` but leave ``2021-6-1`` a string);
* a key repeated in one mapping is an error instead of the later value silently winning,
  which is the commonest copy-paste mistake when editing long fact files.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import KnowledgeError

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader without timestamp resolution and with duplicate-key detection."""

    def construct_mapping(self, node, deep=False):  # noqa: D401 - PyYAML hook
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key_node, _value_node in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    mark = key_node.start_mark
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", mark
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


_StrictLoader.yaml_implicit_resolvers = {
    first_char: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first_char, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def display_path(path: Path) -> str:
    """Path as shown in error messages: relative to the working directory when inside it."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def read_yaml(path: Path) -> Any:
    """Parse one YAML file; any problem becomes a ``KnowledgeError`` naming the file and line."""
    label = display_path(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KnowledgeError(f"{label}: file is missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"{label}: cannot read file: {exc}") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - _StrictLoader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(position unknown)"
        problem = getattr(exc, "problem", None) or str(exc)
        raise KnowledgeError(f"{label}: {where}: YAML syntax error: {problem}") from None
