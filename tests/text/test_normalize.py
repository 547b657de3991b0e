import pytest

from bot.text import normalize


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("８０ＫＷ", "80KW"),  # full-width letters and digits
        ("電費為什麼這麼貴？", "电费为什么这么贵?"),  # traditional -> simplified, full-width ?
        ("我家停电了😡😡", "我家停电了"),  # emoji dropped
        ("  我家   停电 了 \n", "我家停电了"),  # spaces between Chinese characters dropped
        ("我手机是139 1234 5678", "我手机是13912345678"),  # grouped digits joined
        ("app 怎么 交费", "app 怎么交费"),  # the tokenizer drops the remaining space
        ("two words", "two words"),  # Latin words keep their space
        ("充電樁", "充电桩"),
        ("", ""),
        ("\x00\x07停电\x1b", "停电"),  # control characters
        ("\u200b转\u200d人工\ufe0f", "转人工"),  # zero-width joiners and variation selectors
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("用了两百五十度", "用了250度"),
        ("七月用了四百五十度", "7月用了450度"),
        ("大概要一百五十千瓦", "大概要150千瓦"),  # the 千 of 千瓦 is a unit, not a thousand
        ("厂房要八百千伏安", "厂房要800千伏安"),
        ("三千块", "3000块"),
        ("零点五千瓦", "0.5千瓦"),
        ("三月五号停电吗", "3月5号停电吗"),
        ("十度", "10度"),
        ("幺三八零零一三八零零零", "13800138000"),  # spelled phone number
        ("一户多人口怎么申请", "一户多人口怎么申请"),  # not a number
        ("我想了解一下", "我想了解一下"),
        ("一个月多少钱", "一个月多少钱"),
        ("周六停电吗", "周六停电吗"),  # weekdays stay words for the date parser
        ("下周三", "下周三"),
        ("一千二百度", "1200度"),
    ],
)
def test_chinese_numerals(raw, expected):
    assert normalize(raw) == expected


def test_long_input_is_cut():
    assert len(normalize("停" * 10_000)) == 2000


@pytest.mark.parametrize("raw", ["\ud800", "\udfff停电", "\x00" * 100, "🙂" * 50])
def test_odd_input_never_raises(raw):
    assert isinstance(normalize(raw), str)
