"""bot/text/masking.py: every form of a phone, account, ID or card number the NLU reads is masked, the
text around it and ordinary text (words with numerals, amounts, dates) are not."""
import logging

import pytest

from bot.text.masking import (MaskingFilter, MaskingFormatter, install_log_masking, mask_account, mask_name,
                              mask_phone, mask_text)


def test_mask_phone_and_account():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_account("0301234567") == "03******67"
    assert mask_phone("12") == "**"


def test_mask_text():
    masked = mask_text("户号0301234567，手机13812345678，订单BZ20261120000012")
    assert "0301234567" not in masked and "13812345678" not in masked
    assert "03******67" in masked and "138****5678" in masked
    assert "BZ20261120000012" in masked  # order numbers are not personal data


def test_log_filter_masks_arguments(caplog):
    logger = logging.getLogger("masking-test")
    handler_filter = MaskingFilter()
    record = logger.makeRecord("x", logging.INFO, __file__, 1, "phone %s", ("13812345678",), None)
    handler_filter.filter(record)
    assert record.getMessage() == "phone 138****5678"


# --- every way the NLU (bot/text/normalize.py + the entity extractor) reads a number -------------
PHONE_FORMS = [
    "13812345678", "138 1234 5678", "138-1234-5678", "138.1234.5678", "138_1234_5678", "138·1234·5678",
    "138\u30001234\u30005678", "138－1234－5678", "138．1234．5678", "138—1234—5678", "138 - 1234 - 5678",
    "１３８１２３４５６７８", "１３８ １２３４ ５６７８", "一三八一二三四五六七八", "幺三八一二三四五六七八",
    "一三八 一二三四 五六七八", "138 一二三四 5678", "一三八1234五六七八", "1３8一2三4五6七8",
]
ACCOUNT_FORMS = [
    "0301234567", "03 0123 4567", "03-0123-4567", "030.123.4567", "０３０１２３４５６７", "零三零一二三四五六七",
    "〇三〇一二三四五六七", "03 零一二三 4567", "０3０1２3４5６7",
]


@pytest.mark.parametrize("form", PHONE_FORMS)
@pytest.mark.parametrize("before,after", [("", ""), ("我的手机号是", "，谢谢"), ("电话：", "。"), ("Tel ", " ok")])
def test_phone_in_any_form_is_masked_and_the_text_around_kept(form, before, after):
    assert mask_text(before + form + after) == before + "138****5678" + after


@pytest.mark.parametrize("form", ACCOUNT_FORMS)
@pytest.mark.parametrize("before,after", [("", ""), ("户号", "停电了"), ("我家户号是 ", "。")])
def test_account_in_any_form_is_masked_and_the_text_around_kept(form, before, after):
    assert mask_text(before + form + after) == before + "03******67" + after


@pytest.mark.parametrize("text,expected", [
    ("身份证110101199003071234", "身份证11**************34"),
    ("身份证11010119900307123X，", "身份证11**************3X，"),
    ("身份证11010119900307123x", "身份证11**************3X"),
    ("身份证 110101 19900307 123X", "身份证 11**************3X"),
    ("卡号6222 0212 3456 7890 123", "卡号62***************23"),
    ("卡号６２２２０２１２３４５６７８９０", "卡号62************90"),
    ("户号030000000013000000000", "户号03*****************00"),  # two numbers typed together
    ("138123456789", "13********89"),
    ("座机0755-12345678", "座机07********78"),  # a landline with its area code is a long run too
    ("一一〇一〇一一九九〇〇三〇七一二三四", "11**************34"),
])
def test_id_and_card_numbers_are_masked(text, expected):
    assert mask_text(text) == expected


@pytest.mark.parametrize("text,expected", [
    # Chinese digits that belong to the words around the number stay words.
    ("我的手机13812345678一直打不通", "我的手机138****5678一直打不通"),
    ("户号0301234567一直停电", "户号03******67一直停电"),
    ("第一0301234567", "第一03******67"),
    ("一三八一二三四五六七八九", "138****5678九"),
    # A long run is masked whole, Chinese digits at its edge included.
    ("身份证110101199003071234一直用不了", "身份证11***************41直用不了"),
    ("手机13812345678X", "手机138****5678X"),
    ("户号0301234567 2号楼", "户号03******67 2号楼"),
    ("户号0301234567-12", "户号03******67-12"),
    ("电话13812345678 12楼", "电话138****5678 12楼"),
    ("1 0301234567", "1 03******67"),
    ("¹0301234567", "¹03******67"),
    ("13812345678¹", "138****5678¹"),
    ("1０３０１２３４５６７", "103******67"),
    # A date before a number stays readable, the number is masked on its own.
    ("2026-12-08 13812345678来电", "2026-12-08 138****5678来电"),
    ("2026-12-08 110101199003071234", "2026-12-08 11**************34"),
    ("2026-12-08 12345", "2026-12-08 12345"),
    # +86 stays readable, the phone is masked.
    ("+86 138 1234 5678", "+86 138****5678"),
    ("8613812345678", "86138****5678"),
])
def test_edges_of_a_run(text, expected):
    assert mask_text(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("订单BZ20261120000012", "订单BZ20261120000012"),
    ("工单BZ20261120000012 13812345678", "工单BZ20261120000012 138****5678"),
    ("工单BZ20261120000012一张", "工单BZ20261120000012一张"),
    ("工单BZ20261120000012一三八一二三四五六七八", "工单BZ20261120000012 138****5678"),
    ("RG20261122000001，0301234567", "RG20261122000001，03******67"),
])
def test_work_order_numbers_stay_readable(text, expected):
    assert mask_text(text) == expected


@pytest.mark.parametrize("text", [
    "一户多人口", "二房东不让装表", "三相电和两相电有什么区别", "一二三四月的电费", "一二三四五六七八九十",
    "十二月一号到三十一号", "我家一个月用电三百五十度", "两百五十块", "7千瓦", "一千瓦", "第一二三季度",
    "金额1234.56元", "电费128.50元，上月98.2元", "2026-12-08", "2026-12-08 10:30", "2026.12.08", "2026年12月8日",
    "2026-12-08 2026-12-09", "2026-12-01至2026-12-31", "2026-12-01 - 2026-12-31 12:00", "时间10:30:15",
    "用电350度", "1234.5 kWh", "容量 80 kW", "120 135 98", "电表读数 012345", "邮编518000",
    "models/20261208-103000-brave-cat.tar.gz", "127.0.0.1:5432", "192.168.100.200", "ts 1733616000.123456",
    "工单BZ20261120000012", "03******67", "138****5678", "11**************3X", "",
    "验证码 123456", "尾号5678", "热线95598", "400-123-4567",
])
def test_ordinary_text_is_unchanged(text):
    assert mask_text(text) == text


def test_mask_text_is_idempotent_on_the_examples():
    for form in PHONE_FORMS + ACCOUNT_FORMS:
        once = mask_text(f"号码{form}一直")
        assert mask_text(once) == once


def test_non_ascii_decimal_digits_are_digits():
    # Python's \d (and so the NLU's regexes) reads every Unicode decimal digit.
    arabic_indic = "١٣٨١٢٣٤٥٦٧٨"
    assert mask_text(f"رقم {arabic_indic}") == "رقم 138****5678"
    assert mask_text("手机①③⑧①②③④⑤⑥⑦⑧") == "手机138****5678"  # NFKC reads these as digits too


def test_mask_name():
    assert mask_name("王建国") == "王**"
    assert mask_name("") == ""


def test_formatter_and_record_factory_mask_every_form(caplog):
    formatter = MaskingFormatter("%(message)s")
    record = logging.getLogger("masking-test").makeRecord(
        "x", logging.INFO, __file__, 1, "phone %s account %s", ("138 一二三四 5678", "０３０１２３４５６７"), None)
    assert formatter.format(record) == "phone 138****5678 account 03******67"
    install_log_masking()
    install_log_masking()  # idempotent
    with caplog.at_level(logging.INFO, logger="masking-test"):
        logging.getLogger("masking-test").info("customer %s", "幺三八-一二三四-五六七八")
    assert "138****5678" in caplog.text and "五六七八" not in caplog.text


def test_masking_is_fast():
    import time

    message = ("客户来电反映家里停电了，地址是福田区莲花街道一号三栋，户号0301234567，联系电话138 1234 5678，"
               "也可以打一三九一二三四五六七八，2026-12-08 10:30 起停电，上月用电350度，金额128.50元，"
               "工单BZ20261120000012，一户多人口申请想问一下进度，三相电表能不能改两相，谢谢。") * 3
    message = message[:300]
    assert len(message) == 300
    rounds = 2000
    start = time.perf_counter()
    for _ in range(rounds):
        mask_text(message)
    per_call = (time.perf_counter() - start) / rounds
    assert per_call < 0.0005, f"{per_call * 1e3:.3f} ms per 300-character message"
