"""Tables of the stub systems. The schema itself is created by backend/migrations (kept in sync
with these classes by tests/backend/test_migrations.py).

Relationships are lazy="raise": an async session cannot load lazily, so every query states what it
loads (selectinload) and a forgotten one fails loudly in tests instead of at a customer.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeDecorator

Base = declarative_base()
CENT = Decimal("0.01")


class Fen(TypeDecorator):
    """Money as a Decimal in Python, stored as integer fen (分): exact on SQLite, which has no
    decimal type and would otherwise round-trip amounts through floats."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return int((Decimal(value) * 100).to_integral_value(ROUND_HALF_UP))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(value) / 100).quantize(CENT)


class Account(Base):
    """A customer account in the marketing/CRM system (户号)."""

    __tablename__ = "accounts"

    account_no = Column(String(10), primary_key=True)
    holder_name = Column(String(100), nullable=False)
    phone = Column(String(11), nullable=False, index=True)
    district = Column(String(20), nullable=False, index=True)
    street = Column(String(30), nullable=False)
    address = Column(String(200), nullable=False)
    household_size = Column(Integer, nullable=False)
    tariff_type = Column(String(20), nullable=False)  # residential | shared_meter | business
    area_type = Column(String(10), nullable=False)  # urban | rural | remote
    prepaid = Column(Boolean, nullable=False, default=False)  # card meter (预付费卡表)
    # Card balance for prepaid meters, prepaid credit (预存电费) for the others.
    balance = Column("balance_fen", Fen, key="balance", nullable=False, default=0)
    multi_resident = Column(Boolean, nullable=False, default=False)  # 多人口 tier extension granted
    opened_on = Column(Date, nullable=False)

    bills = relationship("Bill", lazy="raise", order_by="Bill.period.desc()")


class Bill(Base):
    __tablename__ = "bills"
    __table_args__ = (UniqueConstraint("account_no", "period", name="uq_bills_account_period"),)

    id = Column(Integer, primary_key=True)
    account_no = Column(String(10), ForeignKey("accounts.account_no"), nullable=False, index=True)
    period = Column(String(7), nullable=False)  # YYYY-MM
    kwh = Column(Integer, nullable=False)
    amount = Column("amount_fen", Fen, key="amount", nullable=False)
    due_date = Column(Date, nullable=False)
    paid = Column(Boolean, nullable=False, default=False)
    paid_at = Column(DateTime, nullable=True)


class VerificationFailure(Base):
    """One failed identity check; the lock-out counts these per account inside a time window."""

    __tablename__ = "verification_failures"

    id = Column(Integer, primary_key=True)
    account_no = Column(String(10), ForeignKey("accounts.account_no"), nullable=False, index=True)
    failed_at = Column(DateTime, nullable=False)


class Outage(Base):
    """A planned (计划停电) or fault (故障停电) outage in the outage-management system."""

    __tablename__ = "outages"

    outage_id = Column(String(12), primary_key=True)
    kind = Column(String(10), nullable=False, index=True)  # planned | fault
    district = Column(String(20), nullable=False, index=True)
    # A short list, filtered in Python: the table holds weeks of outages, not years.
    streets = Column(JSON, nullable=False)
    area_desc = Column(String(200), nullable=False)
    start_at = Column(DateTime, nullable=False, index=True)
    end_at = Column(DateTime, nullable=True)  # planned end, or actual restoration of a fault
    affected_households = Column(Integer, nullable=False, default=0)
    reason = Column(String(200), nullable=True)  # planned
    notice_date = Column(Date, nullable=True)  # planned
    cause = Column(String(200), nullable=True)  # fault
    repair_status = Column(String(20), nullable=True)  # fault
    estimated_restoration = Column(DateTime, nullable=True)  # fault


class OutageSubscription(Base):
    __tablename__ = "outage_subscriptions"
    __table_args__ = (
        UniqueConstraint("account_no", "channel", "recipient_id", name="uq_subscription_recipient"),
    )

    id = Column(Integer, primary_key=True)
    account_no = Column(String(10), ForeignKey("accounts.account_no"), nullable=False, index=True)
    channel = Column(String(20), nullable=False)
    recipient_id = Column(String(128), nullable=False)
    # Unsubscribing deactivates instead of deleting, so re-subscribing cannot resend old notices.
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)


class OutageNotice(Base):
    """One (subscription, outage) notice; delivered_at set once, so nothing is sent twice."""

    __tablename__ = "outage_notices"
    __table_args__ = (UniqueConstraint("subscription_id", "outage_id", name="uq_notice_subscription_outage"),)

    id = Column(Integer, primary_key=True)
    subscription_id = Column(Integer, ForeignKey("outage_subscriptions.id"), nullable=False, index=True)
    outage_id = Column(String(12), ForeignKey("outages.outage_id"), nullable=False)
    created_at = Column(DateTime, nullable=False)
    delivered_at = Column(DateTime, nullable=True)


class WorkOrder(Base):
    __tablename__ = "work_orders"

    id = Column(Integer, primary_key=True)
    order_no = Column(String(16), nullable=False, unique=True)
    type = Column(String(20), nullable=False)
    # Client-chosen key that makes creation idempotent; the fingerprint tells a retry
    # (same content) from a reuse of the key for something else.
    request_id = Column(String(64), nullable=False, unique=True)
    request_fingerprint = Column(String(64), nullable=False)
    status = Column(String(20), nullable=False)  # in_progress | completed
    # Contact fields are empty only for handoff orders (an anonymous chat asking for an agent).
    contact_name = Column(String(50), nullable=True)
    phone = Column(String(11), nullable=True, index=True)
    address = Column(String(200), nullable=True)
    district = Column(String(20), nullable=True)
    account_no = Column(String(10), ForeignKey("accounts.account_no"), nullable=True, index=True)
    channel = Column(String(20), nullable=True)
    details = Column(JSON, nullable=False)
    responsible_unit = Column(String(100), nullable=False)
    created_at = Column(DateTime, nullable=False)
    completed_at = Column(DateTime, nullable=True)

    steps = relationship("WorkOrderStep", lazy="raise", order_by="WorkOrderStep.seq")
    events = relationship("WorkOrderEvent", lazy="raise", order_by="WorkOrderEvent.id")


class WorkOrderStep(Base):
    __tablename__ = "work_order_steps"
    __table_args__ = (UniqueConstraint("order_id", "seq", name="uq_step_order_seq"),)

    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("work_orders.id"), nullable=False, index=True)
    seq = Column(Integer, nullable=False)
    name = Column(String(100), nullable=False)
    time_limit_working_days = Column(Integer, nullable=True)
    time_limit_hours = Column(Float, nullable=True)
    deadline = Column(DateTime, nullable=False)
    done_at = Column(DateTime, nullable=True)


class WorkOrderEvent(Base):
    """The status timeline shown to the customer (受理, 环节完成, 办结)."""

    __tablename__ = "work_order_events"

    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("work_orders.id"), nullable=False, index=True)
    at = Column(DateTime, nullable=False)
    status = Column(String(30), nullable=False)
    note = Column(String(200), nullable=False)


class OrderSequence(Base):
    """Last sequence number handed out per (type prefix, day): BZ20260318 + 000001, 000002, ..."""

    __tablename__ = "order_sequences"

    prefix = Column(String(2), primary_key=True)
    day = Column(String(8), primary_key=True)
    last_value = Column(Integer, nullable=False)


class SmsOutbox(Base):
    """The SMS gateway stub: each row is a message a real gateway would have sent. Codes appear
    only here (the text the customer's phone receives), never in an API answer or the code table."""

    __tablename__ = "sms_outbox"

    id = Column(Integer, primary_key=True)
    phone = Column(String(11), nullable=False, index=True)
    text = Column(String(200), nullable=False)
    purpose = Column(String(20), nullable=False)
    created_at = Column(DateTime, nullable=False)


class OneTimeCode(Base):
    """A 6-digit SMS code proving the customer holds a phone. Only an HMAC-SHA256 of it is stored,
    keyed with a per-row random salt. Void when used (used_at), after MAX_ATTEMPTS wrong tries,
    when expired, and when a newer code is issued for the same phone and purpose (expires_at
    moved to that moment)."""

    __tablename__ = "one_time_codes"

    id = Column(Integer, primary_key=True)
    phone = Column(String(11), nullable=False, index=True)
    purpose = Column(String(20), nullable=False)
    salt = Column(String(32), nullable=False)
    code_hash = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False)
    attempts = Column(Integer, nullable=False, default=0)  # wrong tries so far
    used_at = Column(DateTime, nullable=True)


class PhoneGrant(Base):
    """What a verified code buys: an opaque token (stored as its SHA-256) that lets the caller
    use one phone number for one purpose until expires_at."""

    __tablename__ = "phone_grants"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    phone = Column(String(11), nullable=False, index=True)
    purpose = Column(String(20), nullable=False)
    created_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False)
