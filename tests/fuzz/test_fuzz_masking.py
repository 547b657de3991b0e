"""Customer numbers never leave in clear: property-based tests of bot/text/masking.py and of the
places that use it - the handoff summary an agent reads (actions/conversation.summary), the
hotline's transfer summary, and log records (install_log_masking) - with the numbers typed in every
form the NLU reads (grouped, full width, Chinese digits, mixed) next to words that carry numerals."""
from __future__ import annotations

import json
import logging
import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from actions.conversation import summary
from bot.text.masking import install_log_masking, mask_account, mask_phone, mask_text
from bot.text.normalize import normalize
from connectors.hotline import CallState, HotlineInput
from connectors.kvstore import MemoryStore
from tests.conftest import make_tracker
from tests.fuzz.strategies import hostile_text

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
PHONE = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
ACCOUNT = st.from_regex(r"03[0-9]{8}", fullmatch=True)
# What may surround a number without making it part of a longer digit run.
AROUND = st.text(st.characters(blacklist_categories=("Nd", "Cs")), max_size=30)


# Characters that can join a number into a longer run (digits and separators, see masking.py).
_JOINS = re.compile(r"[\dXxＸｘ⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉⓪①②③④⑤⑥⑦⑧⑨零〇一二三四五六七八九幺两兩壹贰貳叁參叄肆伍陆陸柒捌玖\s\-－—–‐‑−﹣.．·・･_＿]")


def _on_its_own(text: str, number: str) -> bool:
    """The number typed with nothing next to it that could make it part of a longer run."""
    for match in re.finditer(re.escape(number), text):
        if not _JOINS.search(text[max(0, match.start() - 1):match.start()] + text[match.end():match.end() + 1]):
            return True
    return False


@st.composite
def text_with_numbers(draw):
    numbers = draw(st.lists(PHONE | ACCOUNT, min_size=1, max_size=4))
    parts = [draw(AROUND)]
    for number in numbers:
        parts += [number, draw(AROUND)]
    return "".join(parts), numbers


@FUZZ
@given(text_with_numbers())
@example(("户号030000000013000000000", ["0300000000", "13000000000"]))  # found by this test: typed together
def test_mask_text_hides_every_phone_and_account_number(case):
    text, numbers = case
    masked = mask_text(text)
    for number in numbers:
        assert number not in masked
        if _on_its_own(text, number):  # masked in the readable form
            assert (mask_phone(number) if number.startswith("1") else mask_account(number)) in masked
    assert mask_text(masked) == masked  # idempotent


@FUZZ
@given(st.from_regex(r"[A-Z]{2}[0-9]{14}", fullmatch=True), AROUND, AROUND)
def test_work_order_numbers_stay_readable(order_no, before, after):
    assert order_no in mask_text(before + order_no + after)


@FUZZ
@given(hostile_text())
def test_mask_text_takes_anything(text):
    assert isinstance(mask_text(text), str)
    assert isinstance(mask_phone(text), str) and isinstance(mask_account(text), str)


@FUZZ
@given(st.lists(text_with_numbers(), min_size=1, max_size=6), PHONE, ACCOUNT)
def test_handoff_summary_for_the_agent_is_masked(messages, phone, account):
    events = [{"event": "user", "text": text, "parse_data": {"intent": {"name": "inform"}}} for text, _ in messages]
    slots = {"charging_pile_phone": phone, "account_no": account, "complaint_details": messages[0][0],
             "verified_account_no": account}
    tracker = make_tracker("转人工", intent="human_agent", events=events, slots=slots)
    written = json.dumps(summary(tracker), ensure_ascii=False)
    for number in [phone, account] + [n for _, numbers in messages for n in numbers]:
        assert number not in written


@FUZZ
@given(st.lists(text_with_numbers(), min_size=1, max_size=5))
def test_hotline_transfer_summary_is_masked(heard):
    state = CallState(MemoryStore(), "call-1")
    state.heard = [mask_text(text)[:60] for text, _ in heard]  # what handle() records
    written = HotlineInput(store=MemoryStore())._summary(state, "not_understood", "RG20261122000001")
    for _, numbers in heard:
        for number in numbers:
            assert number not in written


@FUZZ
@given(text_with_numbers())
def test_every_log_record_is_masked(case):
    text, numbers = case
    install_log_masking()
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    logger = logging.getLogger("fuzz.masking")
    handler = Keep()
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("customer said %s", text)
        logger.warning(text)
        try:
            raise ValueError(text)
        except ValueError:
            logger.exception("failed for %r", numbers)
    finally:
        logger.removeHandler(handler)
    written = "\n".join(records)
    for number in numbers:
        assert number not in written


# --- numbers in every form the NLU reads ---------------------------------------------------------
FULL_WIDTH_DIGITS = "０１２３４５６７８９"
CHINESE_FORMS = {"0": "零〇", "1": "一幺", "2": "二两", "3": "三", "4": "四", "5": "五", "6": "六", "7": "七",
                 "8": "八", "9": "九"}
SEPARATORS = [" ", "\u3000", "-", "－", ".", "．", "·", "_", "＿", "—", " - "]
DIGIT_LIKE = "".join(FULL_WIDTH_DIGITS) + "".join(CHINESE_FORMS.values()) + "两幺〇零兩壹贰貳叁參叄肆伍陆陸柒捌玖"
# Chinese text without digit-like characters (so every digit of the output comes from the mask),
# with the punctuation and spaces customers type around a number.
CJK_WORDS = st.text(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF, blacklist_characters=DIGIT_LIKE)
    | st.sampled_from("，。：！？（）《》、；“” abcXYZ:/#"),
    max_size=20,
).filter(lambda s: not re.search(r"[A-Za-z]$", s))  # letters + 14 digits would be a work-order number
# Words that carry Chinese digits of their own, right next to the number.
DIGIT_WORDS = st.sampled_from(["一直", "第一", "两个", "一户多人口", "三相电", "二房东", "一下", "十一", "九点",
                               "一二三四月", "", "，", "。", " "])


@st.composite
def rendered(draw, number: str) -> str:
    """`number` written digit by digit in ASCII, full width or Chinese, with random single separators."""
    out = []
    for i, digit in enumerate(number):
        if i and draw(st.integers(0, 3)) == 0:
            out.append(draw(st.sampled_from(SEPARATORS)))
        form = draw(st.integers(0, 2))
        out.append(digit if form == 0 else FULL_WIDTH_DIGITS[int(digit)] if form == 1
                   else draw(st.sampled_from(CHINESE_FORMS[digit])))
    return "".join(out)


def _as_digits(text: str) -> str:
    """Every digit of the text in ASCII, as an action stripping everything but digits would read it."""
    table = {ord(c): str(v) for v, forms in CHINESE_FORMS.items() for c in forms}
    table.update({ord(c): str(i) for i, c in enumerate(FULL_WIDTH_DIGITS)})
    return re.sub(r"[^0-9]", "", text.translate(table))


def _visible(number: str) -> str:
    return number[:3] + number[-4:] if number.startswith("1") else number[:2] + number[-2:]


@st.composite
def number_in_any_form(draw):
    number = draw(PHONE | ACCOUNT)
    return number, draw(rendered(number))


@FUZZ
@given(number_in_any_form(), CJK_WORDS, CJK_WORDS)
@example(("13812345678", "一三八 一二三四 五六七八"), "电话", "谢谢")
@example(("0301234567", "０３ ０１２３ ４５６７"), "户号", "")
@example(("13812345678", "幺三八-1234-五六七八"), "", "。")
def test_any_form_of_a_number_is_masked(case, before, after):
    number, typed = case
    text = before + typed + after
    masked = mask_text(text)
    assert typed not in masked
    # Only the digits the masked form shows are left, in any form: the middle digits are gone.
    assert _as_digits(masked) == _visible(number), (text, masked)
    assert masked == before + (mask_phone(number) if number.startswith("1") else mask_account(number)) + after
    assert mask_text(masked) == masked


@FUZZ
@given(st.lists(st.tuples(DIGIT_WORDS, number_in_any_form(), DIGIT_WORDS, CJK_WORDS), min_size=1, max_size=4))
@example([("一直", ("13812345678", "13812345678"), "一直", "")])
@example([("第一", ("0301234567", "0301234567"), "一下", "")])
def test_numbers_next_to_words_with_digits_are_masked(parts):
    text = "".join(a + typed + b + c for a, (_, typed), b, c in parts)
    masked = mask_text(text)
    normalised = normalize(masked)
    for _, (number, typed), _, _ in parts:
        assert typed not in masked
        assert number not in normalised  # as the NLU reads it
        assert number not in _as_digits(masked)  # as a form that keeps only digits reads it
    assert "*" in masked
    assert mask_text(masked) == masked


@FUZZ
@given(st.from_regex(r"[1-6][0-9]{16}[0-9X]|[3-6][0-9]{15,18}", fullmatch=True), CJK_WORDS, CJK_WORDS, st.data())
def test_id_and_card_numbers_in_any_form_are_masked(number, before, after, data):
    after = after.lstrip("Xx")  # an X right after the digits is the end of an ID number
    typed = data.draw(rendered(number.rstrip("X"))) + ("X" if number.endswith("X") else "")
    masked = mask_text(before + typed + after)
    assert typed not in masked
    assert _as_digits(masked) == _as_digits(number[:2] + number[-2:])
    assert mask_text(masked) == masked


@FUZZ
@given(st.text(st.sampled_from("一二三四五六七八九零〇幺两十百千万户号度月日人口个电相房东直下第 ，。-.0123456789"), max_size=40))
def test_mask_text_is_idempotent(text):
    once = mask_text(text)
    assert mask_text(once) == once


@FUZZ
@given(st.lists(st.sampled_from(["一户多人口", "二房东", "三相电", "一二三四月", "7千瓦", "350度", "128.50元",
                                 "2026-12-08", "10:30", "一下", "第一", "两个月", "十二月", "九点", "，", "。", " "]),
                max_size=12))
def test_ordinary_text_stays_readable(words):
    text = "".join(words)
    digits = len(re.findall(r"[0-9一二三四五六七八九零〇幺两]", text))
    if digits < 10:  # shorter than any number that is masked
        assert mask_text(text) == text
