"""JSON Schema validation of knowledge files.

Schemas live in ``knowledge/schema/<name>.schema.json``. ``common.schema.json`` holds shared
``$defs`` (typed facts such as ``price``); they are merged into every schema at load time so a
topic schema can say ``{"$ref": "#/$defs/price"}`` without any cross-file reference machinery
(which changed between jsonschema releases).
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, List

import jsonschema

from .errors import KnowledgeError, located
from .yaml_io import display_path

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"


@lru_cache(maxsize=None)
def _validator(schema_dir: str, name: str) -> jsonschema.protocols.Validator:
    directory = Path(schema_dir)
    schema_path = directory / f"{name}.schema.json"
    try:
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
        common = json.loads((directory / "common.schema.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise KnowledgeError(f"{display_path(Path(exc.filename))}: schema file is missing") from None
    except json.JSONDecodeError as exc:
        raise KnowledgeError(f"{display_path(schema_path)}: invalid JSON: {exc}") from None
    schema["$defs"] = {**common.get("$defs", {}), **schema.get("$defs", {})}
    validator_cls = jsonschema.validators.validator_for(schema)
    try:
        validator_cls.check_schema(schema)
    except jsonschema.exceptions.SchemaError as exc:
        raise KnowledgeError(f"{display_path(schema_path)}: invalid schema: {exc.message}") from None
    return validator_cls(schema)


def validate_against_schema(name: str, document: Any, file_label: str,
                            schema_dir: Path = SCHEMA_DIR) -> None:
    """Raise ``KnowledgeError`` listing every schema violation as ``file: field: message``."""
    validator = _validator(str(schema_dir), name)
    errors = sorted(validator.iter_errors(document), key=_error_order)
    if not errors:
        return
    lines: List[str] = [located(file_label, list(e.absolute_path), _describe(e)) for e in errors[:10]]
    if len(errors) > 10:
        lines.append(f"... and {len(errors) - 10} more")
    raise KnowledgeError("\n".join(lines))


def _error_order(error: jsonschema.exceptions.ValidationError):
    return [str(p) for p in error.absolute_path], error.message


def _describe(error: jsonschema.exceptions.ValidationError) -> str:
    # The schema's own "description" says what the field means; show it with the raw message.
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    return f"{error.message} ({description})" if description else error.message
