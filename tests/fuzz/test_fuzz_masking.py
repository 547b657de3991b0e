"""Customer numbers never leave in clear: property-based tests of bot/text/masking.py and of the
places that use it - the handoff summary an agent reads (actions/conversation.summary), the
hotline's transfer summary, and log records (install_log_masking)."""
from __future__ import annotations

import json
import logging
import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from actions.conversation import summary
from bot.text.masking import install_log_masking, mask_account, mask_phone, mask_text
from connectors.hotline import CallState, HotlineInput
from connectors.kvstore import MemoryStore
from tests.conftest import make_tracker
from tests.fuzz.strategies import hostile_text

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
PHONE = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
ACCOUNT = st.from_regex(r"03[0-9]{8}", fullmatch=True)
# What may surround a number without making it part of a longer digit run.
AROUND = st.text(st.characters(blacklist_categories=("Nd", "Cs")), max_size=30)


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
        if re.search(rf"(?<!\d){number}(?!\d)", text):  # on its own: masked in the readable form
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
