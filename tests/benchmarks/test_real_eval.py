"""The real-customer set of `make eval REAL=...` (benchmarks/real_eval.py): the TSV loader, the
multi-label scoring and the training-data overlap finder, on small invented fixtures."""
from __future__ import annotations

import pytest

from benchmarks.real_eval import (
    RealExample,
    RealSetError,
    find_overlaps,
    joined_replies,
    latest_user_intent,
    load_real_set,
    overlap_markdown,
    real_targets,
    replies_tsv,
    score_real,
)

GOOD_TSV = (
    "accepted\ttext\tsource\n"
    "fault_repair,complaint\t楼下配电箱一直嗡嗡响还冒火花\thttps://example.org/a\n"
    "\n"
    "out_of_scope\t燃气费怎么交\t\n"
    "   \n"
    "tiered_tariff, bill_query ,tiered_tariff\t这个月电费怎么比上个月贵那么多\tforum\n"
)


def write(tmp_path, text, name="set.tsv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---- loader ----------------------------------------------------------------------------------


def test_loader_reads_header_multi_labels_and_skips_blank_lines(tmp_path):
    examples = load_real_set(write(tmp_path, GOOD_TSV))
    assert [e.accepted for e in examples] == [
        ("fault_repair", "complaint"), ("out_of_scope",), ("tiered_tariff", "bill_query")]
    assert [e.line for e in examples] == [2, 4, 6]
    assert examples[0].text == "楼下配电箱一直嗡嗡响还冒火花" and examples[0].source == "https://example.org/a"
    assert examples[1].source == "" and examples[1].accepts_out_of_scope
    assert not examples[0].accepts_out_of_scope


def test_loader_accepts_a_byte_order_mark_and_crlf(tmp_path):
    path = tmp_path / "bom.tsv"
    path.write_bytes(("\ufeff" + GOOD_TSV.replace("\n", "\r\n")).encode("utf-8"))
    assert len(load_real_set(path)) == 3


@pytest.mark.parametrize("text, where, says", [
    ("accepted\ttext\tsource\npayment\t怎么交电费\n", ":2:", "expected 3 tab-separated fields"),
    ("accepted\ttext\tsource\npayment\t怎么\t交电费\tx\n", ":2:", "got 4"),
    ("accepted\ttext\tsource\n\npayment\t\tforum\n", ":3:", "empty text"),
    ("accepted\ttext\tsource\n ,\t怎么交电费\tforum\n", ":2:", "no accepted label"),
    ("accepted\ttext\tsource\nhttps://example.org/x\t怎么交电费\tpayment\n", ":2:", "not an intent label"),
    ("text\taccepted\tsource\n怎么交电费\tpayment\tforum\n", ":1:", "header"),
    ("payment\t怎么交电费\tforum\n", ":1:", "header"),
    ("accepted\ttext\tsource\n\n", "set.tsv", "no messages"),
    ("", "set.tsv", "empty file"),
])
def test_malformed_files_give_a_clear_error_with_the_line(tmp_path, text, where, says):
    with pytest.raises(RealSetError) as error:
        load_real_set(write(tmp_path, text))
    assert where in str(error.value) and says in str(error.value)


def test_labels_unknown_to_the_domain_are_refused(tmp_path):
    path = write(tmp_path, "accepted\ttext\tsource\npayment,gas_bill\t燃气和电费一起交\tforum\n")
    with pytest.raises(RealSetError, match=r":2: 'gas_bill' is not an intent of the domain"):
        load_real_set(path, known_intents=["payment", "out_of_scope", "nlu_fallback"])
    assert len(load_real_set(path)) == 1  # without the domain's list, any well-formed label


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(RealSetError, match="cannot read"):
        load_real_set(tmp_path / "missing.tsv")


# ---- scoring ---------------------------------------------------------------------------------


def ex(*accepted):
    return RealExample(tuple(accepted), "随便写的一句话")


ROWS = [
    ex("fault_repair", "complaint"),        # predicted complaint: right (second label)
    ex("fault_repair", "complaint"),        # predicted outage_lookup: wrong, expected fault_repair
    ex("out_of_scope"),                     # predicted nlu_fallback: right, a rejection
    ex("out_of_scope", "charging_pile"),    # predicted charging_pile: right, but not rejected
    ex("tiered_tariff"),                    # predicted out_of_scope: a false rejection
    ex("bill_query", "payment"),            # predicted payment: right
]
PREDICTED = ["complaint", "outage_lookup", "nlu_fallback", "charging_pile", "out_of_scope", "payment"]


def test_multi_label_scoring_by_hand():
    report = score_real(ROWS, PREDICTED)
    assert report.accuracy == pytest.approx(4 / 6)
    # rows accepting out_of_scope: 3 (rejected) and 4 (not) -> 1/2
    assert report.oos_recall == pytest.approx(0.5)
    # rows not accepting it: 1, 2, 5, 6; row 5 rejected -> 1/4
    assert report.false_rejection == pytest.approx(0.25)
    per = report.per_intent
    assert set(per) == {"complaint", "fault_repair", "out_of_scope", "charging_pile", "tiered_tariff", "payment"}
    assert (per["complaint"].f1, per["complaint"].support) == (1.0, 1)
    assert (per["fault_repair"].recall, per["fault_repair"].support) == (0.0, 1)
    assert per["out_of_scope"].precision == pytest.approx(0.5) and per["out_of_scope"].recall == 1.0
    assert per["out_of_scope"].f1 == pytest.approx(2 / 3)
    assert per["tiered_tariff"].f1 == 0.0 and per["payment"].f1 == 1.0 and per["charging_pile"].f1 == 1.0
    assert report.macro_f1 == pytest.approx((1 + 0 + 2 / 3 + 1 + 0 + 1) / 6)
    assert "outage_lookup" in report.labels and "outage_lookup" not in per  # predicted only: a column
    rows = sorted(per)
    assert report.confusion[rows.index("fault_repair")][report.labels.index("outage_lookup")] == 1
    assert report.confusion[rows.index("tiered_tariff")][report.labels.index("out_of_scope")] == 1
    assert sum(map(sum, report.confusion)) == 6


def test_targets_are_reported_not_enforced():
    targets = real_targets(score_real(ROWS, PREDICTED))
    assert [(name, met, value) for name, met, value in targets] == [
        ("intent accuracy ≥ 95%", False, "66.7%"),
        ("out-of-scope recall ≥ 90%", False, "50.0%"),
        ("in-scope false rejection ≤ 3%", False, "25.0%"),
    ]
    perfect = score_real(ROWS, ["fault_repair", "complaint", "out_of_scope", "nlu_fallback", "tiered_tariff",
                                "bill_query"])
    assert all(met for _, met, _ in real_targets(perfect))
    assert perfect.accuracy == 1.0 and perfect.oos_recall == 1.0 and perfect.false_rejection == 0.0


def test_retrieval_intents_fold_and_lengths_must_match():
    assert score_real([ex("chitchat")], ["chitchat/ask_weather"]).accuracy == 1.0
    with pytest.raises(ValueError):
        score_real(ROWS, PREDICTED[:-1])


# ---- overlap finder --------------------------------------------------------------------------


REAL = [
    RealExample(("fault_repair",), "请问我家电表箱昨天晚上冒烟了怎么办", line=2),
    RealExample(("charging_pile",), "充电桩报装需要什么材料呢", line=3),
    RealExample(("bill_query",), "户号０３１２３４５６７８这个月欠了多少", line=4),
    RealExample(("fault_repair",), "楼道里的灯一闪一闪吗", line=5),
]


def test_a_shared_run_of_ten_is_found_and_nine_is_not():
    training = [
        ("邻居说我家电表箱昨天晚上冒烟了", "data/nlu/outage.yml"),   # 12 shared with line 2
        ("换电桩报装需要什么材料", "data/nlu/charging_pile.yml"),     # exactly 10 with line 3
        ("木桩报装需要什么材料", "data/nlu/charging_pile.yml"),       # 9 with line 3
        ("楼道里的灯一闪一闪的", "data/nlu/outage.yml"),             # 9 with line 5
        ("完全无关的一句话而且很长很长很长", "data/nlu/basics.yml"),
    ]
    overlaps = find_overlaps(training, REAL)
    assert [(o.training_text, o.run, o.real_line, o.training_file) for o in overlaps] == [
        ("邻居说我家电表箱昨天晚上冒烟了", "我家电表箱昨天晚上冒烟了", 2, "data/nlu/outage.yml"),
        ("换电桩报装需要什么材料", "电桩报装需要什么材料", 3, "data/nlu/charging_pile.yml"),
    ]
    assert len(overlaps[1].run) == 10 and len("桩报装需要什么材料") == 9


def test_overlaps_are_found_after_a_width_fold():
    overlaps = find_overlaps([("查一下户号0312345678", "data/nlu/account.yml")], REAL)
    assert [(o.run, o.real_line) for o in overlaps] == [("户号0312345678", 4)]
    # and the other way round: full-width training text, half-width real message
    overlaps = find_overlaps([("ＡＢＣＤＥ１２３４５", "x.yml")], [RealExample(("payment",), "码是ABCDE12345", line=9)])
    assert [o.run for o in overlaps] == ["ABCDE12345"]


def test_one_training_example_may_overlap_several_messages():
    real = REAL + [RealExample(("complaint",), "我家电表箱昨天晚上冒烟了没人管", line=6)]
    overlaps = find_overlaps([("我家电表箱昨天晚上冒烟了", "data/nlu/outage.yml")], real)
    assert [o.real_line for o in overlaps] == [2, 6]


def test_overlap_report_prints_the_count_even_when_zero(tmp_path):
    none = overlap_markdown([], tmp_path / "set.tsv", 5)
    assert "**0**" in none and "| training file |" not in none
    some = overlap_markdown(find_overlaps([("换电桩报装需要什么材料|", "a.yml")], REAL), tmp_path / "set.tsv", 1)
    assert "**1**" in some and "| a.yml | 换电桩报装需要什么材料\\| | 电桩报装需要什么材料 | 3 |" in some


# ---- reply file ------------------------------------------------------------------------------


def test_replies_are_joined_on_one_line_per_message():
    messages = [{"text": "您好\n请说说发生了什么"}, {"image": "x.png"}, {"text": "可以\t转人工", "buttons": []}]
    assert joined_replies(messages) == "您好 请说说发生了什么 / 可以 转人工"
    tracker = {"events": [{"event": "user", "parse_data": {"intent": {"name": "greet"}}},
                          {"event": "user", "parse_data": {"intent": {"name": "fault_repair"}}},
                          {"event": "bot", "text": "好的"}]}
    assert latest_user_intent(tracker) == "fault_repair" and latest_user_intent({"events": []}) == ""
    tsv = replies_tsv([RealExample(("fault_repair", "complaint"), "家里跳闸了", "forum\tpage")],
                      [("fault_repair", "您好 / 可以")])
    assert tsv.splitlines() == ["accepted\tpredicted intent\ttext\treply\tsource",
                                "fault_repair,complaint\tfault_repair\t家里跳闸了\t您好 / 可以\tforum page"]
