"""What to tell a customer without power when no outage explains it, and the notice policy.

All facts (self-check steps, the meter ownership boundary, who fixes what, arrears restoration,
notice days and channels) come from knowledge/outage.yml; this module only words them kindly.
"""
from __future__ import annotations

from typing import List

from actions.replies import region

def _join(items: List[str]) -> str:
    return "、".join(str(item) for item in items)


def hedge(path: str) -> str:
    """"（以供电局公告为准）" after a figure the utility has not confirmed yet."""
    return "" if region().fact(path).verified else "（具体以供电局公告为准）"


def self_check_text() -> str:
    steps = region().value("outage.self_check.steps")
    lines = ["先别着急，您可以这样检查一下："]
    lines += [f"{number}. {step}" for number, step in enumerate(steps, start=1)]
    return "\n".join(lines)


def ownership_text() -> str:
    """The meter as the boundary: who repairs what, and who to call for the customer's side."""
    rule = region().value("outage.ownership_boundary.rule")
    customer_side = region().value("outage.ownership_boundary.customer_side")
    contacts = region().value("outage.ownership_boundary.customer_side_contacts")
    return (
        f"说明一下维修分工：{rule}\n"
        f"像{_join(customer_side)}这类情况，一般是户内问题，可以请{_join(contacts)}帮忙处理。"
    )


def utility_side_text() -> str:
    utility_side = region().value("outage.ownership_boundary.utility_side")
    return f"如果是{_join(utility_side)}，属于供电局负责，我可以马上帮您报修。"


def arrears_text() -> str:
    hours = region().value("outage.arrears_disconnection.restore_within_hours")
    return f"如果是欠费停电，缴清电费后{hours}小时内恢复供电。"


def notice_policy_text() -> str:
    days = region().value("outage.planned.notice_days_ahead")
    channels = region().value("outage.planned.notice_channels")
    lookup = region().value("outage.planned.lookup_channels")
    return (
        f"计划停电一般会提前{days}天通知{hedge('outage.planned.notice_days_ahead')}，"
        f"通知渠道有：{_join(channels)}。也可以随时通过{_join(lookup)}查询停电信息。"
    )


def appliance_claim_text() -> str:
    days = region().value("outage.appliance_damage.report_within_days")
    how = region().value("outage.appliance_damage.how_to_claim")
    return (
        f"如果家电是因为供电一侧的故障损坏的，可以申请处理：请在{days}天内报告，"
        f"并保持电器原状，不要自行拆修或丢弃。{how}"
    )


def overdue_text() -> str:
    return str(region().value("outage.repair.overdue_escalation"))
