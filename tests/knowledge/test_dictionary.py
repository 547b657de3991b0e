"""The generated jieba user dictionary is current and well-formed."""
from __future__ import annotations

import re

import pytest

from knowledge import build_dictionary
from knowledge.build_dictionary import DICTIONARY_PATH, dictionary_entries, is_up_to_date, render


def test_dictionary_is_up_to_date():
    assert is_up_to_date(), "run: python -m knowledge.build_dictionary"


def test_entries_sorted_unique_and_formatted():
    entries = dictionary_entries()
    words = [word for word, _, _ in entries]
    assert words == sorted(words) and len(words) == len(set(words))
    for line in render().splitlines():
        assert re.fullmatch(r"\S+ \d+ (n|nz|ns)", line), line


def test_render_is_deterministic():
    assert render() == render()


def test_contains_terms_districts_and_streets():
    tags = {word: tag for word, _, tag in dictionary_entries()}
    for term in ("阶梯电价", "一户多人口", "充电桩", "报装", "户号", "增容", "合表", "峰谷", "过户", "销户",
                 "电能表", "校验", "停电", "报修", "跳闸", "漏电开关", "千伏安", "千瓦"):
        assert tags.get(term) == "n", term
    assert tags["南网在线"] == "nz"
    for place in ("南山区", "南山", "大鹏新区", "深汕特别合作区", "粤海街道", "粤海", "西乡", "广州", "深圳"):
        assert tags.get(place) == "ns", place


def test_stale_file_detected(tmp_path):
    stale = tmp_path / "userdict.txt"
    assert not is_up_to_date(stale)  # missing
    stale.write_text("阶梯电价 1 n\n", encoding="utf-8")
    assert not is_up_to_date(stale)
    assert build_dictionary.main(["--output", str(stale)]) == 0
    assert is_up_to_date(stale)
    assert build_dictionary.main(["--check", "--output", str(stale)]) == 0


def test_jieba_keeps_domain_words_whole():
    jieba = pytest.importorskip("jieba")
    tokenizer = jieba.Tokenizer()
    tokenizer.load_userdict(str(DICTIONARY_PATH))
    assert "一户多人口" in tokenizer.lcut("我想申请一户多人口阶梯电价")
    assert "漏电开关" in tokenizer.lcut("家里漏电开关跳闸了")
    assert "西乡" in tokenizer.lcut("宝安西乡停电了")
