"""Fixtures for knowledge tests: a writable copy of the real knowledge files in tmp_path, so a
test can break one file and check the error names that file and the field."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from knowledge.loader import DEFAULT_ROOT


@pytest.fixture
def kb_root(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    root.mkdir()
    shutil.copy(DEFAULT_ROOT / "regions.yml", root / "regions.yml")
    shutil.copy(DEFAULT_ROOT / "vocabulary.yml", root / "vocabulary.yml")
    shutil.copytree(DEFAULT_ROOT / "regions", root / "regions")
    return root


@pytest.fixture
def edit_yaml(kb_root: Path) -> Callable[[str, Callable[[Any], None]], Path]:
    """edit_yaml("regions/shenzhen/tariff.yml", mutate): load, mutate in place, write back."""

    def edit(relative: str, mutate: Callable[[Any], None]) -> Path:
        path = kb_root / relative
        # safe_load turns dates into date objects and safe_dump writes them back as YYYY-MM-DD.
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        mutate(document)
        path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path

    return edit
