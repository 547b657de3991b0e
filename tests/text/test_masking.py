import logging

from bot.text.masking import MaskingFilter, mask_account, mask_phone, mask_text


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
